"""Messages sent outside a request (bot/outbox_messages.py: reminders, escalations, digests,
announcements, notices): pure functions from a message to (fallback text, blocks)."""

from __future__ import annotations

import re

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

from bot.blocks.checklist import action_value, progress_bar, progress_count
from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    shorten,
    user_mention,
    user_text,
)
from bot.outbox_messages import (
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    Escalation,
    GoLive,
    Message,
    NotificationLine,
    PilotStep,
    Reminder,
    Undeliverable,
    WaitingStep,
)

# action_ids of the reminder's buttons
REMINDER_MARK = "reminder_mark"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_REASSIGN = "reminder_reassign"

# (fallback text, blocks). The fallback is the message's top-level `text`: Slack parses it as
# mrkdwn and shows it in notifications, so it is escaped like the blocks.
Rendered = tuple[str, list[Block]]

MAX_TEXT = 3000  # a section's or context element's text
MAX_HEADER = 150
MAX_NAME = 200  # an application's name, escaped, in a line
MAX_TITLE = 300  # a step's or phase's title, escaped, in a line
MAX_SKIP_REASON = 100  # why a step was skipped, escaped, in a digest's line
# The header, three blocks per application and the "…and N more" line stay within a
# message's 50 blocks; the digest pass already sends fewer (services/digests.py).
MAX_DIGEST_APPLICATIONS = 15


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT))])


def _name(name: str) -> str:
    return user_text(name, MAX_NAME)


def _app(name: str) -> str:
    return f"*{_name(name)}*"


def _step(step: str, title: str) -> str:
    return f"*{escape_mrkdwn(step)}* _{user_text(title, MAX_TITLE)}_"


def _header(name: str, suffix: str) -> str:
    """A plain_text header: the name cut so that what follows it always shows."""
    return shorten(name, MAX_HEADER - len(suffix)) + suffix


_MENTION = re.compile(r"<([@#])([A-Z0-9]+)>")


def _recipient(to: str) -> str:
    """Undeliverable's `to` is a mention delivery built from the target's id; rebuilt from
    that id here, so a row holding anything else shows as text."""
    match = _MENTION.fullmatch(to)
    if match is None:
        return escape_mrkdwn(to)
    sigil, target = match.groups()
    return user_mention(target) if sigil == "@" else channel_mention(target)


def _days(n: int) -> str:
    return f"{n} working day{'s' * (n != 1)}"


def reminder(m: Reminder) -> Rendered:
    if m.reason == "overdue":
        why = f"was due {m.due_on}"
    else:
        why = f"has waited {_days(m.waited_days)} (since {m.since})"
    text = (
        f"⏰ Step {_step(m.step, m.title)} of {_app(m.application)} in "
        f"{channel_mention(m.channel)} {why}."
    )
    if m.instead_of is not None:
        text += (
            f"\n{user_mention(m.instead_of)} is not in {channel_mention(m.channel)}, so this "
            f"comes to you as the owner of {_app(m.application)}."
        )
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
    return f"Step {escape_mrkdwn(m.step)} of {_name(m.application)} {why}", blocks


def escalation(m: Escalation) -> Rendered:
    text = (
        f"⚠️ Step {_step(m.step, m.title)} of {_app(m.application)} has had {m.reminders} "
        f"reminders to {user_mention(m.recipient)} since {m.since} with no answer. "
        f"Owner of the application: {user_mention(m.owner)}. Could someone pick it up?"
    )
    return f"Step {escape_mrkdwn(m.step)} of {_name(m.application)} is stuck", [_md(text)]


def _launch_step(step: str | None) -> str:
    return f"step {escape_mrkdwn(step)} (launch)" if step else "the launch step"


def go_live(m: GoLive) -> Rendered:
    text = (
        f"🚀 {_app(m.application)} is live in production! {user_mention(m.marked_by)} marked "
        f"{_launch_step(m.step)} on {m.marked_on}. Next: pilot testing with a live account."
    )
    return f"{_name(m.application)} is live in production", [_md(text)]


def _pilot_state(s: PilotStep) -> str:
    if s.done_on:
        return f"done {s.done_on}"
    if s.skip_reason is not None:
        return f"skipped, does not apply (“{user_text(s.skip_reason, MAX_SKIP_REASON)}”)"
    return "not marked done"


def business_start(m: BusinessStart) -> Rendered:
    contacts = " ".join(user_mention(c) for c in m.contacts)
    pilot = "\n".join(
        f"• {escape_mrkdwn(s.step)} {user_text(s.title, MAX_TITLE)}: " + _pilot_state(s)
        for s in m.pilot
    )
    client_id = m.production_client_id or "not recorded in Onboard"
    blocks: list[Block] = [
        HeaderBlock(text=_header(m.application, " has started business")),
        _md(
            (f"{contacts} " if contacts else "")
            + f"{_app(m.application)} is activated for business, so Alipay can start monitoring "
            "it for unexpected errors."
        ),
        _md(
            f"*Production client ID:* `{escape_mrkdwn(client_id)}`\n"
            f"*Went live:* {m.went_live_on or 'not marked'}\n"
            f"*Business started:* {m.marked_on} (marked by {user_mention(m.marked_by)})"
        ),
    ]
    if pilot:
        blocks.append(_md(f"*Pilot testing*\n{pilot}"))
    return f"{_name(m.application)} has started business", blocks


def business_start_no_contacts(m: BusinessStartNoContacts) -> Rendered:
    text = (
        f"{_app(m.application)} has started business, but it has no Alipay contacts to tell. "
        "Add them with `/onboard contacts add @person` (and optionally `/onboard contacts "
        "channel #channel`), then unmark and mark the last step again."
    )
    return f"{_name(m.application)}: no Alipay contacts to tell", [_md(text)]


def _waiting(w: WaitingStep) -> str:
    return f"overdue since {w.due_on}" if w.overdue else "stalled"


def digest(m: Digest) -> Rendered:
    title = "Daily digest" if m.cadence == "daily" else "Weekly digest"
    blocks: list[Block] = [HeaderBlock(text=title)]
    shown = m.applications[:MAX_DIGEST_APPLICATIONS]
    more = m.more + len(m.applications) - len(shown)
    for a in shown:
        blocks += [
            DividerBlock(),
            _md(f"{_app(a.application)} · {progress_count(a.done, a.skipped, a.total)}"),
        ]
        phases = "\n".join(
            f"{progress_bar(ph.done, ph.total)} {progress_count(ph.done, ph.skipped, ph.total)} "
            + user_text(ph.title, MAX_TITLE)
            for ph in a.phases
        )
        lines = [phases]
        if a.done_since:
            lines.append(
                "*Done since the last digest:* "
                + ", ".join(
                    f"{escape_mrkdwn(d.step)} by {user_mention(d.by)}" for d in a.done_since
                )
            )
        if a.skipped_since:
            lines.append(
                "*Skipped since the last digest:* "
                + ", ".join(
                    f"{escape_mrkdwn(s.step)} by {user_mention(s.by)}"
                    f" (“{user_text(s.skip_reason, MAX_SKIP_REASON)}”)"
                    for s in a.skipped_since
                )
            )
        if a.waiting:
            lines.append(
                "*Stalled or overdue:* "
                + ", ".join(
                    f"{escape_mrkdwn(w.step)} ({_waiting(w)}, {user_mention(w.owner)})"
                    for w in a.waiting
                )
            )
        if a.next:
            lines.append(
                "*Next:* "
                + ", ".join(
                    f"{escape_mrkdwn(n.step)} {user_text(n.title, MAX_TITLE)}"
                    + (f" ({user_mention(n.assignee)})" if n.assignee else "")
                    for n in a.next
                )
            )
        blocks.append(_md("\n".join(lines)))
    if not m.applications:
        blocks.append(_md("No active applications in this channel."))
    if more:
        blocks.append(_context(f"…and {more} more applications; `/onboard list` shows all."))
    total = sum(a.done - a.skipped for a in shown)
    return f"{title}: {total} steps done across {len(shown)} applications", blocks


def undeliverable(m: Undeliverable) -> Rendered:
    what = user_text(m.what.replace("-", " "), 50)
    text = (
        f"I couldn't deliver a {what} to {_recipient(m.to)} (Slack said "
        f"`{user_text(m.error, 100)}`). Check the step's assignee or the contacts of "
        f"{_app(m.application)}, or invite me to the channel."
    )
    return f"Couldn't deliver a {what}", [_md(text)]


def notification_line(m: NotificationLine) -> Rendered:
    what = "an Alipay notification" if m.count == 1 else f"{m.count} Alipay notifications"
    evidence = f" That is the evidence for step {escape_mrkdwn(m.step)}." if m.step else ""
    text = (
        f"✅ {_app(m.application)} received {what} ({user_text(m.environment, 50)}) at "
        f"{m.minute:%H:%M} UTC, signature verified.{evidence}"
    )
    return f"{_name(m.application)}: {what} verified", [_md(text)]


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
