"""The DM that tells someone they were just given a step, queued with the assignment.

Only a real change of assignee is an assignment event (giving a step to whoever already has
it records nothing), and the DM is keyed by that event, so each event DMs once however often
its transaction is retried. Nobody is told of a step they gave themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import ENGLISH
from bot.outbox_messages import Assignment, AssignmentNote
from bot.services.checklist import Assigned, template_for
from storage import outbox
from storage import repositories as repo
from storage.models import Application

NOTES_SHOWN = 3


async def tell_assignee(
    session: AsyncSession,
    application: Application,
    assigned: Assigned,
    *,
    actor_id: str,
    in_channel: bool | None,
    now: datetime,
    language: str = ENGLISH,
) -> tuple[int, ...]:
    """Queue the DM about the assignment `assign_step` just recorded in this session; returns
    the outbox ids queued (none when nothing was recorded, the step was unassigned, or the
    actor gave it to themselves). The DM is in `language`, the assignee's."""
    step, assignee_id = assigned.step, assigned.new
    if assigned.event_id is None or assignee_id is None:
        return ()
    # The step is the one this transaction loaded to change.
    state = await repo.step_for_update(session, application.id, step)
    notes = await repo.newest_notes_of_step(session, application.id, step, NOTES_SHOWN)
    message = Assignment(
        application_id=application.id,
        application=application.name,
        slug=application.slug,
        step=step,
        title=template_for(application).step(step).title_in(language),
        channel=application.channel_id,
        by=actor_id,
        due_on=state.due_on if state else None,
        notes=tuple(AssignmentNote(n.author_id, n.created_at.date(), n.text) for n in notes),
        in_channel=in_channel,
        language=language,
    )
    row = message.for_outbox(
        dedupe_key=f"{Assignment.KIND}:{assigned.event_id}",
        team_id=application.team_id,
        target=assignee_id,
        application_id=application.id,
        step=step,
    )
    return tuple(await outbox.enqueue(session, [row], now))
