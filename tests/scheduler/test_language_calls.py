"""A scheduler pass asks Slack about each person once, as before languages: the Slack language
comes in the `users.info` call made for the zone, so knowing whose language a reminder is in
costs no call of its own.

As in test_reminders.py: the application is created Wednesday 2026-11-25 in #CPAY and an
untouched step is first reminded Friday 2026-11-27 at 17:00 UTC. Step 1.1 is U0CAROL's, whose
Slack is in Chinese; UALICE owns the application.
"""

from __future__ import annotations

from bot.slack_client import web_client
from bot.slack_directory import SlackDirectory
from bot.usecases.context import Deps
from bot.usecases.languages import person_language
from tests.harness import TEAM_ID
from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import SlackStub

FRIDAY = utc(2026, 11, 27, 17)


async def test_a_pass_asks_once_a_person_and_the_language_costs_nothing_more(
    sim: Sim, slack: SlackStub
) -> None:
    slack.add_user("U0CAROL", locale="zh-CN", tz="America/Los_Angeles")
    slack.channel_members["CPAY"].append("U0CAROL")
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@U0CAROL|carol>")
    sim.app.runtime.directory = SlackDirectory()  # a cold cache, as a fresh process has
    slack.clear()

    result = await sim.run_pass(FRIDAY)
    assert result.posts, "the pass reminded no one"
    asked = [(c.args["user"], c.args.get("include_locale")) for c in slack.calls_to("users.info")]
    assert len(asked) == len({user for user, _ in asked})  # once a person
    assert "U0CAROL" in {user for user, _ in asked}
    assert all(flag == "1" for _, flag in asked)

    calls = len(slack.calls)
    client = web_client(slack.bot_token, slack.api_url, sim.app.runtime.http_session())
    deps = Deps(sim.app.runtime, client)
    languages = {user: await person_language(deps, TEAM_ID, user) for user, _ in asked}
    assert languages["U0CAROL"] == "zh-CN"
    assert set(languages.values()) == {"zh-CN", "en"}
    assert len(slack.calls) == calls  # from the pass's own answers
