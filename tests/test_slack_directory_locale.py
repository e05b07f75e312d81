"""The directory learns a person's Slack language in the `users.info` call it makes for their
time zone (`include_locale`), and caches both: no call of its own."""

from __future__ import annotations

import aiohttp

from bot.slack_client import web_client
from bot.slack_directory import SlackDirectory
from tests.harness import TEAM_ID
from tests.slack_stub import SlackStub


async def test_locale_comes_with_the_zone_in_one_cached_call(slack: SlackStub) -> None:
    slack.add_user("U0CAROL", locale="zh-CN", tz="Asia/Shanghai")
    directory = SlackDirectory()
    async with aiohttp.ClientSession() as session:
        client = web_client(slack.bot_token, slack.api_url, session)
        carol = await directory.person(client, TEAM_ID, "U0CAROL")
        again = await directory.person(client, TEAM_ID, "U0CAROL")
        alice = await directory.person(client, TEAM_ID, "UALICE")
    assert carol is not None and alice is not None
    assert (carol.locale, str(carol.timezone)) == ("zh-CN", "Asia/Shanghai")
    assert again == carol
    assert alice.locale is None  # Slack did not say: English, decided by the caller
    calls = slack.calls_to("users.info")
    assert [(c.args["user"], c.args.get("include_locale")) for c in calls] == [
        ("U0CAROL", "1"),
        ("UALICE", "1"),
    ]


async def test_the_stand_in_tells_the_locale_only_when_asked(slack: SlackStub) -> None:
    slack.add_user("U0CAROL", locale="zh-CN")
    async with aiohttp.ClientSession() as session:
        client = web_client(slack.bot_token, slack.api_url, session)
        plain = await client.users_info(user="U0CAROL")
        asked = await client.users_info(user="U0CAROL", include_locale=True)
    assert "locale" not in plain["user"]
    assert asked["user"]["locale"] == "zh-CN"
