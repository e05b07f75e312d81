"""Due dates: what the user asked for (`DueSpec`) and the calendar date it names.

No database and no Slack: the command parser builds a DueSpec from `/onboard due` text and the
step modal from a picked date, and both resolve it here against the person's own today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.services.errors import Refusal


@dataclass(frozen=True, slots=True)
class DueSpec:
    kind: Literal["date", "days", "none"]
    on: date | None = None  # "date": that day
    days: int = 0  # "days": that many days after today


def resolve_due(spec: DueSpec, today: date) -> date | None:
    """The calendar date a due spec names, as seen from `today`; past dates are refused."""
    if spec.kind == "none":
        return None
    on = spec.on if spec.kind == "date" else today + timedelta(days=spec.days)
    assert on is not None
    if on < today:
        raise Refusal(
            f"{on.isoformat()} is in the past (today is {today.isoformat()}). "
            "Give today or a later date: `YYYY-MM-DD`, `tomorrow`, `+3d`, or `none` to clear it."
        )
    return on
