"""Announcing is deliberate: marking a step that announces asks first while earlier steps are
open or the announcement lacks data, with an ephemeral preview of the exact message and its
*Announce* / *Mark without announcing* / *Cancel*; in order, it announces at once.

Everything goes through the app as Slack sends it (signed slash commands and clicks on the
ephemeral preview), and announcements reach the Slack stand-in at the next pass.
Reminders are off in every application here.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.blocks import announce
from bot.blocks.checklist import TOGGLE_STEP, action_value
from bot.blocks.home import MARK_FROM_HOME
from bot.outbox_messages import BusinessStart, BusinessStartNoContacts, GoLive
from storage.models import Event, StepState
from tests.harness import CommandResult, block_actions_body, find_element, signed_headers
from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import SlackStub

GO_LIVE_TEXT = (
    "🚀 *Acme POS* is live in production! <@UALICE> marked step 3.4 (launch) on 2026-11-30. "
    "Next: pilot testing with a live account."
)


async def new_application(sim: Sim) -> None:
    await sim.command("new Acme POS")
    await sim.command("remind off")


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if element.get("type") in ("mrkdwn", "plain_text"):
                found.append(element["text"])
    return found


def buttons(reply: CommandResult) -> dict[str, str]:
    assert isinstance(reply.body, dict)
    (actions,) = [b for b in reply.body["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for e in actions["elements"]}


async def click_preview(
    sim: Sim,
    reply: CommandResult,
    action_id: str,
    *,
    user: str = "UALICE",
    team: str = "T0001",
    value: str | None = None,
) -> CommandResult:
    """Click a button of the ephemeral preview `reply` showed (or a forged `value`)."""
    assert isinstance(reply.body, dict)
    message = {"type": "message", "blocks": reply.body["blocks"], "ts": "1.000001"}
    block, element = find_element(message, action_id)
    action = {
        "action_id": action_id,
        "block_id": block["block_id"],
        "type": "button",
        "text": element["text"],
        "value": element["value"] if value is None else value,
        "action_ts": "1.2",
    }
    body = block_actions_body(
        user_id=user,
        action=action,
        container={
            "type": "message",
            "message_ts": "1.000001",
            "channel_id": "CPAY",
            "is_ephemeral": True,
        },
        message=message,
        response_url=sim.slack.response_url("preview"),
        team_id=team,
    )
    result = await sim.app.post(body, signed_headers(body))
    assert result.status == 200, result
    return result


async def answers(slack: SlackStub, count: int = 1) -> list[dict[str, Any]]:
    """What the app sent to the preview's response_url, in order, once at least `count`
    answers came: a click is answered after its ack, so the answer may still be on its way
    when the click's HTTP request returns."""
    return [c.args for c in await slack.wait_for("response_url:preview", count)]


async def state(sim: Sim, step: str) -> StepState:
    async with sim.app.runtime.sessions() as session:
        found = await session.scalar(select(StepState).where(StepState.step == step))
    assert found is not None
    return found


async def history(sim: Sim, *kinds: str) -> list[tuple[str, str | None, str, str | None]]:
    async with sim.app.runtime.sessions() as session:
        events = await session.scalars(
            select(Event).where(Event.kind.in_(kinds)).order_by(Event.id)
        )
        return [(e.kind, e.step, e.actor_id, e.new_value) for e in events]


async def ask_go_live_with_twelve_open(sim: Sim) -> CommandResult:
    """1.1 done; UALICE types `mark 3.4` Mon 11-30 18:00 UTC with 1.2–3.3 (12 steps) open."""
    await new_application(sim)
    await sim.command("mark 1.1", at=utc(2026, 11, 30, 17))
    return await sim.command("mark 3.4", at=utc(2026, 11, 30, 18))


async def test_go_live_with_twelve_earlier_steps_open_asks_and_changes_nothing(
    sim: Sim, slack: SlackStub
) -> None:
    """The reply is ephemeral: the go-live exactly as the pass would post it, where it goes
    (#CPAY), the 12 open steps, and the three buttons. 3.4 stays open, the outbox empty, the
    next pass posts nothing, history has no mark."""
    reply = await ask_go_live_with_twelve_open(sim)

    assert isinstance(reply.body, dict) and reply.body.get("response_type") != "in_channel"
    shown = texts(reply.body["blocks"])
    assert shown[0].startswith("📣 Marking 3.4 _Launch the application_ of *Acme POS*")
    assert shown[1].startswith("*Before announcing, note:*\n• 12 earlier steps still open: 1.2,")
    assert "3.3" in shown[1]
    assert "Would go to <#CPAY>:" in shown
    assert GO_LIVE_TEXT in shown
    app_id = await sim.application_id("acme-pos")
    # The buttons carry the application and the step only: the click is authorized anew.
    assert buttons(reply) == {
        announce.ANNOUNCE: f"{app_id}|3.4|announce",
        announce.MARK_SILENTLY: f"{app_id}|3.4|silent",
        announce.CANCEL: f"{app_id}|3.4|cancel",
    }
    assert "12 earlier steps still open" in reply.text

    assert (await state(sim, "3.4")).done_at is None
    assert await sim.outbox() == []
    assert (await sim.run_pass(utc(2026, 11, 30, 18, 1))).posts == []
    assert await history(sim, "marked", "announced") == [("marked", "1.1", "UALICE", "done")]


async def test_announce_marks_and_announces_with_open_steps_and_history_says_who_chose(
    sim: Sim, slack: SlackStub
) -> None:
    """UALICE clicks *Announce* on the preview: 3.4 is done, the go-live (the same text as the
    preview) goes at the next pass, the preview says so, and history records that she
    announced it with 12 earlier steps open."""
    reply = await ask_go_live_with_twelve_open(sim)

    await click_preview(sim, reply, announce.ANNOUNCE)
    result = await sim.run_pass(utc(2026, 11, 30, 18, 1))

    assert (await state(sim, "3.4")).done_by == "UALICE"
    (posted,) = result.posts
    assert (posted.kind, posted.channel, posted.markdown) == (GoLive.KIND, "CPAY", GO_LIVE_TEXT)
    (answer,) = await answers(slack)
    assert answer["replace_original"] is True
    assert answer["text"] == "✅ Marked 3.4 _Launch the application_ done and announced it."
    assert await history(sim, "announced", "not_announced") == [
        ("announced", "3.4", "UALICE", "to a channel, with 12 earlier steps open")
    ]


async def test_mark_without_announcing_marks_and_records_that_nothing_was_sent(
    sim: Sim, slack: SlackStub
) -> None:
    reply = await ask_go_live_with_twelve_open(sim)

    await click_preview(sim, reply, announce.MARK_SILENTLY)

    assert (await state(sim, "3.4")).done_at is not None
    assert await sim.outbox() == []
    assert (await sim.run_pass(utc(2026, 11, 30, 18, 1))).posts == []
    (answer,) = await answers(slack)
    assert answer["text"].startswith(
        "✅ Marked 3.4 _Launch the application_ done, without announcing it"
    )
    assert await history(sim, "announced", "not_announced") == [
        ("not_announced", "3.4", "UALICE", "marked done without announcing it")
    ]


async def test_cancel_only_removes_the_preview(sim: Sim, slack: SlackStub) -> None:
    reply = await ask_go_live_with_twelve_open(sim)

    await click_preview(sim, reply, announce.CANCEL)

    assert [a.get("delete_original") for a in await answers(slack)] == [True]
    assert (await state(sim, "3.4")).done_at is None
    assert await sim.outbox() == []
    assert await history(sim, "marked", "announced", "not_announced") == [
        ("marked", "1.1", "UALICE", "done")
    ]


async def test_a_click_after_someone_else_marked_it_says_so_and_announces_once(
    sim: Sim, slack: SlackStub
) -> None:
    """UALICE is asked; UBOB marks 3.4 with --force meanwhile (announced); UALICE then clicks
    *Announce*: told UBOB already marked it; one go-live in all."""
    reply = await ask_go_live_with_twelve_open(sim)
    await sim.command("mark 3.4 --force", user="UBOB", at=utc(2026, 11, 30, 18, 1))

    await click_preview(sim, reply, announce.ANNOUNCE)
    result = await sim.run_pass(utc(2026, 11, 30, 18, 2))

    (answer,) = await answers(slack)
    assert answer["text"] == (
        "3.4 _Launch the application_ was already marked done by <@UBOB>; "
        "nothing was changed or announced."
    )
    assert [p.kind for p in result.posts] == [GoLive.KIND]
    assert (await state(sim, "3.4")).done_by == "UBOB"


async def test_forged_and_foreign_clicks_are_refused_and_change_nothing(
    sim: Sim, slack: SlackStub
) -> None:
    """*Announce* clicked by UCAROL (not in #CPAY), from another workspace, and with the id
    of Beta (in #COTHER, where UALICE is not): each refused, nothing marked or queued."""
    reply = await ask_go_live_with_twelve_open(sim)
    await sim.command("new Beta", user="UCAROL", channel="COTHER")
    beta = await sim.application_id("beta")
    forged = announce.choice_value(beta, ("3.4",), "announce")

    outsider = await click_preview(sim, reply, announce.ANNOUNCE, user="UCAROL")
    await answers(slack, 1)
    foreign = await click_preview(sim, reply, announce.ANNOUNCE, team="T0THER")
    await answers(slack, 2)
    other_app = await click_preview(sim, reply, announce.ANNOUNCE, value=forged)

    for result in (outsider, foreign, other_app):
        assert result.status == 200
    refusals = [a for a in await answers(slack, 3) if a.get("response_type") == "ephemeral"]
    assert len(refusals) == 3, refusals
    member_only = "Only members of this checklist's channel can see or change it"
    assert [a["text"].split(";")[0].split(",")[0] for a in refusals] == [
        member_only,  # UCAROL
        "This checklist's application was deleted",  # another workspace: the id names none
        member_only,  # Beta's id: UALICE is not in #COTHER
    ]
    assert not any("Marked" in a.get("text", "") for a in await answers(slack, 3))
    async with sim.app.runtime.sessions() as session:
        done = await session.scalars(select(StepState.step).where(StepState.done_at.is_not(None)))
        assert list(done) == ["1.1"]
    assert await sim.outbox() == []


async def test_in_order_go_live_announces_at_once_without_asking(
    sim: Sim, slack: SlackStub
) -> None:
    await new_application(sim)
    await sim.command("mark 1 2 3.1 3.2 3.3", at=utc(2026, 11, 30, 17))

    reply = await sim.command("mark 3.4", at=utc(2026, 11, 30, 18))
    result = await sim.run_pass(utc(2026, 11, 30, 18, 1))

    assert reply.text.startswith("Marked done: 3.4")
    assert [(p.kind, p.markdown) for p in result.posts] == [(GoLive.KIND, GO_LIVE_TEXT)]
    assert await history(sim, "announced") == [("announced", "3.4", "UALICE", "to a channel")]


async def test_mark_done_on_the_checklist_message_asks_the_same_question(
    sim: Sim, slack: SlackStub
) -> None:
    """*Mark done* of 3.4 on the posted checklist answers the clicker with the same ephemeral
    preview (nothing changed); its *Announce* then marks and announces."""
    await new_application(sim)
    await sim.command("status", at=utc(2026, 11, 30, 18))
    await slack.wait_for("chat.postMessage")  # posted after the ack
    channel_messages = slack.messages["CPAY"]
    (ts,) = channel_messages
    app_id = await sim.application_id("acme-pos")
    value = action_value(app_id, "3.4", "mark")
    message = dict(channel_messages[ts], ts=ts, type="message")
    block, element = find_element(message, TOGGLE_STEP, value)
    body = block_actions_body(
        user_id="UALICE",
        action={"action_id": TOGGLE_STEP, "block_id": block["block_id"], "type": "button",
                "text": element["text"], "value": value, "action_ts": "1.1"},
        container={"type": "message", "message_ts": ts, "channel_id": "CPAY",
                   "is_ephemeral": False},
        message=message,
        response_url=slack.response_url("preview"),
    )  # fmt: skip
    assert (await sim.app.post(body, signed_headers(body))).status == 200

    (asked,) = await answers(slack)
    assert (asked["response_type"], asked["replace_original"]) == ("ephemeral", False)
    assert GO_LIVE_TEXT in texts(asked["blocks"])
    assert (await state(sim, "3.4")).done_at is None
    preview = CommandResult(200, {"blocks": asked["blocks"], "text": asked["text"]})
    await click_preview(sim, preview, announce.ANNOUNCE)
    result = await sim.run_pass(utc(2026, 11, 30, 18, 1))
    assert [p.kind for p in result.posts] == [GoLive.KIND]


async def test_business_start_without_contacts_or_client_id_asks_naming_what_is_missing(
    sim: Sim, slack: SlackStub
) -> None:
    """Everything before 5.1 done, but no contacts and no production client ID: `mark 5.1`
    asks, naming both, and shows the note #CPAY would get."""
    await new_application(sim)
    await sim.command("mark 1 2 3.1 3.2 3.3 3.4 3.5 4 --force", at=utc(2026, 11, 30, 17))

    reply = await sim.command("mark 5.1", at=utc(2026, 11, 30, 18))

    assert isinstance(reply.body, dict)
    shown = texts(reply.body["blocks"])
    assert "earlier step" not in shown[1]
    assert "no Alipay contacts and no contacts channel" in shown[1]
    assert "no production client ID is recorded" in shown[1]
    assert "Would go to <#CPAY>:" in shown
    assert any("has no Alipay contacts to tell" in t for t in shown)
    assert (await state(sim, "5.1")).done_at is None
    kinds = {m.kind for m in await sim.outbox()}
    assert BusinessStartNoContacts.KIND not in kinds


async def test_unmarking_business_start_updates_each_contacts_dm(
    sim: Sim, slack: SlackStub
) -> None:
    """Contacts UCAROL and UMEI by DM; 5.1 marked (--force) and sent; `unmark 5.1` by UBOB:
    the next pass updates both DMs (in their D… conversations) to say UBOB withdrew it, and
    history records announced then withdrawn."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    await new_application(sim)
    await sim.command("contacts add <@UCAROL|carol> <@UMEI|mei>")
    await sim.command("mark 5.1 --force", at=utc(2026, 11, 30, 18))
    sent = await sim.run_pass(utc(2026, 11, 30, 18, 1))
    assert sorted(p.channel for p in sent.posts) == ["UCAROL", "UMEI"]

    await sim.command("unmark 5.1", user="UBOB", at=utc(2026, 11, 30, 19))
    result = await sim.run_pass(utc(2026, 11, 30, 19, 1))

    assert result.posts == []
    updates = slack.calls_to("chat.update")
    assert sorted(u.args["channel"] for u in updates) == ["DUCAROL", "DUMEI"]
    for user in ("UCAROL", "UMEI"):
        (dm,) = slack.messages[user].values()
        assert dm["text"] == "Withdrawn: Acme POS, step 5.1 was marked not done"
        assert "<@UBOB>" in json.dumps(dm["blocks"])
    assert [k for k, *_ in await history(sim, "announced", "withdrawn")] == [
        "announced",
        "withdrawn",
    ]
    (_, _, by, value) = (await history(sim, "withdrawn"))[0]
    assert (by, value) == ("UBOB", "2 sent messages marked withdrawn")
    assert {m.kind for m in await sim.outbox()} == {BusinessStart.KIND, "announcement-withdrawn"}


async def test_mark_done_on_app_home_asks_in_the_apps_dm(sim: Sim, slack: SlackStub) -> None:
    """App Home has no response_url: *Mark done* of 3.4 there posts the question to the
    clicker's DM with the app (nothing changed), with the same buttons."""
    await new_application(sim)
    sim.clock.now = utc(2026, 11, 30, 18)
    app_id = await sim.application_id("acme-pos")
    value = action_value(app_id, "3.4", "mark")
    body = block_actions_body(
        user_id="UALICE",
        action={"action_id": MARK_FROM_HOME, "block_id": "home:1", "type": "button",
                "text": {"type": "plain_text", "text": "Mark done"}, "value": value,
                "action_ts": "1.1"},
        container={"type": "view", "view_id": "VHOME"},
        view={"id": "VHOME", "type": "home", "blocks": []},
    )  # fmt: skip
    assert (await sim.app.post(body, signed_headers(body))).status == 200

    (dm,) = await slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "UALICE"
    blocks = (
        json.loads(dm.args["blocks"]) if isinstance(dm.args["blocks"], str) else dm.args["blocks"]
    )
    assert GO_LIVE_TEXT in texts(blocks)
    assert {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]} == {
        announce.ANNOUNCE,
        announce.MARK_SILENTLY,
        announce.CANCEL,
    }
    assert (await state(sim, "3.4")).done_at is None
    assert await sim.outbox() == []


async def test_a_mark_of_several_steps_asks_once_and_the_choice_marks_them_all(
    sim: Sim, slack: SlackStub
) -> None:
    """`mark 3.3 3.4` with earlier steps open asks (3.3 is not marked either); *Mark without
    announcing* marks both, announces nothing."""
    await new_application(sim)
    reply = await sim.command("mark 3.3 3.4", at=utc(2026, 11, 30, 18))

    assert isinstance(reply.body, dict)
    assert "(with 3.3 _" in texts(reply.body["blocks"])[0]
    assert (await state(sim, "3.3")).done_at is None
    app_id = await sim.application_id("acme-pos")
    assert buttons(reply)[announce.MARK_SILENTLY] == f"{app_id}|3.3,3.4|silent"

    await click_preview(sim, reply, announce.MARK_SILENTLY)

    assert (await state(sim, "3.3")).done_at is not None
    assert (await state(sim, "3.4")).done_at is not None
    assert await sim.outbox() == []


async def test_a_double_click_on_announce_tells_the_clicker_they_already_marked_it(
    sim: Sim, slack: SlackStub
) -> None:
    """UALICE clicks *Announce* twice: the first marks and announces; the second changes
    nothing and says she already did (not "already marked done by <@UALICE>")."""
    reply = await ask_go_live_with_twelve_open(sim)

    await click_preview(sim, reply, announce.ANNOUNCE)
    await answers(slack)
    await click_preview(sim, reply, announce.ANNOUNCE)
    result = await sim.run_pass(utc(2026, 11, 30, 18, 2))

    first, second = (a["text"] for a in await answers(slack, 2))
    assert first == "✅ Marked 3.4 _Launch the application_ done and announced it."
    assert second == (
        "You already marked 3.4 _Launch the application_ done; "
        "nothing was changed or announced again."
    )
    assert [p.kind for p in result.posts] == [GoLive.KIND]
    assert await history(sim, "announced") == [
        ("announced", "3.4", "UALICE", "to a channel, with 12 earlier steps open")
    ]


async def test_a_phase_with_a_skipped_step_asks_without_it_and_the_answer_keeps_it_skipped(
    sim: Sim, slack: SlackStub
) -> None:
    """4.2 skipped; `mark 4 5` asks (5.1 announces, earlier steps open): the preview and its
    buttons name 4.1, 4.3 and 5.1, not 4.2; *Mark without announcing* leaves 4.2 skipped."""
    await new_application(sim)
    await sim.command('skip 4.2 "we only integrate QR, not NFC"', at=utc(2026, 11, 30, 17))

    reply = await sim.command("mark 4 5", at=utc(2026, 11, 30, 18))

    assert isinstance(reply.body, dict)
    heading = texts(reply.body["blocks"])[0]
    assert "(with 4.1 _" in heading and "4.2" not in heading
    app_id = await sim.application_id("acme-pos")
    assert buttons(reply)[announce.MARK_SILENTLY] == f"{app_id}|4.1,4.3,5.1|silent"

    await click_preview(sim, reply, announce.MARK_SILENTLY)

    skipped = await state(sim, "4.2")
    assert (skipped.done_at, skipped.skip_reason) == (None, "we only integrate QR, not NFC")
    assert (await state(sim, "4.3")).done_at is not None
    assert (await state(sim, "5.1")).done_at is not None
    assert await history(sim, "unskipped") == []
