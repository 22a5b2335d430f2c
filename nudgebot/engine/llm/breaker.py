"""A circuit breaker: stop calling a model that keeps failing, then try it again later.

After ``threshold`` failures in a row the breaker opens and every call is refused at once for
``cooldown`` seconds, so users get the rules' review straight away instead of waiting out a
time budget on each request. Then one trial call is let through (half-open): success closes
the breaker, failure opens it for another cooldown. The clock is injected for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    """Counts consecutive failures and says whether the next call may go ahead."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or cooldown <= 0:
            raise ValueError("threshold must be at least 1 and cooldown above 0")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self.failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        """``closed`` (calls go ahead), ``open`` (calls refused) or ``half-open`` (one trial)."""
        if self._opened_at is None:
            return "closed"
        return "open" if self.seconds_left() > 0 else "half-open"

    def seconds_left(self) -> float:
        """Seconds until the open breaker lets a trial call through (0 when not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self._clock())

    def allow(self) -> bool:
        """Tell whether a call may go ahead now (a half-open breaker lets one through)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def success(self) -> None:
        """Record a call that worked: the breaker closes."""
        self.failures = 0
        self._opened_at = None
        self._trial_running = False

    def failure(self) -> None:
        """Record a call that failed; enough in a row (or a failed trial) open the breaker."""
        self.failures += 1
        if self._trial_running or self.failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial_running = False

    def release(self) -> None:
        """Record a call that ended without telling anything about the model's health."""
        self._trial_running = False
