"""Multi-workspace installs: Bolt's OAuth flow over slack_sdk's SQLAlchemy stores, on our
engine, with every token encrypted at rest; and a Web API client per workspace for work done
outside a request (scheduler passes)."""

from __future__ import annotations

import copy
import logging
from typing import TypeVar

import aiohttp
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.crypto import Keyring
from bot.delivery import ClientFor
from bot.slack_client import web_client
from storage.lifecycle import cancel_departure
from storage.models import ENCRYPTED_COLUMNS, SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

logger = logging.getLogger(__name__)

STATE_EXPIRATION_SECONDS = 600
# Fernet tokens always start so (version byte 0x80); Slack's tokens never do.
_SEALED_PREFIX = "gAAAAA"

Record = TypeVar("Record", Installation, Bot)


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, sealing tokens on the way in and opening them on the way out."""

    def __init__(self, *, client_id: str, engine: AsyncEngine, keyring: Keyring) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            installations_table_name=SLACK_INSTALLATIONS.name,
            bots_table_name=SLACK_BOTS.name,
        )
        self.keyring = keyring

    def _sealed(self, record: Record) -> Record:
        sealed = copy.copy(record)
        for name in ENCRYPTED_COLUMNS:
            value = getattr(sealed, name, None)
            # The parent's save() saves the bot too, from the already sealed installation.
            if value and not value.startswith(_SEALED_PREFIX):
                setattr(sealed, name, self.keyring.encrypt(value))
        return sealed

    def _opened(self, record: Record | None) -> Record | None:
        if record is None:
            return None
        for name in ENCRYPTED_COLUMNS:
            value = getattr(record, name, None)
            if value and value.startswith(_SEALED_PREFIX):
                setattr(record, name, self.keyring.decrypt(value))
        return record

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(self._sealed(installation))
        if installation.team_id:
            # Installed (again): a workspace that had left keeps its data after all.
            async with AsyncSession(self.engine) as session, session.begin():
                if await cancel_departure(session, installation.team_id):
                    logger.info(
                        "workspace %s installed the app again; its data is kept",
                        installation.team_id,
                    )

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._sealed(bot))

    async def async_find_bot(self, **kwargs) -> Bot | None:
        return self._opened(await super().async_find_bot(**kwargs))

    async def async_find_installation(self, **kwargs) -> Installation | None:
        return self._opened(await super().async_find_installation(**kwargs))

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Bolt calls this on `tokens_revoked` for bot tokens: the installation rows keep a
        copy of the bot token too, and Bolt authorizes from them, so clear it there as well."""
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        table = self.installations
        async with self.engine.begin() as connection:
            await connection.execute(
                table.update()
                .where(
                    table.c.client_id == self.client_id,
                    table.c.enterprise_id == enterprise_id,
                    table.c.team_id == team_id,
                )
                .values(bot_token=None, bot_refresh_token=None, bot_token_expires_at=None)
            )


def state_store(engine: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS,
        engine=engine,
        table_name=SLACK_OAUTH_STATES.name,
    )


def per_workspace(
    store: EncryptedInstallationStore, api_url: str, session: aiohttp.ClientSession
) -> ClientFor:
    """A client with each workspace's own bot token; None for a workspace not installed."""

    async def client_for(team_id: str) -> AsyncWebClient | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            logger.warning("no installation for team %s; its messages wait", team_id)
            return None
        return web_client(bot.bot_token, api_url, session)

    return client_for
