"""Messages sent outside a request (bot/outbox_messages.py: reminders, escalations, digests,
announcements, notices): pure functions from a message to (fallback text, blocks)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.checklist import action_value, progress_bar
from bot.blocks.mrkdwn import escape_mrkdwn
from bot.outbox_messages import (
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    Escalation,
    GoLive,
    Message,
    NotificationLine,
    Reminder,
    Undeliverable,
    WaitingStep,
)

# action_ids of the reminder's buttons
REMINDER_MARK = "reminder_mark"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_REASSIGN = "reminder_reassign"

Rendered = tuple[str, list[Block]]


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:3000])])


def _app(name: str) -> str:
    return f"*{escape_mrkdwn(name)}*"


def _step(step: str, title: str) -> str:
    return f"*{step}* _{escape_mrkdwn(title)}_"


def _days(n: int) -> str:
    return f"{n} working day{'s' * (n != 1)}"


def reminder(m: Reminder) -> Rendered:
    if m.reason == "overdue":
        why = f"was due {m.due_on}"
    else:
        why = f"has waited {_days(m.waited_days)} (since {m.since})"
    text = f"⏰ Step {_step(m.step, m.title)} of {_app(m.application)} in <#{m.channel}> {why}."
    target = m.application_id, m.step
    blocks: list[Block] = [
        _md(text),
        ActionsBlock(
            block_id="reminder",
            elements=[
                ButtonElement(
                    text="Mark done",
                    action_id=REMINDER_MARK,
                    value=action_value(*target, "mark"),
                    style="primary",
                ),
                ButtonElement(
                    text="Snooze 1 day",
                    action_id=REMINDER_SNOOZE,
                    value=action_value(*target, "snooze"),
                ),
                ButtonElement(
                    text="Reassign…",
                    action_id=REMINDER_REASSIGN,
                    value=action_value(*target, "assign"),
                ),
            ],
        ),
    ]
    return f"Step {m.step} of {m.application} {why}", blocks


def escalation(m: Escalation) -> Rendered:
    text = (
        f"⚠️ Step {_step(m.step, m.title)} of {_app(m.application)} has had {m.reminders} "
        f"reminders to <@{m.recipient}> since {m.since} with no answer. "
        f"Owner of the application: <@{m.owner}>. Could someone pick it up?"
    )
    return f"Step {m.step} of {m.application} is stuck", [_md(text)]


def go_live(m: GoLive) -> Rendered:
    text = (
        f"🚀 {_app(m.application)} is live in production! <@{m.marked_by}> marked step "
        f"{m.step} (launch) on {m.marked_on}. Next: pilot testing with a live account."
    )
    return f"{m.application} is live in production", [_md(text)]


def business_start(m: BusinessStart) -> Rendered:
    contacts = " ".join(f"<@{c}>" for c in m.contacts)
    pilot = "\n".join(
        f"• {s.step} {escape_mrkdwn(s.title)}: "
        + (f"done {s.done_on}" if s.done_on else "not marked done")
        for s in m.pilot
    )
    client_id = m.production_client_id or "not recorded in Onboard"
    blocks: list[Block] = [
        HeaderBlock(text=f"{m.application} has started business"[:150]),
        _md(
            (f"{contacts} " if contacts else "")
            + f"{_app(m.application)} is activated for business, so Alipay can start monitoring "
            "it for unexpected errors."
        ),
        _md(
            f"*Production client ID:* `{escape_mrkdwn(client_id)}`\n"
            f"*Went live:* {m.went_live_on or 'not marked'}\n"
            f"*Business started:* {m.marked_on} (marked by <@{m.marked_by}>)"
        ),
    ]
    if pilot:
        blocks.append(_md(f"*Pilot testing*\n{pilot}"))
    return f"{m.application} has started business", blocks


def business_start_no_contacts(m: BusinessStartNoContacts) -> Rendered:
    text = (
        f"{_app(m.application)} has started business, but it has no Alipay contacts to tell. "
        "Add them with `/onboard contacts add @person` (and optionally `/onboard contacts "
        "channel #channel`), then unmark and mark the last step again."
    )
    return f"{m.application}: no Alipay contacts to tell", [_md(text)]


def _waiting(w: WaitingStep) -> str:
    return f"overdue since {w.due_on}" if w.overdue else "stalled"


def digest(m: Digest) -> Rendered:
    title = "Daily digest" if m.cadence == "daily" else "Weekly digest"
    blocks: list[Block] = [HeaderBlock(text=title)]
    for a in m.applications:
        blocks += [
            DividerBlock(),
            _md(f"*{escape_mrkdwn(a.application)}* · {a.done}/{a.total}"),
        ]
        phases = "\n".join(
            f"{progress_bar(ph.done, ph.total)} {ph.done}/{ph.total} {escape_mrkdwn(ph.title)}"
            for ph in a.phases
        )
        lines = [phases]
        if a.done_since:
            lines.append(
                "*Done since the last digest:* "
                + ", ".join(f"{d.step} by <@{d.by}>" for d in a.done_since)
            )
        if a.waiting:
            lines.append(
                "*Stalled or overdue:* "
                + ", ".join(f"{w.step} ({_waiting(w)}, <@{w.owner}>)" for w in a.waiting)
            )
        if a.next:
            lines.append(
                "*Next:* "
                + ", ".join(
                    f"{n.step} {escape_mrkdwn(n.title)}"
                    + (f" (<@{n.assignee}>)" if n.assignee else "")
                    for n in a.next
                )
            )
        blocks.append(_md("\n".join(lines)))
    if not m.applications:
        blocks.append(_md("No active applications in this channel."))
    if m.more:
        blocks.append(_context(f"…and {m.more} more applications; `/onboard list` shows all."))
    total = sum(a.done for a in m.applications)
    return f"{title}: {total} steps done across {len(m.applications)} applications", blocks


def undeliverable(m: Undeliverable) -> Rendered:
    what = m.what.replace("-", " ")
    text = (
        f"I couldn't deliver a {what} to {m.to} (Slack said `{m.error}`). Check the step's "
        f"assignee or the contacts of {_app(m.application)}, or invite me to the channel."
    )
    return f"Couldn't deliver a {what}", [_md(text)]


def notification_line(m: NotificationLine) -> Rendered:
    what = "an Alipay notification" if m.count == 1 else f"{m.count} Alipay notifications"
    evidence = f" That is the evidence for step {m.step}." if m.step else ""
    text = (
        f"✅ {_app(m.application)} received {what} ({m.environment}) at {m.minute:%H:%M} UTC, "
        f"signature verified.{evidence}"
    )
    return f"{m.application}: {what} verified", [_md(text)]


def render(message: Message) -> Rendered:
    match message:
        case Reminder():
            return reminder(message)
        case Escalation():
            return escalation(message)
        case GoLive():
            return go_live(message)
        case BusinessStart():
            return business_start(message)
        case BusinessStartNoContacts():
            return business_start_no_contacts(message)
        case Digest():
            return digest(message)
        case Undeliverable():
            return undeliverable(message)
        case NotificationLine():
            return notification_line(message)
    raise TypeError(f"no rendering for {type(message).__name__}")
