"""The buttons of a reminder DM (Mark done, Snooze 1 day, Reassign…), and the offer to mark a
step that follows saving its credentials."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import modals
from bot.blocks.checklist import parse_action_value
from bot.blocks.credentials import OFFER_MARK
from bot.blocks.notifications import REMINDER_MARK, REMINDER_REASSIGN, REMINDER_SNOOZE
from bot.blocks.replies import step_label
from bot.listeners.access import (
    Refusal,
    application_for_click,
    change_application,
    require_member,
    team_of,
)
from bot.runtime import Runtime
from bot.services import checklist as svc
from bot.surfaces import Surfaces
from storage import repositories as repo
from storage.models import Application

MARKS = (REMINDER_MARK, OFFER_MARK)


def register(app: AsyncApp, runtime: Runtime, surfaces: Surfaces) -> None:
    async def answered(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        parsed = parse_action_value(action.get("value", ""))
        if parsed is None:
            await ack()
            return
        application_id, step, _ = parsed
        user_id = body["user"]["id"]
        team_id = team_of(body)
        try:
            application = await application_for_click(runtime, application_id, team_of(body))
            await require_member(runtime, client, team_id, user_id, application)
            template = svc.template_for(application)
            if action["action_id"] == REMINDER_REASSIGN:
                await ack()
                async with runtime.sessions() as session:
                    state = await repo.step_for_update(session, application_id, step)
                context = modals.ModalContext(application_id=application_id, step=step)
                view = modals.assign_modal(
                    context,
                    application.name,
                    template.step(step),
                    state.assignee_id if state else None,
                )
                await client.views_open(trigger_id=body["trigger_id"], view=view)
                return

            async def answer_reminder(
                session: AsyncSession, current: Application
            ) -> tuple[str, int]:
                now = runtime.clock()
                if action["action_id"] in MARKS:
                    outcome = await svc.mark_steps(
                        session,
                        current,
                        [step],
                        actor_id=user_id,
                        now=now,
                        keyring=runtime.keyring,
                    )
                    return (
                        f"✅ You marked {step_label(template, step)} done. Thank you!",
                        outcome.enqueued,
                    )
                until = await svc.snooze(session, current, step, actor_id=user_id, now=now)
                return (
                    f"😴 Snoozed {step_label(template, step)}: no reminder before "
                    f"{until:%Y-%m-%d %H:%M} UTC.",
                    0,
                )

            answer, enqueued = await change_application(runtime, application, answer_reminder)
        except Refusal as refusal:
            await ack()
            await respond(response_type="ephemeral", replace_original=False, text=refusal.message)
            return
        except SlackApiError:
            return  # the modal could not open (the trigger expired); nothing changed
        # Acknowledged once committed; then the reminder itself shows the answer.
        await ack()
        await respond(replace_original=True, text=answer)
        await surfaces.update_latest_message(client, application_id)
        if action["action_id"] in MARKS:
            await surfaces.publish_home(client, team_id, user_id)
        if enqueued:
            await runtime.kick_outbox()

    for action_id in (*MARKS, REMINDER_SNOOZE, REMINDER_REASSIGN):
        app.action(action_id)(answered)
