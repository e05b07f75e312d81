"""Messages sent outside a request (reminders, escalations, digests, announcements): pure
functions from an outbox payload to (fallback text, blocks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

# action_ids of the reminder's buttons
REMINDER_MARK = "reminder_mark"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_REASSIGN = "reminder_reassign"

Rendered = tuple[str, list[Block]]


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:3000])])


def _app(p: dict[str, Any]) -> str:
    return f"*{escape_mrkdwn(p['application'])}*"


def _step(p: dict[str, Any]) -> str:
    return f"*{p['step']}* _{escape_mrkdwn(p['title'])}_"


def _days(n: int) -> str:
    return f"{n} working day{'s' * (n != 1)}"


def reminder(p: dict[str, Any]) -> Rendered:
    if p["reason"] == "overdue":
        why = f"was due {p['due_on']}"
    else:
        why = f"has waited {_days(p['waited_days'])} (since {p['since']})"
    text = f"⏰ Step {_step(p)} of {_app(p)} in <#{p['channel']}> {why}."
    target = p["application_id"], p["step"]
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
    return f"Step {p['step']} of {p['application']} {why}", blocks


def escalation(p: dict[str, Any]) -> Rendered:
    text = (
        f"⚠️ Step {_step(p)} of {_app(p)} has had {p['reminders']} reminders to "
        f"<@{p['recipient']}> since {p['since']} with no answer. "
        f"Owner of the application: <@{p['owner']}>. Could someone pick it up?"
    )
    return f"Step {p['step']} of {p['application']} is stuck", [_md(text)]


def go_live(p: dict[str, Any]) -> Rendered:
    text = (
        f"🚀 {_app(p)} is live in production! <@{p['marked_by']}> marked step "
        f"{p['step']} (launch) on {p['marked_on']}. Next: pilot testing with a live account."
    )
    return f"{p['application']} is live in production", [_md(text)]


def business_start(p: dict[str, Any]) -> Rendered:
    contacts = " ".join(f"<@{c}>" for c in p["contacts"])
    pilot = "\n".join(
        f"• {s['step']} {escape_mrkdwn(s['title'])}: "
        + (f"done {s['done_on']}" if s["done_on"] else "not marked done")
        for s in p["pilot"]
    )
    client_id = p.get("production_client_id") or "not recorded in Onboard"
    blocks: list[Block] = [
        HeaderBlock(text=f"{p['application']} has started business"[:150]),
        _md(
            (f"{contacts} " if contacts else "")
            + f"{_app(p)} is activated for business, so Alipay can start monitoring it "
            "for unexpected errors."
        ),
        _md(
            f"*Production client ID:* `{escape_mrkdwn(client_id)}`\n"
            f"*Went live:* {p['went_live_on'] or 'not marked'}\n"
            f"*Business started:* {p['marked_on']} (marked by <@{p['marked_by']}>)"
        ),
    ]
    if pilot:
        blocks.append(_md(f"*Pilot testing*\n{pilot}"))
    return f"{p['application']} has started business", blocks


def business_start_no_contacts(p: dict[str, Any]) -> Rendered:
    text = (
        f"{_app(p)} has started business, but it has no Alipay contacts to tell. Add them "
        "with `/onboard contacts add @person` (and optionally `/onboard contacts channel "
        "#channel`), then unmark and mark the last step again."
    )
    return f"{p['application']}: no Alipay contacts to tell", [_md(text)]


def _waiting(w: dict[str, Any]) -> str:
    return f"overdue since {w['due_on']}" if w["overdue"] else "stalled"


def digest(p: dict[str, Any]) -> Rendered:
    title = "Daily digest" if p["cadence"] == "daily" else "Weekly digest"
    blocks: list[Block] = [HeaderBlock(text=title)]
    for a in p["applications"]:
        blocks += [
            DividerBlock(),
            _md(f"*{escape_mrkdwn(a['application'])}* · {a['done']}/{a['total']}"),
        ]
        phases = "\n".join(
            f"{progress_bar(ph['done'], ph['total'])} {ph['done']}/{ph['total']} "
            f"{escape_mrkdwn(ph['title'])}"
            for ph in a["phases"]
        )
        lines = [phases]
        if a["done_since"]:
            lines.append(
                "*Done since the last digest:* "
                + ", ".join(f"{d['step']} by <@{d['by']}>" for d in a["done_since"])
            )
        if a["waiting"]:
            lines.append(
                "*Stalled or overdue:* "
                + ", ".join(f"{w['step']} ({_waiting(w)}, <@{w['owner']}>)" for w in a["waiting"])
            )
        if a["next"]:
            lines.append(
                "*Next:* "
                + ", ".join(
                    f"{n['step']} {escape_mrkdwn(n['title'])}"
                    + (f" (<@{n['assignee']}>)" if n["assignee"] else "")
                    for n in a["next"]
                )
            )
        blocks.append(_md("\n".join(lines)))
    if not p["applications"]:
        blocks.append(_md("No active applications in this channel."))
    if p["more"]:
        blocks.append(_context(f"…and {p['more']} more applications; `/onboard list` shows all."))
    total = sum(a["done"] for a in p["applications"])
    return f"{title}: {total} steps done across {len(p['applications'])} applications", blocks


def undeliverable(p: dict[str, Any]) -> Rendered:
    what = p["what"].replace("-", " ")
    text = (
        f"I couldn't deliver a {what} to {p['to']} (Slack said `{p['error']}`). "
        f"Check the step's assignee or the contacts of {_app(p)}, or invite me to the channel."
    )
    return f"Couldn't deliver a {what}", [_md(text)]


def alipay_notification(p: dict[str, Any]) -> Rendered:
    count = p.get("count", 1)
    what = "an Alipay notification" if count == 1 else f"{count} Alipay notifications"
    minute = p["minute"][11:16]
    evidence = f" That is the evidence for step {p['step']}." if p.get("step") else ""
    text = (
        f"✅ {_app(p)} received {what} ({p['environment']}) at {minute} UTC, signature "
        f"verified.{evidence}"
    )
    return f"{p['application']}: {what} verified", [_md(text)]


RENDERERS: dict[str, Callable[[dict[str, Any]], Rendered]] = {
    "reminder": reminder,
    "escalation": escalation,
    "go-live": go_live,
    "business-start": business_start,
    "business-start-no-contacts": business_start_no_contacts,
    "digest": digest,
    "undeliverable": undeliverable,
    "alipay-notification": alipay_notification,
}


def render(kind: str, payload: dict[str, Any]) -> Rendered:
    return RENDERERS[kind](payload)
