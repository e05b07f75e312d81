"""The weekly digest's burn-up: the channel's steps complete, a point a week for 8 weeks,
against its steps, as a line chart in the digest message; worked out for every weekly digest
of a pass in the same two statements.

The clock starts on Wednesday 2026-11-25 at 10:00 UTC; UALICE is in Los Angeles, so a digest
`weekly mon 09:00` goes out Mondays at 17:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from bot.analytics.channel_burn_up import channel_burn_ups
from bot.analytics.queries import burn_up
from bot.outbox_messages import Digest
from bot.services import digests
from tests.blocks.slack_limits import check_message
from tests.scheduler.conftest import Post, Sim, run_passes, sent, utc

HOUR = timedelta(hours=1)
STEPS = 19  # of the Alipay in-store template


def chart(post: Post) -> dict[str, Any]:
    [found] = [b for b in post.blocks if b["type"] == "data_visualization"]
    return found


def series(found: dict[str, Any]) -> dict[str, list[float]]:
    return {s["name"]: [p["value"] for p in s["data"]] for s in found["chart"]["series"]}


async def test_the_weekly_digest_draws_the_channels_burn_up(sim: Sim) -> None:
    """Acme POS (Wed 11-25) and Beta Kiosk (Fri 11-27) in #CPAY. By Monday 11-30: Acme's 1.1
    and 1.2 done, 1.3 done then undone, Beta's 1.1 skipped. By Monday 12-07: Acme's phase 1
    (five steps) done. Points at the end of each Monday, the earliest before either existed."""
    await sim.command("new Acme POS")
    await sim.command("digest weekly mon 09:00")
    await sim.command("mark 1.1 1.2 1.3 --app acme-pos", at=utc(2026, 11, 26, 18))
    await sim.command("unmark 1.3 --app acme-pos")
    await sim.command("new Beta Kiosk --another", at=utc(2026, 11, 27, 18))
    await sim.command('skip 1.1 "done by the agency" --app beta-kiosk')

    first = await run_passes(sim, utc(2026, 11, 30, 16), utc(2026, 11, 30, 18), HOUR)
    [monday] = sent(first, Digest.KIND)
    await sim.command("mark 1 --app acme-pos", at=utc(2026, 12, 2, 18))
    second = await run_passes(sim, utc(2026, 12, 7, 16), utc(2026, 12, 7, 18), HOUR)
    [next_monday] = sent(second, Digest.KIND)

    for post in (monday, next_monday):
        check_message(post.text, post.blocks)
        assert post.blocks[1]["type"] == "data_visualization"  # right under the header
        assert chart(post)["chart"]["type"] == "line"
    assert chart(monday)["chart"]["axis_config"]["categories"][-2:] == ["Nov 23", "Nov 30"]
    assert series(chart(monday)) == {
        "Complete": [0] * 7 + [3],  # Acme's 1.1 and 1.2, Beta's skipped 1.1
        "Total": [0] * 7 + [2 * STEPS],
    }
    assert series(chart(next_monday)) == {
        "Complete": [0] * 6 + [3, 6],  # Acme's five, Beta's skip
        "Total": [0] * 6 + [2 * STEPS] * 2,
    }


async def test_a_daily_digest_has_no_burn_up(sim: Sim) -> None:
    await sim.command("new Acme POS")
    await sim.command("digest daily 09:00")
    [daily] = sent(await run_passes(sim, utc(2026, 11, 25, 16), utc(2026, 11, 25, 18), HOUR))
    assert daily.kind == Digest.KIND
    assert [b["type"] for b in daily.blocks if b["type"] == "data_visualization"] == []


async def test_every_weekly_channel_in_the_same_two_statements(sim: Sim) -> None:
    """Ten channels with a weekly digest due at once: `prepare` asks for all their burn-ups
    together; the burn-up statements are two however many channels there are."""
    for i in range(10):
        channel = f"CWEEK{i}"
        sim.slack.channel_members[channel] = ["UALICE", "UBOT"]
        await sim.command(f"new App {i}", channel=channel)
        await sim.command("digest weekly mon 09:00", channel=channel)
        if i % 2:
            await sim.command("mark 1.1", channel=channel)

    engine = sim.app.runtime.engine
    assert engine is not None
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    now = utc(2026, 11, 30, 17, 30)
    for channels in (3, 10):
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with sim.app.runtime.sessions() as session:
                burn_ups = await channel_burn_ups(
                    session, [("T0001", f"CWEEK{i}") for i in range(channels)], now
                )
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len(statements) == 2 and len(burn_ups) == channels

    async with sim.app.runtime.sessions() as session:
        prepared = await digests.prepare(session, now)
        # Steps complete as the burn-up of its one application says (bot/analytics/queries.py);
        # the total counts an application's steps from the week it was created.
        for p in prepared:
            assert p.message is not None
            channel = p.message.target
            application_id = await sim.application_id(f"app-{channel[-1]}")
            alone = await burn_up(session, application_id, now)
            points = Digest.from_payload(p.message.payload).burn_up
            assert [x.complete for x in points] == [x.complete for x in alone.points]
            assert [x.total for x in points] == [0] * 7 + [STEPS]
            assert points[-1].complete == (1 if int(channel[-1]) % 2 else 0)
    assert len(prepared) == 10
