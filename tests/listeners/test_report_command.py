"""`/onboard report` end to end: signed slash commands to the running app, the Slack stand-in
answering `users.conversations` and `users.info`, the real database and queries. The answer
is ephemeral, in the reader's language, with Slack's chart and table blocks within limits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.blocks.slack_limits import assert_no_injection, check_message, mrkdwn_fields
from tests.conftest import FakeClock
from tests.harness import CommandResult, RunningApp
from tests.i18n_checks import english_sentences, shown_texts
from tests.slack_stub import SlackStub

HOSTILE = "<!channel> *Beta* &co"


async def _ok(app: RunningApp, text: str, channel: str = "CPAY", user: str = "UALICE") -> None:
    reply = await app.command(text, channel=channel, user=user)
    assert reply.status == 200 and isinstance(reply.body, dict), reply.body
    assert "Sorry" not in reply.text, reply.text


@pytest.fixture
async def portfolio(app: RunningApp, clock: FakeClock) -> None:
    """In #CPAY: Acme POS, live (phases 1 to 3 done over a week and a half), and two more
    applications, one with a hostile name, that finished phase 1. In #COTHER: Carol's."""
    await _ok(app, "new Acme POS")
    await _ok(app, f"new {HOSTILE} --another")
    await _ok(app, "new Gamma Kiosk --another")
    await _ok(app, "new Delta Shop", channel="COTHER", user="UCAROL")
    clock.advance(days=2)
    for slug in ("acme-pos", "channel-beta-co", "gamma-kiosk"):
        await _ok(app, f"mark 1 --app {slug}")
    clock.advance(days=5)
    await _ok(app, "mark 2 --app acme-pos")
    clock.advance(days=3)
    await _ok(app, "mark 3 --force --app acme-pos")


def blocks_of(reply: CommandResult) -> list[dict[str, Any]]:
    assert isinstance(reply.body, dict) and reply.body["response_type"] == "ephemeral"
    return reply.body.get("blocks") or []


async def test_the_report_has_its_charts_and_table_within_slacks_limits(
    app: RunningApp, slack: SlackStub, portfolio: None
) -> None:
    reply = await app.command("report --since 30d")
    blocks = blocks_of(reply)

    kinds = [b["type"] for b in blocks]
    assert kinds.count("data_visualization") == 2
    assert kinds.count("data_table") == 1
    check_message(reply.text, blocks, reply=True)
    for text in mrkdwn_fields(reply.text, blocks):
        assert_no_injection(text, users={"UALICE", "UBOB"}, channels={"CPAY"})

    [table] = [b for b in blocks if b["type"] == "data_table"]
    shown = str(table)
    assert "Acme POS" in shown and HOSTILE in shown and "Gamma Kiosk" in shown
    assert "Delta Shop" not in str(blocks)  # #COTHER is not Alice's
    [phases, live] = [b for b in blocks if b["type"] == "data_visualization"]
    assert "phase" in str(phases).lower() and "live" in str(live).lower()
    assert reply.text == "Portfolio report: 3 applications, 2 stuck"


async def test_pages_of_the_table_say_how_to_get_back(
    app: RunningApp, portfolio: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.blocks import report as report_blocks

    monkeypatch.setattr(report_blocks, "TABLE_PAGE", 2)
    first = await app.command("report --since 30d")
    assert "`/onboard report --since 30d --page 2` shows page 2 of 2" in first.blocks_text
    second = await app.command("report --since 30d --page 2")
    assert "Page 2 of 2: `/onboard report --since 30d` shows the first again." in (
        second.blocks_text
    )


async def test_a_chinese_reader_gets_it_in_chinese(
    app: RunningApp, slack: SlackStub, portfolio: None
) -> None:
    slack.add_user("UBOB", locale="zh-CN", tz="Asia/Shanghai")
    reply = await app.command("报告 --since 4周", user="UBOB")
    blocks = blocks_of(reply)
    check_message(reply.text, blocks, reply=True)
    names = ["Acme POS", HOSTILE, "Gamma Kiosk"]
    for text in [reply.text, *shown_texts(blocks)]:
        assert english_sentences(text, names) == [], text


async def test_all_is_refused_to_a_member_and_shown_to_an_admin(
    app: RunningApp, slack: SlackStub, portfolio: None
) -> None:
    refused = await app.command("report --all")
    assert refused.body["response_type"] == "ephemeral" and "blocks" not in refused.body
    assert refused.text.startswith("Only the workspace's admins and owners can see the report")

    slack.add_user("UBOB", is_admin=True)
    everything = await app.command("report --all --since 30d", user="UBOB")
    assert "Delta Shop" in str(blocks_of(everything))
    assert everything.text == "Portfolio report: 4 applications, 3 stuck"


async def test_a_channel_the_reader_is_not_in_is_refused(
    app: RunningApp, slack: SlackStub, portfolio: None
) -> None:
    refused = await app.command("report --channel <#COTHER|other>")
    assert refused.text.startswith("I can only report on a channel you are in")
    assert "blocks" not in refused.body and "Delta" not in refused.text
    mine = await app.command("report --channel <#COTHER|other>", user="UCAROL", channel="COTHER")
    assert "Delta Shop" in str(blocks_of(mine))


async def test_bad_options_say_what_is_valid_and_ask_slack_nothing(
    app: RunningApp, slack: SlackStub
) -> None:
    slack.clear()
    reply = await app.command("report --all --channel <#CPAY|pay>")
    assert reply.text.startswith("`--channel` and `--all` don't go together")
    assert slack.calls_to("users.conversations") == []
