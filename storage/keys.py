"""Re-encrypting every stored secret with the newest key (`onboard-bot keys rotate`)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Credential, KeyCheck


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
    return count
