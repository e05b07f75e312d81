from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import create_engine, create_sessionmaker, upgrade


@pytest.fixture
async def sessions(tmp_path) -> AsyncIterator:
    """Sessions on a real, migrated SQLite file."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine, writes=True)
    finally:
        await engine.dispose()
