"""Slack's Events API retries: each event is handled once, in whichever replica sees it first."""

from __future__ import annotations

from bot.runtime import Runtime
from storage import repositories as repo


async def first_delivery(runtime: Runtime, event_id: str, team_id: str) -> bool:
    """True for the first delivery of `event_id` recorded by any replica; False for a retry."""
    async with runtime.writes.begin() as session:
        return await repo.claim_event(session, event_id, team_id, runtime.clock())
