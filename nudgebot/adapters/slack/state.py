"""What the Slack app remembers between events: a small in-memory store.

:class:`SlackState` holds the watched channels, each agent's nudge settings (live nudges on or
off, muted until when), the keys of events already handled (so a retried delivery never nudges
twice), each agent's recent review scores for the App Home, and the reviews behind the nudges'
buttons (so feedback can be tied to a review). Everything lives in this process and is lost on
restart; the methods are plain (not async) and the clock is injected, so a database-backed
store can take its place behind the same methods.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from nudgebot.models import Review

__all__ = ["Feedback", "ReviewRecord", "SlackState", "StoredReview", "TTLSet"]

Clock = Callable[[], float]

MUTE_SECONDS = 3600.0
RECENT_REVIEWS = 20


class TTLSet:
    """A bounded set whose members expire ``ttl`` seconds after they were added.

    When full, the oldest member is dropped first. Every member has the same lifetime, so
    insertion order is also expiry order and each operation is amortised O(1).
    """

    def __init__(self, ttl: float, maxsize: int, clock: Clock = time.monotonic) -> None:
        if ttl <= 0 or maxsize <= 0:
            raise ValueError("ttl and maxsize must be greater than 0")
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        self._purge()
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        self._purge()
        return key in self._expiry

    def add_new(self, *keys: str) -> bool:
        """Add every key and return True, unless one of them is already here (then add none)."""
        self._purge()
        if any(key in self._expiry for key in keys):
            return False
        expires = self._clock() + self.ttl
        for key in keys:
            self._expiry[key] = expires
        while len(self._expiry) > self.maxsize:
            self._expiry.popitem(last=False)
        return True

    def _purge(self) -> None:
        now = self._clock()
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]


@dataclass(frozen=True)
class ReviewRecord:
    """One review of an agent's reply, as the App Home shows it."""

    day: str
    """The UTC date of the review, ``YYYY-MM-DD``."""
    score: int
    """The overall score, 0-100."""
    nudged: bool


@dataclass(frozen=True)
class StoredReview:
    """A review behind a nudge's buttons."""

    user: str
    channel: str | None
    needs_nudge: bool
    score: int
    engine: str
    created: float


@dataclass(frozen=True)
class Feedback:
    """An agent's verdict on a nudge."""

    ref: str
    user: str
    helpful: bool
    at: float


CUSTOMER_TTL = 24 * 3600.0
"""Seconds a customer's message is remembered as context for the agent's reply."""


class SlackState:
    """The Slack app's memory: channels, per-agent settings, dedupe, recent reviews, feedback.

    ``clock`` returns seconds since the epoch (``time.time`` by default); tests pass their
    own. ``dedupe_ttl`` is how long a handled event is remembered (Slack retries within about
    an hour at most), ``dedupe_size`` bounds how many are.
    """

    def __init__(
        self,
        *,
        watch: Iterable[str] = (),
        clock: Clock = time.time,
        dedupe_ttl: float = 3600.0,
        dedupe_size: int = 50_000,
        refs_size: int = 10_000,
    ) -> None:
        self.clock = clock
        self._watched: set[str] = set(watch)
        self._live_off: set[str] = set()
        self._muted: dict[str, float] = {}
        self._seen = TTLSet(dedupe_ttl, dedupe_size, clock)
        self._recent: dict[str, deque[ReviewRecord]] = {}
        self._refs: OrderedDict[str, StoredReview] = OrderedDict()
        self._refs_size = refs_size
        self._counter = itertools.count(1)
        self.feedback: list[Feedback] = []
        self._customers: OrderedDict[tuple[str, str], tuple[str, str, float]] = OrderedDict()
        self._customers_size = refs_size
        self._customers_ttl = CUSTOMER_TTL

    # -- customers' messages -----------------------------------------------------------------

    def remember_customer(self, channel: str, ts: str, thread_ts: str | None, text: str) -> None:
        """Keep a customer's message seen in a watched channel, as context for the next reply.

        Remembering what the events already carry saves a ``conversations.history`` or
        ``conversations.replies`` call per nudge: those are the Web API's most tightly
        rate-limited methods. Kept in memory only, for :data:`CUSTOMER_TTL` seconds.
        """
        now = self.clock()
        keys = (
            [(channel, thread_ts)]
            if thread_ts and thread_ts != ts
            else [(channel, ts), (channel, "")]
        )
        for key in keys:
            self._customers[key] = (ts, text, now)
            self._customers.move_to_end(key)
        while len(self._customers) > self._customers_size:
            self._customers.popitem(last=False)

    def customer_before(self, channel: str, ts: str, thread_ts: str | None) -> str | None:
        """Return the remembered customer message a reply at ``ts`` answers, if any."""
        key = (channel, thread_ts) if thread_ts and thread_ts != ts else (channel, "")
        found = self._customers.get(key)
        if found is None:
            return None
        seen_ts, text, at = found
        if self.clock() - at > self._customers_ttl or float(seen_ts) >= float(ts):
            return None
        return text

    # -- channels ----------------------------------------------------------------------------

    def watch(self, channel: str) -> bool:
        """Watch a channel; return False if it already was."""
        if channel in self._watched:
            return False
        self._watched.add(channel)
        return True

    def unwatch(self, channel: str) -> bool:
        """Stop watching a channel; return False if it was not watched."""
        if channel not in self._watched:
            return False
        self._watched.discard(channel)
        return True

    def is_watched(self, channel: str) -> bool:
        """Whether live nudges are offered in ``channel``."""
        return channel in self._watched

    @property
    def watched(self) -> frozenset[str]:
        """The watched channels."""
        return frozenset(self._watched)

    # -- per-agent settings ------------------------------------------------------------------

    def set_live(self, user: str, on: bool) -> None:
        """Turn live nudges on or off for ``user``; turning them on also ends a mute."""
        if on:
            self._live_off.discard(user)
            self._muted.pop(user, None)
        else:
            self._live_off.add(user)

    def live_enabled(self, user: str) -> bool:
        """Whether ``user`` has live nudges on (the default)."""
        return user not in self._live_off

    def mute(self, user: str, seconds: float = MUTE_SECONDS) -> float:
        """Mute ``user``'s live nudges for ``seconds``; return when the mute ends (epoch)."""
        until = self.clock() + seconds
        self._muted[user] = until
        return until

    def muted_until(self, user: str) -> float | None:
        """When ``user``'s mute ends (epoch seconds), or None when not muted."""
        until = self._muted.get(user)
        if until is None:
            return None
        if until <= self.clock():
            del self._muted[user]
            return None
        return until

    def wants_nudges(self, user: str) -> bool:
        """Whether a live nudge may go to ``user`` now (on, and not muted)."""
        return self.live_enabled(user) and self.muted_until(user) is None

    # -- dedupe ------------------------------------------------------------------------------

    def first_time(self, *keys: str) -> bool:
        """Return True and remember the keys if none was seen recently; else False."""
        return self._seen.add_new(*keys)

    # -- recent reviews ----------------------------------------------------------------------

    def record_review(self, user: str, review: Review) -> None:
        """Remember a judged review of ``user``'s reply for the App Home (the last 20 kept)."""
        if not review.judged:
            return
        day = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
        record = ReviewRecord(day, review.scores.overall, review.needs_nudge)
        self._recent.setdefault(user, deque(maxlen=RECENT_REVIEWS)).append(record)

    def recent(self, user: str) -> list[ReviewRecord]:
        """``user``'s recent reviews, oldest first."""
        return list(self._recent.get(user, ()))

    def streak(self, user: str) -> int:
        """How many of ``user``'s latest reviews in a row needed no nudge."""
        count = 0
        for record in reversed(self._recent.get(user, ())):
            if record.nudged:
                break
            count += 1
        return count

    # -- review refs and feedback ------------------------------------------------------------

    def store_review(self, user: str, channel: str | None, review: Review) -> str:
        """Keep what is known of a nudged review and return the ref for its buttons."""
        ref = f"r{next(self._counter)}-{int(self.clock())}"
        self._refs[ref] = StoredReview(
            user,
            channel,
            review.needs_nudge,
            review.scores.overall,
            review.engine,
            self.clock(),
        )
        while len(self._refs) > self._refs_size:
            self._refs.popitem(last=False)
        return ref

    def stored(self, ref: str) -> StoredReview | None:
        """Return the review behind ``ref``, if it is still remembered."""
        return self._refs.get(ref)

    def record_feedback(self, ref: str, user: str, helpful: bool) -> bool:
        """Record ``user``'s verdict on the nudge ``ref``; return whether the ref is known.

        The verdict is kept either way: a ref from before a restart still says something.
        """
        self.feedback.append(Feedback(ref, user, helpful, self.clock()))
        return ref in self._refs
