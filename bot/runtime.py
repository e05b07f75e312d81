"""What listeners and jobs share: the database, the Slack directory cache and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.application_lookup import ApplicationLookup
from bot.coalescing import Coalescer
from bot.crypto import Keyring
from bot.language_choices import LanguageChoices
from bot.monitoring.metrics import Metrics

if TYPE_CHECKING:
    from bot.installations import EncryptedInstallationStore
from bot.slack_directory import SlackDirectory
from storage.writes import WriteSessions


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """`sessions` for reading; `writes` for units of work that change something;
    `long_reads` for reads that take long (a scheduler pass over every application, an
    export): on SQLite these run in a worker thread (`threaded_engine`), so Slack's requests
    are answered meanwhile (storage/db.py)."""

    sessions: async_sessionmaker[AsyncSession]
    writes: WriteSessions
    long_reads: async_sessionmaker[AsyncSession]
    directory: SlackDirectory = field(default_factory=SlackDirectory)
    applications: ApplicationLookup = field(default_factory=ApplicationLookup)
    languages: LanguageChoices = field(default_factory=LanguageChoices)
    clock: Callable[[], datetime] = utc_now
    # Redraws of checklist messages and App Homes, coalesced per surface (bot/surfaces.py).
    redraws: Coalescer = field(default_factory=Coalescer)
    # Encrypts and decrypts stored credentials; set once the keys are checked at start.
    keyring: Keyring | None = None
    # How long an uninstalled workspace's data is kept (ONBOARD_RETENTION_DAYS).
    retention: timedelta = timedelta(days=30)
    # With OAuth: the installed workspaces' tokens (bot/installations.py).
    installations: EncryptedInstallationStore | None = None
    engine: AsyncEngine | None = None
    threaded_engine: AsyncEngine | None = None
    # Engines this runtime opened, disposed by close().
    owned_engines: list[AsyncEngine] = field(default_factory=list)
    # On SQLite, the shared lock that tells `onboard-bot restore` a bot uses the file
    # (bot/lifecycle/running.py); closed by close().
    running_lock: IO[bytes] | None = None
    # Prometheus metrics (bot/monitoring/); METRICS_ENABLED=false makes them no-ops.
    metrics: Metrics = field(default_factory=Metrics)
    # Since when this process runs scheduler passes (None: it runs none), for /readyz.
    passes_since: datetime | None = None
    _http: aiohttp.ClientSession | None = None

    def http_session(self) -> aiohttp.ClientSession:
        """The HTTP session for Slack's Web API; made on first use, inside the running loop."""
        if self._http is None:
            from bot.slack_client import count_calls  # it imports slack_sdk: only when needed

            self._http = aiohttp.ClientSession()
            count_calls(self._http, self.metrics)
        return self._http

    async def close(self) -> None:
        # The last redraws first, while Slack's HTTP session and the database are open: a
        # stop right after a burst of changes still shows their end.
        await self.redraws.flush()
        if self._http is not None:
            await self._http.close()
            self._http = None
        for engine in self.owned_engines:
            await engine.dispose()
        self.owned_engines.clear()
        if self.running_lock is not None:
            self.running_lock.close()
            self.running_lock = None
