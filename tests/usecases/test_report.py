"""bot/usecases/report.py: who sees which applications in `/onboard report`, and over which
period; called directly with the real runtime, database and the Slack stand-in.

By default the reader's channels (one `users.conversations`); `--channel` only one they are
in, refused in the same words whether they are not in it or Slack will not say; `--all` only
for the workspace's admins and owners; never another workspace's applications."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.analytics.figures import Period, Scope
from bot.services.errors import Refusal
from bot.usecases import checklist, report
from bot.usecases.context import Actor, Deps
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.slack_stub import SlackStub
from tests.usecases.conftest import OTHER_TEAM, forget_people

ALICE = Actor(TEAM_ID, "UALICE", "CPAY")  # in #CPAY
CAROL = Actor(TEAM_ID, "UCAROL", "COTHER")  # in #COTHER only
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # the clock fixture's


@pytest.fixture
async def two_channels(deps: Deps) -> None:
    """Acme POS in #CPAY (Alice's), with its first two steps done; Beta Kiosk in #COTHER
    (Carol's)."""
    await checklist.create(deps, ALICE, "Acme POS")
    await checklist.mark(deps, ALICE, None, ["1.1", "1.2"])
    await checklist.create(deps, CAROL, "Beta Kiosk")


def names(reported: report.Reported) -> list[str]:
    return sorted(row.application for row in reported.report.applications)


async def test_by_default_the_readers_channels_in_one_users_conversations(
    deps: Deps, slack: SlackStub, two_channels: None
) -> None:
    slack.clear()
    reported = await report.report(deps, ALICE, since=90)

    assert reported.scope == Scope(TEAM_ID, frozenset({"CPAY"}))
    assert names(reported) == ["Acme POS"]
    [acme] = reported.report.applications
    assert (acme.complete_steps, acme.phase) == (2, 1)
    assert reported.period == Period(NOW - timedelta(days=90), NOW)
    assert [c.method for c in slack.calls] == ["users.conversations"]
    # Asked again within the minute, Slack is not.
    await report.report(deps, ALICE, since=90)
    assert [c.method for c in slack.calls] == ["users.conversations"]


async def test_one_channel_of_the_readers(deps: Deps, two_channels: None) -> None:
    reported = await report.report(deps, CAROL, since=30, channel_id="COTHER")
    assert reported.scope == Scope(TEAM_ID, frozenset({"COTHER"}))
    assert names(reported) == ["Beta Kiosk"]


async def test_a_channel_the_reader_is_not_in_is_refused_telling_nothing_of_it(
    deps: Deps, slack: SlackStub, refuses, two_channels: None
) -> None:
    """#COTHER has an application, #CSECRET (private, without the bot) Slack won't tell about,
    #CEMPTY has none: the refusal is the same sentence for each, but for the channel named."""
    slack.channel_members["CEMPTY"] = ["UBOB", "UBOT"]
    said = {
        channel: await refuses(
            report.report(deps, ALICE, since=90, channel_id=channel), "I can only report on"
        )
        for channel in ("COTHER", "CSECRET", "CEMPTY")
    }
    assert {text.replace(f"<#{c}>", "<#…>") for c, text in said.items()} == {
        "I can only report on a channel you are in, and I can't see you in <#…>. Join it (and"
        " `/invite @Onboard` there if it is private), or leave out `--channel` for all of your"
        " channels."
    }
    assert "Beta" not in said["COTHER"]


async def test_all_is_for_the_workspaces_admins_and_owners(
    deps: Deps, slack: SlackStub, refuses, two_channels: None
) -> None:
    await refuses(
        report.report(deps, ALICE, since=90, everywhere=True),
        "Only the workspace's admins and owners can see the report of the whole workspace",
    )
    slack.add_user("UALICE", is_admin=True)
    slack.add_user("UCAROL", is_owner=True)
    forget_people(deps)

    for reader in (ALICE, CAROL):
        reported = await report.report(deps, reader, since=90, everywhere=True)
        assert reported.scope == Scope(TEAM_ID, None)
        assert names(reported) == ["Acme POS", "Beta Kiosk"]


async def test_a_reader_unknown_to_slack_is_no_admin(deps: Deps, refuses) -> None:
    ghost = Actor(TEAM_ID, "UGHOST", "CPAY")
    await refuses(report.report(deps, ghost, since=90, everywhere=True), "admins and owners")


async def test_another_workspace_sees_none_of_this_ones_applications(
    deps: Deps, slack: SlackStub, two_channels: None
) -> None:
    """Alice's user and channel ids, from another workspace (a channel shared between two):
    Slack says she is in #CPAY, but the applications there are the first workspace's."""
    there = Actor(OTHER_TEAM, "UALICE", "CPAY")
    slack.add_user("UALICE", is_admin=True)
    forget_people(deps)
    for kwargs in ({}, {"channel_id": "CPAY"}, {"everywhere": True}):
        reported = await report.report(deps, there, since=90, **kwargs)
        assert reported.scope.team_id == OTHER_TEAM
        assert reported.report.applications == ()
        assert reported.report.current.to_go_live.count == 0


async def test_a_reader_in_no_channel_i_can_see(deps: Deps, slack: SlackStub, refuses) -> None:
    slack.add_user("UDAN")
    slack.channel_members["GSECRET"] = ["UDAN"]  # private, without the bot
    dan = Actor(TEAM_ID, "UDAN", "DUDAN")
    await refuses(report.report(deps, dan, since=90), "I can't see any channel you are in")


async def test_since_a_day_starts_at_midnight_where_the_reader_is(
    deps: Deps, slack: SlackStub
) -> None:
    """Alice is in Los Angeles: 2026-09-01 starts at 07:00 UTC (daylight time)."""
    period = await report.period_for(deps, ALICE, date(2026, 9, 1))
    assert period == Period(datetime(2026, 9, 1, 7, tzinfo=UTC), NOW)
    slack.add_user("UKIRI", tz="Pacific/Kiritimati")
    kiri = Actor(TEAM_ID, "UKIRI", "CPAY")
    period = await report.period_for(deps, kiri, date(2026, 9, 1))
    assert period.start == datetime(2026, 8, 31, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "says"),
    [
        (date(2026, 11, 25), "2026-11-25 is not in the past"),  # today in Los Angeles
        (date(2027, 1, 1), "2027-01-01 is not in the past: a report covers"),
        (date(2024, 11, 24), "2024-11-24 is more than 730 days ago"),
    ],
)
async def test_since_a_day_must_be_past_and_within_two_years(
    deps: Deps, refuses, since: date, says: str
) -> None:
    await refuses(report.report(deps, ALICE, since=since), says)


async def test_two_years_back_is_as_far_as_it_goes(deps: Deps, clock: FakeClock) -> None:
    period = await report.period_for(deps, ALICE, date(2024, 11, 25))
    assert period.end - period.start > timedelta(days=730)
    with pytest.raises(Refusal):
        await report.period_for(deps, ALICE, date(2024, 11, 24))
