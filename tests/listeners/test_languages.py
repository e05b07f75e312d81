"""Whose language, end to end: `/onboard` over HTTP to the running app, the Slack stand-in
answering `users.info` with U0CAROL's `locale: zh-CN`, and the database read after.

U0CAROL's Slack is in Chinese; UALICE's and UBOB's say nothing (English). All three are in
#CPAY; UCAROL is not (only in #COTHER).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.blocks.help import help_fallback, help_sections
from bot.slack_client import web_client
from bot.usecases.context import Deps
from bot.usecases.languages import channel_language, person_language
from storage.models import ChannelSettings, PersonSettings
from tests.harness import TEAM_ID, RunningApp
from tests.i18n_checks import english_sentences
from tests.listeners.dispatch import web_api_calls
from tests.slack_stub import SlackStub

CAROL = "U0CAROL"


@pytest.fixture(autouse=True)
def carol(slack: SlackStub) -> None:
    slack.add_user(CAROL, locale="zh-CN", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append(CAROL)
    slack.channel_members["CNEW"] = [CAROL, "UALICE", "UBOT"]


async def channel_rows(app: RunningApp) -> dict[str, str]:
    async with app.runtime.sessions() as session:
        rows = await session.scalars(select(ChannelSettings))
        return {row.channel_id: row.language for row in rows}


def users_info_calls(slack: SlackStub, user: str | None = None) -> list:
    return [c for c in slack.calls_to("users.info") if user is None or c.args.get("user") == user]


def assert_chinese(text: str) -> None:
    assert english_sentences(text) == [], english_sentences(text)


# ---- help in the reader's language ------------------------------------------------------------


async def test_carol_gets_the_help_in_chinese_and_alice_in_english(
    app: RunningApp, slack: SlackStub
) -> None:
    chinese = await app.command("help", user=CAROL)
    assert chinese.body["response_type"] == "ephemeral"
    assert chinese.blocks_text.startswith("*`/onboard` 能做什么*")
    assert "`/onboard mark &lt;step&gt;… [--force]` – 将步骤标记为完成" in chinese.blocks_text
    assert_chinese(chinese.text)
    assert_chinese(chinese.blocks_text)

    english = await app.command("help")
    assert english.text == help_fallback()
    assert english.blocks_text.startswith("\n".join(help_sections()))
    # Slack was asked for the locale, once for each, in the call that also gives the zone.
    assert [c.args.get("include_locale") for c in users_info_calls(slack, CAROL)] == ["1"]


async def test_help_on_one_subcommand_and_by_its_chinese_alias(app: RunningApp) -> None:
    reply = await app.command("帮助 标记", user=CAROL)
    assert reply.text.startswith("• `/onboard mark")
    assert "`/onboard unmark" not in reply.text
    assert_chinese(reply.text)


async def test_language_en_makes_it_english_and_auto_returns_to_slacks(app: RunningApp) -> None:
    chose = await app.command("language en", user=CAROL)
    assert chose.text.startswith("From now on I speak English with you, in every channel.")
    assert (await app.command("help", user=CAROL)).text == help_fallback()

    back = await app.command("language auto", user=CAROL)
    assert back.text == "已恢复为你的 Slack 语言：简体中文。"
    assert (await app.command("help", user=CAROL)).blocks_text.startswith("*`/onboard` 能做什么*")
    async with app.runtime.sessions() as session:
        row = await session.get(PersonSettings, (TEAM_ID, CAROL))
    assert row is not None and row.language is None


async def test_alice_chooses_chinese_for_herself_only(app: RunningApp) -> None:
    chose = await app.command("language zh-CN", channel="DUALICE")
    assert chose.text.startswith("从现在起，我在所有频道中都用简体中文与你交流。")
    assert_chinese(chose.text)
    assert (await app.command("help")).blocks_text.startswith("*`/onboard` 能做什么*")
    assert (await app.command("help", user="UBOB")).text == help_fallback()


async def test_language_alone_shows_both(app: RunningApp) -> None:
    alice = await app.command("language")
    assert alice.text == (
        "I speak English with you: your Slack language. `/onboard language zh-CN` or"
        " `/onboard language en` chooses one for you.\n"
        "<#CPAY> has no language yet, so it sees English until its first application is"
        " created (then its creator's) or `/onboard language channel zh-CN` sets one."
    )
    carol = await app.command("language", user=CAROL, channel=f"D{CAROL}")
    assert carol.text.splitlines() == [
        "我用简体中文与你交流，即你的 Slack 语言。用 `/onboard language zh-CN` 或"
        " `/onboard language en` 可为自己选择语言。",
        "私信没有频道语言；在频道中运行 `/onboard language` 可查看该频道的语言。",
    ]


# ---- the channel's language -------------------------------------------------------------------


async def test_a_member_sets_the_channel_language_and_everyone_sees_it(app: RunningApp) -> None:
    reply = await app.command("language channel zh-CN", user="UBOB")
    assert reply.text == (
        "<#CPAY> now sees Simplified Chinese: its checklist, digests and announcements,"
        " from their next update."
    )
    assert await channel_rows(app) == {"CPAY": "zh-CN"}
    shown = await app.command("language", user=CAROL)
    assert shown.text.splitlines()[1] == (
        "<#CPAY> 使用简体中文：包括清单、摘要和公告。用 `/onboard language channel zh-CN` 或"
        " `en` 更改。"
    )
    await app.command("language channel en", user=CAROL)
    assert await channel_rows(app) == {"CPAY": "en"}
    # Her own language is untouched by the channel's.
    assert (await app.command("help", user=CAROL)).blocks_text.startswith("*`/onboard` 能做什么*")


async def test_channel_language_is_refused_in_a_dm_and_to_a_non_member(app: RunningApp) -> None:
    in_a_dm = await app.command("language channel zh-CN", channel="DUALICE")
    assert in_a_dm.text == (
        "A direct message has no channel language; nothing was changed. Run"
        " `/onboard language channel zh-CN` (or `en`) in the channel itself."
    )
    carol_in_a_dm = await app.command("language channel en", user=CAROL, channel=f"D{CAROL}")
    assert carol_in_a_dm.text.startswith("私信没有频道语言，未做任何更改。")
    outsider = await app.command("language channel zh-CN", user="UCAROL", channel="CPAY")
    assert outsider.text == (
        "Only members of <#CPAY> can choose its language; join the channel first."
    )
    assert await channel_rows(app) == {}


async def test_a_channel_takes_the_language_of_its_first_applications_creator(
    app: RunningApp,
) -> None:
    created = await app.command("new Acme POS", user=CAROL, channel="CNEW")
    # Said in the channel, in its (new) language.
    assert created.status == 200 and "创建" in created.text, created.body
    assert await channel_rows(app) == {"CNEW": "zh-CN"}
    # A later application does not change it, nor does one in a channel already set.
    await app.command("new Second --another", channel="CNEW")
    await app.command("language channel en", channel="CPAY")
    await app.command("new Acme POS", user=CAROL, channel="CPAY")
    assert await channel_rows(app) == {"CNEW": "zh-CN", "CPAY": "en"}

    ucarol_first = await app.command("new Globex", channel="COTHER", user="UCAROL")
    assert ucarol_first.status == 200
    assert (await channel_rows(app))["COTHER"] == "en"


# ---- no Web API call of its own ---------------------------------------------------------------


async def test_the_language_rides_on_the_zone_call_and_its_cache(
    app: RunningApp, slack: SlackStub
) -> None:
    """A `due` asks Slack for Carol's zone; help, the language and a second `due` after it
    ask nothing more: one users.info for her, however many requests."""
    await app.command("new Acme POS", channel="CPAY")
    slack.clear()
    await app.command("截止 1.1 明天", user=CAROL)
    zone_calls = len(web_api_calls(slack))
    assert len(users_info_calls(slack, CAROL)) == 1
    for text in ("help", "language", "due 1.2 周五", "help status"):
        before = len(web_api_calls(slack))
        reply = await app.command(text, user=CAROL)
        assert reply.status == 200
        if text.startswith("help") or text == "language":
            assert len(web_api_calls(slack)) == before, text  # nothing asked at all
    assert len(users_info_calls(slack, CAROL)) == 1
    assert zone_calls >= 1


async def test_person_and_channel_language_for_the_other_surfaces(
    app: RunningApp, slack: SlackStub
) -> None:
    deps = Deps(app.runtime, web_client(slack.bot_token, slack.api_url, app.runtime.http_session()))
    assert await person_language(deps, TEAM_ID, CAROL) == "zh-CN"
    assert await person_language(deps, TEAM_ID, "UALICE") == "en"
    assert await person_language(deps, TEAM_ID, "UNOBODY") == "en"
    assert await channel_language(deps, TEAM_ID, "CPAY") == "en"
    await app.command("language channel zh-CN")
    await app.command("language en", user=CAROL)
    assert await channel_language(deps, TEAM_ID, "CPAY") == "zh-CN"
    assert await person_language(deps, TEAM_ID, CAROL) == "en"
    assert len(users_info_calls(slack, CAROL)) == 1
