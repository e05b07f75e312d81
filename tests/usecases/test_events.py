"""bot/usecases/events.py: each Events API delivery is handled once, however often Slack
retries it; the claim is a row in the shared database, so it holds across replicas."""

from __future__ import annotations

from sqlalchemy import select

from bot.server import open_runtime
from bot.usecases.events import first_delivery
from storage.models import HandledEvent
from tests.conftest import FakeClock
from tests.harness import TEAM_ID, RunningApp


async def _handled(app: RunningApp) -> list[tuple[str, str, object]]:
    async with app.runtime.sessions() as session:
        rows = await session.scalars(select(HandledEvent).order_by(HandledEvent.event_id))
        return [(r.event_id, r.team_id, r.received_at) for r in rows]


async def test_the_first_delivery_is_claimed_and_a_retry_is_not(
    app: RunningApp, clock: FakeClock
) -> None:
    """A retry minutes later finds the claim and leaves it as the first delivery wrote it."""
    first_seen = clock.now
    assert await first_delivery(app.runtime, "Ev0001", TEAM_ID) is True
    clock.advance(minutes=3)
    assert await first_delivery(app.runtime, "Ev0001", TEAM_ID) is False
    assert await first_delivery(app.runtime, "Ev0001", TEAM_ID) is False
    assert await _handled(app) == [("Ev0001", TEAM_ID, first_seen)]


async def test_different_events_are_each_handled(app: RunningApp) -> None:
    assert await first_delivery(app.runtime, "Ev0001", TEAM_ID) is True
    assert await first_delivery(app.runtime, "Ev0002", TEAM_ID) is True
    assert await first_delivery(app.runtime, "Ev0003", "T0OTHER") is True
    assert [event_id for event_id, *_ in await _handled(app)] == ["Ev0001", "Ev0002", "Ev0003"]


async def test_a_replica_sharing_the_database_sees_the_claim(app: RunningApp) -> None:
    """A second runtime on the same database file (another replica) treats the event as a
    retry: the claim is in the database, not in the process."""
    assert await first_delivery(app.runtime, "Ev0001", TEAM_ID) is True
    other = await open_runtime(app.settings)
    try:
        assert await first_delivery(other, "Ev0001", TEAM_ID) is False
        assert await first_delivery(other, "Ev0002", TEAM_ID) is True
    finally:
        await other.close()
    assert await first_delivery(app.runtime, "Ev0002", TEAM_ID) is False
