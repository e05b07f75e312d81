from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import create_engine, create_sessionmaker, upgrade


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator:
    """Sessions on a real, migrated database: a SQLite file, and PostgreSQL where set up."""
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine, writes=True)
    finally:
        await engine.dispose()
