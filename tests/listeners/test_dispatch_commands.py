"""`/onboard` only translates: each subcommand, dispatched as a signed slash command, calls its
one use case with the Actor (workspace, user, and the channel the command was typed in) and
the arguments the parser read, and its ack is the rendering of the outcome the use case
returned. A `Refusal` becomes an ephemeral ack and nothing else."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.analytics.figures import Period, PeriodFigures, Report, Scope, Spread
from bot.blocks import credentials as credential_blocks
from bot.blocks import replies
from bot.blocks.checklist import checklist_blocks, checklist_fallback_text
from bot.blocks.digest_schedule import describe
from bot.blocks.help import help_text
from bot.blocks.new_app import ask_another
from bot.blocks.report import report_blocks
from bot.checklists import get_template
from bot.i18n import ENGLISH_TRANSLATOR, translator
from bot.listeners.commands import applications as applications_listener
from bot.listeners.commands import checklist as checklist_listener
from bot.listeners.commands import credentials as credentials_listener
from bot.listeners.commands import onboard
from bot.listeners.commands import report as report_listener
from bot.listeners.commands import settings as settings_listener
from bot.listeners.commands import steps as steps_listener
from bot.services import listing
from bot.services.checklist import MarkOutcome, template_for
from bot.services.due_dates import DueSpec
from bot.services.errors import Refusal
from bot.services.export import ExportFile
from bot.usecases import applications, checklist, credentials, settings, steps
from bot.usecases.context import Actor, Followup
from bot.usecases.report import Reported
from storage.models import Application, DigestSchedule, Event
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.listeners.dispatch import (
    Dispatcher,
    FollowedUp,
    FollowUpLog,
    Posted,
    answering_calls,
    as_dicts,
    dispatching,
    fake,
    parsed_body,
    post_application,
    view_dict,
    web_api_calls,
)
from tests.slack_stub import SlackStub

ALICE_IN_CPAY = Actor(team_id=TEAM_ID, user_id="UALICE", channel_id="CPAY")
TRIGGER = "13345224609.738474920.8088930838d88f008e0"


@pytest.fixture
async def bolt(slack: SlackStub, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    async with dispatching(slack, clock, tmp_path / "data") as dispatcher:
        yield dispatcher


@pytest.fixture
async def acme(bolt: Dispatcher) -> Posted:
    return await post_application(bolt)


@pytest.fixture
def followups(monkeypatch: pytest.MonkeyPatch) -> FollowUpLog:
    return FollowUpLog(monkeypatch)


def ephemeral(text: str, blocks: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"response_type": "ephemeral", "text": text}
    if blocks is not None:
        body["blocks"] = as_dicts(blocks)
    return body


def in_channel(text: str) -> dict[str, Any]:
    return {"response_type": "in_channel", "text": text}


def marked_outcome(application: Application, changed: list[str]) -> checklist.Marked:
    outcome = MarkOutcome(
        changed=changed,
        unchanged=["1.1"],
        open_before=["1.2"],
        queued=(31,),
        done_count=3,
        total=19,
        touched=["UBOB"],
    )
    followup = Followup(application, homes=frozenset({"UBOB"}), queued=(31,))
    return checklist.Marked(template_for(application), outcome, followup)


# ---- the checklist: new, list, status, history, export ---------------------------------------


async def test_new_creates_in_the_typed_channel_and_announces_it(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`new` passes the name and the command's channel; the answer is in the channel."""
    create = fake(monkeypatch, checklist_listener.checklist, "create", returns=acme.application)

    response = await bolt.command("new Acme POS")

    assert create.only_call(bolt) == {"actor": ALICE_IN_CPAY, "name": "Acme POS", "another": False}
    assert response.status == 200
    expected = replies.created(acme.application, template_for(acme.application))
    assert parsed_body(response) == in_channel(expected)
    assert answering_calls(bolt.slack) == []


async def test_new_in_a_channel_with_an_application_asks_with_two_buttons(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`new … --another` passes that on; when the use case asks instead of creating, the
    question comes back just to the one who typed it, with its buttons."""
    asked = checklist_listener.checklist.AskFirst("Beta", [acme.application])
    create = fake(monkeypatch, checklist_listener.checklist, "create", returns=asked)

    response = await bolt.command("new Beta --another")

    assert create.only_call(bolt) == {"actor": ALICE_IN_CPAY, "name": "Beta", "another": True}
    body = parsed_body(response)
    text, blocks = ask_another("Beta", [acme.application])
    assert (body["text"], body["blocks"]) == (text, as_dicts(blocks))
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert answering_calls(bolt.slack) == []


async def test_list_renders_the_listing_of_this_channel_and_elsewhere(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list` asks for the actor's listing and answers it, just for them."""
    other = Application(
        id=acme.id + 1,
        team_id=TEAM_ID,
        slug="kiosk",
        name="Kiosk",
        channel_id="COTHER",
        owner_id="UALICE",
        template_key=acme.application.template_key,
        template_version=acme.application.template_version,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    found = listing.Listing(
        here=[acme.application],
        elsewhere=[other],
        done={acme.id: 3, other.id: 7},
        totals={acme.id: 19, other.id: 19},
    )
    list_applications = fake(
        monkeypatch, checklist_listener.checklist, "list_applications", returns=found
    )

    response = await bolt.command("list")

    assert list_applications.only_call(bolt) == {"actor": ALICE_IN_CPAY}
    text = parsed_body(response)["text"]
    assert text == (
        replies.application_list(
            "Applications in this channel", found.here, found.done, found.totals
        )
        + "\n\n"
        + replies.application_list(
            "Yours in other channels (you own them or have steps)",
            found.elsewhere,
            found.done,
            found.totals,
        )
    )
    assert "`acme-pos`" in text and "`kiosk`" in text
    assert parsed_body(response)["response_type"] == "ephemeral"


async def test_status_in_its_channel_posts_the_checklist_and_records_slacks_answer(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the application's own channel, `status` acks empty, posts the checklist to the
    application's channel, and records the message Slack says it posted."""
    show = fake(
        monkeypatch,
        checklist_listener.checklist,
        "show",
        returns=checklist.Shown(acme.checklist, in_its_channel=True),
    )
    record = fake(monkeypatch, checklist_listener.applications, "record_checklist_message")

    response = await bolt.command("status")

    assert show.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None, "phase": None}
    assert (response.status, response.body) == (200, "")
    (posted,) = bolt.slack.calls_to("chat.postMessage")
    today = bolt.runtime.clock().date()
    assert posted.args["channel"] == "CPAY"
    assert posted.args["text"] == checklist_fallback_text(acme.checklist)
    assert posted.args["blocks"] == as_dicts(checklist_blocks(acme.checklist, today, phase=None))
    (new_ts,) = set(bolt.slack.messages["CPAY"]) - {acme.ts}
    assert record.only_call(bolt) == {
        "application": acme.application,
        "channel_id": "CPAY",
        "ts": new_ts,
    }


async def test_status_elsewhere_answers_just_for_the_asker(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked from another channel (`--app`), the phase's checklist comes in an ephemeral ack
    and nothing is posted or recorded."""
    show = fake(
        monkeypatch,
        checklist_listener.checklist,
        "show",
        returns=checklist.Shown(acme.checklist, in_its_channel=False),
    )
    record = fake(monkeypatch, checklist_listener.applications, "record_checklist_message")

    response = await bolt.command("status 2 --app acme-pos", channel="COTHER")

    actor = Actor(TEAM_ID, "UALICE", "COTHER")
    assert show.only_call(bolt) == {"actor": actor, "ref": "acme-pos", "phase": 2}
    today = bolt.runtime.clock().date()
    assert parsed_body(response) == ephemeral(
        checklist_fallback_text(acme.checklist), checklist_blocks(acme.checklist, today, phase=2)
    )
    assert answering_calls(bolt.slack) == []
    assert record.calls == []


async def test_history_renders_the_page_with_an_older_button(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`history 1.2` asks for that step's latest page; the ack is its text and *Older*."""
    events = [
        Event(
            id=41,
            application_id=acme.id,
            step="1.2",
            actor_id="UBOB",
            kind="marked",
            created_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        )
    ]
    page = checklist.HistoryPage(acme.application, events, "1.2", more=True)
    history = fake(monkeypatch, checklist_listener.checklist, "history", returns=page)

    response = await bolt.command("history 1.2")

    assert history.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "step": "1.2",
        "before_id": None,
    }
    text, blocks = replies.history_blocks(acme.application, events, "1.2", True, older=False)
    assert parsed_body(response) == ephemeral(text, blocks)
    older = parsed_body(response)["blocks"][-1]["elements"][0]
    assert older["value"] == replies.older_value(acme.id, "1.2", 41)


async def test_export_uploads_the_files_to_the_channel_it_was_asked_in(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export json` asks for that format; the ack says so and the files follow it."""
    files = [ExportFile("acme-pos.json", "Acme POS", '{"application": "acme-pos"}')]
    export = fake(
        monkeypatch, checklist_listener.checklist, "export", returns=(acme.application, files)
    )

    response = await bolt.command("export json")

    assert export.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None, "fmt": "json"}
    label = replies.app_label(acme.application)
    assert parsed_body(response) == ephemeral(f"Exporting {label} as JSON…")
    (shared,) = bolt.slack.calls_to("files.completeUploadExternal")
    assert shared.args["channel_id"] == "CPAY"
    assert shared.args["initial_comment"] == f"Export of {label} for <@UALICE>"
    (uploaded,) = bolt.slack.uploads.values()
    assert uploaded["content"] == b'{"application": "acme-pos"}'


async def test_an_export_asked_for_in_another_channel_is_not_shared_there(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export was authorized for members of the application's channel (#CPAY). Typed in
    #COTHER with `--app`, its history and notes must not be shared with #COTHER, whose
    members may not see the application: the upload goes elsewhere (the application's channel
    or the asker privately) or is refused, never into the command's channel."""
    files = [ExportFile("acme-pos-history.csv", "History", "kind,actor\nnoted,UALICE\n")]
    fake(monkeypatch, checklist_listener.checklist, "export", returns=(acme.application, files))

    await bolt.command("export --app acme-pos", channel="COTHER")

    shared_in = [
        c.args.get("channel_id") for c in bolt.slack.calls_to("files.completeUploadExternal")
    ]
    assert "COTHER" not in shared_in


# ---- steps: mark, unmark, assign, unassign, due, note ----------------------------------------


async def test_mark_passes_the_steps_and_force_and_follows_up(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`mark 1.1 1.2 --force`: the steps as typed and `force`; the ack renders the outcome and
    the outcome's follow-up is handed on as it is."""
    done = marked_outcome(acme.application, ["1.2"])
    mark = fake(monkeypatch, steps_listener.checklist, "mark", returns=done)

    response = await bolt.command("mark 1.1 1.2 --force")

    assert mark.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "steps": ("1.1", "1.2"),
        "force": True,
        "announce": None,
    }
    text = replies.marked(acme.application, done.template, done.outcome)
    assert parsed_body(response) == ephemeral(text)
    assert "Marked done: 1.2" in text and "3/19" in text
    assert followups == [FollowedUp(done.followup, None, ())]
    assert web_api_calls(bolt.slack) == []  # the redraw is the follow-up's job


async def test_unmark_passes_the_steps_and_follows_up(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`unmark 1.2 --app acme-pos`: the slug is the reference."""
    done = marked_outcome(acme.application, ["1.2"])
    unmark = fake(monkeypatch, steps_listener.checklist, "unmark", returns=done)

    response = await bolt.command("unmark 1.2 --app acme-pos")

    assert unmark.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": "acme-pos", "steps": ("1.2",)}
    text = replies.unmarked(acme.application, done.template, done.outcome)
    assert parsed_body(response) == ephemeral(text)
    assert text.startswith("Marked not done: 1.2")
    assert followups == [FollowedUp(done.followup, None, ())]


async def test_assign_names_the_new_and_the_previous_assignee(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`assign 1.3 @bob`: the user id from the escaped mention; the ack says who had it."""
    followup = Followup(acme.application, homes=frozenset({"UBOB", "UCAROL"}))
    done = steps.StepChanged(template_for(acme.application), "1.3", "UCAROL", "UBOB", followup)
    assign = fake(monkeypatch, steps_listener.steps, "assign", returns=done)

    response = await bolt.command("assign 1.3 <@UBOB|bob>")

    assert assign.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "step": "1.3",
        "assignee_id": "UBOB",
    }
    label = replies.step_label(done.template, "1.3", ENGLISH_TRANSLATOR)
    assert parsed_body(response) == ephemeral(f"Assigned {label} to <@UBOB> (was <@UCAROL>).")
    assert followups == [FollowedUp(followup, None, ())]


async def test_unassign_is_assign_to_nobody(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`unassign 1.3` calls assign with no assignee; the ack says who had it."""
    followup = Followup(acme.application, homes=frozenset({"UBOB"}))
    done = steps.StepChanged(template_for(acme.application), "1.3", "UBOB", None, followup)
    assign = fake(monkeypatch, steps_listener.steps, "assign", returns=done)

    response = await bolt.command("unassign 1.3")

    assert assign.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "step": "1.3",
        "assignee_id": None,
    }
    label = replies.step_label(done.template, "1.3", ENGLISH_TRANSLATOR)
    assert parsed_body(response) == ephemeral(f"Unassigned {label} (was <@UBOB>).")
    assert followups == [FollowedUp(followup, None, ())]


async def test_unassign_of_a_step_nobody_had_follows_up_nothing(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """An outcome with no previous assignee is rendered as such, with no follow-up."""
    followup = Followup(acme.application)
    done = steps.StepChanged(template_for(acme.application), "1.3", None, None, followup)
    fake(monkeypatch, steps_listener.steps, "assign", returns=done)

    response = await bolt.command("unassign 1.3")

    label = replies.step_label(done.template, "1.3", ENGLISH_TRANSLATOR)
    assert parsed_body(response) == ephemeral(f"{label} had no assignee.")
    assert followups == []


async def test_due_passes_the_parsed_date_and_renders_it_in_the_assignees_zone(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`due 1.3 2026-12-24`: the parser's DueSpec; the ack names the zone the outcome gives."""
    followup = Followup(acme.application, homes=frozenset({"UBOB"}))
    done = steps.DueSet(
        template_for(acme.application), "1.3", date(2026, 12, 24), "Asia/Shanghai", followup
    )
    set_due = fake(monkeypatch, steps_listener.steps, "set_due", returns=done)

    response = await bolt.command("due 1.3 2026-12-24")

    assert set_due.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "step": "1.3",
        "due": DueSpec("date", date(2026, 12, 24)),
    }
    text = replies.due_set(done.template, "1.3", date(2026, 12, 24), "Asia/Shanghai")
    assert parsed_body(response) == ephemeral(text)
    assert "2026-12-24 (Asia/Shanghai time)" in text
    assert followups == [FollowedUp(followup, None, ())]


async def test_note_passes_the_text_as_typed(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`note 1.3 keys from IT`: the text goes to the use case; the ack names the step."""
    followup = Followup(acme.application)
    done = steps.StepChanged(template_for(acme.application), "1.3", None, "keys from IT", followup)
    add_note = fake(monkeypatch, steps_listener.steps, "add_note", returns=done)

    response = await bolt.command("note 1.3 keys from IT")

    assert add_note.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "step": "1.3",
        "text": "keys from IT",
    }
    label = replies.step_label(done.template, "1.3", ENGLISH_TRANSLATOR)
    assert parsed_body(response) == ephemeral(f"Noted on {label}.")
    assert followups == [FollowedUp(followup, None, ())]


# ---- settings: remind, digest, contacts ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case", "arguments"),
    [
        ("remind", "reminder_settings", {}),
        (
            "remind after 3d",
            "set_reminders",
            {"after_days": 3, "hours": None, "on": None, "holidays": None},
        ),
        (
            "remind hours 08:00-17:00",
            "set_reminders",
            {"after_days": None, "hours": (time(8), time(17)), "on": None, "holidays": None},
        ),
        (
            "remind off",
            "set_reminders",
            {"after_days": None, "hours": None, "on": False, "holidays": None},
        ),
        (
            "remind on",
            "set_reminders",
            {"after_days": None, "hours": None, "on": True, "holidays": None},
        ),
        (
            "remind holidays cn",
            "set_reminders",
            {"after_days": None, "hours": None, "on": None, "holidays": "CN"},
        ),
        (
            "remind holidays off",
            "set_reminders",
            {"after_days": None, "hours": None, "on": None, "holidays": "off"},
        ),
    ],
)
async def test_remind_shows_or_sets_the_reminder_settings(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    use_case: str,
    arguments: dict[str, Any],
) -> None:
    """Each `remind` form calls its use case with only the setting typed; the ack renders the
    application the use case returned."""
    after = acme.application
    after.remind_after_days, after.remind_start, after.remind_end = 3, "08:00", "17:00"
    called = fake(monkeypatch, settings_listener.settings, use_case, returns=after)

    response = await bolt.command(text)

    assert called.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None, **arguments}
    assert parsed_body(response) == ephemeral(replies.reminder_settings(after))


def _schedule(**values: Any) -> DigestSchedule:
    defaults: dict[str, Any] = {
        "team_id": TEAM_ID,
        "channel_id": "CPAY",
        "cadence": "weekly",
        "weekday": 0,
        "at_time": "09:00",
        "timezone": "America/Los_Angeles",
        "set_by": "UALICE",
        "effective_from": datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    }
    return DigestSchedule(**(defaults | values))


async def test_digest_alone_describes_the_schedule_just_for_the_asker(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest` reads the schedule; the ack describes it, ephemeral."""
    schedule = _schedule()
    read = fake(monkeypatch, settings_listener.settings, "digest_schedule", returns=schedule)

    response = await bolt.command("digest")

    assert read.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None}
    assert parsed_body(response) == ephemeral(describe(schedule))


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("digest weekly mon 09:00", {"cadence": "weekly", "at": time(9), "weekday": 0}),
        ("digest daily 09:30", {"cadence": "daily", "at": time(9, 30)}),
        ("digest off", {"cadence": "off"}),
        ("digest tz Asia/Shanghai", {"cadence": None, "timezone": "Asia/Shanghai"}),
    ],
)
async def test_digest_changes_pass_only_what_was_typed(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    arguments: dict[str, Any],
) -> None:
    """Each `digest` change: cadence, time, weekday or zone as parsed, the rest unset; the
    channel is told the schedule the use case returned."""
    schedule = _schedule(cadence="daily", weekday=None, at_time="09:30")
    set_digest = fake(monkeypatch, settings_listener.settings, "set_digest", returns=schedule)

    response = await bolt.command(text)

    unset = {"cadence": None, "at": None, "weekday": None, "timezone": None}
    assert set_digest.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        **unset,
        **arguments,
    }
    assert parsed_body(response) == in_channel(describe(schedule))


@pytest.mark.parametrize(
    ("text", "use_case", "arguments"),
    [
        ("contacts", "contacts", {}),
        (
            "contacts add <@UBOB|bob> <@UCAROL|carol>",
            "add_contacts",
            {"user_ids": ["UBOB", "UCAROL"]},
        ),
        ("contacts remove <@UBOB|bob>", "remove_contacts", {"user_ids": ["UBOB"]}),
        ("contacts channel <#COTHER|other>", "set_contacts_channel", {"channel_id": "COTHER"}),
        ("contacts channel none", "set_contacts_channel", {"channel_id": None}),
    ],
)
async def test_contacts_list_add_remove_and_channel(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    use_case: str,
    arguments: dict[str, Any],
) -> None:
    """Each `contacts` form calls its use case with the people or channel typed; the ack lists
    the contacts the outcome holds."""
    found = settings.Contacts(acme.application, ["UBOB", "UCAROL"])
    called = fake(monkeypatch, settings_listener.settings, use_case, returns=found)

    response = await bolt.command(text)

    assert called.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None, **arguments}
    assert parsed_body(response) == ephemeral(replies.contacts(acme.application, found.people))


# ---- credentials: creds, diagnose ------------------------------------------------------------

MASKED_ROWS = [
    ("sandbox", "client_id", "SAND…2022"),
    ("sandbox", "public_key", "not set"),
    ("production", "client_id", "not set"),
]


async def test_creds_show_renders_the_masked_values(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`creds show` renders exactly the rows the use case masked."""
    masked = credentials.Masked(acme.application, MASKED_ROWS)
    show = fake(monkeypatch, credentials_listener.credentials, "show", returns=masked)

    response = await bolt.command("creds show")

    assert show.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None}
    text = credential_blocks.shown(acme.application, MASKED_ROWS)
    assert parsed_body(response) == ephemeral(text)
    assert "`SAND…2022`" in text


async def test_creds_alone_opens_the_form_with_the_commands_trigger(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`creds` opens the credentials form for the application the use case found, with the
    command's trigger_id and its id in the form's private_metadata; the ack is empty."""
    masked = credentials.Masked(acme.application, MASKED_ROWS)
    open_form = fake(monkeypatch, credentials_listener.credentials, "open_form", returns=masked)

    response = await bolt.command("creds", trigger_id="trigger-creds")

    assert open_form.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None}
    assert (response.status, response.body) == (200, "")
    (opened,) = web_api_calls(bolt.slack)
    assert opened.method == "views.open"
    assert opened.args["trigger_id"] == "trigger-creds"
    metadata = json.dumps({"application_id": acme.id})
    expected = credential_blocks.credentials_modal(acme.application, MASKED_ROWS, metadata)
    assert opened.args["view"] == view_dict(expected)
    assert opened.args["view"]["callback_id"] == credential_blocks.CREDENTIALS_MODAL


async def test_creds_set_saves_the_one_value_and_offers_the_steps_it_completes(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`creds set sandbox client-id …`: one (environment, field) → value; the ack shows what
    was saved and a *Mark done* button for each step now ready."""
    saved = credentials.Saved(
        acme.application,
        template_for(acme.application),
        [("sandbox", "client_id", "SAND…2022")],
        ["1.3"],
    )
    save = fake(monkeypatch, credentials_listener.credentials, "save", returns=saved)

    response = await bolt.command("creds set sandbox client-id SANDBOX_5Y3A2N2YEB3002022")

    assert save.only_call(bolt) == {
        "actor": ALICE_IN_CPAY,
        "ref": None,
        "values": {("sandbox", "client_id"): "SANDBOX_5Y3A2N2YEB3002022"},
    }
    text, blocks = credential_blocks.saved_many(
        acme.application, saved.template, saved.values, saved.steps_ready
    )
    assert parsed_body(response) == ephemeral(text, blocks)
    offer = parsed_body(response)["blocks"][-1]["elements"][0]
    assert offer["action_id"] == credential_blocks.offer_action_id("1.3")
    assert offer["value"] == f"{acme.id}|1.3|mark"


async def test_diagnose_opens_the_diagnosis_form_for_the_application_found(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`diagnose --app acme-pos`: the form carries the id of the application the use case
    returned; the ack is empty."""
    target = fake(
        monkeypatch,
        credentials_listener.credentials,
        "diagnosis_target",
        returns=acme.application,
    )

    response = await bolt.command("diagnose --app acme-pos", trigger_id="trigger-diagnose")

    assert target.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": "acme-pos"}
    assert (response.status, response.body) == (200, "")
    (opened,) = web_api_calls(bolt.slack)
    assert (opened.method, opened.args["trigger_id"]) == ("views.open", "trigger-diagnose")
    metadata = json.dumps({"application_id": acme.id})
    expected = credential_blocks.diagnose_modal(acme.application, metadata)
    assert opened.args["view"] == view_dict(expected)


# ---- the application: rename, archive; help --------------------------------------------------


async def test_rename_tells_the_channel_and_follows_up(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`rename Acme Kiosk`: the new name; the channel hears old → new, and the checklist is
    redrawn through the follow-up."""
    followup = Followup(acme.application)
    rename = fake(
        monkeypatch,
        applications_listener.applications,
        "rename",
        returns=applications.Renamed("Acme POS", followup),
    )

    response = await bolt.command("rename Acme Kiosk")

    assert rename.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": None, "name": "Acme Kiosk"}
    text = replies.renamed("Acme POS", "Acme Kiosk", acme.application.slug)
    assert parsed_body(response) == in_channel(text)
    assert followups == [FollowedUp(followup, None, ())]


async def test_archive_tells_the_channel(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """`archive --app acme-pos`: the channel hears it, with how to still export it."""
    archive = fake(
        monkeypatch, applications_listener.applications, "archive", returns=acme.application
    )

    response = await bolt.command("archive --app acme-pos")

    assert archive.only_call(bolt) == {"actor": ALICE_IN_CPAY, "ref": "acme-pos"}
    body = parsed_body(response)
    assert body["response_type"] == "in_channel"
    assert body["text"].startswith(f"Archived {replies.app_label(acme.application)}:")
    assert "`/onboard export --app acme-pos`" in body["text"]
    assert followups == []


ANNOUNCED_ELSEWHERE = [
    ("rename --app acme-pos Acme Kiosk", applications_listener.applications, "rename"),
    ("archive --app acme-pos", applications_listener.applications, "archive"),
    ("digest weekly mon 09:00 --app acme-pos", settings_listener.settings, "set_digest"),
]


@pytest.mark.parametrize(
    ("text", "module", "use_case"),
    ANNOUNCED_ELSEWHERE,
    ids=[text.split()[0] for text, _, _ in ANNOUNCED_ELSEWHERE],
)
async def test_an_announcement_about_another_channels_application_stays_private(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    text: str,
    module: Any,
    use_case: str,
) -> None:
    """Rename, archive and digest answer `in_channel` in the application's own channel. Typed
    in #COTHER about #CPAY's application (`--app`), the answer must not be posted to #COTHER,
    whose members need not see it (and where the digest's "posted here" would be untrue): as
    `status` does, the ack is then just for the asker."""
    outcomes = {
        "rename": applications.Renamed("Acme POS", Followup(acme.application)),
        "archive": acme.application,
        "set_digest": _schedule(),
    }
    fake(monkeypatch, module, use_case, returns=outcomes[use_case])

    response = await bolt.command(text, channel="COTHER")

    assert parsed_body(response)["response_type"] == "ephemeral"


async def test_help_needs_no_use_case(bolt: Dispatcher) -> None:
    """`help due` is answered from the help text alone, ephemeral, in the reader's language:
    Slack is asked only for the person (zone and language, one cached `users.info`), so a
    second help asks nothing."""
    response = await bolt.command("help due")

    assert parsed_body(response) == ephemeral(help_text("due"))
    assert [(c.method, c.args.get("include_locale")) for c in web_api_calls(bolt.slack)] == [
        ("users.info", "1")
    ]
    await bolt.command("help")
    assert len(web_api_calls(bolt.slack)) == 1


def _empty_report(now: datetime) -> Reported:
    period = Period(now - timedelta(days=84), now)
    nothing = Spread(0, None, None)
    figures = [
        PeriodFigures(p, nothing, nothing, (), 0, 0, 0, 0) for p in (period, period.previous())
    ]
    return Reported(
        Report(figures[0], figures[1], (), (), (), ()),
        Scope(TEAM_ID, frozenset({"CPAY"})),
        period,
        get_template(),
    )


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("report", {"since": 90, "channel_id": None, "everywhere": False}),
        ("report --since 12w --page 2", {"since": 84, "channel_id": None, "everywhere": False}),
        ("报告 --channel <#CPAY|pay>", {"since": 90, "channel_id": "CPAY", "everywhere": False}),
        ("report --all --since 2026-09-01", {"since": date(2026, 9, 1), "everywhere": True}),
    ],
)
async def test_report_passes_its_options_and_renders_the_outcome_just_for_the_asker(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch, text: str, arguments: dict[str, Any]
) -> None:
    reported = _empty_report(datetime(2026, 11, 25, 10, tzinfo=UTC))
    report = fake(monkeypatch, report_listener.reports, "report", returns=reported)

    response = await bolt.command(text)

    assert report.only_call(bolt) == {"actor": ALICE_IN_CPAY, "channel_id": None} | arguments
    expected = report_blocks(
        reported.report, reported.template, ENGLISH_TRANSLATOR, scope_label="<#CPAY>"
    )
    assert parsed_body(response) == ephemeral(*expected)


# ---- refusals, bad input, failures -----------------------------------------------------------

REFUSING = [
    ("new Acme POS", checklist_listener.checklist, "create"),
    ("status", checklist_listener.checklist, "show"),
    ("export", checklist_listener.checklist, "export"),
    ("mark 1.1", steps_listener.checklist, "mark"),
    ("assign 1.3 <@UBOB|bob>", steps_listener.steps, "assign"),
    ("remind off", settings_listener.settings, "set_reminders"),
    ("creds", credentials_listener.credentials, "open_form"),
    ("diagnose", credentials_listener.credentials, "diagnosis_target"),
    ("rename Acme Kiosk", applications_listener.applications, "rename"),
    ("report --all", report_listener.reports, "report"),
]


@pytest.mark.parametrize(
    ("text", "module", "use_case"), REFUSING, ids=[text for text, _, _ in REFUSING]
)
async def test_a_refusal_is_an_ephemeral_ack_and_nothing_else(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    text: str,
    module: Any,
    use_case: str,
) -> None:
    """Whatever the subcommand, the refusal's own words come back ephemeral in the ack; no
    message, modal, upload, response_url post or follow-up."""
    message = "Only members of <#CPAY> can change *Acme POS* (`acme-pos`); join the channel first."
    refused = fake(monkeypatch, module, use_case, raises=Refusal(message))

    response = await bolt.command(text, user="UCAROL")

    assert refused.only_call(bolt)["actor"] == Actor(TEAM_ID, "UCAROL", "CPAY")
    assert response.status == 200
    assert parsed_body(response) == ephemeral(message)
    assert answering_calls(bolt.slack) == []  # but the reader's language
    assert followups == []


async def test_bad_input_is_answered_without_calling_the_use_case(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mark` with no step is the parser's to answer: ephemeral, and the use case not called."""
    mark = fake(monkeypatch, steps_listener.checklist, "mark")

    response = await bolt.command("mark")

    assert mark.calls == []
    body = parsed_body(response)
    assert body["response_type"] == "ephemeral"
    assert "needs at least one step" in body["text"]
    assert answering_calls(bolt.slack) == []  # but the reader's language


async def test_a_use_case_that_fails_is_answered_with_sorry_and_nothing_else(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """An unexpected error is not shown to the user: a fixed ephemeral apology, no calls."""
    fake(monkeypatch, steps_listener.checklist, "mark", raises=RuntimeError("database is gone"))

    response = await bolt.command("mark 1.1")

    assert response.status == 200
    assert parsed_body(response) == ephemeral(onboard.FAILED)
    assert answering_calls(bolt.slack) == []  # but the reader's language
    assert followups == []


async def test_the_apology_is_in_the_readers_language(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    bolt.slack.add_user("UALICE", locale="zh-CN")
    fake(monkeypatch, steps_listener.checklist, "mark", raises=RuntimeError("database is gone"))

    response = await bolt.command("mark 1.1")

    assert parsed_body(response) == ephemeral(translator("zh-CN")._(onboard.FAILED))
    assert "出了问题" in parsed_body(response)["text"]
