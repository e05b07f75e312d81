"""The Slack message metadata Onboard's messages carry, for other apps and workflows to act on.

Every outbox post carries metadata naming its outbox row (`outbox_id`): that is how delivery
finds a send whose outcome was lost (bot/delivery.py). The announcements say what happened
too, as their `event_type`:

- `onboard_went_live`: the go-live announcement (the launch step, 3.4, was marked done);
- `onboard_business_started`: the business-start announcement (5.1), to the Alipay contacts
  or, when there are none, to the application's channel;
- `onboard_outbox`: every other outbox message (reminders, digests, …), with only `outbox_id`.

The checklist message, redrawn after a mark, carries `onboard_step_done` (`step_done`).

The payload of the three events names the application by its slug, the step, who marked it
(a user id) and when (ISO 8601, UTC); README.md ("Use Onboard in your workflows") documents it.
Slack allows one event type per message and values of strings, numbers and booleans (and
lists of them), which is all these hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.outbox_messages import BusinessStart, BusinessStartNoContacts, GoLive, Message

OUTBOX = "onboard_outbox"
STEP_DONE = "onboard_step_done"
WENT_LIVE = "onboard_went_live"
BUSINESS_STARTED = "onboard_business_started"
# The event types an outbox post may carry: each names its row.
OUTBOX_EVENT_TYPES = frozenset({OUTBOX, WENT_LIVE, BUSINESS_STARTED})


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def for_outbox(message: Message, outbox_id: int, queued_at: datetime) -> dict[str, Any]:
    """The metadata of an outbox post: its row, and for an announcement what it announces
    (`queued_at`, when the row was queued, is when the step was marked)."""
    match message:
        case GoLive():
            event_type = WENT_LIVE
        case BusinessStart() | BusinessStartNoContacts():
            event_type = BUSINESS_STARTED
        case _:
            return {"event_type": OUTBOX, "event_payload": {"outbox_id": outbox_id}}
    payload: dict[str, Any] = {
        "outbox_id": outbox_id,
        "application": message.slug,
        "step": message.step or "",
        "actor": message.marked_by,
        "time": _moment(queued_at),
    }
    return {"event_type": event_type, "event_payload": payload}


def names_outbox_row(metadata: Any, outbox_id: int) -> bool:
    """Whether a message's metadata (as conversations.history shows it) names this row."""
    if not isinstance(metadata, dict) or metadata.get("event_type") not in OUTBOX_EVENT_TYPES:
        return False
    payload = metadata.get("event_payload")
    # Compared as text: a JSON number may come back as either.
    return isinstance(payload, dict) and str(payload.get("outbox_id")) == str(outbox_id)


def step_done(slug: str, steps: Sequence[str], actor: str, at: datetime) -> dict[str, Any]:
    """The metadata of the checklist message redrawn after `actor` marked `steps` (in
    template order; `step` is the last of them, `steps` all)."""
    return {
        "event_type": STEP_DONE,
        "event_payload": {
            "application": slug,
            "step": steps[-1],
            "steps": list(steps),
            "actor": actor,
            "time": _moment(at),
        },
    }
