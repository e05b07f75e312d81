"""The command's replies in bot/blocks/replies.py: counts with
the right singular or plural, and history times in the reader's own time zone (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import replies
from bot.checklists import Phase, Step, Template
from storage.models import Application, Event

# 23:05 UTC on 30 November: already 1 December in Shanghai.
AT = datetime(2026, 11, 30, 23, 5, tzinfo=UTC)


def _application() -> Application:
    return Application(
        id=7,
        team_id="T1",
        slug="acme-pos",
        name="Acme POS",
        channel_id="CPAY",
        owner_id="UALICE",
        template_key="t",
        template_version=1,
        created_at=AT,
        archived_at=None,
        remind_after_days=2,
        remind_start="09:00",
        remind_end="18:00",
        reminders_on=True,
    )


def _event(kind: str, old: str | None, new: str | None, event_id: int = 1) -> Event:
    return Event(
        id=event_id,
        application_id=7,
        step=None,
        actor_id="UALICE",
        kind=kind,
        old_value=old,
        new_value=new,
        created_at=AT,
    )


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("2", "1", "set reminders after 1 working day (was 2 working days)"),
        ("1", "3", "set reminders after 3 working days (was 1 working day)"),
    ],
)
def test_history_counts_working_days_in_the_singular_and_plural(old, new, says):
    text = replies.history(_application(), [_event("remind_after", old, new)], None)
    assert says in text
    assert "1 working days" not in text


def test_created_counts_the_guides_steps():
    step = Step(number="1.1", phase=1, position=0, title="Get a sandbox client ID", summary="")
    one = Template(
        key="t",
        version=1,
        title="Tiny",
        guide_url="https://example.com/guide",
        phases=(Phase(1, "Start", (step,)),),
    )
    text = replies.created(_application(), one)
    assert "(1 step)" in text and "1 steps" not in text


def test_history_times_are_in_utc_when_the_readers_zone_is_not_given():
    events = [_event("archived", None, None)]
    text, _ = replies.history_blocks(_application(), events, None, False, False)
    assert "2026-11-30 23:05 UTC" in text


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Shanghai", "2026-12-01 07:05 CST"),
        ("America/Los_Angeles", "2026-11-30 15:05 PST"),
        # A zone whose abbreviation is only an offset ("+08") is named instead.
        ("Asia/Singapore", "2026-12-01 07:05 Asia/Singapore"),
        ("UTC", "2026-11-30 23:05 UTC"),
    ],
)
def test_history_times_are_in_the_readers_zone(zone, shown):
    events = [_event("archived", None, None)]
    text, blocks = replies.history_blocks(
        _application(), events, None, False, False, zone=ZoneInfo(zone)
    )
    assert f"• {shown}: <@UALICE> archived the application" in text
    assert shown in blocks[0].text.text
    if zone != "UTC":
        assert "UTC" not in text
