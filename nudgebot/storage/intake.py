"""Live work recorded before its ack: claims with an owner and a lease, resumed when they lapse.

A piece of live work (a message to review, and maybe a nudge to post) is a row of
``claimed_events`` (see :mod:`nudgebot.storage.schema`) that goes through these states::

    new ──(review stored, a nudge due)──> posting ──(posted and marked)──> done
     │  └─(review stored, no nudge due; or nothing to review)───────────> done
     ├─(the app was overloaded when it came)──> shed      (never reviewed; counted in reports)
     └─(failed every attempt)─────────────────> failed    (never reviewed; counted in reports)

:meth:`Intake.record` writes the row (``new``, owned by this instance with a lease) before the
event is acknowledged; only one caller per key gets True. Whoever owns a row works on it; the
owner renews its lease while it works (:meth:`Intake.renew`). A row whose lease ran out (its
instance was killed, stopped, or lost the database) is :meth:`Intake.due` and any instance may
:meth:`Intake.take` it: one conditional ``UPDATE``, so exactly one gets it.

Exactly once: a review is stored together with the row's move from ``new`` (one transaction,
and only by the row's owner), so it is stored once; its nudge is posted only by the instance
that made that move, and :meth:`Intake.sent` marks it right after. A row found in ``posting``
by a later owner is the one case left in doubt (its instance stopped between storing the review
and marking the nudge sent: the nudge may or may not have gone out), and it is not posted
again: at most once there (:meth:`Intake.finish` ends it, its review not nudged).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import exists, func, insert, literal, or_, select, update

from nudgebot.models import Review
from nudgebot.storage.schema import claimed_events, reviews
from nudgebot.storage.store import StorageError, Store

__all__ = ["FINAL_STATES", "MAX_ATTEMPTS", "Intake", "Work"]

MAX_ATTEMPTS = 3
"""Times a piece of work is taken before it is given up as ``failed``."""
RENEW_CHUNK = 500
"""Keys per ``UPDATE`` when renewing leases."""
FINAL_STATES = ("done", "shed", "failed")
_OPEN = ("new", "posting")

State = Literal["new", "posting", "done", "shed", "failed"]

c = claimed_events.c


@dataclass(frozen=True)
class Work:
    """A piece of live work taken from the database."""

    key: str
    state: State
    """``new`` (to review) or ``posting`` (its instance stopped while posting its nudge)."""
    payload: str | None
    """The event it came from, as the platform recorded it (None once reviewed)."""
    attempts: int
    """How many times it was taken, this time included."""
    review_id: int | None = None
    """Its review, once its nudge was marked sent."""
    owner: str | None = None


class _NotOurs(Exception):
    """The row moved on or changed owner: roll the transaction back."""


class Intake:
    """The live work of one instance (``owner``) in ``store``, with leases of ``lease`` seconds."""

    def __init__(self, store: Store, owner: str, lease: float) -> None:
        if lease <= 0:
            raise ValueError("the lease must be longer than 0 seconds")
        self.store = store
        self.owner = owner
        self.lease = lease

    def _until(self) -> datetime:
        return self.store.now() + timedelta(seconds=self.lease)

    async def record(self, key: str, *, channel: str, payload: str, shed: bool = False) -> bool:
        """Record an event's work before acknowledging it; False if it was recorded before.

        New work is owned by this instance, with a lease; ``shed`` records it as not
        reviewed (the app is overloaded) instead. If the connection is lost with the insert,
        it is tried once more, and a row found then that this instance wrote a moment ago
        (its owner, first attempt, untouched) counts as recorded now.
        """
        now = self.store.now()
        values = {
            "key": key,
            "at": now,
            "state": "shed" if shed else "new",
            "owner": None if shed else self.owner,
            "lease_until": None if shed else now + timedelta(seconds=self.lease),
            "attempts": 0 if shed else 1,
            "channel": channel,
            "payload": None if shed else payload,
        }
        statement = self.store._insert(claimed_events).values(values).on_conflict_do_nothing()
        try:
            return await self._insert_urgently(statement)
        except StorageError as error:
            if not error.in_doubt:
                raise
        if await self._insert_urgently(statement):
            return True
        found = await self.find(key)
        return (
            found is not None
            and not shed
            and found.state == "new"
            and found.attempts == 1
            and found.owner == self.owner
        )

    async def _insert_urgently(self, statement: Any) -> bool:
        """Run the insert ahead of background writes (it answers a request): True if new."""
        async with self.store._begin(write=True, urgent=True) as connection:
            return bool((await connection.execute(statement)).rowcount == 1)

    async def take(self, key: str) -> Work | None:
        """Take ``key``'s work if it is open and its lease ran out; None if someone else has it."""
        now = self.store.now()
        lapsed = or_(c.lease_until.is_(None), c.lease_until < now)
        try:
            return await self._take(key, lapsed)
        except StorageError as error:
            if not error.in_doubt:
                raise
        # The lost attempt may have been written, making it ours: ours is taken again.
        return await self._take(key, or_(lapsed, c.owner == self.owner))

    async def _take(self, key: str, free: Any) -> Work | None:
        statement = (
            update(claimed_events)
            .where(c.key == key, c.state.in_(_OPEN), free)
            .values(
                owner=self.owner,
                lease_until=self._until(),
                attempts=func.coalesce(c.attempts, 0) + 1,
            )
            .returning(c.state, c.payload, c.attempts, c.review_id)
        )
        async with self.store._begin(write=True) as connection:
            row = (await connection.execute(statement)).first()
        if row is None:
            return None
        state, payload, attempts, review_id = row
        return Work(key, state, payload, int(attempts), review_id, self.owner)

    async def store_review(
        self, key: str, review: Review, *, nudge: bool, **fields: Any
    ) -> int | None:
        """Store ``review`` as not nudged and move ``key`` on, in one transaction; its id.

        To ``posting`` when a ``nudge`` is to be posted (then :meth:`sent`, or :meth:`finish`
        if it could not be posted), else to ``done``. Only while this instance owns the work
        and it is ``new``: None when it is not (its lease ran out and another instance took
        it over, which stores its own). ``fields`` are :meth:`Store.add_review`'s (but ``nudged``).
        """
        row = self.store.review_row(review, nudged=False, **fields)
        try:
            return await self._store_review(key, row, nudge)
        except StorageError as error:
            if not error.in_doubt:
                raise
        # Lost with its connection: committed if the work moved on, still ours.
        found = await self.find(key)
        if found is None or found.owner != self.owner:
            return None  # (a no-nudge review moved on to done: nothing more to do either)
        if found.state == "new":
            return await self._store_review(key, row, nudge)
        return found.review_id or await self._review_of(row)

    async def _review_of(self, row: dict[str, Any]) -> int | None:
        """Return the id of the live review stored for ``row``'s message (unique: its claim)."""
        query = select(func.max(reviews.c.id)).where(
            reviews.c.channel == row["channel"], reviews.c.message_ts == row["message_ts"]
        )
        async with self.store._begin(write=False) as connection:
            found = await connection.scalar(query)
        return None if found is None else int(found)

    def _move(self, key: str, nudge: bool) -> Any:
        """Return the ``UPDATE`` moving ``key`` on from ``new``, if this instance owns it."""
        return (
            update(claimed_events)
            .where(c.key == key, c.owner == self.owner, c.state == "new")
            .values(
                state="posting" if nudge else "done",
                payload=None,
                lease_until=self._until() if nudge else None,
                owner=self.owner if nudge else None,
            )
        )

    async def _store_review(self, key: str, row: dict[str, Any], nudge: bool) -> int | None:
        if self.store.dialect == "postgresql":
            # One statement (autocommit, atomic): the review is inserted only if the move
            # happened. A third of the round trips of a transaction, on the busiest path.
            moved = self._move(key, nudge).returning(c.key).cte("moved")
            names = list(row)
            values = select(
                *(literal(row[name], reviews.c[name].type).label(name) for name in names)
            ).where(exists(select(moved.c.key)))
            statement = (
                insert(reviews).add_cte(moved).from_select(names, values).returning(reviews.c.id)
            )
            async with self.store._begin(write=True) as connection:
                found = (await connection.execute(statement)).scalar()
            return None if found is None else int(found)
        try:
            async with self.store._begin(write=True, single=False) as connection:
                result = await connection.execute(self.store._add_review, row)
                review_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                moved_row = await connection.execute(self._move(key, nudge))
                if moved_row.rowcount != 1:
                    raise _NotOurs  # rolls the review back with it
        except _NotOurs:
            return None
        return review_id

    async def sent(self, key: str, review_id: int) -> None:
        """Record that ``key``'s nudge was posted: its review nudged, the work done."""
        nudged = update(reviews).where(reviews.c.id == review_id).values(nudged=True)
        done = (
            update(claimed_events)
            .where(c.key == key)
            .values(state="done", lease_until=None, owner=None, review_id=review_id)
        )
        for attempt in (1, 2):
            try:
                if self.store.dialect == "postgresql":  # one statement, atomic
                    async with self.store._begin(write=True) as connection:
                        await connection.execute(done.add_cte(nudged.cte("nudged")))
                    return
                # SQLite: ahead of the background writes, as it closes the at-most-once window.
                async with self.store._begin(write=True, single=False, urgent=True) as connection:
                    await connection.execute(nudged)
                    await connection.execute(done)
                return
            except StorageError as error:  # harmless to repeat
                if not error.in_doubt or attempt == 2:
                    raise

    async def finish(self, key: str, state: State = "done") -> None:
        """End this instance's work on ``key`` without a nudge: ``done``, or ``failed``.

        A nudge that could not be posted, and work found in ``posting``, end this way: the
        review stays stored as not nudged.
        """
        await self._update(key, state=state, payload=None, lease_until=None, owner=None, mine=True)

    async def release(self, key: str) -> None:
        """Give ``key``'s work back unfinished (a stop, a failure): the next sweep takes it."""
        await self._update(key, lease_until=None, owner=None, mine=True)

    async def _update(self, key: str, *, mine: bool, **values: Any) -> None:
        statement = update(claimed_events).where(c.key == key).values(**values)
        if mine:
            statement = statement.where(c.owner == self.owner)
        for attempt in (1, 2):
            try:
                await self.store._count(statement)
                return
            except StorageError as error:  # each is harmless to repeat
                if not error.in_doubt or attempt == 2:
                    raise

    async def renew(self, keys: Collection[str]) -> int:
        """Extend this instance's leases on ``keys`` (its work in progress); how many."""
        ordered = sorted(keys)
        renewed = 0
        until = self._until()
        for start in range(0, len(ordered), RENEW_CHUNK):
            chunk = ordered[start : start + RENEW_CHUNK]
            statement = (
                update(claimed_events)
                .where(c.owner == self.owner, c.key.in_(chunk), c.state.in_(_OPEN))
                .values(lease_until=until)
            )
            renewed += await self.store._count(statement)
        return renewed

    async def due(self, limit: int = 100) -> list[Work]:
        """Open work whose lease ran out (or was given back), oldest first, up to ``limit``.

        Not taken yet: :meth:`take` each (another instance may be quicker).
        """
        now = self.store.now()
        query = (
            select(c.key, c.state, c.payload, c.attempts, c.review_id)
            .where(c.state.in_(_OPEN), or_(c.lease_until.is_(None), c.lease_until < now))
            .order_by(c.at)
            .limit(limit)
        )
        async with self.store._begin(write=False) as connection:
            rows = (await connection.execute(query)).all()
        return [
            Work(key, state, payload, int(attempts or 0), review_id)
            for key, state, payload, attempts, review_id in rows
        ]

    async def find(self, key: str) -> Work | None:
        """Return ``key``'s work as it stands (None if there is no such work)."""
        query = select(c.state, c.payload, c.attempts, c.review_id, c.owner).where(c.key == key)
        async with self.store._begin(write=False) as connection:
            row = (await connection.execute(query)).first()
        if row is None or row[0] is None:
            return None
        state, payload, attempts, review_id, owner = row
        return Work(key, state, payload, int(attempts or 0), review_id, owner)

    async def unreviewed(
        self, *, since: datetime, until: datetime, channels: Sequence[str] | None = None
    ) -> int:
        """Count the messages received in ``[since, until)`` never reviewed (see the store)."""
        return await self.store.unreviewed(since=since, until=until, channels=channels)
