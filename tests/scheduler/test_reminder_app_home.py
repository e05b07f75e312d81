"""The "…and N more" line of a full reminder DM links to the person's App Home: the app's id
comes from Slack (auth.test for the bot's id, bots.info for its app's), asked once per
workspace per process and only when a DM is full."""

from __future__ import annotations

from datetime import timedelta

from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import SlackStub

FRIDAY = utc(2026, 11, 27, 17)  # 9:00 in Los Angeles
LINKED = "<slack://app?team=T0001&amp;id=A0001&amp;tab=home|your App Home>"
PLAIN = "your App Home (Onboard in the sidebar, *Home* tab)"


async def full_dm(sim: Sim) -> None:
    """120 stalled steps of UALICE's: more than one DM holds."""
    for n in range(7):
        await sim.command(f"new Shop {n} --another")
        await sim.command(f"mark 4.3 --app shop-{n}")
    await sim.command("new Kiosk --another")


def more_line(post) -> str:
    return post.blocks[-1]["elements"][0]["text"]


async def test_the_more_line_links_to_the_app_home_asking_slack_once(
    sim: Sim, slack: SlackStub
) -> None:
    """Friday's and Monday's full DMs both link to the App Home; bots.info is asked once (for
    the bot auth.test names), not once a pass. A pass with no full DM does not ask."""
    await sim.command("new Small")
    await sim.run_pass(FRIDAY - timedelta(days=2))  # nothing due yet
    assert slack.calls_to("bots.info") == []
    await full_dm(sim)

    friday = await sim.run_pass(FRIDAY)
    monday = await sim.run_pass(FRIDAY + timedelta(days=3))

    for result in (friday, monday):
        (dm,) = result.posts
        assert LINKED in more_line(dm)
    (call,) = slack.calls_to("bots.info")
    assert call.args["bot"] == "B0001"


async def test_without_the_apps_id_the_more_line_says_where_in_words(
    sim: Sim, slack: SlackStub
) -> None:
    """bots.info refused (e.g. a missing scope): the DM still goes, saying where the App Home
    is; the next pass asks again, and links."""
    await full_dm(sim)
    slack.fail("bots.info", error="missing_scope")

    friday = await sim.run_pass(FRIDAY)
    monday = await sim.run_pass(FRIDAY + timedelta(days=3))

    assert PLAIN in more_line(friday.posts[0])
    assert LINKED in more_line(monday.posts[0])
    assert len(slack.calls_to("bots.info")) == 2
