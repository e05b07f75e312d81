"""What every `/onboard` subcommand handler shares: the request, the reply, finding the
application, checking who may change it, and running a change in one transaction.

Each handler returns a `Reply`, which the listener sends as its `ack`, so the user's answer
comes in the same HTTP response; `after` is work that may follow the ack (posting a message,
uploading a file). Database changes are committed before the handler returns, so whatever
was acknowledged survives a crash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.listeners.access import Refusal, change_application, require_member, require_owner
from bot.runtime import Runtime
from bot.surfaces import Surfaces
from storage.models import Application

AfterAck = Callable[[], Awaitable[None]]


@dataclass
class Reply:
    text: str
    blocks: list[Any] | None = None
    in_channel: bool = False
    after: AfterAck | None = None


@dataclass
class Request:
    """One `/onboard` invocation, as the handlers need it."""

    runtime: Runtime
    client: AsyncWebClient
    team_id: str
    channel_id: str
    user_id: str
    trigger_id: str
    now: datetime
    respond: Callable[..., Awaitable[Any]]
    surfaces: Surfaces

    def transaction(self):
        return self.runtime.writes.begin()


# ---- finding the application and checking who may change it -------------------------------


async def find_application(req: Request, slug: str | None) -> Application:
    """The application `--app <slug>` names, or else the one bound to this channel."""
    lookup, sessions = req.runtime.applications, req.runtime.sessions
    if slug is not None:
        application = await lookup.by_slug(sessions, req.team_id, slug)
        if application is None:
            raise Refusal(f"There is no application `{slug}` here. `/onboard list` shows them.")
        return application
    found = await lookup.in_channel(sessions, req.team_id, req.channel_id)
    if not found:
        raise Refusal(
            "No application is bound to this channel. Start one here with "
            "`/onboard new <name>`, or name one with `--app <slug>`."
        )
    if len(found) > 1:
        slugs = ", ".join(f"`{a.slug}`" for a in found)
        raise Refusal(f"This channel has {len(found)} applications ({slugs}); add `--app <slug>`.")
    return found[0]


async def resolve_application(req: Request, slug: str | None) -> Application:
    """The application the command is about, after checking the user may change it. A
    snapshot, possibly a few seconds old (bot/application_lookup.py): changes reload it."""
    application = await find_application(req, slug)
    await require_member(req.runtime, req.client, req.team_id, req.user_id, application)
    return application


async def require_app_owner(req: Request, application: Application, action: str) -> None:
    await require_owner(req.runtime, req.client, req.team_id, req.user_id, application, action)


async def apply_change(
    req: Request, application: Application, change: Callable[[AsyncSession, Application], Any]
) -> Any:
    """`change_application`, turning a service's refusal into ours."""
    try:
        return await change_application(req.runtime, application, change)
    except Refusal as e:
        raise Refusal(e.message) from None


def redraw_after(req: Request, application: Application, users: Iterable[str | None]) -> AfterAck:
    """After a change: refresh the channel's latest checklist and the Home of those it touched.
    `application` as the change's transaction saw it: it knows its latest checklist message."""

    async def redraw() -> None:
        channel, ts = application.checklist_channel_id, application.checklist_ts
        if channel and ts:
            await req.surfaces.update_message(req.client, application.id, channel, ts)
        await req.surfaces.publish_homes(req.client, req.team_id, users)

    return redraw
