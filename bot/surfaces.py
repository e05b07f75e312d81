"""Slack surfaces rebuilt from the database: checklist messages and App Home tabs.

Nothing here patches a surface: each update reloads the application and rebuilds the whole
view, so two people clicking at once both end up seeing both changes. `redraw_message` and
`redraw_home` go through the runtime's `Coalescer` (bot/coalescing.py): redraws of one
surface asked for in the same moment become one, at most one is in flight, and the last one
starts after every change before it was committed, so it shows them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.analytics import queries
from bot.blocks.checklist import Fold, checklist_blocks, checklist_fallback_text
from bot.blocks.home import AssignedStep, home_view
from bot.blocks.portfolio import portfolio_blocks
from bot.i18n import language_of, translator
from bot.runtime import Runtime
from bot.services import languages
from bot.services.checklist import load_checklist
from bot.services.progress import Checklist
from storage import repositories as repo

logger = logging.getLogger(__name__)

HOME_APPLICATION_LIMIT = 40
# Home shows a portfolio section to a person in this many applications (owner or assignee).
PORTFOLIO_FROM = 3

# Done once the surface shows what was committed before it was asked for (bot/coalescing.py).
Drawn = asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class RenderedChecklist:
    text: str
    blocks: list


@dataclass(frozen=True, slots=True)
class Surfaces:
    runtime: Runtime

    def redraw_message(
        self,
        client: AsyncWebClient,
        application_id: int,
        channel_id: str,
        ts: str,
        fold: Fold | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Drawn:
        """Update a checklist message soon (`update_message`), folded as the latest request
        asked: the one a redraw of it at once would have shown last. Its `metadata` too: of
        several marks redrawn as one, the message names the last (bot/message_events.py)."""

        async def redraw() -> None:
            await self.update_message(client, application_id, channel_id, ts, fold, metadata)

        return self.runtime.redraws.request(("message", channel_id, ts), redraw)

    def redraw_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> Drawn:
        """Publish a person's App Home soon (`publish_home`)."""

        async def redraw() -> None:
            await self.publish_home(client, team_id, user_id)

        return self.runtime.redraws.request(("home", team_id, user_id), redraw)

    def redraw_homes(
        self, client: AsyncWebClient, team_id: str, user_ids: Iterable[str | None]
    ) -> list[Drawn]:
        # Each once, in order.
        return [
            self.redraw_home(client, team_id, u) for u in dict.fromkeys(u for u in user_ids if u)
        ]

    async def render_checklist(
        self, application_id: int, fold: Fold | None = None
    ) -> RenderedChecklist | None:
        async with self.runtime.sessions() as session:
            application = await repo.application_by_id(session, application_id)
            if application is None:
                return None
            checklist = await load_checklist(session, application)
            t = translator(
                await languages.channel_language(
                    session, application.team_id, application.channel_id
                )
            )
        today = self.runtime.clock().date()
        return RenderedChecklist(
            checklist_fallback_text(checklist, t), checklist_blocks(checklist, today, fold, t=t)
        )

    async def update_message(
        self,
        client: AsyncWebClient,
        application_id: int,
        channel_id: str,
        ts: str,
        fold: Fold | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> bool:
        """Rebuild and replace a checklist message now; False when the application is gone.
        Changes ask for `redraw_message`, which coalesces and never runs two at once.
        `metadata`: Slack message metadata the message carries from now on (what changed)."""
        rendered = await self.render_checklist(application_id, fold)
        if rendered is None:
            return False
        try:
            await client.chat_update(
                channel=channel_id,
                ts=ts,
                text=rendered.text,
                blocks=rendered.blocks,
                metadata=metadata,
            )
        except SlackApiError as e:
            logger.warning("checklist %s/%s not updated: %s", channel_id, ts, e.response["error"])
        return True

    async def publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        """Publish the person's App Home now, in their language (their choice, else their
        Slack's), with a portfolio section when they own or have steps in PORTFOLIO_FROM
        applications or more. Changes and Home openings ask for `redraw_home`, which
        coalesces."""
        channels = await self.runtime.directory.channels_of(client, team_id, user_id)
        async with self.runtime.sessions() as session:
            assigned_rows = await repo.open_steps_assigned_to(session, team_id, user_id)
            in_channels = await repo.active_applications(session, team_id, channels)
            chosen = await languages.chosen_by_person(session, team_id, user_id)
            portfolio = await queries.portfolio(session, team_id, user_id, self.runtime.clock())
            applications = {a.id: a for a, _ in assigned_rows}
            applications.update((a.id, a) for a in in_channels[:HOME_APPLICATION_LIMIT])
            checklists: dict[int, Checklist] = {
                application_id: await load_checklist(session, application)
                for application_id, application in applications.items()
            }
        assigned = [
            AssignedStep(checklists[a.id], checklists[a.id].step(state.step))
            for a, state in assigned_rows
        ]
        mine = [checklists[a.id] for a in in_channels[:HOME_APPLICATION_LIMIT]]
        if chosen is None:  # their Slack's, cached with their time zone
            person = await self.runtime.directory.person(client, team_id, user_id)
            chosen = language_of(person.locale if person is not None else None)
        t = translator(chosen)
        shown = portfolio_blocks(portfolio, t) if len(portfolio) >= PORTFOLIO_FROM else []
        view = home_view(assigned, mine, self.runtime.clock().date(), t, portfolio=shown)
        try:
            await client.views_publish(user_id=user_id, view=view)
        except SlackApiError as e:
            logger.warning("home of %s not published: %s", user_id, e.response["error"])
