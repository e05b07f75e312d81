"""A workspace leaves (`app_uninstalled`) and may come back (a new install).

Its tokens go at once (Bolt's listener, called by bot/listeners/events/departures.py); its
data stays ONBOARD_RETENTION_DAYS, then a scheduler pass deletes it (storage/lifecycle.py
`purge_departed`). Installing again within that time cancels the deletion.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.runtime import Runtime
from storage import lifecycle

logger = logging.getLogger(__name__)


async def workspace_left(runtime: Runtime, team_id: str) -> None:
    """Record that `team_id` uninstalled the app; with no retention, delete its data now."""
    now = runtime.clock()
    async with runtime.writes.begin() as session:
        departed = await lifecycle.record_departure(session, team_id, now)
        if runtime.retention <= timedelta(0):
            deleted = await lifecycle.purge_team(session, team_id)
            logger.info(
                "workspace %s uninstalled the app; its data was deleted (%d rows)",
                team_id,
                sum(deleted.values()),
            )
            return
    logger.info(
        "workspace %s uninstalled the app; its data is deleted after %s unless it installs "
        "the app again",
        team_id,
        (departed + runtime.retention).date().isoformat(),
    )


async def workspace_back(runtime: Runtime, team_id: str) -> None:
    """`team_id` has the app installed: if it had left, its data is no longer to be deleted."""
    async with runtime.writes.begin() as session:
        if await lifecycle.cancel_departure(session, team_id):
            logger.info("workspace %s installed the app again; its data is kept", team_id)
