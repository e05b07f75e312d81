"""The outbox's message kinds (bot/outbox_messages.py) and their JSON payloads.

Every kind goes through to_payload/from_payload unchanged (one full example each, then
whatever Hypothesis builds from the type hints); rows written before the dataclasses existed
(payloads as the producers wrote them by hand) still read and write back the same; a payload
that lacks a field or holds a wrong value is refused, naming where.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analytics.figures import BurnUpPoint
from bot.blocks.notifications import render
from bot.outbox_messages import (
    KINDS,
    AnnouncementWithdrawn,
    Assignment,
    AssignmentNote,
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    DigestSection,
    DoneStep,
    EscalatedStep,
    Escalation,
    Escalations,
    GoLive,
    Message,
    NextStep,
    NotificationLine,
    PhaseCount,
    PilotStep,
    RemindedApplication,
    RemindedStep,
    Reminder,
    Reminders,
    Undeliverable,
    UnreadablePayload,
    WaitingStep,
    decode,
)

# One of each kind, every optional field set and every tuple non-empty.
EXAMPLES: list[Message] = [
    AnnouncementWithdrawn(
        original_id=12,
        original_kind="go-live",
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        channel="CPAY",
        step="3.4",
        marked_by="UBOB",
        marked_on=date(2026, 11, 30),
        by="UALICE",
        on=date(2026, 12, 1),
    ),
    Reminder(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        step="1.1",
        title="Sign up",
        channel="CPAY",
        reason="overdue",
        waited_days=3,
        since=date(2026, 11, 25),
        due_on=date(2026, 11, 27),
    ),
    Reminders(
        applications=(
            RemindedApplication(
                application_id=7,
                application="Acme POS",
                slug="acme-pos",
                channel="CPAY",
                steps=(
                    RemindedStep(
                        step="1.1",
                        title="Sign up",
                        reason="overdue",
                        waited_days=3,
                        since=date(2026, 11, 25),
                        due_on=date(2026, 11, 27),
                        instead_of="UBOB",
                        note="asked Alipay <@here>",
                        note_by="UBOB",
                    ),
                ),
            ),
        ),
        more=2,
        app_home="slack://app?team=T0001&id=A0001&tab=home",
    ),
    Escalations(
        steps=(
            EscalatedStep(
                application_id=7,
                application="Acme POS",
                slug="acme-pos",
                step="1.1",
                title="Sign up",
                recipient="UBOB",
                owner="UALICE",
                reminders=3,
                since=date(2026, 11, 25),
            ),
        ),
        more=1,
    ),
    Escalation(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        step="1.1",
        title="Sign up",
        recipient="UBOB",
        owner="UALICE",
        reminders=3,
        since=date(2026, 11, 25),
    ),
    GoLive(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        channel="CPAY",
        marked_by="UBOB",
        marked_on=date(2026, 11, 30),
        step="3.4",
    ),
    BusinessStart(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        channel="CPAY",
        marked_by="UALICE",
        marked_on=date(2026, 12, 3),
        step="5.1",
        contacts=("UCAROL", "UMEI"),
        went_live_on=date(2026, 11, 30),
        pilot=(
            PilotStep(step="4.1", title="Download wallet app", done_on=date(2026, 12, 1)),
            PilotStep(step="4.2", title="Prepare live account", done_on=None),
        ),
        production_client_id="2021…2345",
    ),
    BusinessStartNoContacts(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        channel="CPAY",
        marked_by="UALICE",
        marked_on=date(2026, 12, 3),
        step="5.1",
    ),
    Digest(
        cadence="weekly",
        since=datetime(2026, 11, 23, 17, tzinfo=UTC),
        occurrence=datetime(2026, 11, 30, 17, tzinfo=UTC),
        timezone="America/Los_Angeles",
        applications=(
            DigestSection(
                application="Acme POS",
                slug="acme-pos",
                done=2,
                total=19,
                phases=(PhaseCount(title="Set up", done=2, total=5),),
                done_since=(DoneStep(step="1.1", title="Sign up", by="UBOB"),),
                waiting=(
                    WaitingStep(
                        step="1.3",
                        title="Keys",
                        owner="UBOB",
                        due_on=date(2026, 11, 26),
                        overdue=True,
                    ),
                ),
                next=(NextStep(step="1.3", title="Keys", assignee="UBOB"),),
            ),
        ),
        more=2,
    ),
    Undeliverable(
        application="Acme POS", what=Reminder.KIND, to="<@UGONE>", error="user_not_found"
    ),
    NotificationLine(
        application="Acme POS",
        environment="sandbox",
        minute=datetime(2026, 11, 25, 10, 3, tzinfo=UTC),
        step="1.5",
        count=4,
    ),
    Assignment(
        application_id=7,
        application="Acme POS",
        slug="acme-pos",
        step="1.2",
        title="Create an application",
        channel="CPAY",
        by="UALICE",
        due_on=date(2026, 12, 4),
        notes=(AssignmentNote("UBOB", date(2026, 11, 25), "asked IT"),),
        in_channel=False,
    ),
]


def through_json(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the JSON column gives it back."""
    return json.loads(json.dumps(payload))


def test_each_kind_keeps_the_string_its_rows_are_stored_under() -> None:
    """These strings are in rows already queued: changing one strands them."""
    assert {kind: cls.__name__ for kind, cls in KINDS.items()} == {
        "reminder": "Reminder",
        "reminders": "Reminders",
        "escalation": "Escalation",
        "escalations": "Escalations",
        "go-live": "GoLive",
        "business-start": "BusinessStart",
        "business-start-no-contacts": "BusinessStartNoContacts",
        "announcement-withdrawn": "AnnouncementWithdrawn",
        "digest": "Digest",
        "undeliverable": "Undeliverable",
        "alipay-notification": "NotificationLine",
        "step-assignment": "Assignment",
    }


def test_there_is_an_example_of_every_kind() -> None:
    assert sorted(type(m).KIND for m in EXAMPLES) == sorted(KINDS)


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: m.KIND)
def test_every_kind_round_trips_through_its_json_payload(message: Message) -> None:
    payload = through_json(message.to_payload())

    assert type(message).from_payload(payload) == message
    assert decode(message.KIND, payload) == message
    render(decode(message.KIND, payload))  # and the renderer takes it


@pytest.mark.parametrize("cls", list(KINDS.values()), ids=lambda c: c.KIND)
# Drawing nested digests is slow, the very first draw slower still: no per-example deadline.
@settings(deadline=None)
@given(data=st.data())
def test_any_message_hypothesis_builds_round_trips(cls: type[Message], data: st.DataObject) -> None:
    message = data.draw(st.from_type(cls))

    assert decode(cls.KIND, through_json(message.to_payload())) == message


# As the producers wrote them before the dataclasses (captured from the scheduler tests).
ROWS_BEFORE: dict[str, dict[str, Any]] = {
    "reminder": {
        "application_id": 1,
        "application": "Acme POS",
        "slug": "acme-pos",
        "step": "1.1",
        "title": "Sign up and log in to Alipay Global Partner Developer Center",
        "channel": "CPAY",
        "reason": "stalled",
        "waited_days": 3,
        "since": "2026-11-25",
        "due_on": None,
    },
    "escalation": {
        "application_id": 1,
        "application": "Acme POS",
        "slug": "acme-pos",
        "step": "1.1",
        "title": "Sign up and log in to Alipay Global Partner Developer Center",
        "recipient": "UALICE",
        "owner": "UALICE",
        "reminders": 3,
        "since": "2026-11-25",
    },
    "go-live": {
        "application_id": 1,
        "application": "Acme POS",
        "slug": "acme-pos",
        "channel": "CPAY",
        "marked_by": "UBOB",
        "marked_on": "2026-11-30",
        "step": "3.4",
    },
    "business-start": {
        "application_id": 1,
        "application": "Acme POS",
        "slug": "acme-pos",
        "channel": "CPAY",
        "marked_by": "UALICE",
        "marked_on": "2026-12-03",
        "step": "5.1",
        "contacts": ["UCAROL", "UMEI"],
        "production_client_id": None,
        "went_live_on": "2026-11-30",
        "pilot": [
            {"step": "4.1", "title": "Download wallet app", "done_on": "2026-12-01"},
            {"step": "4.2", "title": "Prepare live account", "done_on": None},
        ],
    },
    "digest": {
        "cadence": "daily",
        "since": "2026-11-25T10:00:00+00:00",
        "occurrence": "2026-11-25T17:00:00+00:00",
        "timezone": "America/Los_Angeles",
        "applications": [
            {
                "application": "Acme POS",
                "slug": "acme-pos",
                "done": 1,
                "total": 19,
                "phases": [{"title": "Set up", "done": 1, "total": 5}],
                "done_since": [{"step": "1.1", "title": "Sign up", "by": "UBOB"}],
                "waiting": [
                    {
                        "step": "1.2",
                        "title": "Keys",
                        "owner": "UALICE",
                        "due_on": "2026-11-24",
                        "overdue": True,
                    }
                ],
                "next": [{"step": "1.2", "title": "Keys", "assignee": None}],
            }
        ],
        "more": 0,
    },
    "undeliverable": {
        "application": "Acme POS",
        "what": "business-start",
        "to": "<#CALIPAY>",
        "error": "not_in_channel",
    },
    "alipay-notification": {
        "application": "Acme POS",
        "environment": "sandbox",
        "step": "1.5",
        "minute": "2026-11-25T10:00:00+00:00",
        "count": 2,
    },
}

# Written with all of business-start's fields, of which it shows only the application.
NO_CONTACTS_BEFORE = ROWS_BEFORE["business-start"] | {"contacts": [], "pilot": []}


# The kinds the channel sees, rendered in its language: rows from before read as English.
CHANNEL_KINDS = {
    "escalation",
    "escalations",
    "go-live",
    "business-start",
    "business-start-no-contacts",
    "announcement-withdrawn",
    "digest",
    "undeliverable",
    "alipay-notification",
}


@pytest.mark.parametrize("kind", sorted(ROWS_BEFORE))
def test_rows_written_before_the_dataclasses_read_and_write_back_the_same(kind: str) -> None:
    message = decode(kind, ROWS_BEFORE[kind])

    # Fields added since default to None (the language to English), and write back as such.
    added = {"reminder": {"instead_of": None, "away_until": None, "language": "en"}}.get(kind, {})
    if kind in CHANNEL_KINDS:
        added = added | {"language": "en"}
    if kind == "digest":
        added = added | {"burn_up": []}
    assert message.to_payload() == _with_skips(kind, ROWS_BEFORE[kind]) | added


def _with_skips(kind: str, row: dict) -> dict:
    """A digest or business-start row from before skipped steps, as it writes back: nothing
    skipped."""
    if kind == "business-start":
        return row | {"pilot": [p | {"skip_reason": None} for p in row["pilot"]]}
    if kind != "digest":
        return row
    applications = [
        a | {"phases": [p | {"skipped": 0} for p in a["phases"]], "skipped": 0, "skipped_since": []}
        for a in row["applications"]
    ]
    return row | {"applications": applications}


def test_a_digest_row_from_before_the_burn_up_reads_without_one_and_draws_no_chart() -> None:
    digest = decode(Digest.KIND, ROWS_BEFORE["digest"])

    assert isinstance(digest, Digest) and digest.burn_up == ()
    _, blocks = render(digest)
    assert not [b for b in blocks if isinstance(b, dict) and b["type"] == "data_visualization"]


def test_a_digest_with_a_burn_up_writes_it_and_reads_it_back() -> None:
    points = (
        BurnUpPoint(day=date(2026, 11, 16), complete=10, total=38),
        BurnUpPoint(day=date(2026, 11, 23), complete=14, total=38),
    )
    row = ROWS_BEFORE["digest"] | {
        "cadence": "weekly",
        "burn_up": [
            {"day": "2026-11-16", "complete": 10, "total": 38},
            {"day": "2026-11-23", "complete": 14, "total": 38},
        ],
    }

    digest = decode(Digest.KIND, row)

    assert isinstance(digest, Digest) and digest.burn_up == points
    assert digest.to_payload()["burn_up"] == row["burn_up"]
    (chart,) = [b for b in render(digest)[1] if isinstance(b, dict)]
    assert chart["chart"]["series"][0]["data"] == [
        {"label": "Nov 16", "value": 10},
        {"label": "Nov 23", "value": 14},
    ]
    with pytest.raises(UnreadablePayload, match=r"burn_up\[0\]: missing 'total'"):
        decode(Digest.KIND, row | {"burn_up": [{"day": "2026-11-16", "complete": 10}]})


def test_an_older_no_contacts_row_reads_ignoring_the_fields_it_no_longer_carries() -> None:
    message = decode(BusinessStartNoContacts.KIND, NO_CONTACTS_BEFORE)

    assert message == BusinessStartNoContacts(
        application_id=1,
        application="Acme POS",
        slug="acme-pos",
        channel="CPAY",
        marked_by="UALICE",
        marked_on=date(2026, 12, 3),
        step="5.1",
    )
    assert render(message)[0] == "Acme POS: no Alipay contacts to tell"


def test_values_read_back_are_typed() -> None:
    reminder = decode(Reminder.KIND, ROWS_BEFORE["reminder"])
    digest = decode(Digest.KIND, ROWS_BEFORE["digest"])

    assert isinstance(reminder, Reminder) and reminder.since == date(2026, 11, 25)
    assert isinstance(digest, Digest)
    assert digest.occurrence == datetime(2026, 11, 25, 17, tzinfo=UTC)
    (section,) = digest.applications
    assert section.waiting == (
        WaitingStep(
            step="1.2", title="Keys", owner="UALICE", due_on=date(2026, 11, 24), overdue=True
        ),
    )


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


def digest_with_phase(phase: dict[str, Any]) -> dict[str, Any]:
    (section,) = ROWS_BEFORE["digest"]["applications"]
    return ROWS_BEFORE["digest"] | {"applications": [section | {"phases": [phase]}]}


@pytest.mark.parametrize(
    ("kind", "payload", "error"),
    [
        ("from-a-newer-version", {}, "unknown kind 'from-a-newer-version'"),
        (Reminder.KIND, without(ROWS_BEFORE["reminder"], "reason"), "reminder: missing 'reason'"),
        (
            Reminder.KIND,
            ROWS_BEFORE["reminder"] | {"waited_days": "3"},
            "reminder.waited_days: expected int, got str",
        ),
        (
            Escalation.KIND,
            ROWS_BEFORE["escalation"] | {"reminders": True},
            "escalation.reminders: expected int, got bool",
        ),
        (
            GoLive.KIND,
            ROWS_BEFORE["go-live"] | {"marked_on": "30/11/2026"},
            "go-live.marked_on: Invalid isoformat string: '30/11/2026'",
        ),
        (
            BusinessStart.KIND,
            ROWS_BEFORE["business-start"] | {"contacts": "UCAROL"},
            "business-start.contacts: expected a list, got str",
        ),
        (
            Digest.KIND,
            digest_with_phase({"title": "Set up", "done": 1}),
            "digest.applications[0].phases[0]: missing 'total'",
        ),
        (Undeliverable.KIND, None, "undeliverable: expected an object, got NoneType"),
        (
            NotificationLine.KIND,
            ROWS_BEFORE["alipay-notification"] | {"minute": None},
            "alipay-notification.minute: expected an ISO date, got NoneType",
        ),
    ],
)
def test_a_damaged_payload_is_refused_naming_what_is_wrong(
    kind: str, payload: Any, error: str
) -> None:
    with pytest.raises(UnreadablePayload) as refused:
        decode(kind, payload)

    assert str(refused.value) == error


def test_keys_a_kind_does_not_know_are_ignored_and_defaults_fill_what_older_rows_lack() -> None:
    """A newer version may add a field; the notification line's count and step were read with
    defaults before, and still are."""
    newer = ROWS_BEFORE["go-live"] | {"added_later": {"anything": 1}}
    older = without(without(ROWS_BEFORE["alipay-notification"], "count"), "step")

    assert decode(GoLive.KIND, newer).to_payload() == ROWS_BEFORE["go-live"] | {"language": "en"}
    line = decode(NotificationLine.KIND, older)
    assert isinstance(line, NotificationLine) and (line.count, line.step) == (1, None)
    assert line.language == "en"
