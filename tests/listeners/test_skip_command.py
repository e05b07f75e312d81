"""`/onboard skip` and `/onboard unskip` end to end: signed requests to the running app, the
Web API stand-in recording what the app sent, and the database checked after."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from storage.models import Application, Event, StepState
from tests.harness import RunningApp
from tests.slack_stub import SlackStub

REASON = "we only integrate QR, not NFC"


async def _new(app: RunningApp) -> None:
    reply = await app.command("new Acme POS")
    assert "Created" in reply.text, reply.body


async def _step(app: RunningApp, number: str) -> StepState:
    async with app.runtime.sessions() as session:
        state = await session.scalar(select(StepState).where(StepState.step == number))
    assert state is not None
    return state


async def _everything(app: RunningApp) -> tuple[list, list]:
    """Every step row and every event, to show that a refused command changed nothing."""
    async with app.runtime.sessions() as session:
        states = [
            (s.step, s.done_at, s.skipped_at, s.skip_reason, s.changed_at)
            for s in await session.scalars(select(StepState).order_by(StepState.id))
        ]
        events = [(e.id, e.kind) for e in await session.scalars(select(Event))]
    return states, events


async def _posted_checklist(app: RunningApp, slack: SlackStub) -> None:
    """`status`, and wait until the posted message is stored as the one to redraw."""
    await app.command("status")
    await slack.wait_for("chat.postMessage")
    for _ in range(200):
        async with app.runtime.sessions() as session:
            application = await session.scalar(select(Application))
        if application is not None and application.checklist_ts is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the checklist message was never recorded")


async def test_skip_records_the_reason_and_the_checklist_shows_it_skipped(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    await _posted_checklist(app, slack)

    reply = await app.command(f'skip 4.2 "{REASON}"', user="UBOB")

    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert reply.text.startswith("Skipped 4.2 _")
    assert f"“{REASON}”" in reply.text and "is at 1/19 (1 skipped)" in reply.text
    state = await _step(app, "4.2")
    assert (state.skipped_by, state.skip_reason, state.done_at) == ("UBOB", REASON, None)
    # The posted checklist is redrawn: 4.2 skipped (not done), with who and why.
    (update,) = await slack.wait_for("chat.update")
    blocks = update.args["blocks"]
    assert blocks[0]["text"]["text"] == "Acme POS · 1/19 (1 skipped)"
    (step,) = [b for b in blocks if b.get("block_id") == "step:4.2"]
    assert step["text"]["text"].startswith("⏭️ *4.2* ")
    assert f"skipped by <@UBOB>: “{REASON}”" in step["text"]["text"]
    assert step["accessory"]["text"]["text"] == "Mark done"
    assert update.args["text"] == "Acme POS: 1/19 steps complete (1 skipped)"
    history = (await app.command("history 4.2")).text
    assert f"<@UBOB> skipped 4.2: “{REASON}”" in history


async def test_the_reason_is_escaped_wherever_it_shows(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    reply = await app.command('skip 4.2 "no NFC <!channel> & <@UCAROL>"')
    assert "no NFC &lt;!channel&gt; &amp; &lt;@UCAROL&gt;" in reply.text
    assert "<!channel>" not in reply.text and "<@UCAROL>" not in reply.text
    assert (await _step(app, "4.2")).skip_reason == "no NFC <!channel> & <@UCAROL>"
    await app.command("status")
    (posted,) = await slack.wait_for("chat.postMessage")
    body = json.dumps(posted.args["blocks"], ensure_ascii=False)
    assert "no NFC &lt;!channel&gt; &amp; &lt;@UCAROL&gt;" in body and "<!channel>" not in body
    history = (await app.command("history")).text
    assert "&lt;!channel&gt;" in history and "<!channel>" not in history


async def test_unskip_opens_the_step_again(app: RunningApp) -> None:
    await _new(app)
    await app.command(f"skip 4.2 {REASON} --app acme-pos")
    reply = await app.command("unskip 4.2")
    assert reply.text.startswith("4.2 _") and "is open again" in reply.text
    assert "is at 0/19." in reply.text
    assert (await _step(app, "4.2")).skipped_at is None
    assert "was not skipped" in (await app.command("unskip 4.2")).text
    history = (await app.command("history 4.2")).text
    assert f"unskipped 4.2 (was skipped: “{REASON}”)" in history


async def test_mark_on_a_skipped_step_marks_it_done(app: RunningApp) -> None:
    await _new(app)
    await app.command(f'skip 4.2 "{REASON}"')
    reply = await app.command("mark 4.2")
    assert "Marked done: 4.2" in reply.text and "is at 1/19." in reply.text
    state = await _step(app, "4.2")
    assert state.done_at is not None and state.skipped_at is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "skip 4.2",
            'needs a reason, so the team knows why it does not apply, e.g. `/onboard skip 4.2 "',
        ),
        ('skip 4.2 ""', "needs a reason"),
        ("skip 3.4 not needed", "can only be marked, not skipped"),
        ("skip 5.1 not needed", "can only be marked, not skipped"),
        ("skip 9.9 not needed", "There is no step `9.9`"),
        ("skip 4 not needed", "`4` is a phase"),
        ("skip 4.2 " + "x" * 2001, "at most 2,000"),
        ("skip 1.1 not needed", "Step 1.1 is done, so it can't be skipped"),
        ("unskip 4.2 4.3", "takes one step"),
        ("skip 4.2 no NFC --app nope", "There is no application `nope` here"),
    ],
)
async def test_bad_skips_are_refused_and_change_nothing(app: RunningApp, text, says) -> None:
    await _new(app)
    await app.command("mark 1.1")
    before = await _everything(app)
    reply = await app.command(text)
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert says in reply.text, reply.text
    assert await _everything(app) == before


async def test_a_user_outside_the_channel_cannot_skip_or_unskip(app: RunningApp) -> None:
    await _new(app)
    await app.command(f'skip 4.3 "{REASON}"')
    before = await _everything(app)
    for text in (f'skip 4.2 "{REASON}" --app acme-pos', "unskip 4.3 --app acme-pos"):
        reply = await app.command(text, user="UCAROL", channel="COTHER")
        assert "Only members of <#CPAY>" in reply.text
    reply = await app.command(f'skip 4.2 "{REASON}"', user="UMALLORY")
    assert "Only members of <#CPAY>" in reply.text
    assert await _everything(app) == before


async def test_help_shows_skip_and_unskip(app: RunningApp) -> None:
    text = (await app.command("help")).blocks_text
    assert '/onboard skip &lt;step&gt; "&lt;reason&gt;"' in text
    assert "/onboard unskip &lt;step&gt;" in text
    assert "never reminded" in (await app.command("help skip")).text
