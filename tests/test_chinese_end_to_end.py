"""Issue 14 end to end, through the app as Slack drives it and the Slack stand-in: U0CAROL's
Slack answers `locale: zh-CN`. What only she sees (her replies, a step modal, her App Home, her
reminder DM) is Chinese while #CPAY, whose application UALICE (English) created, keeps its
English checklist; once `/onboard language channel zh-CN` is set there, the checklist, the
digest and the go-live are Chinese. A Chinese payload keeps no ASCII-only English sentence
(names, ids, step numbers and code spans allowed). And a scheduler pass asks Slack no more once
languages are set than before.

As in tests/scheduler/test_reminders.py: the application is created Wednesday 2026-11-25 and an
untouched step is first reminded Friday 2026-11-27 at 17:00 UTC (09:00 in Los Angeles).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.blocks import checklist as checklist_blocks
from bot.checklists import get_template
from bot.outbox_messages import Digest, GoLive
from bot.slack_directory import SlackDirectory
from storage.models import OutboxMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp, click, event_body, signed_headers
from tests.i18n_checks import english_sentences, shown_texts
from tests.scheduler.conftest import Sim, make_runner, utc
from tests.slack_stub import SlackStub

CAROL = "U0CAROL"
FRIDAY = utc(2026, 11, 27, 17)
MONDAY = utc(2026, 11, 30, 17)
CJK = re.compile(r"[\u4e00-\u9fff]")
# What may stay in English inside a Chinese payload: what people typed and the guide's name.
NAMES = ("Acme POS", "acme-pos", "Alipay in-store payment", "carol", "u0carol")


@pytest.fixture
async def sim(app: RunningApp, slack: SlackStub, clock: FakeClock) -> AsyncIterator[Sim]:
    runner, pacer = make_runner(app.runtime, app.settings, clock)
    yield Sim(app, slack, clock, runner, pacer)


def english_in(*texts: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return [s for text in texts for s in english_sentences(text, NAMES + allowed)]


def payload_texts(payload: dict[str, Any]) -> list[str]:
    return [*shown_texts(payload.get("blocks") or payload), payload.get("text") or ""]


async def carol_in_cpay(sim: Sim, slack: SlackStub) -> int:
    slack.add_user(CAROL, locale="zh-CN", tz="America/Los_Angeles")
    slack.channel_members["CPAY"].append(CAROL)
    await sim.command("new Acme POS")  # UALICE's: #CPAY speaks English
    await sim.command("assign 1.1 <@U0CAROL|carol>")
    return await sim.application_id("acme-pos")


async def checklist_message(slack: SlackStub) -> tuple[str, dict[str, Any]]:
    """The checklist message of #CPAY (the one with step menus), as the stand-in holds it
    once `status` posted or redrew it (after its ack)."""
    for _ in range(500):
        if slack.messages.get("CPAY"):
            break
        await asyncio.sleep(0.01)
    (ts, message), *_ = [
        (ts, m)
        for ts, m in slack.messages["CPAY"].items()
        if any(b.get("block_id", "").startswith("menu:") for b in m.get("blocks") or [])
    ]
    return ts, message


async def test_what_only_carol_sees_is_chinese_and_the_english_channel_stays_english(
    sim: Sim, slack: SlackStub
) -> None:
    app_id = await carol_in_cpay(sim, slack)

    marked = await sim.command("mark 1.2", user=CAROL)
    history = await sim.command("history", user=CAROL)
    for reply in (marked, history):
        assert CJK.search(reply.text), reply.text
        assert english_in(*payload_texts(reply.body)) == [], reply.body
    assigned = await sim.command("assign 1.3 <@U0CAROL|carol>", user=CAROL)
    noted = await sim.command("note 1.3 ask Ant Group", user=CAROL)
    unassigned = await sim.command("unassign 1.3", user=CAROL)
    for reply in (assigned, noted, unassigned):
        assert CJK.search(reply.text), reply.text
        assert english_in(*payload_texts(reply.body)) == [], reply.body
    await sim.command("assign 1.3 <@U0CAROL|carol>", user=CAROL)

    # A step modal, from the (English) checklist message of #CPAY.
    await sim.command("status")
    ts, message = await checklist_message(slack)
    assert not CJK.search(" ".join(shown_texts(message))), "the English channel's checklist"
    value = checklist_blocks.action_value(app_id, "1.3", "due")
    assert (
        await click(sim.app, "CPAY", ts, checklist_blocks.STEP_MENU, value, user=CAROL)
    ).status == 200
    (opened,) = await slack.wait_for("views.open")
    modal = opened.args["view"]
    assert CJK.search(" ".join(shown_texts(modal)))
    assert english_in(*shown_texts(modal)) == [], modal

    # Her App Home.
    slack.clear()
    home = event_body({"type": "app_home_opened", "user": CAROL, "channel": "D0", "tab": "home"})
    assert (await sim.app.post(home, signed_headers(home))).status == 200
    (published,) = await slack.wait_for("views.publish")
    assert published.args["user_id"] == CAROL
    view = published.args["view"]
    assert CJK.search(" ".join(shown_texts(view)))
    assert english_in(*shown_texts(view)) == [], view

    # Her reminder DM; #CPAY's messages of the pass stay English.
    result = await sim.run_pass(FRIDAY)
    dms = [p for p in result.posts if p.channel != "CPAY"]
    assert dms, result.posts
    for dm in dms:
        assert CJK.search(dm.text), dm.text
        assert english_in(dm.text, *shown_texts(dm.blocks)) == [], dm
    for post in result.posts:
        if post.channel == "CPAY":
            assert not CJK.search(post.text), post.text


async def test_after_language_channel_the_checklist_digest_and_go_live_are_chinese(
    sim: Sim, slack: SlackStub
) -> None:
    await carol_in_cpay(sim, slack)
    await sim.command("remind off")
    await sim.command("digest daily 09:00")
    reply = await sim.command("language channel zh-CN", user=CAROL)
    assert CJK.search(reply.text)

    await sim.command("status")
    _, message = await checklist_message(slack)
    assert english_in(message.get("text") or "", *shown_texts(message)) == [], message

    await sim.command("mark 3.4 --force", at=utc(2026, 11, 26, 10))
    posts = [
        p for now in (utc(2026, 11, 26, 10, 1), FRIDAY) for p in (await sim.run_pass(now)).posts
    ]
    async with sim.app.runtime.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    kinds = {r.kind: r for r in rows if r.target == "CPAY"}
    assert {GoLive.KIND, Digest.KIND} <= set(kinds), [r.kind for r in rows]
    for kind in (GoLive.KIND, Digest.KIND):
        assert kinds[kind].payload["language"] == "zh-CN"
        assert kinds[kind].status == "sent", kinds[kind].status
    in_channel = [p for p in posts if p.channel == "CPAY"]
    assert len(in_channel) >= 2, posts
    for post in in_channel:
        assert CJK.search(post.text), post.text
        shown = (post.text, *shown_texts(post.blocks))
        assert english_in(*shown) == [], post


async def pass_calls(sim: Sim, slack: SlackStub, now) -> Counter[str]:
    """The Web API calls of one pass as a fresh process makes it (a cold directory), by
    method, without the posts themselves."""
    sim.app.runtime.directory = SlackDirectory()
    slack.clear()
    result = await sim.run_pass(now)
    assert result.posts, "the pass sent nothing"
    return Counter(c.method for c in slack.calls if c.method != "chat.postMessage")


async def test_a_pass_asks_slack_no_more_once_languages_are_set(sim: Sim, slack: SlackStub) -> None:
    await carol_in_cpay(sim, slack)
    before = await pass_calls(sim, slack, FRIDAY)

    await sim.command("language zh-CN", user=CAROL)
    await sim.command("language channel zh-CN")
    after = await pass_calls(sim, slack, MONDAY)

    print(f"Web API calls per pass (posts aside): before {dict(before)}, after {dict(after)}")
    assert after == before


async def test_an_escalation_is_in_the_channels_language(sim: Sim, slack: SlackStub) -> None:
    """Three unanswered reminders to U0CAROL (Fri, Mon, Tue 17:00 UTC), then the channel,
    set to Chinese, is told at the next pass in Chinese."""
    await carol_in_cpay(sim, slack)
    await sim.command("language channel zh-CN")
    days = (utc(2026, 11, 27, 17), MONDAY, utc(2026, 12, 1, 17), utc(2026, 12, 1, 18))
    posts = [p for now in days for p in (await sim.run_pass(now)).posts]
    (told,) = [p for p in posts if p.channel == "CPAY"]
    assert told.at == utc(2026, 12, 1, 18)
    assert CJK.search(told.text), told.text
    title = get_template().step("1.1").title_in("zh-CN")
    assert title != get_template().step("1.1").title
    assert title in json.dumps(told.blocks, ensure_ascii=False), told.blocks
    assert english_in(told.text, *shown_texts(told.blocks)) == [], told


async def test_business_start_dms_each_contact_in_the_language_they_chose(
    sim: Sim, slack: SlackStub
) -> None:
    """Contacts U0CAROL (who chose Chinese) and UBOB (nothing chosen) in an English channel,
    no contacts channel: U0CAROL's DM is Chinese, UBOB's English (the channel's: a contact's
    Slack language is not asked inside the transaction that queues the DMs)."""
    await carol_in_cpay(sim, slack)
    await sim.command("remind off")
    await sim.command("language zh-CN", user=CAROL)
    await sim.command("contacts add <@U0CAROL|carol> <@UBOB|bob>")
    await sim.command("mark 5.1 --force", at=utc(2026, 11, 26, 10))

    posts = (await sim.run_pass(utc(2026, 11, 26, 10, 1))).posts
    dms = {p.channel: p for p in posts if p.channel != "CPAY"}
    assert set(dms) == {CAROL, "UBOB"}, posts
    assert CJK.search(dms[CAROL].text), dms[CAROL].text
    carol_reads = (dms[CAROL].text, *shown_texts(dms[CAROL].blocks))
    assert english_in(*carol_reads) == [], dms[CAROL]
    assert not CJK.search(dms["UBOB"].text), dms["UBOB"].text
    # The pilot steps (the phase before 5) are named in each reader's language.
    pilot = [st for st in get_template().steps if st.phase == 4]
    carol_sees = json.dumps(dms[CAROL].blocks, ensure_ascii=False)
    bob_sees = json.dumps(dms["UBOB"].blocks, ensure_ascii=False)
    assert pilot and all(st.title_in("zh-CN") in carol_sees for st in pilot), carol_sees
    assert all(st.title not in carol_sees for st in pilot), carol_sees
    assert all(st.title in bob_sees for st in pilot), bob_sees


async def test_archive_unarchive_and_export_answer_in_the_readers_language(
    sim: Sim, slack: SlackStub
) -> None:
    slack.add_user("UALICE", locale="zh-CN")
    await sim.command("new Acme POS")
    answers = [await sim.command(text) for text in ("archive", "unarchive", "export csv")]
    for reply in answers:
        assert CJK.search(reply.text), reply.text
        assert english_in(*payload_texts(reply.body), allowed=("CSV",)) == [], reply.body


async def test_the_digest_schedule_is_told_in_the_readers_language(
    sim: Sim, slack: SlackStub
) -> None:
    slack.add_user("UALICE", locale="zh-CN")
    await sim.command("new Acme POS")
    answers = [await sim.command(text) for text in ("digest", "digest daily 09:00")]
    for reply in answers:
        assert CJK.search(reply.text), reply.text
        assert english_in(*payload_texts(reply.body)) == [], reply.body


async def test_the_assignment_dm_names_the_step_in_the_assignees_language(
    sim: Sim, slack: SlackStub
) -> None:
    await carol_in_cpay(sim, slack)  # UALICE gives 1.1 to U0CAROL, who reads Chinese
    title = get_template().step("1.1").title_in("zh-CN")
    posts = [c.args for c in slack.calls if c.method == "chat.postMessage"]
    to_carol = [p for p in posts if p.get("channel") not in ("CPAY",)]
    assert to_carol, posts
    shown = json.dumps(to_carol, ensure_ascii=False)
    assert title in shown, shown
    assert get_template().step("1.1").title not in shown
