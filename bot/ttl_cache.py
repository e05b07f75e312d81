"""A small async cache whose entries expire after a fixed time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class TtlCache(Generic[K, V]):
    ttl: float
    clock: Callable[[], float] = time.monotonic
    _entries: dict[K, tuple[float, V]] = field(default_factory=dict)

    async def get(
        self, key: K, load: Callable[[], Awaitable[V]], keep: Callable[[V], bool] = lambda _: True
    ) -> V:
        entry = self._entries.get(key)
        now = self.clock()
        if entry is not None and entry[0] > now:
            return entry[1]
        value = await load()
        if keep(value):
            self._entries[key] = (now + self.ttl, value)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
