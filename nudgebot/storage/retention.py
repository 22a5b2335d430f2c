"""Keeping message text only as long as ``NUDGEBOT_RETENTION_DAYS`` says.

:class:`RetentionJob` runs beside a serving app and calls :meth:`Store.purge` at start-up and
then every few hours, so the words of replies older than the retention period go (their scores
stay for reports). ``nudgebot purge`` does the same once, from the command line; with
``--user`` it forgets one person (:meth:`Store.forget`). Several instances running the job at
once is harmless: purging is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nudgebot.storage.store import StorageError, Store

__all__ = ["PURGE_INTERVAL", "RetentionJob"]

logger = logging.getLogger(__name__)

PURGE_INTERVAL = 6 * 3600.0
"""Seconds between purges while serving."""


class RetentionJob:
    """Purge expired message text now and every ``interval`` seconds (a service).

    ``open_store`` returns the open store (the app's); ``sleep`` defaults to
    :func:`asyncio.sleep` (tests pass their own). A purge that fails is logged and tried
    again at the next interval.
    """

    def __init__(
        self,
        open_store: Callable[[], Awaitable[Store]],
        retention_days: int,
        *,
        interval: float = PURGE_INTERVAL,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.open_store = open_store
        self.retention_days = retention_days
        self.interval = interval
        self.sleep = sleep
        self.purged = 0
        """Reviews whose words were dropped since start-up."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start purging in the background."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop purging (a purge under way is rolled back by the database)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> int:
        """Purge now; return how many reviews lost their words (0 after a logged failure)."""
        try:
            store = await self.open_store()
            changed = await store.purge(retention_days=self.retention_days)
        except StorageError as error:  # its message names no password
            logger.warning("retention purge failed, will retry: %s", error)
            return 0
        except Exception as error:
            logger.warning("retention purge failed, will retry (%s)", type(error).__name__)
            return 0
        self.purged += changed
        if changed:
            logger.info(
                "retention: dropped the words of %d review(s) older than %d days",
                changed,
                self.retention_days,
            )
        return changed

    async def _run(self) -> None:
        while True:
            await self.run_once()
            await self.sleep(self.interval)
