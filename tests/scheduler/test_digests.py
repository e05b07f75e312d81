"""Channel digests over simulated days: schedules, zones, content, downtime.

The clock starts on Wednesday 2026-11-25 at 10:00 UTC (02:00 in Los Angeles, 18:00 in Shanghai).
UALICE and UBOB live in Los Angeles (UTC-8), UMEI in Shanghai (UTC+8): a digest at 09:00 is
17:00 UTC in Los Angeles' zone and 01:00 UTC in Shanghai's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.outbox_messages import Digest
from tests.scheduler.conftest import LA, SHANGHAI, Post, Sim, run_passes, sent, utc
from tests.slack_stub import SlackStub

HOUR = timedelta(hours=1)

PHASES = (
    "Set up",
    "Integrate in sandbox",
    "Go live",
    "Conduct pilot testing",
    "Start your business",
)


def section(digest: Post, application: str) -> str:
    """The digest's section (one mrkdwn block) about one application."""
    blocks = [b["text"]["text"] for b in digest.blocks if b["type"] == "section"]
    (title_index,) = [i for i, text in enumerate(blocks) if text.startswith(f"*{application}*")]
    return blocks[title_index + 1]


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize(
    ("setter", "zone", "utc_hour"),
    [("UALICE", "America/Los_Angeles", 17), ("UMEI", "Asia/Shanghai", 1)],
)
async def test_daily_digest_runs_in_the_zone_of_whoever_set_it(
    sim: Sim, slack: SlackStub, setter: str, zone: str, utc_hour: int
) -> None:
    """`digest daily 09:00` set Wed 10:00 UTC by a LA / Shanghai user; hourly passes Wed 11:00 →
    Sat 11-28 00:00 UTC: one digest a day at 09:00 in the setter's zone (17:00 / 01:00 UTC)."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS")
    reply = await sim.command("digest daily 09:00", user=setter)
    assert reply.text == f"A digest is posted here every day at 09:00 {zone} time."

    results = await run_passes(sim, utc(2026, 11, 25, 11), utc(2026, 11, 28), HOUR)

    digests = sent(results, Digest.KIND)
    first_day = 25 if utc_hour == 17 else 26  # 01:00 UTC Wed had passed when it was set
    assert [(p.channel, p.at) for p in digests] == [
        ("CPAY", utc(2026, 11, day, utc_hour)) for day in range(first_day, 28)
    ]
    assert {p.text for p in digests} == {"Daily digest: 0 steps done across 1 application"}


async def test_weekly_digest_in_shanghai_posts_on_monday_morning_there(sim: Sim) -> None:
    """`digest tz Asia/Shanghai` then `digest weekly mon 09:00` on Wed; passes every 3 h Wed
    10:00 → Wed 12-09 10:00 UTC: digests Mon 11-30 and Mon 12-07 at 01:00 UTC (Sunday evening
    in Los Angeles), nothing else."""
    await sim.command("new Acme POS")
    await sim.command("digest tz Asia/Shanghai")
    reply = await sim.command("digest weekly mon 09:00")
    assert reply.text == "A digest is posted here every Monday at 09:00 Asia/Shanghai time."

    results = await run_passes(sim, utc(2026, 11, 25, 10), utc(2026, 12, 9, 10), 3 * HOUR)

    digests = sent(results, Digest.KIND)
    assert [(p.channel, p.at) for p in digests] == [
        ("CPAY", utc(2026, 11, 30, 1)),
        ("CPAY", utc(2026, 12, 7, 1)),
    ]
    assert [p.local(SHANGHAI).strftime("%a %H:%M") for p in digests] == ["Mon 09:00"] * 2
    assert {p.text for p in digests} == {"Weekly digest: 0 steps done across 1 application"}


async def test_a_schedule_set_after_todays_time_waits_for_the_next_occurrence(sim: Sim) -> None:
    """`digest daily 09:00` set Wed 18:00 UTC (10:00 LA, today's 09:00 passed); hourly passes
    Wed 18:00 → Fri 00:00 UTC: the first digest is Thu 17:00 UTC, none on Wednesday."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00", at=utc(2026, 11, 25, 18))

    results = await run_passes(sim, utc(2026, 11, 25, 18), utc(2026, 11, 27), HOUR)

    assert [p.at for p in sent(results, Digest.KIND)] == [utc(2026, 11, 26, 17)]


async def test_digest_reports_phases_done_since_last_with_who_waiting_with_owners_and_next(
    sim: Sim,
) -> None:
    """Wed: Acme POS and Beta Kiosk in #CPAY, daily 09:00 LA, Acme's 2.1 due 11-26. Thu 17:00 UTC
    digest; Thu 18:00 UBOB marks 1.1, UALICE 1.2 and assigns 1.3 to UBOB. Fri 17:00 UTC digest:
    Acme 2/19, 1.1 by UBOB and 1.2 by UALICE, 2.1 overdue (UALICE), next 1.3 (UBOB); Beta's
    untouched 1.1 stalled (UALICE)."""
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    # The schedule is the channel's, but with two applications here the command needs --app.
    reply = await sim.command("digest daily 09:00 --app acme-pos")
    assert reply.text.startswith("A digest is posted here every day")
    await sim.command("due 2.1 2026-11-26 --app acme-pos")
    thursday = await run_passes(sim, utc(2026, 11, 26, 17), utc(2026, 11, 26, 18), HOUR)
    (first,) = sent(thursday, Digest.KIND)
    assert "Done since" not in first.markdown and "Stalled" not in first.markdown

    sim.clock.now = utc(2026, 11, 26, 18)
    await sim.command("mark 1.1 --app acme-pos", user="UBOB")
    await sim.command("mark 1.2 --app acme-pos", user="UALICE")
    await sim.command("assign 1.3 <@UBOB|bob> --app acme-pos")
    friday = await run_passes(sim, utc(2026, 11, 26, 18), utc(2026, 11, 27, 18), HOUR)

    (digest,) = sent(friday, Digest.KIND)
    assert (digest.channel, digest.at) == ("CPAY", utc(2026, 11, 27, 17))
    assert digest.text == "Daily digest: 2 steps done across 2 applications"
    assert (digest.blocks[0]["type"], digest.blocks[0]["text"]["text"]) == (
        "header",
        "Daily digest",
    )
    titles = [b["text"]["text"] for b in digest.blocks if b["type"] == "section"][::2]
    assert titles == ["*Acme POS* · 2/19", "*Beta Kiosk* · 0/19"]

    acme = section(digest, "Acme POS")
    phase_lines = acme.splitlines()[:5]
    assert [line.split(" ", 2)[1:] for line in phase_lines] == [
        [count, title]
        for count, title in zip(("2/5", "0/5", "0/5", "0/3", "0/1"), PHASES, strict=True)
    ]
    assert lines_starting(acme, "*Done since") == [
        "*Done since the last digest:* 1.1 by <@UBOB>, 1.2 by <@UALICE>"
    ]
    assert lines_starting(acme, "*Stalled or overdue:*") == [
        "*Stalled or overdue:* 2.1 (overdue since 2026-11-26, <@UALICE>)"
    ]
    assert lines_starting(acme, "*Next:*") == ["*Next:* 1.3 Get sandbox client ID (<@UBOB>)"]

    beta = section(digest, "Beta Kiosk")
    assert lines_starting(beta, "*Done since") == []
    assert lines_starting(beta, "*Stalled or overdue:*") == [
        "*Stalled or overdue:* 1.1 (stalled, <@UALICE>)"
    ]
    assert lines_starting(beta, "*Next:*") == [
        "*Next:* 1.1 Sign up and log in to Alipay Global Partner Developer Center"
    ]


async def test_a_digest_missed_during_downtime_is_sent_once_at_the_next_pass(sim: Sim) -> None:
    """Daily 09:00 LA from Wed; passes Wed → Fri 00:00 UTC (digests Wed and Thu 17:00 UTC); then
    no pass for Fri, Sat, Sun; one pass Mon 11-30 12:00 UTC → exactly one digest (for Sun's
    occurrence); none at 12:30 or 16:00; Monday's own at 17:00 UTC."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    before = await run_passes(sim, utc(2026, 11, 25, 10), utc(2026, 11, 27), HOUR)
    assert [p.at for p in sent(before, Digest.KIND)] == [
        utc(2026, 11, 25, 17),
        utc(2026, 11, 26, 17),
    ]

    catch_up = await sim.run_pass(utc(2026, 11, 30, 12))
    again = await sim.run_pass(utc(2026, 11, 30, 12, 30))
    still = await sim.run_pass(utc(2026, 11, 30, 16))
    monday = await sim.run_pass(utc(2026, 11, 30, 17))

    assert [p.channel for p in catch_up.posts if p.kind == Digest.KIND] == ["CPAY"]
    assert [p.kind for p in again.posts + still.posts] == []
    assert [p.channel for p in monday.posts if p.kind == Digest.KIND] == ["CPAY"]
    keys = [m.dedupe_key for m in await sim.outbox() if m.kind == Digest.KIND]
    assert keys == [
        "digest:T0001:CPAY:2026-11-25T17:00:00+00:00",
        "digest:T0001:CPAY:2026-11-26T17:00:00+00:00",
        "digest:T0001:CPAY:2026-11-29T17:00:00+00:00",
        "digest:T0001:CPAY:2026-11-30T17:00:00+00:00",
    ]


async def test_digest_off_stops_digests(sim: Sim) -> None:
    """Daily 09:00 LA from Wed; hourly passes: digests Wed and Thu 17:00 UTC; `digest off` Thu
    20:00 UTC; hourly passes to Mon 11-30 00:00 UTC post no digest."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    before = await run_passes(sim, utc(2026, 11, 25, 10), utc(2026, 11, 26, 20), HOUR)
    assert [p.at for p in sent(before, Digest.KIND)] == [
        utc(2026, 11, 25, 17),
        utc(2026, 11, 26, 17),
    ]

    reply = await sim.command("digest off", at=utc(2026, 11, 26, 20))
    assert reply.text.startswith("No digest is scheduled for this channel")
    after = await run_passes(sim, utc(2026, 11, 26, 20), utc(2026, 11, 30), HOUR)

    assert sent(after, Digest.KIND) == []


async def test_the_digest_after_a_catch_up_does_not_repeat_what_the_catch_up_reported(
    sim: Sim,
) -> None:
    """Daily 09:00 LA; Thu 17:00 UTC digest; down until Mon; UBOB marks 1.1 Mon 11-30 10:00 UTC;
    catch-up digest Mon 12:00 UTC lists it; Monday's 17:00 UTC digest must not list it again."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    await sim.run_pass(utc(2026, 11, 26, 17))
    await sim.command("mark 1.1", user="UBOB", at=utc(2026, 11, 30, 10))

    catch_up = await sim.run_pass(utc(2026, 11, 30, 12))
    monday = await sim.run_pass(utc(2026, 11, 30, 17))

    (caught,) = [p for p in catch_up.posts if p.kind == Digest.KIND]
    assert lines_starting(section(caught, "Acme POS"), "*Done since") == [
        "*Done since the last digest:* 1.1 by <@UBOB>"
    ]
    (regular,) = [p for p in monday.posts if p.kind == Digest.KIND]
    assert lines_starting(section(regular, "Acme POS"), "*Done since") == []


async def test_a_step_that_just_became_active_is_not_reported_stalled(sim: Sim) -> None:
    """Created Wed; UALICE marks 1.1 Fri 11-27 16:00 UTC; the Fri 17:00 UTC digest must not call
    1.2 stalled (the reminders agree: no reminder about 1.2 until Tue)."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00", at=utc(2026, 11, 27, 12))
    await sim.command("mark 1.1", at=utc(2026, 11, 27, 16))

    friday = await sim.run_pass(utc(2026, 11, 27, 17))

    assert [p.kind for p in friday.posts] == [Digest.KIND]  # and no reminder about 1.2
    (digest,) = friday.posts
    assert lines_starting(section(digest, "Acme POS"), "*Stalled or overdue:*") == []


async def test_archiving_the_channels_only_application_stops_its_digest(sim: Sim) -> None:
    """Daily 09:00 LA from Wed; Acme POS (the channel's only application) archived Wed 12:00
    UTC; hourly passes Wed 12:00 → Sat 00:00 UTC: no digest."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    reply = await sim.command("archive", at=utc(2026, 11, 25, 12))
    assert "no more reminders or digests" in reply.text

    results = await run_passes(sim, utc(2026, 11, 25, 12), utc(2026, 11, 28), HOUR)

    assert [p.markdown for p in sent(results, Digest.KIND)] == []


def test_pacific_and_shanghai_nine_oclock_are_17_and_01_utc() -> None:
    """The zone arithmetic the timelines above rely on, for 2026-11-30 (no DST in either)."""
    assert utc(2026, 11, 30, 17).astimezone(LA).strftime("%a %H:%M") == "Mon 09:00"
    assert utc(2026, 11, 30, 1).astimezone(SHANGHAI).strftime("%a %H:%M") == "Mon 09:00"
