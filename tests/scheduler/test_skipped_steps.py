"""Skipped steps over simulated days: never reminded (stalled or overdue), never escalated, the
next step becomes active from the skip, and digests show them as skipped, with the reason.

The clock starts on Wednesday 2026-11-25 at 10:00 UTC (02:00 in Los Angeles, where UALICE
lives). With the defaults an untouched step 1.1 is first reminded on Friday 2026-11-27 at
09:00 LA = 17:00 UTC (see test_reminders.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.outbox_messages import Digest, Escalation, Reminder
from tests.scheduler.conftest import Post, Sim, run_passes, sent, utc

HOUR = timedelta(hours=1)
REASON = "we only integrate QR, not NFC"


def about(posts: list[Post], step: str) -> list[Post]:
    """The posts that name step `step` (as *1.2* in the blocks, or "Step 1.2" in the text)."""
    return [p for p in posts if f"*{step}*" in p.markdown or f"Step {step} " in p.text]


async def test_a_skipped_step_is_never_reminded_and_the_next_one_waits_from_the_skip(
    sim: Sim,
) -> None:
    """1.1 skipped Thu 11-26 10:00 UTC; 2.3 due Thu and skipped too. Hourly passes Fri 11-27
    00:00 → Thu 12-03 00:00 UTC: nothing about 1.1 or 2.3 (1.1 alone would be reminded from
    Fri, 2.3 as overdue); 1.2 becomes active at the skip and is reminded once it has waited 2
    working days from it, Mon 11-30 09:00 LA, then daily, and escalated after the third."""
    await sim.command("new Acme POS")
    await sim.command("due 2.3 2026-11-26")
    await sim.command(f'skip 1.1 "{REASON}"', at=utc(2026, 11, 26, 10))
    await sim.command("skip 2.3 sandbox tests are not needed for QR")

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 3), HOUR)

    reminders = sent(results, Reminder.KIND)
    assert about(reminders, "1.1") == [] and about(reminders, "2.3") == []
    assert [(p.channel, p.at) for p in about(reminders, "1.2")] == [
        ("UALICE", utc(2026, 11, 30, 17)),
        ("UALICE", utc(2026, 12, 1, 17)),
        ("UALICE", utc(2026, 12, 2, 17)),
    ]
    assert "since 2026-11-26" in about(reminders, "1.2")[0].markdown
    escalations = sent(results, Escalation.KIND)
    assert about(escalations, "1.1") == [] and about(escalations, "2.3") == []
    assert [p.at for p in about(escalations, "1.2")] == [utc(2026, 12, 2, 18)]


async def test_an_unskipped_step_is_reminded_again(sim: Sim) -> None:
    """1.1 skipped at creation (Wed), unskipped Mon 11-30 10:00 UTC: it waits afresh from the
    unskip and is reminded Wed 12-02 09:00 LA; 1.2 (active while 1.1 was skipped) is reminded
    from Fri, and stays reminded: 1.1 was skipped over, so 1.2 is no longer "later"."""
    await sim.command("new Acme POS")
    await sim.command(f"skip 1.1 {REASON}")
    await sim.command("unskip 1.1", at=utc(2026, 11, 30, 10))

    results = await run_passes(sim, utc(2026, 11, 30, 11), utc(2026, 12, 3), HOUR)

    assert [p.at for p in about(sent(results, Reminder.KIND), "1.1")] == [utc(2026, 12, 2, 17)]


async def test_the_digest_counts_a_skipped_step_as_complete_and_says_why(sim: Sim) -> None:
    """`digest daily 09:00` (LA) set Wed; 1.1 marked and 4.2 skipped with a reason that tries
    to mention the channel; the digest Wed 17:00 UTC shows 2/19 (1 skipped), phase 4 at 1/3,
    and the skip by whom and why, escaped."""
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    await sim.command("mark 1.1", at=utc(2026, 11, 25, 12))
    await sim.command('skip 4.2 "no NFC <!channel> & no cards"', user="UBOB")

    (digest,) = sent([await sim.run_pass(utc(2026, 11, 25, 17))], Digest.KIND)

    assert "2/19 (1 skipped)" in digest.markdown
    assert "1/3 (1 skipped) Conduct pilot testing" in digest.markdown
    assert "*Skipped since the last digest:* 4.2 by <@UBOB>" in digest.markdown
    assert "no NFC &lt;!channel&gt; &amp; no cards" in digest.markdown
    assert "<!channel>" not in digest.markdown
    assert "4.2" not in digest.markdown.split("*Next:*")[1]
    assert digest.text == "Daily digest: 1 step done across 1 application"
