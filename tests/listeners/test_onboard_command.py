"""`/onboard` end to end: signed requests over HTTP to the running app, the Web API stand-in
recording what the app sent, and the database checked after."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time

import pytest
from sqlalchemy import func, select

from storage.models import Application, Event, Note, StepState
from tests.harness import RunningApp, signed_headers, slash_command_body
from tests.slack_stub import SlackStub


async def _events(app: RunningApp) -> list[Event]:
    async with app.runtime.sessions() as session:
        return list(await session.scalars(select(Event).order_by(Event.id)))


async def _event_count(app: RunningApp) -> int:
    async with app.runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Event)) or 0


async def _steps(app: RunningApp, slug: str = "acme-pos") -> dict[str, StepState]:
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application).where(Application.slug == slug))
        assert application is not None
        rows = await session.scalars(
            select(StepState).where(StepState.application_id == application.id)
        )
        return {row.step: row for row in rows}


async def _new(app: RunningApp, name: str = "Acme POS", channel: str = "CPAY") -> None:
    reply = await app.command(f"new {name}", channel=channel)
    assert reply.status == 200 and "Created" in reply.text, reply.body


# ---- help and creating ----------------------------------------------------------------------


async def test_help_lists_every_subcommand(app: RunningApp) -> None:
    reply = await app.command("help")
    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    for sub in (
        "new",
        "list",
        "status",
        "mark",
        "unmark",
        "assign",
        "unassign",
        "due",
        "note",
        "history",
        "export",
        "rename",
        "archive",
        "report",
    ):
        assert f"/onboard {sub}" in reply.blocks_text


async def test_new_binds_to_the_channel_and_the_creator_owns_it(app: RunningApp) -> None:
    reply = await app.command("new “Acme POS”", user="UBOB", channel="CPAY")
    assert reply.body["response_type"] == "in_channel"
    assert "`acme-pos`" in reply.text
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application))
    assert application is not None
    assert (application.name, application.channel_id, application.owner_id) == (
        "Acme POS",
        "CPAY",
        "UBOB",
    )
    assert application.template_key == "alipay-instore" and application.template_version == 1
    assert len(await _steps(app)) == 19


async def test_new_in_a_direct_message_is_refused(app: RunningApp) -> None:
    reply = await app.command("new Acme", channel="D123")
    assert "direct message" in reply.text
    assert await _event_count(app) == 0


async def test_a_second_application_gets_its_own_slug_and_commands_need_app(
    app: RunningApp,
) -> None:
    await _new(app)
    asked = await app.command("new Acme POS")
    assert asked.text == "This channel already has an application. Create one more?"
    reply = await app.command("new Acme POS --another")
    assert reply.text.startswith("Created *Acme POS* (`acme-pos-2`)")
    reply = await app.command("mark 1.1")
    assert "2 applications" in reply.text and "`acme-pos-2`" in reply.text
    reply = await app.command("mark 1.1 --app acme-pos-2")
    assert "Marked done: 1.1" in reply.text
    assert (await _steps(app, "acme-pos-2"))["1.1"].done_at is not None
    assert (await _steps(app, "acme-pos"))["1.1"].done_at is None


async def test_commands_without_an_application_say_how_to_start(app: RunningApp) -> None:
    reply = await app.command("status")
    assert "/onboard new" in reply.text


# ---- marking --------------------------------------------------------------------------------


async def test_mark_several_steps_and_a_whole_phase(app: RunningApp) -> None:
    await _new(app)
    reply = await app.command("mark 1.1 1.2")
    assert "Marked done: 1.1" in reply.text and "1.2" in reply.text and "2/19" in reply.text
    reply = await app.command("mark 2")
    assert "7/19" in reply.text
    steps = await _steps(app)
    done = sorted(n for n, s in steps.items() if s.done_at is not None)
    assert done == ["1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert {steps[n].done_by for n in done} == {"UALICE"}


async def test_marking_out_of_order_works_and_names_what_is_still_open(app: RunningApp) -> None:
    await _new(app)
    await app.command("mark 1.1")
    reply = await app.command("mark 1.4")
    assert "Still open before it: 1.2, 1.3" in reply.text
    assert (await _steps(app))["1.4"].done_at is not None


async def test_marking_is_idempotent_and_unmarking_is_recorded(app: RunningApp) -> None:
    await _new(app)
    await app.command("mark 1.1")
    reply = await app.command("mark 1.1")
    assert "Already done: 1.1" in reply.text
    reply = await app.command("unmark 1.1", user="UBOB")
    assert "Marked not done: 1.1" in reply.text
    kinds = [(e.kind, e.step, e.actor_id) for e in await _events(app)]
    assert kinds == [
        ("created", None, "UALICE"),
        ("marked", "1.1", "UALICE"),
        ("unmarked", "1.1", "UBOB"),
    ]


async def test_a_user_outside_the_channel_cannot_mark(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    before = await _event_count(app)
    reply = await app.command("mark 1.1 --app acme-pos", user="UCAROL", channel="COTHER")
    assert reply.status == 200
    assert "Only members of <#CPAY>" in reply.text
    # Also when the channel's member list (asked of Slack) simply lacks the user.
    reply = await app.command("mark 1.1", user="UMALLORY", channel="CPAY")
    assert "Only members of <#CPAY>" in reply.text
    assert await _event_count(app) == before
    assert (await _steps(app))["1.1"].done_at is None
    assert slack.calls_to("conversations.members")


async def test_membership_is_asked_once_and_cached(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    for step in ("1.1", "1.2", "1.3"):
        await app.command(f"mark {step}")
    assert len(slack.calls_to("conversations.members")) == 1


async def test_an_unreadable_member_list_refuses_with_a_way_out(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app, channel="CPRIVATE")
    reply = await app.command("mark 1.1", channel="CPRIVATE")
    assert "/invite @Onboard" in reply.text and "channel_not_found" in reply.text
    assert (await _steps(app))["1.1"].done_at is None


async def test_two_users_marking_at_the_same_moment_both_land(app: RunningApp) -> None:
    await _new(app)
    await app.command("history")  # warm the membership cache so both race on the database
    first, second = await asyncio.gather(
        app.command("mark 1.1", user="UALICE"), app.command("mark 1.2", user="UBOB")
    )
    assert "Marked done: 1.1" in first.text and "Marked done: 1.2" in second.text
    steps = await _steps(app)
    assert (steps["1.1"].done_by, steps["1.2"].done_by) == ("UALICE", "UBOB")
    marked = {(e.step, e.actor_id) for e in await _events(app) if e.kind == "marked"}
    assert marked == {("1.1", "UALICE"), ("1.2", "UBOB")}


# ---- assignees, due dates, notes ------------------------------------------------------------


async def test_assign_and_unassign(app: RunningApp) -> None:
    await _new(app)
    reply = await app.command("assign 1.3 <@UBOB|bob>")
    assert "Assigned 1.3" in reply.text and "<@UBOB>" in reply.text
    assert (await _steps(app))["1.3"].assignee_id == "UBOB"
    reply = await app.command("unassign 1.3")
    assert "was <@UBOB>" in reply.text
    assert (await _steps(app))["1.3"].assignee_id is None
    kinds = [(e.kind, e.old_value, e.new_value) for e in await _events(app)][1:]
    assert kinds == [("assigned", None, "UBOB"), ("unassigned", "UBOB", None)]


async def test_assigning_an_unknown_user_is_refused(app: RunningApp) -> None:
    await _new(app)
    reply = await app.command("assign 1.3 <@UNOBODY>")
    assert "isn't a user in this workspace" in reply.text
    assert (await _steps(app))["1.3"].assignee_id is None


async def test_due_dates_count_days_in_the_assignees_time_zone(
    app: RunningApp, slack: SlackStub, clock
) -> None:
    # 2026-11-25 10:00 UTC is the 25th in Los Angeles and already the 25th, 18:00, in Shanghai;
    # at 20:00 UTC it is the 26th in Shanghai but still the 25th in Los Angeles.
    slack.add_user("USHANGHAI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("USHANGHAI")
    await _new(app)
    await app.command("assign 1.1 <@USHANGHAI>")
    clock.advance(hours=10)
    reply = await app.command("due 1.1 tomorrow")
    assert "due 2026-11-27 (Asia/Shanghai time)" in reply.text
    reply = await app.command("due 1.2 tomorrow")  # unassigned: the caller's zone (LA)
    assert "due 2026-11-26 (America/Los_Angeles time)" in reply.text
    steps = await _steps(app)
    assert str(steps["1.1"].due_on) == "2026-11-27" and str(steps["1.2"].due_on) == "2026-11-26"
    reply = await app.command("due 1.1 none")
    assert "Cleared" in reply.text
    assert (await _steps(app))["1.1"].due_on is None


async def test_a_due_date_in_the_past_is_refused(app: RunningApp) -> None:
    await _new(app)
    reply = await app.command("due 1.1 2026-11-01")
    assert "in the past" in reply.text and "tomorrow" in reply.text
    assert (await _steps(app))["1.1"].due_on is None


async def test_notes_are_kept_verbatim_and_shown_in_history(app: RunningApp) -> None:
    await _new(app)
    reply = await app.command('note 1.5 "waiting on IT <!channel> & 支付宝"')
    assert "Noted on 1.5" in reply.text
    async with app.runtime.sessions() as session:
        notes = list(await session.scalars(select(Note)))
    assert [n.text for n in notes] == ["waiting on IT <!channel> & 支付宝"]
    history = (await app.command("history 1.5")).text
    assert "支付宝" in history
    assert "<!channel>" not in history  # user text is escaped, never a live mention


async def test_history_shows_recent_events_newest_first(app: RunningApp) -> None:
    await _new(app)
    await app.command("mark 1.1")
    await app.command("assign 1.2 <@UBOB>")
    text = (await app.command("history")).text
    lines = text.splitlines()
    assert "assigned 1.2 to <@UBOB>" in lines[1]
    assert "marked 1.1 done" in lines[2]
    assert "created the application" in lines[3]


# ---- status and export ----------------------------------------------------------------------


async def test_status_posts_the_checklist_to_the_channel(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    await app.command("mark 1.1 1.2")
    reply = await app.command("status")
    assert reply.status == 200
    (posted,) = await slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == "CPAY"
    blocks = posted.args["blocks"]
    assert blocks[0]["type"] == "header" and "2/19" in blocks[0]["text"]["text"]
    body = json.dumps(blocks, ensure_ascii=False)
    assert "Get sandbox client ID" in body and "Start your business" in body
    # The message's ts is stored after Slack answered the post: wait for it.
    expected = ("CPAY", next(iter(slack.messages["CPAY"])))
    for _ in range(200):
        async with app.runtime.sessions() as session:
            application = await session.scalar(select(Application))
        assert application is not None
        if (application.checklist_channel_id, application.checklist_ts) == expected:
            break
        await asyncio.sleep(0.01)
    assert (application.checklist_channel_id, application.checklist_ts) == expected


async def test_export_uploads_csv_and_json_files(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    await app.command("mark 1.1")
    await app.command("note 1.1 =SUM(A1)")
    reply = await app.command("export")
    assert "Exporting" in reply.text
    (done,) = await slack.wait_for("files.completeUploadExternal")
    uploads = {u["filename"]: u["content"].decode() for u in slack.uploads.values()}
    checklist = list(csv.DictReader(io.StringIO(uploads["acme-pos-checklist.csv"])))
    assert len(checklist) == 19 and checklist[0]["done"] == "True"
    assert checklist[0]["notes"] == "UALICE: =SUM(A1)"
    history = list(csv.DictReader(io.StringIO(uploads["acme-pos-history.csv"])))
    assert [h["kind"] for h in history] == ["created", "marked", "noted"]
    assert done.args["channel_id"] == "CPAY"

    slack.uploads.clear()
    await app.command("export json")
    await slack.wait_for("files.completeUploadExternal", count=2)
    (content,) = [u["content"] for u in slack.uploads.values()]
    document = json.loads(content)
    assert document["application"]["slug"] == "acme-pos"
    assert document["steps"][0]["notes"][0]["text"] == "=SUM(A1)"


# ---- owner-only changes ---------------------------------------------------------------------


async def test_only_the_owner_or_an_admin_renames_and_archives(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    reply = await app.command("rename Acme Kiosk", user="UBOB")
    assert "Only the owner" in reply.text
    slack.add_user("UBOB", is_admin=True)
    app.runtime.directory = type(app.runtime.directory)()  # forget cached profiles
    reply = await app.command("rename Acme Kiosk", user="UBOB")
    assert "Renamed *Acme POS* to *Acme Kiosk*" in reply.text
    reply = await app.command("archive")
    assert "Archived" in reply.text
    reply = await app.command("mark 1.1")
    assert "/onboard new" in reply.text  # the channel has no active application now
    reply = await app.command("mark 1.1 --app acme-pos")
    assert "archived" in reply.text
    assert [e.kind for e in await _events(app)] == ["created", "renamed", "archived"]


# ---- bad input ------------------------------------------------------------------------------

BAD_INPUT = [
    ("frobnicate", "not a subcommand"),
    ("mark 9.9", "There is no step `9.9`"),
    ("mark abc", "is not a step"),
    ("mark 1.6", "1.1–1.5"),
    ("due 1.1 2020-01-01", "in the past"),
    ("due 1.1 someday", "tomorrow"),
    ("assign 1.1 bob", "autocomplete"),
    ("assign 1.1 <@UNOBODY>", "isn't a user"),
    ("note 1.1 " + "x" * 3990, "3,000"),
    ("note 1.1", "note"),
    ("status 9", "phase"),
    ("export xml", "csv"),
    ("rename", "name"),
    ('mark "1.1', "step"),
    ("mark 1.1 --frobnicate", "--frobnicate"),
    ("支付宝", "not a subcommand"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUT)
async def test_bad_input_is_explained_and_changes_nothing(
    app: RunningApp, text: str, expected: str
) -> None:
    await _new(app)
    before = await _event_count(app)
    reply = await app.command(text)
    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert expected.lower() in reply.text.lower(), reply.text
    assert await _event_count(app) == before


# ---- the request itself ---------------------------------------------------------------------


async def test_a_forged_or_stale_request_gets_401_and_changes_nothing(app: RunningApp) -> None:
    await _new(app)
    before = await _event_count(app)
    body = slash_command_body("mark 1.1", user_id="UALICE", channel_id="CPAY")
    forged = await app.post(body, signed_headers(body, secret="not-the-secret"))
    stale = await app.post(body, signed_headers(body, timestamp=int(time.time()) - 301))
    unsigned = await app.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    assert await _event_count(app) == before


async def test_mark_makes_no_web_api_call_once_membership_is_cached(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    await app.command("mark 1.1")
    slack.clear()
    await app.command("mark 1.2")
    assert slack.calls == []
