"""Issue 13's texts through `/onboard` end to end (signed requests to the running app, the
Slack stand-in answering users.info): a mistyped subcommand, `status` in a DM, no no-op
history entry, and history times in the reader's own time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.harness import RunningApp
from tests.slack_stub import SlackStub


async def test_a_mistyped_subcommand_suggests_the_closest_one(app: RunningApp) -> None:
    reply = await app.command("mrak 1.1")
    assert reply.status == 200
    assert reply.text.startswith("`mrak` is not a subcommand. Did you mean `mark`?")


async def test_status_in_a_dm_says_applications_live_in_channels(app: RunningApp) -> None:
    await app.command("new Acme POS")
    reply = await app.command("status", channel="D0DIRECT")
    assert "Applications live in channels" in reply.text
    assert "--app &lt;slug&gt;" in reply.text
    assert "No application is bound" not in reply.text


async def test_history_has_no_entry_for_a_setting_left_as_it_was(app: RunningApp) -> None:
    await app.command("new Acme POS")
    await app.command("remind after 2d")  # already 2
    await app.command("remind after 1d")
    text = (await app.command("history")).text
    assert "(was 2)" not in text and "was 2 working days)" in text
    assert text.count("set reminders after") == 1
    assert "set reminders after 1 working day (was 2 working days)" in text


async def test_history_times_are_in_the_readers_own_zone(app: RunningApp, slack: SlackStub) -> None:
    slack.add_user("UALICE", tz="Asia/Shanghai")
    slack.add_user("UBOB", tz="UTC")
    app.runtime.directory = type(app.runtime.directory)()  # forget cached profiles
    await app.command("new Acme POS")
    alice = (await app.command("history")).text
    bob = (await app.command("history", user="UBOB")).text
    (alice_time,) = re.findall(r"• (\d{4}-\d\d-\d\d \d\d:\d\d [A-Za-z/_]+):", alice)
    (bob_time,) = re.findall(r"• (\d{4}-\d\d-\d\d \d\d:\d\d [A-Za-z/_]+):", bob)
    assert alice_time.endswith(" CST") and bob_time.endswith(" UTC")
    # Shanghai is 8 hours ahead of UTC, all year.
    shanghai = datetime.strptime(alice_time[:16], "%Y-%m-%d %H:%M")
    utc = datetime.strptime(bob_time[:16], "%Y-%m-%d %H:%M")
    assert shanghai - utc == timedelta(hours=8)
