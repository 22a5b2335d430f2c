"""What the Slack app remembers: the database for what lasts, memory for what is fleeting.

:class:`SlackState` puts what must survive a restart and be shared by every instance in the
:class:`~nudgebot.storage.Store` (SQLite by default, PostgreSQL by ``DATABASE_URL``): the
channels watched with ``/nudge watch``, each agent's nudge settings, every live review (with
whether its nudge was sent), the agents' feedback on nudges, and the claims that let exactly
one instance nudge for one message. What only saves work stays in this process: the keys of
events already handled (a retried delivery is dropped before it reaches the database) and
the recent turns of the threads and channels watched (:attr:`SlackState.conversations`:
context for the next reply; Slack can be asked again).

Only replies in watched channels (and an agent's own message reviewed with the shortcut) are
stored; drafts sent to the bot privately are practice and are not. The clock returns epoch
seconds and is injected, so tests control time; the store gets the same clock.

When the database fails (beyond the store's own retries): the watched channels last read stay
in use, and a live review whose connection was lost while it was stored is looked for before
it is stored again, so it is stored once (:meth:`SlackState.record_review`).

Live work is recorded in the database before its event is acknowledged, and worked from there
(:meth:`SlackState.intake`, :mod:`nudgebot.storage.intake`): this instance's claims carry its
:attr:`~SlackState.owner` id and a lease of :attr:`~SlackState.lease` seconds, renewed while
the keys in :attr:`~SlackState.working` are worked on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nudgebot.adapters.conversation_memory import CONVERSATIONS, ConversationMemory
from nudgebot.learning import QuietPolicy
from nudgebot.models import Review
from nudgebot.storage import StorageError, Store, UserSettings
from nudgebot.storage.intake import Intake
from nudgebot.storage.lazy import Database
from nudgebot.storage.learning import Learning, QuietRules

__all__ = [
    "LEASE_SECONDS",
    "ReviewRecord",
    "SlackState",
    "TTLSet",
    "event_key",
    "instance_id",
    "review_id_of",
]

Clock = Callable[[], float]

MUTE_SECONDS = 3600.0
RECENT_REVIEWS = 20
RECENT_DAYS = 30
"""How far back the App Home looks for an agent's recent reviews."""
SETTINGS_TTL = 10.0
"""Seconds an agent's nudge settings are cached for the live path (see ``wants_nudges``)."""
SETTINGS_CACHE = 10_000
"""Agents whose settings are cached at most (the least recently used go first)."""
WATCH_REFRESH = 30.0
"""Seconds the watched channels are cached: how soon another instance's ``/nudge watch`` shows."""
WATCH_WAIT = 0.25
"""Seconds an event waits for the watched channels to be read again before using the known."""
PLATFORM = "slack"
_LARGEST_ID = 2**63 - 1  # the database's BIGINT


def review_id_of(ref: str) -> int | None:
    """Return the review id a button's value names, or None if it names none.

    A value is an id when it is 1 to 19 ASCII digits and fits the database's integer; anything
    else (a negative number, ``"1e9"``, twenty digits, another alphabet's digits) is not.
    """
    if not (0 < len(ref) <= 19 and ref.isascii() and ref.isdigit()):
        return None
    number = int(ref)
    return number if 0 < number <= _LARGEST_ID else None


LEASE_SECONDS = 60.0
"""How long this instance holds live work it took without renewing (``NUDGEBOT_LEASE_SECONDS``)."""

logger = logging.getLogger("nudgebot.slack")


def event_key(event_id: str) -> str:
    """Return the key a Slack event is remembered by in :meth:`SlackState.first_time`."""
    return f"event:{event_id}"


def instance_id() -> str:
    """Name this process among the instances sharing a database: host, pid, random."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


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

    def discard(self, key: str) -> None:
        """Forget ``key`` if it is here."""
        self._expiry.pop(key, None)

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
    """Whether the reply needed a nudge."""


class SlackState:
    """The Slack app's memory (see the module docs).

    ``store`` is an open :class:`~nudgebot.storage.Store`; without one, ``database`` (shared
    with other platforms in the process) or else ``database_url`` is opened on first use (or
    by :meth:`open`, which ``nudgebot serve`` calls at start-up) and closed by :meth:`close`.
    ``watch`` are the channels configured in ``NUDGEBOT_WATCH_CHANNELS``: always watched,
    whatever ``/nudge unwatch`` says.
    ``clock`` returns seconds since the epoch (``time.time`` by default); tests pass their
    own. ``dedupe_ttl`` is how long a handled event is remembered in memory (Slack retries
    within about an hour at most), ``dedupe_size`` bounds how many are. ``conversations``
    bounds how many threads and channels have their recent turns remembered. ``lease`` is how
    long live work this instance took stays its own without renewal; ``owner`` names the
    instance (a new :func:`instance_id` by default). ``policy`` is how a team's feedback
    quiets a rule (``settings.quiet_policy``; :mod:`nudgebot.learning`).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        database_url: str = "sqlite://",
        database: Database | None = None,
        watch: Iterable[str] = (),
        clock: Clock = time.time,
        dedupe_ttl: float = 3600.0,
        dedupe_size: int = 50_000,
        conversations: int = CONVERSATIONS,
        lease: float = LEASE_SECONDS,
        owner: str | None = None,
        policy: QuietPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.policy = policy
        """How feedback quiets a rule; None until set (:func:`build_app` sets the settings')."""
        self._learning: Learning | None = None
        self._quiet: QuietRules | None = None
        self.lease = lease
        self.owner = owner or instance_id()
        self.working: set[str] = set()
        """The keys of the live work this instance is working on (their leases are renewed)."""
        self._intake: Intake | None = None
        self.database = database or Database(database_url, store=store, clock=self.now)
        self._owns_database = database is None
        self.configured: frozenset[str] = frozenset(watch)
        self._watched: frozenset[str] = frozenset()
        self._watched_at: float | None = None
        self._refreshing: asyncio.Future[None] | None = None
        self._seen = TTLSet(dedupe_ttl, dedupe_size, clock)
        self.conversations = ConversationMemory(conversations=conversations, clock=clock)
        """The recent turns of each thread and channel seen (see :mod:`.thread`)."""
        self._settings: OrderedDict[str, tuple[float, UserSettings]] = OrderedDict()

    # -- the database ------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the clock's time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.clock(), UTC)

    async def open(self) -> Store:
        """Return the store, opening the database (and upgrading its schema) the first time."""
        return await self.database.open()

    async def intake(self) -> Intake:
        """Return this instance's live work in the database (see :mod:`nudgebot.storage.intake`)."""
        store = await self.open()
        if self._intake is None or self._intake.store is not store:
            self._intake = Intake(store, self.owner, self.lease)
        return self._intake

    async def learning(self) -> Learning:
        """Return what the team's reactions teach (:mod:`nudgebot.storage.learning`)."""
        store = await self.open()
        if self._learning is None or self._learning.store is not store:
            self._learning = Learning(store, self.policy or QuietPolicy())
            self._quiet = QuietRules(self._learning, clock=self.clock)
        return self._learning

    async def quiet_rules(self, team: str | None) -> frozenset[str]:
        """Return the rules that must not nudge live in ``team`` (cached ten seconds).

        A change made on this instance shows at once (:meth:`forget_quiet`); one made on
        another instance within :data:`~nudgebot.storage.learning.QUIET_TTL` seconds.
        """
        await self.learning()
        assert self._quiet is not None
        return await self._quiet.of(team)

    def forget_quiet(self, team: str | None) -> None:
        """Drop ``team``'s cached quieted rules (after a lead's change, or a vote's)."""
        if self._quiet is not None:
            self._quiet.forget(team)

    async def ready(self) -> str | None:
        """None when the database answers, else a sentence saying it does not (``/readyz``)."""
        return await self.database.ready()

    async def close(self) -> None:
        """Close the database, unless it was given (shared: its owner closes it)."""
        if self._owns_database:
            await self.database.close()

    # -- channels ----------------------------------------------------------------------------

    async def watch(self, channel: str, by: str) -> bool:
        """Watch a channel; return False if it already was."""
        if channel in self.configured:
            return False
        added = await (await self.open()).watch(channel, by)
        self._watched_at = self._refreshing = None
        return added

    async def unwatch(self, channel: str) -> bool:
        """Stop watching a channel; return False if it was not watched (or is configured)."""
        removed = await (await self.open()).unwatch(channel)
        self._watched_at = self._refreshing = None
        return removed

    async def is_watched(self, channel: str) -> bool:
        """Whether live nudges are offered in ``channel``."""
        return channel in self.configured or channel in await self.watched()

    async def watched(self) -> frozenset[str]:
        """Return the channels watched with ``/nudge watch`` (cached for a while).

        Read again after :data:`WATCH_REFRESH` seconds by one query however many callers ask
        meanwhile; a caller waits for it at most :data:`WATCH_WAIT` seconds (it answers
        Slack: a busy database must not hold up every ack), then uses the channels last
        read, as when the database cannot be read (an event is not dropped for it). The
        first read, and the one after this instance's own ``/nudge watch``, are waited for.
        """
        now = self.clock()
        if self._watched_at is not None and now - self._watched_at <= WATCH_REFRESH:
            return self._watched
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._refresh_watched())
        refresh = self._refreshing
        if self._watched_at is None:  # never read, or changed here: wait for it
            await asyncio.shield(refresh)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(refresh), WATCH_WAIT)
        return self._watched

    async def _refresh_watched(self) -> None:
        try:
            self._watched = frozenset(await (await self.open()).watched())
        except StorageError as error:
            logger.warning(
                "could not read the watched channels (%s); using the %d known",
                type(error).__name__,
                len(self._watched),
            )
        self._watched_at = self.clock()

    # -- per-agent settings ------------------------------------------------------------------

    async def set_live(self, user: str, on: bool) -> None:
        """Turn live nudges on or off for ``user``; turning them on also ends a mute."""
        self._settings.pop(user, None)
        await (await self.open()).set_live(user, on)

    async def live_enabled(self, user: str) -> bool:
        """Whether ``user`` has live nudges on (the default)."""
        return (await self._user_settings(user, fresh=True)).live

    async def mute(self, user: str, seconds: float = MUTE_SECONDS) -> float:
        """Mute ``user``'s live nudges for ``seconds``; return when the mute ends (epoch)."""
        until = self.clock() + seconds
        self._settings.pop(user, None)
        await (await self.open()).mute(user, datetime.fromtimestamp(until, UTC))
        return until

    async def muted_until(self, user: str) -> float | None:
        """When ``user``'s mute ends (epoch seconds), or None when not muted."""
        until = (await self._user_settings(user, fresh=True)).muted_until
        return None if until is None else until.timestamp()

    async def wants_nudges(self, user: str) -> bool:
        """Whether a live nudge may go to ``user`` now (on, and not muted).

        Read through a cache of :data:`SETTINGS_TTL` seconds: the live path asks for every
        message, and a database round trip each time is most of what storage would add to a
        nudge. A change made on this instance is seen at once; one made on another instance
        within :data:`SETTINGS_TTL` seconds.
        """
        return (await self._user_settings(user)).wants_nudges(self.now())

    async def _user_settings(self, user: str, *, fresh: bool = False) -> UserSettings:
        now = self.clock()
        cached = None if fresh else self._settings.get(user)
        if cached is not None and now - cached[0] <= SETTINGS_TTL:
            return cached[1]
        settings = await (await self.open()).user_settings(user)
        self._settings[user] = (now, settings)
        self._settings.move_to_end(user)
        while len(self._settings) > SETTINGS_CACHE:
            self._settings.popitem(last=False)
        return settings

    # -- exactly once ------------------------------------------------------------------------

    def forget_seen(self, key: str) -> None:
        """Forget a key :meth:`first_time` remembered (its event is to be handled again)."""
        self._seen.discard(key)

    def first_time(self, *keys: str) -> bool:
        """Return True and remember the keys if none was seen recently in this process."""
        return self._seen.add_new(*keys)

    async def claim(self, key: str) -> bool:
        """Return True to exactly one caller per ``key``, across every instance (the database)."""
        return await (await self.open()).claim(key)

    # -- reviews and feedback ----------------------------------------------------------------

    async def record_review(
        self,
        review: Review,
        *,
        user: str,
        channel: str,
        team: str | None,
        text: str,
        customer: str | None,
        message_ts: str | None = None,
    ) -> int | None:
        """Store a judged review of ``user``'s reply and return its id (None: not judged).

        Stored as not nudged; :meth:`nudge_sent` records the nudge once it is posted, so a
        nudge that never went out is never counted as sent. If the connection is lost while
        storing a live review (``message_ts`` given), the review may or may not have been
        written: it is looked for by channel, message and time (the message's claim makes
        those unique) and stored only if it is not there, so it is stored once.
        """
        if not review.judged:
            return None
        store = await self.open()
        at = self.now()

        async def add() -> int:
            return await store.add_review(
                review,
                platform=PLATFORM,
                team=team,
                channel=channel,
                user=user,
                text=text,
                customer=customer,
                nudged=False,
                message_ts=message_ts,
                at=at,
            )

        try:
            return await add()
        except StorageError as error:
            if not error.in_doubt or message_ts is None:
                raise
            logger.warning("storing a live review lost its connection; checking whether it is in")
        found = await store.reviews(
            since=at, until=at + timedelta(microseconds=1), channels=[channel], users=[user]
        )
        for row in found:
            if row.message_ts == message_ts:
                return row.id
        return await add()

    async def nudge_sent(self, review_id: int) -> None:
        """Record that the nudge for the stored review ``review_id`` was posted."""
        await (await self.open()).set_nudged(review_id)

    async def recent(self, user: str) -> list[ReviewRecord]:
        """``user``'s latest stored reviews (up to :data:`RECENT_REVIEWS`), oldest first."""
        now = self.now()
        rows = await (await self.open()).reviews(
            since=now - timedelta(days=RECENT_DAYS), until=now + timedelta(seconds=1), users=[user]
        )
        return [
            ReviewRecord(row.at.date().isoformat(), row.scores.overall, row.needs_nudge)
            for row in rows[-RECENT_REVIEWS:]
        ]

    @staticmethod
    def streak(recent: Iterable[ReviewRecord]) -> int:
        """How many of the latest reviews in a row needed no nudge."""
        count = 0
        for record in reversed(list(recent)):
            if record.nudged:
                break
            count += 1
        return count

    async def owns_review(self, ref: str, user: str) -> bool:
        """Return whether ``ref`` names a stored review of ``user``'s (False for any odd ref)."""
        review_id = review_id_of(ref)
        if review_id is None:
            return False
        stored = await (await self.open()).review(review_id)
        return stored is not None and stored.user == user

    async def record_feedback(self, ref: str, user: str, helpful: bool) -> bool:
        """Record ``user``'s verdict on the nudge for review ``ref``; False if not recorded.

        Not recorded: a ref that is not a review id, another agent's review, an unknown review,
        or a second verdict by the same agent.
        """
        review_id = review_id_of(ref)
        if review_id is None or not await self.owns_review(ref, user):
            return False
        return await (await self.open()).add_feedback(review_id, user, helpful)

    async def forget(self, user: str) -> int:
        """Forget what is stored about ``user`` (see :meth:`Store.forget`); return rows touched."""
        self._settings.pop(user, None)
        return await (await self.open()).forget(user)
