"""A reminder DM past Slack's block limit: the steps it leaves out lead the next day's DM.

Before, the DM listed the same first steps every day (oldest application first, checklist
order) and "…and N more" left the same ones out for good: never reminded, never escalated.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.outbox_messages import Reminders, decode
from storage.models import OutboxStep
from tests.scheduler.conftest import Sim, utc

FRIDAY = utc(2026, 11, 27, 17)  # 9:00 in Los Angeles


def listed(payload: dict) -> set[tuple[str, str]]:
    message = decode(Reminders.KIND, payload)
    assert isinstance(message, Reminders)
    return {(a.slug, s.step) for a in message.applications for s in a.steps}


async def test_steps_left_out_of_a_full_dm_come_first_the_next_day(sim: Sim) -> None:
    """120 stalled steps of UALICE's (seven applications with 4.3 marked first, one untouched);
    one DM each working day from Friday 2026-11-27: Monday's lists only steps Friday's left
    out, and within six working days every one of the 120 was listed and recorded as reminded
    (before: the same 23 every day, 97 never)."""
    for n in range(7):
        await sim.command(f"new Shop {n} --another")
        await sim.command(f"mark 4.3 --app shop-{n}")
    await sim.command("new Kiosk --another")

    days = [FRIDAY + timedelta(days=d) for d in (0, 3, 4, 5, 6, 7)]  # Fri, Mon … Fri
    for day in days:
        result = await sim.run_pass(day)
        assert [p.channel for p in result.posts] == ["UALICE"]

    rows = await sim.outbox()
    shown = [listed(row.payload) for row in rows]
    assert len(shown) == 6
    assert all(20 <= len(s) < 120 for s in shown)
    assert not shown[0] & shown[1]  # Monday: only what Friday left out
    assert len(set().union(*shown)) == 120
    async with sim.app.runtime.sessions() as session:
        recorded = set(await session.execute(select(OutboxStep.application_id, OutboxStep.step)))
    assert len(recorded) == 120
