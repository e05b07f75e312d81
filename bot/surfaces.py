"""Slack surfaces rebuilt from the database: checklist messages and App Home tabs.

Nothing here patches a surface: each update reloads the application and rebuilds the whole
view, so two people clicking at once both end up seeing both changes. Updates of one message
are serialized, so the last update sent is built after every change before it was committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class RenderedChecklist:
    text: str
    blocks: list


@dataclass
class Surfaces:
    runtime: Runtime
    _message_locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

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
    ) -> bool:
        """Rebuild and replace a checklist message; False when the application is gone."""
        lock = self._message_locks.setdefault((channel_id, ts), asyncio.Lock())
        async with lock:
            rendered = await self.render_checklist(application_id, fold)
            if rendered is None:
                return False
            try:
                await client.chat_update(
                    channel=channel_id, ts=ts, text=rendered.text, blocks=rendered.blocks
                )
            except SlackApiError as e:
                logger.warning(
                    "checklist %s/%s not updated: %s", channel_id, ts, e.response["error"]
                )
            return True

    async def publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        """The person's App Home, in their language (their choice, else their Slack's), with
        a portfolio section when they own or have steps in PORTFOLIO_FROM applications or more."""
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

    async def publish_homes(
        self, client: AsyncWebClient, team_id: str, user_ids: Iterable[str | None]
    ) -> None:
        for user_id in dict.fromkeys(u for u in user_ids if u):  # each once, in order
            await self.publish_home(client, team_id, user_id)
