"""Alipay notifications that verified: evidence on the step, and one line a minute to the team."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.outbox_messages import NotificationLine
from bot.services import languages
from storage import outbox
from storage import repositories as repo
from storage.models import Application


def evidence_step(template: Template, environment: str) -> str | None:
    """The step a verified notification proves: the one that set this environment's URL,
    else the sandbox one (1.5 in the built-in guide)."""
    for artifact in (f"{environment}.notify_url", "sandbox.notify_url"):
        for step in template.steps:
            if artifact in step.artifacts:
                return step.number
    return None


async def record_verified(
    session: AsyncSession,
    application: Application,
    template: Template,
    environment: str,
    now: datetime,
) -> None:
    step = evidence_step(template, environment)
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id="alipay",
        kind="notification_verified",
        step=step,
        new_value=environment,
        now=now,
    )
    # One line per minute: the first notification of a minute queues it for the minute's
    # end, and the rest of that minute only raise its count.
    minute = now.replace(second=0, microsecond=0)
    key = f"{NotificationLine.KIND}:{application.id}:{minute.isoformat()}"
    if await outbox.change_pending(session, key, _one_more):
        return
    line = NotificationLine(
        application=application.name,
        environment=environment,
        minute=minute,
        step=step,
        # Said in the channel, so in its language.
        language=await languages.channel_language(
            session, application.team_id, application.channel_id
        ),
    )
    inserted = await outbox.enqueue(
        session,
        [
            line.for_outbox(
                dedupe_key=key,
                team_id=application.team_id,
                target=application.channel_id,
                application_id=application.id,
                step=step,
                not_before=minute + timedelta(minutes=1),
            )
        ],
        now,
    )
    if not inserted:
        # Another notification of this minute inserted the line meanwhile: count in it.
        await outbox.change_pending(session, key, _one_more)


def _one_more(payload: dict[str, Any]) -> dict[str, Any]:
    line = NotificationLine.from_payload(payload)
    return replace(line, count=line.count + 1).to_payload()
