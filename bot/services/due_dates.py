"""Due dates: what the user asked for (`DueSpec`) and the calendar date it names.

No database and no Slack: the command parser builds a DueSpec from `/onboard due` text and the
step modal from a picked date, and both resolve it here against the person's own today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.i18n import N_
from bot.services.errors import Refusal


@dataclass(frozen=True, slots=True)
class DueSpec:
    kind: Literal["date", "days", "weekday", "none"]
    on: date | None = None  # "date": that day
    days: int = 0  # "days": that many days after today
    weekday: int = 0  # "weekday" (`周五`): the next such day after today; 0 is Monday


def day_named(spec: DueSpec, today: date) -> date | None:
    """The calendar date a spec names, as seen from `today` (None for "none"). A weekday is
    the next one after today: on a Friday, `周五` is a week on."""
    if spec.kind == "none":
        return None
    if spec.kind == "date":
        assert spec.on is not None
        return spec.on
    if spec.kind == "weekday":
        return today + timedelta(days=(spec.weekday - today.weekday() - 1) % 7 + 1)
    return today + timedelta(days=spec.days)


def resolve_due(spec: DueSpec, today: date) -> date | None:
    """The calendar date a due spec names, as seen from `today`; past dates are refused."""
    on = day_named(spec, today)
    if on is None:
        return None
    if on < today:
        raise Refusal(
            N_(
                "{day} is in the past (today is {today}). Give today or a later date:"
                " `YYYY-MM-DD`, `tomorrow`, `+3d`, or `none` to clear it."
            ),
            day=on.isoformat(),
            today=today.isoformat(),
        )
    return on
