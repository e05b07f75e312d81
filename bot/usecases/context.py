"""What every use case takes (`Deps`, `Actor`), what every change returns (`Followup`), and
a person's own today (`today_for`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from storage.models import Application


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: their workspace and user, and the channel they typed a command in (None for
    a click or a modal, whose channel is never trusted)."""

    team_id: str
    user_id: str
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class Deps:
    """What a use case runs with: the runtime (database, caches, clock) and the workspace's
    Web API client, through which the directory learns who is in a channel."""

    runtime: Runtime
    client: AsyncWebClient

    def now(self) -> datetime:
        return self.runtime.clock()


@dataclass(frozen=True, slots=True)
class Followup:
    """What must follow a committed change (bot/followup.py does it).

    `application` is as the change's transaction left it, so it knows its latest checklist
    message; `homes` are the people whose App Home shows what changed; `queued` the outbox ids
    this change queued, sent at once; `redraw_checklist` False when the checklist message
    shows nothing new (a snooze, a mark of a step already done). `marked`: the steps a mark
    just did (in template order), `by` whom and `at` when, which the redrawn checklist message
    tells other apps (its metadata, bot/message_events.py)."""

    application: Application
    homes: frozenset[str] = frozenset()
    queued: tuple[int, ...] = ()
    redraw_checklist: bool = True
    marked: tuple[str, ...] = ()
    marked_by: str | None = None
    marked_at: datetime | None = None


def people(*user_ids: str | None) -> frozenset[str]:
    return frozenset(u for u in user_ids if u)


@dataclass(frozen=True, slots=True)
class Today:
    """Today where a person is: "tomorrow", "+3d" and the past are judged there."""

    date: date
    zone: ZoneInfo | None  # None when Slack would not say: then UTC's date

    @property
    def zone_name(self) -> str:
        return str(self.zone or "UTC")


async def today_for(deps: Deps, actor: Actor, user_id: str | None = None) -> Today:
    """Today in `user_id`'s Slack zone (the actor's when None), UTC's when Slack won't say."""
    person = await deps.runtime.directory.person(
        deps.client, actor.team_id, user_id or actor.user_id
    )
    zone = person.timezone if person is not None else None
    now = deps.now()
    return Today(now.astimezone(zone).date() if zone is not None else now.date(), zone)
