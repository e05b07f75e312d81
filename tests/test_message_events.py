"""The metadata of Onboard's posts (bot/message_events.py): an announcement says what it
announces and still names its outbox row, so delivery can find an unconfirmed send of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot import message_events as events
from bot.outbox_messages import BusinessStart, BusinessStartNoContacts, GoLive, Reminders

QUEUED = datetime(2026, 11, 30, 18, 0, 5, tzinfo=timezone(timedelta(hours=8)))
MARKED = dict(
    application_id=1,
    application="Acme <POS>",
    slug="acme-pos",
    channel="CPAY",
    marked_by="UALICE",
    marked_on=date(2026, 11, 30),
)


def test_each_announcement_has_its_event_type_and_names_its_row() -> None:
    go_live = GoLive(**MARKED, step="3.4")
    started = BusinessStart(**MARKED, step="5.1", contacts=("UCAROL",), went_live_on=None, pilot=())
    nobody = BusinessStartNoContacts(**MARKED, step="5.1")
    found = {
        kind: events.for_outbox(message, 42, QUEUED)
        for kind, message in (("go", go_live), ("started", started), ("nobody", nobody))
    }

    assert found["go"] == {
        "event_type": "onboard_went_live",
        "event_payload": {
            "outbox_id": 42,
            "application": "acme-pos",
            "step": "3.4",
            "actor": "UALICE",
            "time": "2026-11-30T10:00:05+00:00",  # UTC, whatever the zone it was queued in
        },
    }
    assert found["started"]["event_type"] == found["nobody"]["event_type"]
    assert found["started"]["event_type"] == "onboard_business_started"
    assert all(events.names_outbox_row(m, 42) for m in found.values())
    assert not any(events.names_outbox_row(m, 43) for m in found.values())


def test_other_posts_name_only_their_row() -> None:
    reminders = Reminders(applications=())
    assert events.for_outbox(reminders, 7, QUEUED) == {
        "event_type": "onboard_outbox",
        "event_payload": {"outbox_id": 7},
    }
    # Posts of earlier versions (the id as text, as JSON may bring it back) are still found.
    assert events.names_outbox_row(
        {"event_type": "onboard_outbox", "event_payload": {"outbox_id": "7"}}, 7
    )
    # Another app's event with the same payload is not ours.
    assert not events.names_outbox_row({"event_type": "x", "event_payload": {"outbox_id": 7}}, 7)
    assert not events.names_outbox_row("onboard_outbox", 7)


def test_step_done_names_every_step_and_the_last() -> None:
    at = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert events.step_done("acme-pos", ["1.1", "1.2"], "UBOB", at) == {
        "event_type": "onboard_step_done",
        "event_payload": {
            "application": "acme-pos",
            "step": "1.2",
            "steps": ["1.1", "1.2"],
            "actor": "UBOB",
            "time": "2026-11-30T09:30:00+00:00",
        },
    }
