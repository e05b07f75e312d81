"""Text of the command's replies: pure functions from results to Slack mrkdwn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.checklists import Template
from bot.services.checklist import MarkOutcome
from storage.models import Application, Event


def app_label(application: Application) -> str:
    return f"*{escape_mrkdwn(application.name)}* (`{application.slug}`)"


def step_label(template: Template, number: str) -> str:
    return f"{number} _{escape_mrkdwn(template.step(number).title)}_"


def _steps(template: Template, numbers: Sequence[str]) -> str:
    return ", ".join(step_label(template, n) for n in numbers)


def _progress(application: Application, outcome: MarkOutcome) -> str:
    return f"{app_label(application)} is at {outcome.done_count}/{outcome.total}."


def marked(application: Application, template: Template, outcome: MarkOutcome) -> str:
    lines = []
    if outcome.changed:
        lines.append(f"Marked done: {_steps(template, outcome.changed)}.")
    if outcome.unchanged:
        lines.append(f"Already done: {_steps(template, outcome.unchanged)}.")
    if outcome.open_before:
        lines.append(f"Still open before it: {', '.join(outcome.open_before)}.")
    lines.append(_progress(application, outcome))
    return "\n".join(lines)


def unmarked(application: Application, template: Template, outcome: MarkOutcome) -> str:
    lines = []
    if outcome.changed:
        lines.append(f"Marked not done: {_steps(template, outcome.changed)}.")
    if outcome.unchanged:
        lines.append(f"Already not done: {_steps(template, outcome.unchanged)}.")
    lines.append(_progress(application, outcome))
    return "\n".join(lines)


def created(application: Application, template: Template) -> str:
    return (
        f"Created {app_label(application)} in <#{application.channel_id}> from the "
        f"{escape_mrkdwn(template.title)} guide ({len(template.steps)} steps). "
        f"You own it. Next: `/onboard status` to see the checklist, "
        f"`/onboard mark 1.1` when the first step is done."
    )


def renamed(old_name: str, new_name: str, slug: str) -> str:
    return (
        f"Renamed *{escape_mrkdwn(old_name)}* to *{escape_mrkdwn(new_name)}* "
        f"(`{slug}` stays the same)."
    )


def application_list(
    heading: str, applications: Sequence[Application], done: dict[int, int], totals: dict[int, int]
) -> str:
    if not applications:
        return f"{heading}: none yet. Start one with `/onboard new <name>`."
    lines = [f"{heading}:"]
    for application in applications:
        archived = " (archived)" if application.archived_at else ""
        lines.append(
            f"• {app_label(application)} in <#{application.channel_id}>: "
            f"{done.get(application.id, 0)}/{totals[application.id]}{archived}"
        )
    return "\n".join(lines)


_EVENT_VERBS = {
    "created": "created the application",
    "marked": "marked {step} done",
    "unmarked": "marked {step} not done",
    "assigned": "assigned {step} to {new}",
    "unassigned": "unassigned {step} (was {old})",
    "due": "set {step} due {new}",
    "noted": "noted on {step}: {new}",
    "renamed": "renamed it from {old} to {new}",
    "archived": "archived the application",
    "snoozed": "snoozed reminders for {step} until {new}",
    "remind_after": "set reminders after {new} working days (was {old})",
    "remind_hours": "set reminder hours to {new} (was {old})",
    "reminders": "turned reminders {new}",
    "contact_added": "added {new} as an Alipay contact",
    "contact_removed": "removed {old} from the Alipay contacts",
    "contacts_channel": "set the contacts channel to {new}",
    "credential_set": "set the {new} credential",
    "forced": "forced {step} past the production credentials check",
    "notification_verified": "sent a verified {new} notification (evidence for {step})",
}


def _actor(actor_id: str) -> str:
    # Alipay's notifications are recorded with the actor "alipay", not a Slack user.
    return "Alipay" if actor_id == "alipay" else f"<@{actor_id}>"


def _user(value: str | None) -> str:
    return f"<@{value}>" if value else "nobody"


OLDER_HISTORY = "history_older"
_MAX_ID = 2**63 - 1


def older_value(application_id: int, step: str | None, before_id: int) -> str:
    return f"{application_id}|{step or ''}|{before_id}"


def parse_older_value(value: str) -> tuple[int, str | None, int] | None:
    """(application id, step or None, events before this id) of an *Older* button."""
    parts = value.split("|")
    if len(parts) != 3 or not parts[0].isdecimal() or not parts[2].isdecimal():
        return None
    if int(parts[2]) > _MAX_ID:
        return None
    return int(parts[0]), parts[1] or None, int(parts[2])


def history_blocks(
    application: Application, events: Sequence[Event], step: str | None, more: bool, older: bool
) -> tuple[str, list[Block]]:
    """The history text, with an *Older* button while there is more."""
    text = history(application, events, step, older)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]
    if more and events:
        blocks.append(
            ActionsBlock(
                block_id="history",
                elements=[
                    ButtonElement(
                        text="Older",
                        action_id=OLDER_HISTORY,
                        value=older_value(application.id, step, events[-1].id),
                    )
                ],
            )
        )
    return text, blocks


def history(
    application: Application, events: Sequence[Event], step: str | None, older: bool = False
) -> str:
    scope = f"step {step} of " if step else ""
    if not events:
        return f"No history yet for {scope}{app_label(application)}."
    which = "Earlier" if older else "Latest"
    lines = [f"{which} changes to {scope}{app_label(application)}, newest first:"]
    for e in events:
        old, new = escape_mrkdwn(e.old_value or ""), escape_mrkdwn(e.new_value or "")
        if e.kind in ("assigned", "unassigned", "contact_added", "contact_removed"):
            old, new = _user(e.old_value), _user(e.new_value)
        elif e.kind == "contacts_channel":
            new = f"<#{e.new_value}>" if e.new_value else "none (a DM to each contact)"
        elif e.kind == "due":
            new = new or "no date (cleared)"
        elif e.kind == "noted":
            new = f"“{escape_mrkdwn(_shorten(e.new_value or '', 80))}”"
        text = _EVENT_VERBS.get(e.kind, e.kind + " {step}").format(step=e.step, old=old, new=new)
        when = e.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"• {when}: {_actor(e.actor_id)} {text}")
    return "\n".join(lines)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def due_set(template: Template, number: str, due_on: date | None, zone_name: str) -> str:
    if due_on is None:
        return f"Cleared the due date of {step_label(template, number)}."
    return f"{step_label(template, number)} is due {due_on.isoformat()} ({zone_name} time)."


def reminder_settings(application: Application) -> str:
    if not application.reminders_on:
        return (
            f"Reminders for {app_label(application)} are *off*. "
            "`/onboard remind on` turns them back on."
        )
    days = application.remind_after_days
    return (
        f"Reminders for {app_label(application)} are on: a step counts as stalled after {days} "
        f"working day{'s' * (days != 1)} without progress, and people are reminded between "
        f"{application.remind_start} and {application.remind_end}, Monday to Friday, in their "
        "own time zone."
    )


def contacts(application: Application, people: Sequence[str]) -> str:
    if not people:
        who = "no Alipay contacts yet; add them with `/onboard contacts add @person`"
    else:
        who = "these Alipay contacts: " + ", ".join(f"<@{p}>" for p in people)
    if application.contacts_channel_id:
        where = f"The business-start announcement goes to <#{application.contacts_channel_id}>."
    else:
        where = "With no contacts channel set, each contact gets a direct message."
    return f"{app_label(application)} has {who}. {where}"
