"""What follows a committed change, the same whichever surface asked for it.

`after_change` asks for a redraw of the checklist message the application itself recorded
(never a channel or message named by a payload) and of the App Home of everyone the change
touched, and sends at once the outbox messages this change queued (announcements, the DM to
a step's new assignee) once those surfaces show the change; the rest of the outbox waits for
the scheduler's pass. Redraws are coalesced (bot/coalescing.py): a burst of changes to one
application redraws each of its surfaces about once a second, each time with everything
committed by then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot import message_events
from bot.blocks.checklist import Fold
from bot.surfaces import Drawn, Surfaces
from bot.usecases.context import Followup

# Sends the outbox messages with these ids, if they are due.
Deliver = Callable[[Sequence[int]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class FollowUps:
    surfaces: Surfaces
    deliver: Deliver

    async def after_change(
        self,
        client: AsyncWebClient,
        followup: Followup,
        *,
        fold: Fold | None = None,
        homes: Sequence[str] = (),
    ) -> None:
        """`fold`: how to fold the redrawn message (as it was, when it was clicked);
        `homes`: more people whose Home to republish (the clicker, on a Home click)."""
        application = followup.application
        channel, ts = application.checklist_channel_id, application.checklist_ts
        drawn: list[Drawn] = []
        if followup.redraw_checklist and channel and ts:
            # After a mark the message tells other apps what was marked (its metadata).
            metadata = None
            if followup.marked and followup.marked_by and followup.marked_at:
                metadata = message_events.step_done(
                    application.slug, followup.marked, followup.marked_by, followup.marked_at
                )
            drawn.append(
                self.surfaces.redraw_message(
                    client, application.id, channel, ts, fold, metadata=metadata
                )
            )
        drawn += self.surfaces.redraw_homes(
            client, application.team_id, [*sorted(followup.homes), *homes]
        )
        if followup.queued:
            if drawn:
                # As before redraws were coalesced: an announcement or a DM about a step
                # never arrives before the checklist and the Homes say so.
                await asyncio.wait(drawn)
            await self.deliver(followup.queued)
