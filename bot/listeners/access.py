"""Who may change an application, shared by commands, buttons and modals.

A `Refusal` carries the message to show the user; listeners turn it into an ephemeral reply
(or an inline modal error) and change nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.replies import app_label
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.slack_directory import MembershipUnknown
from storage import repositories as repo
from storage.models import Application

T = TypeVar("T")


def team_of(body: dict[str, Any]) -> str:
    """The workspace of an interaction payload (block actions and view submissions)."""
    return (body.get("team") or {}).get("id") or body["user"].get("team_id", "")


async def application_for_click(runtime: Runtime, application_id: int, team_id: str) -> Application:
    """The application a button or modal points at, which may be gone since it was drawn.
    One of another workspace (a channel shared between two) is as good as gone."""
    async with runtime.sessions() as session:
        application = await repo.application_by_id(session, application_id)
    if application is None or application.team_id != team_id:
        raise Refusal("This checklist's application was deleted, so there is nothing to change.")
    if application.archived_at is not None:
        raise Refusal(f"{app_label(application)} is archived; its checklist no longer changes.")
    return application


async def reload_application(session: AsyncSession, application: Application) -> Application:
    """The application inside this transaction; it may have been archived meanwhile."""
    current = await repo.application_by_id(session, application.id)
    if current is None or current.archived_at is not None:
        raise Refusal(f"{app_label(application)} was archived; nothing was changed.")
    return current


async def change_application(
    runtime: Runtime,
    application: Application,
    change: Callable[[AsyncSession, Application], Awaitable[T]],
) -> T:
    """Run `change` on the application as it is inside a write transaction, which changes
    arriving together may share (storage/writes.py): so `change` may run twice and must touch
    only the session. Refused if the application was archived meanwhile."""

    async def unit(session: AsyncSession) -> T:
        return await change(session, await reload_application(session, application))

    return await runtime.writes.run(unit)


async def require_member(
    runtime: Runtime, client: AsyncWebClient, team_id: str, user_id: str, application: Application
) -> None:
    try:
        members = await runtime.directory.channel_members(client, team_id, application.channel_id)
    except MembershipUnknown as e:
        raise Refusal(
            f"I can't see who is in <#{application.channel_id}> (Slack said `{e.error}`), so I "
            "can't check you may change it. Invite me there with `/invite @Onboard`."
        ) from None
    if user_id not in members:
        raise Refusal(
            f"Only members of <#{application.channel_id}> can change {app_label(application)}; "
            "join the channel first."
        )


async def require_owner(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    application: Application,
    action: str,
) -> None:
    if user_id == application.owner_id:
        return
    person = await runtime.directory.person(client, team_id, user_id)
    if person is None or not person.is_admin:
        raise Refusal(
            f"Only the owner of {app_label(application)} (<@{application.owner_id}>) "
            f"or a workspace admin can {action} it."
        )
