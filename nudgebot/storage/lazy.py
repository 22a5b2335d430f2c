"""A database opened on first use and shared by everything in one process.

``nudgebot serve`` may run Slack and Teams side by side: both use one :class:`Database`, so
one connection pool, one migration check at start-up, and one close at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from nudgebot.storage.records import utcnow
from nudgebot.storage.store import Store

__all__ = ["Database"]


class Database:
    """Opens ``url`` (creating or upgrading its schema) the first time :meth:`open` is awaited.

    Given an open ``store`` instead, it hands that out and leaves closing it to its owner.
    """

    def __init__(
        self,
        url: str = "sqlite://",
        *,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.url = url
        self.clock = clock
        self._store = store
        self._owned = store is None
        self._opening = asyncio.Lock()

    async def open(self) -> Store:
        """Return the store, opening it the first time."""
        if self._store is not None:
            return self._store
        async with self._opening:
            if self._store is None:
                self._store = await Store.open(self.url, clock=self.clock)
        return self._store

    async def ready(self) -> str | None:
        """None when the database answers now, else a sentence saying it does not (``/readyz``)."""
        from nudgebot.storage.store import StorageError

        try:
            await (await self.open()).ping()
        except StorageError as error:
            return f"the database is unavailable ({type(error).__name__})"
        return None

    async def close(self) -> None:
        """Close the store if this opened it (it opens again on the next :meth:`open`)."""
        store, self._store = self._store, None
        if store is not None and self._owned:
            await store.close()
