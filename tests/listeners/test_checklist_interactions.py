"""The interactive checklist end to end: signed block_actions, view_submission and
app_home_opened payloads sent over HTTP, the stand-in holding the messages and views."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from sqlalchemy import delete, select

from bot.blocks import checklist as blocks
from bot.blocks import modals
from bot.blocks.home import MARK_FROM_HOME
from bot.listeners import after_ack
from bot.usecases import access as usecase_access
from storage.models import Application, Event, Note, StepState
from tests.harness import RunningApp, click, send_event, signed_headers, submit
from tests.harness import block_actions_body as actions_body
from tests.slack_stub import SlackStub


async def _posted_checklist(app: RunningApp, slack: SlackStub) -> tuple[int, str]:
    """Create an application, post its checklist; returns (application id, message ts)."""
    await app.command("new Acme POS")
    await app.command("status")
    await slack.wait_for("chat.postMessage")
    await after_ack.pending()  # the follow-up has recorded the message, too
    ts = next(iter(slack.messages["CPAY"]))
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application))
    assert application is not None
    slack.clear()
    return application.id, ts


def _message(slack: SlackStub, ts: str) -> dict:
    return slack.messages["CPAY"][ts]


def _step_text(message: dict, number: str) -> str:
    (block,) = [b for b in message["blocks"] if b.get("block_id") == f"step:{number}"]
    return block["text"]["text"]


def _home_sections(view: dict) -> dict[str, str]:
    """A published Home's step sections, by step number."""
    sections = [b for b in view["blocks"] if b["type"] == "section" and "accessory" in b]
    return {s["text"]["text"].split("*")[1]: s["text"]["text"] for s in sections}


async def _state(app: RunningApp, step: str) -> StepState:
    async with app.runtime.sessions() as session:
        state = await session.scalar(select(StepState).where(StepState.step == step))
    assert state is not None
    return state


async def test_clicking_mark_done_marks_the_step_and_redraws_the_message(
    app: RunningApp, slack: SlackStub
) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    assert "⬜" not in _step_text(_message(slack, ts), "1.1")  # the first step is active
    value = blocks.action_value(application_id, "1.1", "mark")
    reply = await click(app, "CPAY", ts, blocks.TOGGLE_STEP, value, user="UBOB")
    assert reply.status == 200
    (update,) = await slack.wait_for("chat.update")
    assert update.args["ts"] == ts
    message = _message(slack, ts)
    assert "1/19" in message["blocks"][0]["text"]["text"]
    assert _step_text(message, "1.1").startswith("✅") and "done by <@UBOB>" in _step_text(
        message, "1.1"
    )
    state = await _state(app, "1.1")
    assert state.done_by == "UBOB"

    undo = blocks.action_value(application_id, "1.1", "unmark")
    await click(app, "CPAY", ts, blocks.TOGGLE_STEP, undo, user="UALICE")
    await slack.wait_for("chat.update", count=2)
    assert (await _state(app, "1.1")).done_at is None
    assert not _step_text(_message(slack, ts), "1.1").startswith("✅")


async def test_two_clicks_at_once_both_land_and_the_message_shows_both(
    app: RunningApp, slack: SlackStub
) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    await app.command("history")  # warm the membership cache so both race on the database
    first = blocks.action_value(application_id, "1.1", "mark")
    second = blocks.action_value(application_id, "1.2", "mark")
    await asyncio.gather(
        click(app, "CPAY", ts, blocks.TOGGLE_STEP, first, user="UALICE"),
        click(app, "CPAY", ts, blocks.TOGGLE_STEP, second, user="UBOB"),
    )
    await slack.wait_for("chat.update", count=2)
    message = _message(slack, ts)
    assert _step_text(message, "1.1").startswith("✅")
    assert _step_text(message, "1.2").startswith("✅")
    assert "2/19" in message["blocks"][0]["text"]["text"]
    async with app.runtime.sessions() as session:
        marked = {
            (e.step, e.actor_id) for e in await session.scalars(select(Event)) if e.kind == "marked"
        }
    assert marked == {("1.1", "UALICE"), ("1.2", "UBOB")}


async def test_a_click_from_outside_the_channel_is_refused(
    app: RunningApp, slack: SlackStub
) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    value = blocks.action_value(application_id, "1.1", "mark")
    reply = await click(app, "CPAY", ts, blocks.TOGGLE_STEP, value, user="UCAROL", name="refused")
    assert reply.status == 200
    (answer,) = await slack.wait_for("response_url:refused")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["replace_original"] is False
    # A click's id can be guessed: the refusal names neither the application nor its channel.
    assert answer.args["text"] == usecase_access.NOT_YOURS
    assert (await _state(app, "1.1")).done_at is None
    assert slack.calls_to("chat.update") == []


async def test_a_click_on_a_deleted_application_says_so(app: RunningApp, slack: SlackStub) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    async with app.runtime.sessions.begin() as session:
        await session.execute(delete(Application))
    value = blocks.action_value(application_id, "1.1", "mark")
    await click(app, "CPAY", ts, blocks.TOGGLE_STEP, value, name="gone")
    (answer,) = await slack.wait_for("response_url:gone")
    assert "deleted" in answer.args["text"]


async def test_a_click_on_an_application_archived_meanwhile_changes_nothing(
    app: RunningApp, slack: SlackStub, monkeypatch
) -> None:
    """The click is checked against the application as it was read before the change; if it
    was archived between that read and the change's transaction, the change refuses."""
    application_id, ts = await _posted_checklist(app, slack)
    async with app.runtime.sessions() as session:
        before_archiving = await session.get(Application, application_id)
    assert before_archiving is not None
    await app.command("archive")

    async def as_read_before(*_args) -> Application:
        return before_archiving

    monkeypatch.setattr(usecase_access, "find", as_read_before)
    value = blocks.action_value(application_id, "1.1", "mark")
    await click(app, "CPAY", ts, blocks.TOGGLE_STEP, value, name="archived")
    (answer,) = await slack.wait_for("response_url:archived")
    assert "was archived; nothing was changed" in answer.args["text"]
    assert (await _state(app, "1.1")).done_at is None


async def test_done_phases_fold_and_expand_on_request(app: RunningApp, slack: SlackStub) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    await app.command("mark 1")
    await slack.wait_for("chat.update")  # mark from the command redraws the latest checklist
    message = _message(slack, ts)
    assert not any(b.get("block_id") == "step:1.1" for b in message["blocks"])
    (heading,) = [b for b in message["blocks"] if b.get("block_id") == "phase:1"]
    assert (
        "all 5 done" in heading["text"]["text"] and heading["accessory"]["text"]["text"] == "Expand"
    )

    await click(
        app, "CPAY", ts, blocks.TOGGLE_PHASE, blocks.action_value(application_id, 1, "expand")
    )
    await slack.wait_for("chat.update", count=2)
    assert any(b.get("block_id") == "step:1.1" for b in _message(slack, ts)["blocks"])

    await click(app, "CPAY", ts, blocks.COLLAPSE_ALL, str(application_id))
    await slack.wait_for("chat.update", count=3)
    folded = _message(slack, ts)["blocks"]
    assert not any(b.get("block_id", "").startswith("step:") for b in folded)

    await click(app, "CPAY", ts, blocks.EXPAND_ALL, str(application_id))
    await slack.wait_for("chat.update", count=4)
    steps = [b for b in _message(slack, ts)["blocks"] if b.get("block_id", "").startswith("step:")]
    assert len(steps) == 19
    assert len(_message(slack, ts)["blocks"]) <= 50


async def test_the_step_menu_opens_each_modal(app: RunningApp, slack: SlackStub) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    expected = {
        "assign": (modals.ASSIGN, "Assign 1.3"),
        "due": (modals.DUE, "Due date for 1.3"),
        "note": (modals.NOTE, "Note on 1.3"),
        "guide": (None, "Step 1.3"),
    }
    for count, (what, (callback_id, title)) in enumerate(expected.items(), start=1):
        value = blocks.action_value(application_id, "1.3", what)
        await click(app, "CPAY", ts, blocks.STEP_MENU, value)
        opened = (await slack.wait_for("views.open", count=count))[-1]
        assert opened.args["trigger_id"].startswith("trigger-")
        view = opened.args["view"]
        assert view.get("callback_id") == callback_id
        assert view["title"]["text"] == title
    guide = json.dumps(slack.calls_to("views.open")[-1].args["view"])
    assert "Get sandbox client ID" in guide and "global.alipay.com" in guide


async def _open_modal(app: RunningApp, slack: SlackStub, application_id: int, ts: str, what: str):
    before = len(slack.calls_to("views.open"))
    await click(app, "CPAY", ts, blocks.STEP_MENU, blocks.action_value(application_id, "1.3", what))
    return (await slack.wait_for("views.open", count=before + 1))[-1].args["view"]


async def test_assigning_through_the_modal(app: RunningApp, slack: SlackStub) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    view = await _open_modal(app, slack, application_id, ts, "assign")
    values = {
        modals.ASSIGNEE_BLOCK: {
            modals.ASSIGNEE_ACTION: {"type": "users_select", "selected_user": "UBOB"}
        }
    }
    reply = await submit(app, view, values)
    assert reply.status == 200 and reply.body in ({}, "")  # closes the modal
    assert (await _state(app, "1.3")).assignee_id == "UBOB"
    await slack.wait_for("chat.update")
    assert "<@UBOB>" in _step_text(_message(slack, ts), "1.3")
    (home,) = await slack.wait_for("views.publish")
    assert home.args["user_id"] == "UBOB"
    assert "Get sandbox client ID" in json.dumps(home.args["view"])


async def test_modal_errors_come_back_inline_and_change_nothing(
    app: RunningApp, slack: SlackStub
) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    due_view = await _open_modal(app, slack, application_id, ts, "due")
    past = {
        modals.DUE_BLOCK: {modals.DUE_ACTION: {"type": "datepicker", "selected_date": "2026-01-01"}}
    }
    reply = await submit(app, due_view, past)
    assert reply.body["response_action"] == "errors"
    assert "in the past" in reply.body["errors"][modals.DUE_BLOCK]
    assert (await _state(app, "1.3")).due_on is None

    note_view = await _open_modal(app, slack, application_id, ts, "note")
    blank = {modals.NOTE_BLOCK: {modals.NOTE_ACTION: {"type": "plain_text_input", "value": "   "}}}
    reply = await submit(app, note_view, blank)
    assert reply.body["response_action"] == "errors"
    assert "empty" in reply.body["errors"][modals.NOTE_BLOCK]

    assign_view = await _open_modal(app, slack, application_id, ts, "assign")
    ghost = {
        modals.ASSIGNEE_BLOCK: {
            modals.ASSIGNEE_ACTION: {"type": "users_select", "selected_user": "UGHOST"}
        }
    }
    reply = await submit(app, assign_view, ghost)
    assert reply.body["response_action"] == "errors"
    assert modals.ASSIGNEE_BLOCK in reply.body["errors"]
    async with app.runtime.sessions() as session:
        assert list(await session.scalars(select(Note))) == []
    assert (await _state(app, "1.3")).assignee_id is None


async def test_due_date_and_note_through_modals(app: RunningApp, slack: SlackStub) -> None:
    application_id, ts = await _posted_checklist(app, slack)
    due_view = await _open_modal(app, slack, application_id, ts, "due")
    picked = {
        modals.DUE_BLOCK: {modals.DUE_ACTION: {"type": "datepicker", "selected_date": "2026-12-24"}}
    }
    assert (await submit(app, due_view, picked)).status == 200
    assert (await _state(app, "1.3")).due_on == date(2026, 12, 24)
    note_view = await _open_modal(app, slack, application_id, ts, "note")
    text = {
        modals.NOTE_BLOCK: {
            modals.NOTE_ACTION: {"type": "plain_text_input", "value": "keys from IT"}
        }
    }
    assert (await submit(app, note_view, text)).status == 200
    async with app.runtime.sessions() as session:
        assert [n.text for n in await session.scalars(select(Note))] == ["keys from IT"]
    await slack.wait_for("chat.update", count=2)
    step = _step_text(_message(slack, ts), "1.3")
    assert "due 2026-12-24" in step and "💬 1" in step


async def test_app_home_lists_my_steps_overdue_first_and_marks_from_there(
    app: RunningApp, slack: SlackStub, clock
) -> None:
    await app.command("new Acme POS")
    await app.command("assign 2.1 <@UBOB>")
    await app.command("assign 1.4 <@UBOB>")
    await app.command("due 2.1 2026-11-26")
    await app.command("due 1.4 2026-12-20")
    clock.advance(days=3)  # 2.1 is now overdue, 1.4 is not
    await app.settled()
    # The changes above refreshed UBOB's Home (coalesced: as few times as it took), and the
    # last refresh shows them all.
    refreshed = [c.args["view"] for c in slack.calls_to("views.publish")]
    assert refreshed and all(c.args["user_id"] == "UBOB" for c in slack.calls_to("views.publish"))
    last = _home_sections(refreshed[-1])
    assert last.keys() == {"2.1", "1.4"}
    assert "due 2026-11-26" in last["2.1"] and "due 2026-12-20" in last["1.4"]
    slack.clear()
    reply = await send_event(
        app,
        {
            "type": "app_home_opened",
            "user": "UBOB",
            "channel": "D0BOB",
            "tab": "home",
            "event_ts": "1.0",
        },
    )
    assert reply.status == 200
    (published,) = await slack.wait_for("views.publish")
    view = published.args["view"]
    sections = [b for b in view["blocks"] if b["type"] == "section" and "accessory" in b]
    assert [s["text"]["text"].split("*")[1] for s in sections] == ["2.1", "1.4"]
    assert "overdue" in sections[0]["text"]["text"]
    assert "Acme POS" in json.dumps(view)  # UBOB is in CPAY, so the application is listed

    mark = sections[0]["accessory"]
    action = {
        "action_id": MARK_FROM_HOME,
        "block_id": sections[0]["block_id"],
        "type": "button",
        "value": mark["value"],
        "text": mark["text"],
        "action_ts": "1.1",
    }
    body = actions_body(
        user_id="UBOB", action=action, container={"type": "view", "view_id": "V1"}, view=view
    )
    assert (await app.post(body, signed_headers(body))).status == 200
    republished = (await slack.wait_for("views.publish", count=2))[-1]
    assert (await _state(app, "2.1")).done_by == "UBOB"
    remaining = [
        b for b in republished.args["view"]["blocks"] if b["type"] == "section" and "accessory" in b
    ]
    assert [s["text"]["text"].split("*")[1] for s in remaining] == ["1.4"]
