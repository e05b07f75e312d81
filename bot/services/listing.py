"""Which applications `/onboard list` shows a person, and how far each has got."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import get_template
from storage import repositories as repo
from storage.models import Application


@dataclass(frozen=True, slots=True)
class Listing:
    here: list[Application]  # the channel's, archived ones included
    elsewhere: list[Application]  # other channels' where the person owns it or has steps
    done: dict[int, int]
    totals: dict[int, int]


async def applications_for(
    session: AsyncSession, team_id: str, channel_id: str, user_id: str
) -> Listing:
    here = await repo.applications_in_channel(session, team_id, channel_id, include_archived=True)
    elsewhere = [
        a
        for a in await repo.applications_with_steps_assigned_to(session, team_id, user_id)
        if a.channel_id != channel_id
    ]
    elsewhere += [
        a
        for a in await repo.active_applications(session, team_id)
        if a.owner_id == user_id and a.channel_id != channel_id and a not in elsewhere
    ]
    everything = here + elsewhere
    done = await repo.done_counts(session, [a.id for a in everything])
    totals = {a.id: len(get_template(a.template_key, a.template_version).steps) for a in everything}
    return Listing(here, elsewhere, done, totals)
