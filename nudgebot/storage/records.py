"""Small records the store hands out besides :class:`~nudgebot.models.StoredReview`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["TipSubscription", "UserSettings", "utcnow"]

_LOCAL_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC: the store's default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class UserSettings:
    """One agent's nudge settings (the defaults when the agent never changed any)."""

    user: str
    live: bool = True
    """Whether live nudges are on for this agent."""
    muted_until: datetime | None = None
    """When a mute ends (aware UTC); None when not muted (an ended mute reads as None)."""

    def wants_nudges(self, now: datetime) -> bool:
        """Whether a live nudge may go to this agent at ``now`` (on, and not muted)."""
        return self.live and (self.muted_until is None or self.muted_until <= now)


@dataclass(frozen=True)
class TipSubscription:
    """A channel's daily tip: when (``local_time`` in ``timezone``) and on which days."""

    channel: str
    platform: str = "slack"
    local_time: str = "09:30"
    """``HH:MM``, 24-hour, in ``timezone``."""
    timezone: str = "UTC"
    """An IANA time zone name such as ``Europe/London``."""
    weekdays_only: bool = False
    created_by: str | None = None
    created_at: datetime | None = field(default=None, compare=False)
    """When the subscription was made or last changed (set by the store; ignored on write).

    A tip whose time had already passed then is not caught up: subscribing at 10:00 for
    09:30 starts tomorrow, not at once."""

    def __post_init__(self) -> None:
        if not _LOCAL_TIME.fullmatch(self.local_time):
            raise ValueError(f"local_time must be HH:MM (00:00-23:59), not {self.local_time!r}")
