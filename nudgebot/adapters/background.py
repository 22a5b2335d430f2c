"""Work that runs after the platform got its answer: bounded, logged, never silent.

Slack wants an ack within 3 seconds and Teams an answer to its POST, so the adapters answer
first and hand the slow part (a review, a model call, posting) to :class:`Background`, which
runs it as an asyncio task. A piece of work that fails is logged (the exception type and
traceback, never its message, which could quote a draft) and its user gets a short error
message instead of silence.

At most ``limit`` pieces of work run at once. Past that the process is overloaded and more
work would only make every answer later, so new work is shed: logged, counted (in
:attr:`Background.shed` and the ``nudgebot_work_shed_total`` metric), and its user, if any,
told to try again. Nothing is dropped silently. A caller may also decide to shed by itself
(:attr:`Background.full`, :meth:`Background.note_shed`): the Slack live path records such a
message as not reviewed, and tells nobody (its agent asked for nothing).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from nudgebot.engine import DraftError
from nudgebot.metrics import METRICS

__all__ = ["MAX_PENDING", "Background"]

MAX_PENDING = 2_000
"""Work allowed to run at once; past it, new work is shed (logged and counted), not queued."""

M = TypeVar("M")
"""A platform's message payload (Slack: a ``dict``; Teams: a ``Reply``)."""


class Background(Generic[M]):
    """The asyncio tasks running work after an answer; :meth:`join` waits for them.

    ``busy`` and ``failed`` are the messages a user gets when their work is shed or fails;
    ``user_error`` turns a :class:`~nudgebot.engine.DraftError` (an empty or oversized draft)
    into a message of its own (without it, such an error is a failure like any other).
    """

    def __init__(
        self,
        *,
        platform: str,
        busy: M,
        failed: M,
        user_error: Callable[[str], M] | None = None,
        limit: int = MAX_PENDING,
        logger: logging.Logger | None = None,
    ) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.platform = platform
        self.busy = busy
        self.failed = failed
        self.user_error = user_error
        self.limit = limit
        self.shed = 0
        self.logger = logger or logging.getLogger(f"nudgebot.{platform}")

    @property
    def pending(self) -> int:
        """How many pieces of work are still running."""
        return len(self._tasks)

    @property
    def full(self) -> bool:
        """Whether new work would be shed now."""
        return len(self._tasks) >= self.limit

    def note_shed(self, what: str) -> None:
        """Count and log work shed by its caller (who decided before handing it over)."""
        self.shed += 1
        METRICS.work_shed(self.platform)
        self.logger.warning("overloaded: shed %s (%d shed so far)", what, self.shed)

    def spawn(
        self,
        work: Awaitable[object],
        *,
        what: str,
        notify: Callable[[M], Awaitable[object]] | None = None,
        force: bool = False,
    ) -> bool:
        """Run ``work`` in the background; on failure, log it and ``notify`` the user.

        Returns False when the work was shed instead. ``force`` runs it even past the limit:
        for work whose caller checked :attr:`full` a moment before and recorded it as
        accepted (the live path, where a few listeners may pass the check together).
        """
        if len(self._tasks) >= self.limit and not force:
            self.note_shed(what)
            if asyncio.iscoroutine(work):
                work.close()  # never started: no "never awaited" warning
            if notify is not None:
                self._track(self._tell(notify, self.busy, what))
            return False
        self._track(self._guarded(work, what, notify))
        return True

    def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until no work is running (or ``timeout`` seconds); True when all is done."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=left)
        return True

    async def cancel(self, timeout: float = 5.0) -> int:
        """Cancel the work still running, wait (a while) for it to stop; return how much.

        For shutdown, once :meth:`join` ran out of time: each piece stops where it is, before
        the database closes under it. A nudge not posted yet stays recorded as not sent, and
        no write is left half-done (each is a transaction of its own).
        """
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        return len(tasks)

    async def _guarded(
        self,
        work: Awaitable[object],
        what: str,
        notify: Callable[[M], Awaitable[object]] | None,
    ) -> None:
        try:
            await work
        except DraftError as error:
            if self.user_error is None:
                self._log_failure(what, error)
                await self._tell(notify, self.failed, what)
            else:
                await self._tell(notify, self.user_error(str(error)), what)
        except Exception as error:
            self._log_failure(what, error)
            await self._tell(notify, self.failed, what)

    def _log_failure(self, what: str, error: Exception) -> None:
        # The traceback without the exception's own words, which could quote a message.
        trace = "".join(traceback.format_tb(error.__traceback__))
        self.logger.error("%s failed (%s)\n%s", what, type(error).__name__, trace.rstrip())

    async def _tell(
        self, notify: Callable[[M], Awaitable[object]] | None, message: M, what: str
    ) -> None:
        """Send the message, if there is anyone to send it to; never raise."""
        if notify is None:
            return
        try:
            await notify(message)
        except Exception as error:
            self.logger.error("could not report the failure of %s (%s)", what, type(error).__name__)
