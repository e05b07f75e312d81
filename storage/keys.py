"""Re-encrypting every stored secret with the newest key (`onboard-bot keys rotate`)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ENCRYPTED_COLUMNS, SLACK_BOTS, SLACK_INSTALLATIONS, Credential, KeyCheck


class Rotator(Protocol):
    def rotate(self, token: str) -> str: ...


async def rotate_all(session: AsyncSession, keyring: Rotator) -> int:
    """Rotate every encrypted column in one transaction; returns how many were."""
    count = 0
    for row in await session.scalars(select(Credential)):
        row.ciphertext = keyring.rotate(row.ciphertext)
        count += 1
    for check in await session.scalars(select(KeyCheck)):
        check.ciphertext = keyring.rotate(check.ciphertext)
    # OAuth installations' tokens (bot/installations.py seals them).
    for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
        columns = [table.c[name] for name in ENCRYPTED_COLUMNS if name in table.c]
        for row in (await session.execute(select(table.c.id, *columns))).all():
            sealed = {c.name: getattr(row, c.name) for c in columns if getattr(row, c.name)}
            if sealed:
                rotated = {name: keyring.rotate(value) for name, value in sealed.items()}
                await session.execute(update(table).where(table.c.id == row.id).values(**rotated))
                count += len(rotated)
    return count
