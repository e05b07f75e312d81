"""Resolving a due spec to a calendar date, as seen from the person's today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.due_dates import DueSpec, resolve_due
from bot.services.errors import Refusal

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (DueSpec("days", days=1), date(2026, 11, 26)),
        (DueSpec("days", days=3), date(2026, 11, 28)),
        (DueSpec("days", days=0), TODAY),
        (DueSpec("days", days=7), date(2026, 12, 2)),
        (DueSpec("date", on=date(2026, 12, 24)), date(2026, 12, 24)),
        (DueSpec("date", on=TODAY), TODAY),
        (DueSpec("none"), None),
    ],
)
def test_resolve_due(spec: DueSpec, expected: date | None) -> None:
    assert resolve_due(spec, TODAY) == expected


def test_resolve_due_refuses_a_past_date_naming_today() -> None:
    with pytest.raises(Refusal) as caught:
        resolve_due(DueSpec("date", on=date(2026, 11, 24)), TODAY)
    assert "2026-11-24" in caught.value.message
    assert "today is 2026-11-25" in caught.value.message
