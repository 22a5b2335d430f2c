"""A lock for one process's SQLite writers, where urgent writers go first.

SQLite has one writer at a time; the store's writers in one process take turns on an asyncio
lock instead of polling for SQLite's. Under a burst, hundreds of background writes (reviews
stored, nudges marked) wait in that line, and a write that answers Slack (recording a message
before its ack, which has 3 seconds) must not wait behind all of them: :class:`WriteLock`
hands the lock to waiting urgent writers before the others, each group in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

__all__ = ["WriteLock"]


class WriteLock:
    """An asyncio lock with two lines: urgent waiters are served before the others."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def locked(self) -> bool:
        """Whether someone holds the lock."""
        return self._held

    @contextlib.asynccontextmanager
    async def hold(self, urgent: bool = False) -> AsyncIterator[None]:
        """Hold the lock for the ``async with`` block (``urgent``: ahead of the others)."""
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line = self._urgent if urgent else self._normal
        line.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed over just as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    line.remove(waiter)
            raise

    def _release(self) -> None:
        """Hand the lock to the next waiter (urgent first), or free it."""
        for line in (self._urgent, self._normal):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # still held: it is theirs now
                    return
        self._held = False
