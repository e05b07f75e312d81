"""Assigning a step DMs the assignee once: the step, its application, due date and latest notes,
and a *Mark done* button that is the reminder's own. Queued in the assignment's transaction and
sent at once by its follow-up, as `onboard-bot run` wires delivery (`send_queued`).

#CPAY has UALICE (the owner) and UBOB; UCAROL is only in #COTHER. Wednesday 2026-11-25.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.blocks import modals
from bot.blocks.checklist import action_value
from bot.blocks.notifications import REMINDER_MARK
from bot.outbox_messages import Assignment, Undeliverable
from storage import repositories as repo
from storage.models import OutboxMessage
from tests.harness import click, submit
from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import Call, SlackStub

TITLE_1_2 = "Create an application"


async def setup(sim: Sim) -> int:
    sim.app.send_queued = sim.runner.deliverer.deliver_queued
    await sim.command("new Acme POS", at=utc(2026, 11, 25, 10))
    await sim.command("remind off")
    return await sim.application_id("acme-pos")


async def dms_to(slack: SlackStub, user: str) -> list[Call]:
    await asyncio.sleep(0.2)  # the follow-up runs after the command's ack
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == user]


def mrkdwn(call: Call) -> str:
    lines = []
    for block in call.args["blocks"]:
        if isinstance(block.get("text"), dict):
            lines.append(block["text"]["text"])
        lines += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
    return "\n".join(lines)


def ts_of_dm(slack: SlackStub, user: str) -> str:
    (ts,) = slack.messages[user]
    return ts


async def assignment_rows(sim: Sim) -> list[OutboxMessage]:
    async with sim.app.runtime.sessions() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == Assignment.KIND)
        )
        return list(found)


async def done(sim: Sim, application_id: int) -> list[str]:
    async with sim.app.runtime.sessions() as session:
        states = await repo.step_states(session, application_id)
    return [s.step for s in states if s.done_at is not None]


def button(call: Call) -> dict:
    (actions,) = [b for b in call.args["blocks"] if b["type"] == "actions"]
    (only,) = actions["elements"]
    return only


async def test_the_assignee_gets_one_dm_with_the_step_due_date_notes_and_mark_done(
    sim: Sim, slack: SlackStub
) -> None:
    """UALICE sets 1.2 due 2026-12-04, notes it twice, then assigns it to UBOB: UBOB gets one
    DM naming the step, the application and channel, the due date and both notes; its *Mark
    done* marks 1.2 as UBOB."""
    app_id = await setup(sim)
    await sim.command("due 1.2 2026-12-04")
    await sim.command('note 1.2 "asked IT for the <b>sandbox</b> & keys"')
    await sim.command("note 1.2 waiting on Alipay")
    slack.clear()

    reply = await sim.command("assign 1.2 <@UBOB|bob>")

    assert reply.text.startswith("Assigned 1.2")
    (dm,) = await dms_to(slack, "UBOB")
    assert dm.args["text"] == "You were assigned step 1.2 of Acme POS"
    assert mrkdwn(dm) == (
        f"📌 <@UALICE> assigned you step *1.2* _{TITLE_1_2}_ of *Acme POS* in <#CPAY>. "
        "Due *2026-12-04*.\n*Latest notes*\n"
        "• <@UALICE> (2026-11-25): asked IT for the &lt;b&gt;sandbox&lt;/b&gt; &amp; keys\n"
        "• <@UALICE> (2026-11-25): waiting on Alipay"
    )
    mark = button(dm)
    assert (mark["text"]["text"], mark["action_id"], mark["value"]) == (
        "Mark done",
        REMINDER_MARK,
        action_value(app_id, "1.2", "mark"),
    )
    (outbox_row,) = await assignment_rows(sim)
    assert (outbox_row.status, outbox_row.target) == ("sent", "UBOB")

    ts = ts_of_dm(slack, "UBOB")
    answer = await click(sim.app, "UBOB", ts, REMINDER_MARK, mark["value"], user="UBOB")
    assert answer.status == 200
    (said,) = await slack.wait_for("response_url:click")
    assert said.args["text"].startswith("✅ You marked 1.2")
    assert await done(sim, app_id) == ["1.2"]


async def test_assigning_the_same_person_again_or_oneself_sends_nothing_more(
    sim: Sim, slack: SlackStub
) -> None:
    """UALICE assigns 1.2 to UBOB twice: one DM. UBOB assigns 1.3 to himself: none. UALICE
    takes 1.2 herself (no DM), then gives it back to UBOB: a new assignment, so a second DM;
    a pass afterwards sends nothing more."""
    await setup(sim)
    slack.clear()

    await sim.command("assign 1.2 <@UBOB|bob>")
    await sim.command("assign 1.2 <@UBOB|bob>")
    await sim.command("assign 1.3 <@UBOB|bob>", user="UBOB")
    assert len(await dms_to(slack, "UBOB")) == 1

    await sim.command("assign 1.2 <@UALICE|alice>")
    assert await dms_to(slack, "UALICE") == []
    await sim.command("assign 1.2 <@UBOB|bob>")
    assert len(await dms_to(slack, "UBOB")) == 2

    later = await sim.run_pass(utc(2026, 11, 25, 10, 30))
    assert later.posts == []
    assert len(await assignment_rows(sim)) == 2


async def test_an_assignee_outside_the_channel_is_told_to_join_it(
    sim: Sim, slack: SlackStub
) -> None:
    """UCAROL, who is not in #CPAY, is given 2.1: her DM says to join #CPAY to use the button;
    clicking it anyway is refused and marks nothing."""
    app_id = await setup(sim)
    slack.clear()

    await sim.command("assign 2.1 <@UCAROL|carol>")

    (dm,) = await dms_to(slack, "UCAROL")
    assert mrkdwn(dm).endswith(
        "\nYou are not in <#CPAY> yet: join it to use this button and the checklist there."
    )
    ts = ts_of_dm(slack, "UCAROL")
    answer = await click(sim.app, "UCAROL", ts, REMINDER_MARK, button(dm)["value"], user="UCAROL")
    assert answer.status == 200
    (said,) = await slack.wait_for("response_url:click")
    assert said.args["text"].startswith("Only members of this checklist's channel")
    assert await done(sim, app_id) == []


async def test_a_forged_value_on_the_dm_button_marks_nothing(sim: Sim, slack: SlackStub) -> None:
    """UBOB's DM button with its value swapped for another application's id, or for a
    phase, or garbage: refused or ignored, and nothing is marked."""
    app_id = await setup(sim)
    await sim.command("new Beta", user="UCAROL", channel="COTHER")
    beta = await sim.application_id("beta")
    slack.clear()
    await sim.command("assign 1.2 <@UBOB|bob>")
    (dm,) = await dms_to(slack, "UBOB")
    ts = ts_of_dm(slack, "UBOB")
    message = slack.messages["UBOB"][ts]
    for forged in (action_value(beta, "1.2", "mark"), f"{app_id}|1|mark", "x|y"):
        button(dm)["value"] = forged
        message["blocks"] = dm.args["blocks"]
        answer = await click(sim.app, "UBOB", ts, REMINDER_MARK, forged, user="UBOB")
        assert answer.status == 200
    await asyncio.sleep(0.2)
    assert (await done(sim, app_id), await done(sim, beta)) == ([], [])


async def test_assigning_from_the_step_menu_sends_the_same_dm(sim: Sim, slack: SlackStub) -> None:
    """UALICE picks UBOB in the step menu's assign form for 1.2: the same one DM."""
    app_id = await setup(sim)
    slack.clear()
    context = modals.ModalContext(application_id=app_id, step="1.2")
    view = {"callback_id": modals.ASSIGN, "private_metadata": context.encode()}
    picked = {"type": "users_select", "selected_user": "UBOB"}

    answer = await submit(sim.app, view, {modals.ASSIGNEE_BLOCK: {modals.ASSIGNEE_ACTION: picked}})

    assert answer.status == 200
    (dm,) = await dms_to(slack, "UBOB")
    assert dm.args["text"] == "You were assigned step 1.2 of Acme POS"


async def test_a_dm_slack_will_not_take_is_failed_and_the_channel_told_once(
    sim: Sim, slack: SlackStub
) -> None:
    """Slack answers `user_not_found` to UBOB's assignment DM: the row is failed, not retried,
    and the next pass tells #CPAY once, naming what could not be delivered."""
    await setup(sim)
    slack.fail("chat.postMessage", error="user_not_found")

    await sim.command("assign 1.2 <@UBOB|bob>")
    await asyncio.sleep(0.2)
    told = await sim.run_pass(utc(2026, 11, 25, 10, 1))
    later = await sim.run_pass(utc(2026, 11, 25, 10, 2))

    (row,) = await assignment_rows(sim)
    assert (row.status, row.last_error) == ("failed", "user_not_found")
    (notice,) = told.posts
    assert (notice.kind, notice.channel) == (Undeliverable.KIND, "CPAY")
    assert notice.markdown.startswith(
        "I couldn't deliver a step assignment to <@UBOB> (Slack said `user_not_found`)."
    )
    assert later.posts == []
