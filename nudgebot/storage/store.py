"""The store: everything nudgebot remembers, in SQLite (default) or PostgreSQL.

One :class:`Store` per process, opened with :meth:`Store.open` and closed with
:meth:`Store.close`. Every method is a short transaction of its own. Times go in and come out
timezone-aware in UTC; the clock behind "now" is injectable for tests.

Exactly once: :meth:`Store.claim` and :meth:`Store.claim_delivery` are single
``INSERT ... ON CONFLICT DO NOTHING`` statements against a primary key, so across every process
and instance sharing the database exactly one caller gets True per key. Nothing is kept in
memory for this.

SQLite: the file is opened in WAL mode (readers never wait for the writer) with
``synchronous=NORMAL`` (a commit survives the process crashing; the last commits may be lost
if the machine loses power) and a 30-second busy timeout for writers in other processes;
writers in this process queue on a lock instead of polling. ``sqlite://`` (in memory) works for
tests, with every operation taking turns on its one connection.

PostgreSQL: a one-statement call runs in autocommit mode (no BEGIN/COMMIT round trips), and a
pooled connection is checked before use only after sitting idle (see :func:`_ping_when_idle`):
storage adds about 2 ms to a live nudge instead of 4 (``bench/storage.py``).

When the database goes away for a moment (a PostgreSQL restart or failover, connections
terminated, SQLite locked by another process):

- a pooled connection the driver already knows is closed is replaced before use (no round
  trip), and getting a connection is retried with back-off for up to :data:`RETRY_SECONDS`
  while the server refuses or is starting up: nothing has been sent, so that is always safe;
- a statement whose connection is lost once it was sent raises :class:`StorageError` with
  ``in_doubt``: it may or may not have taken effect. The store runs it again only where that
  is harmless (see :func:`_again`): the reads, :meth:`Store.set_nudged`, and
  :meth:`Store.claim`, which reads a conflicting claim back and recognises its own by its
  time. :meth:`Store.add_review` is not run twice here (the row may be there); a caller that
  can recognise its review looks for it first (the Slack live path does);
- SQLite busy past its timeout, or a database down past the retries, is a ``transient``
  :class:`StorageError` (nothing was written) and is not retried again.

A lead's report never reads its period's reviews back: :meth:`Store.report_data` sums and
counts them in SQL (``GROUP BY``), and :meth:`Store.score_sums` the period before. Where many
reviews are read (:meth:`Store.reviews`), rows are read with SQLAlchemy Core (no ORM), findings
are split from plain text rather than decoded from JSON, and the records are built with the
garbage collector paused (see :func:`_stored`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import inspect
import logging
import re
import sqlite3
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, Self, TypeVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Delete,
    Insert,
    Table,
    Update,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    extract,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from nudgebot.models import DIMENSIONS, Dimension, Review, Scores, StoredReview
from nudgebot.storage import migrate as migrations
from nudgebot.storage.records import TipSubscription, UserSettings, utcnow
from nudgebot.storage.schema import (
    QUOTE_SEP,
    claimed_events,
    feedback,
    reviews,
    tip_deliveries,
    tip_subscriptions,
    user_settings,
    watched_channels,
)
from nudgebot.storage.write_lock import WriteLock

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Executable

    from nudgebot.reports import Acceptance, AgentTotals, ReportData, ScoreSums

__all__ = ["StorageError", "Store", "async_url", "safe_url"]

logger = logging.getLogger("nudgebot.storage")

Clock = Callable[[], datetime]
_T = TypeVar("_T")
_P = ParamSpec("_P")

SQLITE_BUSY_SECONDS = 30.0
"""How long a writer waits for another process's write to finish before giving up."""
CONNECT_SECONDS = 10.0
"""How long connecting to PostgreSQL may take."""
IDLE_PING_SECONDS = 10.0
"""A PostgreSQL connection idle this long is checked before use (see _ping_when_idle)."""
CLAIM_DAYS = 2
"""Claims older than this many days (or the retention period, if longer) are purged."""
RETRY_SECONDS = 5.0
"""How long getting a connection is retried while the database refuses or is starting up."""
RETRY_FIRST_DELAY = 0.05
"""The first wait between those attempts; each wait doubles, up to :data:`RETRY_MAX_DELAY`."""
RETRY_MAX_DELAY = 1.0
URGENT_POOL = 16
URGENT_OVERFLOW = 0
"""PostgreSQL connections kept open for urgent statements (see :meth:`Store._begin`), opened
with the store; none beyond them (a connection opened and closed per burst costs more than
waiting a moment for one of these). Their commits don't wait for the disk
(``synchronous_commit=off``): see :meth:`Store._engine_for`."""

# SQLSTATEs of a server going away or not yet back (besides connection exceptions, class 08):
# admin shutdown (a terminated backend), crash shutdown, cannot connect now (starting up).
_TRANSIENT_STATES = frozenset({"57P01", "57P02", "57P03"})
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")

_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


class StorageError(RuntimeError):
    """The database cannot be opened or used; the message names it (never its password).

    ``transient`` is true when the database was unreachable, went away or was busy: the same
    call may work a moment later. ``in_doubt`` (transient too) is true when the connection was
    lost after a statement was sent: a write may or may not have taken effect.
    """

    def __init__(self, message: str, *, transient: bool = False, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.transient = transient or in_doubt
        self.in_doubt = in_doubt


def safe_url(url: str | URL) -> str:
    """Return ``url`` with its password, if any, replaced by ``***``."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


def async_url(url: str) -> URL:
    """Translate a settings URL to the async driver: ``sqlite+aiosqlite``, ``postgresql+asyncpg``.

    ``postgres://`` is accepted for ``postgresql://``, and libpq's ``sslmode`` becomes asyncpg's
    ``ssl``. Raises :class:`StorageError` for anything else.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"cannot open the database {safe_url(url)}: not a database URL "
            "(expected sqlite:///path/to/file.db or postgresql://user:password@host/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        query = dict(parsed.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    raise StorageError(
        f"cannot open the database {safe_url(parsed)}: {backend!r} is not supported "
        "(use sqlite:///path/to/file.db or postgresql://user:password@host/db)"
    )


def _reason(error: BaseException, password: str | None) -> str:
    """One line saying what went wrong, without SQLAlchemy's boilerplate or the password."""
    inner = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    message = " ".join(str(inner).split()) or type(inner).__name__
    if type(inner).__name__ not in message:
        message = f"{type(inner).__name__}: {message}"
    if password:
        message = message.replace(password, "***")
    return message


def _gone(error: BaseException) -> bool:
    """Whether ``error`` says the database was unreachable or went away (not a bug, not busy).

    A refused or reset connection, a connection SQLAlchemy saw die, the SQLSTATEs of a server
    shutting down or starting up (:data:`_TRANSIENT_STATES`, class 08).
    """
    if isinstance(error, OSError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    inner = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    if isinstance(inner, OSError):
        return True
    state = getattr(inner, "sqlstate", None)
    return isinstance(state, str) and (state.startswith("08") or state in _TRANSIENT_STATES)


def _busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's busy or locked (after waiting :data:`SQLITE_BUSY_SECONDS`)."""
    inner = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    return any(words in str(inner).lower() for words in _SQLITE_BUSY)


def _is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_pragmas(memory: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def _use_wal(path: Path) -> None:
    """Put the SQLite file at ``path`` in WAL mode (kept in the file), one process at a time.

    Switching the journal mode needs SQLite's exclusive lock, and two connections switching a
    new file at once can deadlock on it: SQLite then answers "database is locked" at once,
    without waiting out the busy timeout. So the switch is made once per open, before any
    other connection, under an advisory lock on a file beside the database.
    """
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock, still WAL
            fcntl = None  # type: ignore[assignment]
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use if it sat idle for :data:`IDLE_PING_SECONDS`.

    A connection idle that long may have been closed by a server restart or a proxy; a
    dead one is replaced before the statement runs, so no write is left in doubt. Busy
    connections skip the round trip (``pool_pre_ping`` would add one to every call, a third
    of a live nudge's storage time); but one the driver already saw closed (the server
    terminated it, or restarted, and said so) is replaced too, which costs nothing. If the
    server goes away silently mid-burst, a call can still fail with a transient
    :class:`StorageError` (see the module docs) and the pool reconnects for the next.
    """
    dialect = engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        is_closed = getattr(record.driver_connection, "is_closed", None)
        if callable(is_closed) and is_closed():  # asyncpg: known without a round trip
            raise DisconnectionError("the server closed the connection")
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool retries with a new connection
            raise DisconnectionError(f"connection lost while idle: {error}") from error

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


def _meta(meta: Mapping[str, Any]) -> tuple[str | None, float | None, int | None, int | None]:
    """Prompt version, latency and tokens from a review's ``meta``, where present and sane."""
    prompt = meta.get("prompt")
    version = prompt.get("version") if isinstance(prompt, Mapping) else None
    tokens = meta.get("tokens")
    tokens = tokens if isinstance(tokens, Mapping) else {}
    latency = meta.get("latency_ms")

    def whole(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return (
        None if version is None else str(version),
        float(latency)
        if isinstance(latency, int | float) and not isinstance(latency, bool)
        else None,
        whole(tokens.get("input")),
        whole(tokens.get("output")),
    )


_REVIEW_COLUMNS = (
    reviews.c.id,
    # Read as the plain type: naive UTC from SQLite, aware UTC from PostgreSQL (_stored makes
    # both aware), without UTCDateTime's Python-level call per row.
    type_coerce(reviews.c.at, DateTime(timezone=True)).label("at"),
    reviews.c.platform,
    reviews.c.team,
    reviews.c.channel,
    reviews.c.user_id,
    reviews.c.engine,
    reviews.c.respect,
    reviews.c.empathy,
    reviews.c.adaptable,
    reviews.c.learn,
    reviews.c.ownership,
    reviews.c.rules,
    reviews.c.dimensions,
    reviews.c.quotes,
    reviews.c.needs_nudge,
    reviews.c.nudged,
    reviews.c.text,
    reviews.c.customer,
    reviews.c.prompt_version,
    reviews.c.latency_ms,
    reviews.c.input_tokens,
    reviews.c.output_tokens,
    feedback.c.helpful,
    reviews.c.message_ts,
)
_WITH_FEEDBACK = reviews.outerjoin(
    feedback, and_(feedback.c.review_id == reviews.c.id, feedback.c.user_id == reviews.c.user_id)
)
_FIVE = (
    reviews.c.respect
    + reviews.c.empathy
    + reviews.c.adaptable
    + reviews.c.learn
    + reviews.c.ownership
)
_OVERALL = (_FIVE * 2 + 5) // 10
"""A review's rounded overall score, in integers: round(x / 5) == (2x + 5) // 10 for x >= 0."""


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that are all kept.

    Each collection would walk every review built so far: 100,000 reviews took 1.8x as long
    to build with it running. Only for code that does not await (no other task runs).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _can_fill(cls: type, names: Sequence[str]) -> bool:
    """Whether filling ``cls``'s ``__dict__`` with ``names`` equals calling ``cls(...)``.

    True for a plain frozen dataclass (no ``__slots__``, no ``__post_init__``) whose fields
    are exactly ``names``: its ``__init__`` only sets each field. Reading 100,000 reviews
    builds 200,000 such objects, and a frozen dataclass's ``__init__`` costs 2-5x more. If the
    models change (a new field), this is False and the constructors are used instead.
    """
    return (
        dataclasses.is_dataclass(cls)
        and "__slots__" not in vars(cls)
        and not hasattr(cls, "__post_init__")
        and [f.name for f in dataclasses.fields(cls)] == list(names)
        and list(inspect.signature(cls).parameters) == list(names)
    )


_STORED_FIELDS = (
    "id",
    "at",
    "platform",
    "team",
    "channel",
    "user",
    "engine",
    "scores",
    "rules",
    "dimensions",
    "quotes",
    "needs_nudge",
    "nudged",
    "text",
    "customer",
    "prompt_version",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "helpful",
    "message_ts",
)
_FILL = _can_fill(StoredReview, _STORED_FIELDS) and _can_fill(Scores, DIMENSIONS)
_new = object.__new__


def _stored(row: Sequence[Any]) -> StoredReview:
    (
        id_,
        at,
        platform,
        team,
        channel,
        user,
        engine,
        respect,
        empathy,
        adaptable,
        learn,
        ownership,
        rules,
        dimensions,
        quotes,
        needs_nudge,
        nudged,
        text_,
        customer,
        prompt_version,
        latency_ms,
        input_tokens,
        output_tokens,
        helpful,
        message_ts,
    ) = row
    if at.tzinfo is None:  # SQLite: naive UTC (see _REVIEW_COLUMNS)
        at = at.replace(tzinfo=UTC)
    if not _FILL:  # pragma: no cover - only if the models change
        scores = Scores(respect, empathy, adaptable, learn, ownership)
    else:
        scores = _new(Scores)
        scores.__dict__.update(
            respect=respect, empathy=empathy, adaptable=adaptable, learn=learn, ownership=ownership
        )
    values = {
        "id": id_,
        "at": at,
        "platform": platform,
        "team": team,
        "channel": channel,
        "user": user,
        "engine": engine,
        "scores": scores,
        "rules": tuple(rules.split()),
        "dimensions": tuple(dimensions.split()),
        "quotes": () if quotes is None else tuple(quotes.split(QUOTE_SEP)),
        "needs_nudge": needs_nudge,
        "nudged": nudged,
        "text": text_,
        "customer": customer,
        "prompt_version": prompt_version,
        "latency_ms": latency_ms,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "helpful": helpful,
        "message_ts": message_ts,
    }
    if not _FILL:  # pragma: no cover
        return StoredReview(**values)
    review: StoredReview = _new(StoredReview)
    review.__dict__.update(values)
    return review


def _word(ident: str) -> str:
    """Make a rule id or dimension fit for a space-separated list (not empty, no spaces)."""
    return "_".join(ident.split()) or "_"


def _row(stored: StoredReview) -> dict[str, Any]:
    """Return the ``reviews`` row for a :class:`StoredReview` (its id is left to the database)."""
    scores = stored.scores
    if len(stored.dimensions) != len(stored.rules):
        raise ValueError("a stored review needs one dimension per rule")
    quotes = None
    if stored.rules and len(stored.quotes) == len(stored.rules):
        quotes = QUOTE_SEP.join(quote.replace(QUOTE_SEP, " ") for quote in stored.quotes)
    return {
        "at": stored.at,
        "platform": stored.platform,
        "team": stored.team,
        "channel": stored.channel,
        "user_id": stored.user,
        "engine": stored.engine,
        "prompt_version": stored.prompt_version,
        "respect": scores.respect,
        "empathy": scores.empathy,
        "adaptable": scores.adaptable,
        "learn": scores.learn,
        "ownership": scores.ownership,
        "needs_nudge": stored.needs_nudge,
        "nudged": stored.nudged,
        "rules": " ".join(_word(rule) for rule in stored.rules),
        "dimensions": " ".join(_word(dimension) for dimension in stored.dimensions),
        "quotes": quotes,
        "text": stored.text,
        "customer": stored.customer,
        "message_ts": stored.message_ts,
        "latency_ms": stored.latency_ms,
        "input_tokens": stored.input_tokens,
        "output_tokens": stored.output_tokens,
    }


def _again(
    method: Callable[Concatenate[Store, _P], Coroutine[Any, Any, _T]],
) -> Callable[Concatenate[Store, _P], Coroutine[Any, Any, _T]]:
    """Run a method that is harmless to repeat once more if its connection was lost in it.

    For the reads and :meth:`Store.set_nudged`. Not when the database is down (getting a
    connection was retried already) or busy (SQLite waited already): only a statement lost
    with its connection (``in_doubt``) is worth another try, on a new connection.
    """

    @functools.wraps(method)
    async def run(store: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await method(store, *args, **kwargs)
        except StorageError as error:
            if not error.in_doubt:
                raise
            logger.warning("%s lost its connection (%s); trying once more", method.__name__, error)
        return await method(store, *args, **kwargs)

    return run


class Store:
    """Reviews, feedback, watched channels, user settings, tip subscriptions and claims.

    Open with ``store = await Store.open(settings.database_url)`` (or ``async with``); the
    schema is created or upgraded on open unless ``migrate=False``. Safe to share between the
    tasks of one event loop; several processes may share one database.
    """

    def __init__(self, engine: AsyncEngine, url: URL, clock: Clock, shown: str) -> None:
        """Wrap an engine; use :meth:`open` instead."""
        self._engine = engine
        self._url = url
        self._shown = shown
        self._clock = clock
        self.dialect: Literal["sqlite", "postgresql"] = (
            "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"
        )
        self._memory = _is_memory(url)
        self._lock = WriteLock() if self.dialect == "sqlite" else None
        # PostgreSQL: a small pool of its own for urgent statements (recording a message
        # before Slack's ack, readiness), so a burst of background work holding every pooled
        # connection does not hold them up.
        self._urgent = self._engine_for(url, urgent=True) if self.dialect == "postgresql" else None
        self._urgent_autocommit = (
            None
            if self._urgent is None
            else self._urgent.execution_options(isolation_level="AUTOCOMMIT")
        )
        # The live path's statements, built once (values are bound on each call: ~20% less
        # time per call than building a statement with .values() each time).
        self._claim = self._insert(claimed_events).on_conflict_do_nothing()
        self._claim_delivery = self._insert(tip_deliveries).on_conflict_do_nothing()
        self._add_feedback = self._insert(feedback).on_conflict_do_nothing()
        self._add_review = insert(reviews)
        self._set_nudged = (
            update(reviews).where(reviews.c.id == bindparam("review_id")).values(nudged=True)
        )
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else None
        )

    @property
    def url(self) -> str:
        """The database URL as configured, with the password hidden (fit for logs)."""
        return self._shown

    # -- opening and closing -----------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, *, clock: Clock = utcnow, migrate: bool = True) -> Self:
        """Connect to ``url`` (a settings URL such as ``sqlite:///nudgebot.db``) and check it.

        With ``migrate`` (the default) the schema is created or upgraded to the newest revision
        first, keeping every row; without it, a schema that is not the newest is an error.
        Raises :class:`StorageError`, naming the URL without its password, when the database
        cannot be reached, is not a database, or has a schema this version cannot use.
        """
        parsed = async_url(url)
        sqlite_file = None
        if parsed.get_backend_name() == "sqlite" and not _is_memory(parsed):
            sqlite_file = Path(parsed.database or "").expanduser().absolute()
            if not sqlite_file.parent.is_dir():
                raise StorageError(
                    f"cannot open the database {safe_url(url)}: "
                    f"the folder {sqlite_file.parent} does not exist"
                )
        engine = cls._engine_for(parsed)
        store = cls(engine, parsed, clock, safe_url(url))
        try:
            if sqlite_file is not None:
                await asyncio.to_thread(_use_wal, sqlite_file)
            if migrate:
                await migrations.upgrade(engine)
            else:
                await store._check_revision()
            await store._warm_urgent()
        except StorageError:
            await engine.dispose()
            if store._urgent is not None:
                await store._urgent.dispose()
            raise
        except migrations.MigrationError as error:
            await engine.dispose()
            raise StorageError(f"cannot use the database {store.url}: {error}") from None
        except Exception as error:
            await engine.dispose()
            reason = _reason(error, parsed.password)
            raise StorageError(f"cannot open the database {store.url}: {reason}") from error
        return store

    @staticmethod
    def _engine_for(url: URL, *, urgent: bool = False) -> AsyncEngine:
        """Return an engine for ``url``; ``urgent``: the small pool for what answers requests.

        On PostgreSQL the urgent pool's commits don't wait for the WAL to reach the disk
        (``synchronous_commit=off``, as SQLite's ``synchronous=NORMAL``): a message recorded
        before Slack's ack would otherwise wait for every fsync queued by the background
        writes (300 commits a second in the load bench put acks past Slack's 3 s). Such a
        commit survives nudgebot crashing or being killed; it is lost only if PostgreSQL
        itself crashes within a moment (3 x ``wal_writer_delay``, 0.6 s by default) of it.
        """
        if url.get_backend_name() == "postgresql":
            settings = {"application_name": "nudgebot"}
            if urgent:
                settings["synchronous_commit"] = "off"
            engine = create_async_engine(
                url,
                connect_args={"timeout": CONNECT_SECONDS, "server_settings": settings},
                **({"pool_size": URGENT_POOL, "max_overflow": URGENT_OVERFLOW} if urgent else {}),
            )
            _ping_when_idle(engine)
            return engine
        memory = _is_memory(url)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(memory))
        return engine

    async def _warm_urgent(self) -> None:
        """Open the urgent pool's connections now, so a burst does not wait for connecting."""
        if self._urgent is None:
            return
        connections = [await self._urgent.connect().start() for _ in range(URGENT_POOL)]
        for connection in connections:
            await connection.close()  # back to the pool, kept open

    async def _check_revision(self) -> None:
        async with self._engine.connect() as connection:
            found = await connection.run_sync(migrations.current)
        wanted = migrations.head()
        if found != wanted:
            raise StorageError(
                f"cannot use the database {self.url}: its schema is at revision {found!r}, "
                f"this version of nudgebot needs {wanted!r}; open it with migrate=True to "
                "upgrade it"
            )

    async def close(self) -> None:
        """Close every connection (the store cannot be used afterwards)."""
        await self._engine.dispose()
        if self._urgent is not None:
            await self._urgent.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def ping(self) -> None:
        """Run ``SELECT 1``: raise :class:`StorageError` if the database cannot answer now.

        For readiness checks: getting a connection is tried once, not retried (from the
        urgent pool, so a busy pool does not make the instance look unready).
        """
        async with self._begin(write=False, retry=False, urgent=True) as connection:
            await connection.execute(select(literal(1)))

    # -- plumbing ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the injected clock's time (which must be timezone-aware)."""
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the store's clock must return timezone-aware datetimes")
        return now

    @contextlib.asynccontextmanager
    async def _begin(
        self, *, write: bool, single: bool = True, retry: bool = True, urgent: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """Open a transaction for one statement (``single``) or several.

        On PostgreSQL one statement runs in autocommit mode: it is atomic by itself, and that
        saves the BEGIN and COMMIT round trips. On SQLite, writers in this process take turns
        on a lock rather than polling for SQLite's (and everything does, in memory). Getting
        the connection is retried while the database is unreachable (:meth:`_connect`); the
        statements are not (see the module docs). ``urgent`` goes first in SQLite's line
        and uses a pool of its own on PostgreSQL (for what answers a request: a
        ``single`` statement).
        """
        lock = self._lock if self._lock is not None and (write or self._memory) else None
        async with lock.hold(urgent) if lock is not None else contextlib.nullcontext():
            connection: AsyncConnection | None = None
            try:
                autocommit = self._autocommit if single else None
                source = self._engine if autocommit is None else autocommit
                if urgent and single and self._urgent_autocommit is not None:
                    source = self._urgent_autocommit
                connection = await (self._connect(source) if retry else source.connect().start())
                try:
                    if autocommit is not None:
                        yield connection
                    else:
                        async with connection.begin():
                            yield connection
                finally:
                    await connection.close()
            except IntegrityError:
                raise
            except StatementError as error:
                if not isinstance(error, DBAPIError) and isinstance(
                    error.orig, ValueError | TypeError
                ):
                    raise error.orig from None  # a bad argument (a naive datetime...)
                raise self._error(error, sent=connection is not None) from error
            except (SQLAlchemyError, OSError) as error:
                raise self._error(error, sent=connection is not None) from error

    def _error(self, error: BaseException, *, sent: bool) -> StorageError:
        """Translate ``error``; ``sent``: it came after a connection was had (statements ran)."""
        message = f"database {self.url}: {_reason(error, self._url.password)}"
        gone = _gone(error)
        return StorageError(message, transient=gone or _busy(error), in_doubt=gone and sent)

    async def _connect(self, source: AsyncEngine) -> AsyncConnection:
        """Check out a connection, retrying for up to :data:`RETRY_SECONDS` if it is unreachable.

        Nothing has been sent to the database yet, so trying again is always safe: this is what
        carries the live path over a server restart of a few seconds. Waits double from
        :data:`RETRY_FIRST_DELAY` to :data:`RETRY_MAX_DELAY`; one warning per call that waits.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_SECONDS
        delay = RETRY_FIRST_DELAY
        while True:
            try:
                return await source.connect().start()
            except (SQLAlchemyError, OSError) as error:
                if not _gone(error) or loop.time() + delay > deadline:
                    raise
                if delay == RETRY_FIRST_DELAY:
                    logger.warning(
                        "database %s unreachable (%s): trying again for up to %g s",
                        self.url,
                        _reason(error, self._url.password),
                        RETRY_SECONDS,
                    )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY)

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def _count(
        self, statement: Insert | Update | Delete, values: Mapping[str, Any] | None = None
    ) -> int:
        async with self._begin(write=True) as connection:
            return (await connection.execute(statement, values)).rowcount

    # -- reviews -----------------------------------------------------------------------------

    async def add_review(
        self,
        review: Review,
        *,
        platform: str,
        team: str | None,
        channel: str | None,
        user: str | None,
        text: str | None,
        customer: str | None,
        nudged: bool,
        message_ts: str | None = None,
        at: datetime | None = None,
        thread_key: str | None = None,
    ) -> int:
        """Store a review of a reply and return its id.

        ``text`` is the reply and ``customer`` the message it answered (pass None to keep
        neither); both go at the end of the retention period. The prompt version, latency and
        token counts are taken from ``review.meta`` when the model recorded them.
        """
        row = self.review_row(
            review,
            platform=platform,
            team=team,
            channel=channel,
            user=user,
            text=text,
            customer=customer,
            nudged=nudged,
            message_ts=message_ts,
            at=at,
            thread_key=thread_key,
        )
        async with self._begin(write=True) as connection:
            result = await connection.execute(self._add_review, row)
            key = result.inserted_primary_key
        if key is None:  # pragma: no cover - every supported database reports it
            raise StorageError(f"database {self.url}: the new review's id was not reported")
        return int(key[0])

    def review_row(
        self,
        review: Review,
        *,
        platform: str,
        team: str | None,
        channel: str | None,
        user: str | None,
        text: str | None,
        customer: str | None,
        nudged: bool,
        message_ts: str | None = None,
        at: datetime | None = None,
        thread_key: str | None = None,
    ) -> dict[str, Any]:
        """Return the ``reviews`` row :meth:`add_review` inserts (for a caller's transaction).

        The rules that made the live decision (``review.meta["live_rules"]``) and how heated
        the customer read (``review.meta["heat"]``) go with it, for what the team's reactions
        teach (:mod:`nudgebot.storage.learning`); ``thread_key`` names the conversation.
        """
        prompt_version, latency_ms, input_tokens, output_tokens = _meta(review.meta)
        findings = review.findings
        stored = StoredReview(
            id=0,
            at=self.now() if at is None else at,
            platform=platform,
            team=team,
            channel=channel,
            user=user,
            engine=review.engine,
            scores=review.scores,
            rules=tuple(f.rule for f in findings),
            dimensions=tuple(f.dimension for f in findings),
            quotes=tuple(f.quote for f in findings),
            needs_nudge=review.needs_nudge,
            nudged=nudged,
            text=text,
            customer=customer,
            prompt_version=prompt_version,
            latency_ms=latency_ms,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            message_ts=message_ts,
        )
        row = _row(stored)
        live_rules = review.meta.get("live_rules")
        if live_rules:
            row["live_rules"] = " ".join(_word(str(rule)) for rule in live_rules)
        heat = review.meta.get("heat")
        if isinstance(heat, int) and not isinstance(heat, bool):
            row["heat_before"] = heat
        if thread_key is not None:
            row["thread_key"] = thread_key
        return row

    async def add_reviews(self, rows: Sequence[StoredReview]) -> None:
        """Insert many reviews at once (seeding tests and benchmarks); their ids are ignored.

        A row's ``helpful``, when set, is stored as its author's feedback on the review.
        """
        if not rows:
            return
        async with self._begin(write=True, single=False) as connection:
            wanted = [row for row in rows if row.helpful is not None and row.user is not None]
            if not wanted:
                await connection.execute(insert(reviews), [_row(row) for row in rows])
                return
            ids: Sequence[int]
            if self.dialect == "sqlite":
                # RETURNING in parameter order makes SQLAlchemy insert row by row on SQLite
                # (12x slower). The transaction holds SQLite's write lock from the first row,
                # so the new rows' ids are the consecutive ones ending at the largest.
                await connection.execute(insert(reviews), [_row(row) for row in rows])
                last = await connection.scalar(select(func.max(reviews.c.id)))
                assert last is not None
                ids = range(last - len(rows) + 1, last + 1)
            else:
                result = await connection.execute(
                    insert(reviews).returning(reviews.c.id, sort_by_parameter_order=True),
                    [_row(row) for row in rows],
                )
                ids = result.scalars().all()
            given = [
                {"review_id": id_, "user_id": row.user, "helpful": row.helpful, "at": row.at}
                for id_, row in zip(ids, rows, strict=True)
                if row.helpful is not None and row.user is not None
            ]
            await connection.execute(insert(feedback), given)

    @_again
    async def set_nudged(self, review_id: int) -> None:
        """Record that the nudge for review ``review_id`` was sent."""
        await self._count(self._set_nudged, {"review_id": review_id})

    @_again
    async def reviews(
        self,
        *,
        since: datetime,
        until: datetime,
        channels: Collection[str] | None = None,
        users: Collection[str] | None = None,
        team: str | None = None,
    ) -> list[StoredReview]:
        """Return the reviews made from ``since`` (included) to ``until`` (excluded), oldest first.

        Narrowed to ``channels``, ``users`` and ``team`` where given (an empty collection
        matches nothing). ``helpful`` is the author's own feedback on the nudge, if any.
        """
        if (channels is not None and not channels) or (users is not None and not users):
            return []
        query = (
            select(*_REVIEW_COLUMNS)
            .select_from(_WITH_FEEDBACK)
            .where(*self._filters(since, until, channels, users, team))
            .order_by(reviews.c.at, reviews.c.id)
        )
        async with self._begin(write=False) as connection:
            result = await connection.execute(query)  # buffered: no awaits below
        with _gc_paused():
            return [_stored(row) for row in result]

    @_again
    async def score_sums(
        self,
        *,
        since: datetime,
        until: datetime,
        channels: Collection[str] | None = None,
        users: Collection[str] | None = None,
        team: str | None = None,
    ) -> ScoreSums:
        """Return the count and score sums of what :meth:`reviews` would return, from SQL.

        For the period a report compares against, which needs only the means: one ``COUNT`` /
        ``SUM`` query instead of building every review (about half a report's time).
        """
        from nudgebot.reports import ScoreSums

        if (channels is not None and not channels) or (users is not None and not users):
            return ScoreSums()
        query = select(
            func.count(),
            *(func.coalesce(func.sum(reviews.c[name]), 0) for name in DIMENSIONS),
            func.coalesce(func.sum(_OVERALL), 0),
        ).where(*self._filters(since, until, channels, users, team))
        async with self._begin(write=False) as connection:
            row = (await connection.execute(query)).one()
        return ScoreSums(*(int(value) for value in row))

    @_again
    async def report_data(
        self,
        *,
        since: datetime,
        until: datetime,
        channels: Collection[str] | None = None,
        users: Collection[str] | None = None,
        team: str | None = None,
    ) -> ReportData:
        """Return what a lead's report needs of what :meth:`reviews` would return, from SQL.

        The same :class:`~nudgebot.reports.ReportData` as ``reports.report_data`` of those
        rows, without reading them back: one ``GROUP BY`` per agent (its totals are the
        period's), one per time slot (the trend), one per combination of findings (the top
        issues); then the findings and quotes of only the replies with a top issue (two short
        columns, for the examples), and the best reply as one row. The four run at once, each
        on a pooled connection of its own (in turns on an in-memory SQLite database): a
        report over 100,000 reviews takes about half a second instead of two or three
        (``bench/storage.py``). Narrowed like :meth:`reviews`.
        """
        from nudgebot import reports

        if (channels is not None and not channels) or (users is not None and not users):
            return reports.report_data([])
        where = self._filters(since, until, channels, users, team)
        per_agent, per_slot, (counts, dimensions, quotes), best = await asyncio.gather(
            self._all(_agent_totals(where)),
            self._all(self._slot_totals(where)),
            self._findings(where),
            self._best_reply(where),
        )
        sums, acceptance, agents = _period_totals(per_agent)
        return reports.ReportData(
            sums=sums,
            acceptance=acceptance,
            agents=agents,
            slots={reports.slot_start(int(s)): (int(t), int(n)) for s, t, n in per_slot},
            rules=counts,
            dimensions=dimensions,
            quotes=quotes,
            best=best,
        )

    async def _all(self, query: Executable) -> Sequence[Sequence[Any]]:
        """Return every row of a read-only ``query``, on a connection of its own."""
        async with self._begin(write=False) as connection:
            return (await connection.execute(query)).all()

    async def _findings(
        self, where: Sequence[ColumnElement[bool]]
    ) -> tuple[dict[str, int], dict[str, Dimension], dict[str, tuple[str, ...]]]:
        """Return the replies per rule, each rule's dimension, and the top rules' quotes."""
        from nudgebot import reports

        found = await self._all(_finding_totals(where))
        counts, dimensions = reports.rule_counts(
            (rules.split(), names.split(), replies) for rules, names, replies in found
        )
        top = reports.top_rules(counts)
        quoted = await self._all(_quoted(where, top)) if top else []
        quotes = reports.quote_ranking(
            ((rules.split(), quotes.split(QUOTE_SEP)) for rules, quotes in quoted), top
        )
        return counts, dimensions, quotes

    async def _best_reply(self, where: Sequence[ColumnElement[bool]]) -> StoredReview | None:
        """Return the best reply of the period, reading one row (see ``ReportData.best``).

        The highest overall score among the replies that needed no nudge and still have their
        text, the latest first on ties: ranked by id (a narrow sort), then read whole. SQL's
        ``trim`` drops only spaces: a text of other whitespace alone is skipped here, reading
        the next row.
        """
        r = reviews.c
        ranked = (
            select(r.id)
            .where(*where, r.needs_nudge == false(), r.text.is_not(None), func.trim(r.text) != "")
            .order_by(_OVERALL.desc(), r.at.desc(), r.id.desc())
            .limit(1)
            .correlate(None)  # a query of its own, not about the row read whole
        )
        query = select(*_REVIEW_COLUMNS).select_from(_WITH_FEEDBACK)
        skip = 0
        while True:
            pick = ranked.offset(skip).scalar_subquery()
            rows = await self._all(query.where(r.id == pick))
            if not rows:
                return None
            best = _stored(rows[0])
            if best.text and best.text.strip():
                return best
            skip += 1

    def _slot_totals(self, where: Sequence[ColumnElement[bool]]) -> Executable:
        """Sum the rounded overall scores and count the replies per slot of the trend.

        A slot is :data:`~nudgebot.reports.SLOT_SECONDS` long, numbered from the epoch (see
        :func:`~nudgebot.reports.slot_of`): the whole seconds since the epoch, divided.
        """
        from nudgebot.reports import SLOT_SECONDS

        seconds: ColumnElement[int]
        if self.dialect == "postgresql":  # EXTRACT gives a numeric with the microseconds
            seconds = cast(func.floor(extract("epoch", reviews.c.at)), BigInteger)
        else:  # CAST(strftime('%s', at) AS INTEGER): whole seconds already
            seconds = extract("epoch", reviews.c.at)
        slot = (seconds // literal(SLOT_SECONDS, BigInteger, literal_execute=True)).label("slot")
        return select(slot, func.sum(_OVERALL), func.count()).where(*where).group_by(slot)

    @staticmethod
    def _filters(
        since: datetime,
        until: datetime,
        channels: Collection[str] | None,
        users: Collection[str] | None,
        team: str | None,
    ) -> list[ColumnElement[bool]]:
        found = [reviews.c.at >= since, reviews.c.at < until]
        if channels is not None:
            found.append(reviews.c.channel.in_(sorted(set(channels))))
        if users is not None:
            found.append(reviews.c.user_id.in_(sorted(set(users))))
        if team is not None:
            found.append(reviews.c.team == team)
        return found

    @_again
    async def review(self, review_id: int) -> StoredReview | None:
        """Return one review by id (None if there is no such review)."""
        query = select(*_REVIEW_COLUMNS).select_from(_WITH_FEEDBACK)
        async with self._begin(write=False) as connection:
            row = (await connection.execute(query.where(reviews.c.id == review_id))).first()
        return None if row is None else _stored(row)

    async def add_feedback(self, review_id: int, user: str, helpful: bool) -> bool:
        """Record ``user``'s verdict on the nudge for ``review_id``.

        Returns False, changing nothing, if ``user`` already gave one for that review or the
        review does not exist.
        """
        values = {"review_id": review_id, "user_id": user, "helpful": helpful, "at": self.now()}
        try:
            return await self._count(self._add_feedback, values) == 1
        except IntegrityError:  # no such review
            return False

    # -- exactly once ------------------------------------------------------------------------

    async def claim(self, key: str) -> bool:
        """Return True to exactly one caller per ``key``, across every process sharing the DB.

        Use before a one-off side effect, e.g. ``slack:nudge:C123:1700000000.0001``. Claims are
        kept for :data:`CLAIM_DAYS` days at least (see :meth:`purge`).
        """
        values = {"key": key, "at": self.now()}
        try:
            return await self._count(self._claim, values) == 1
        except StorageError as error:
            if not error.in_doubt:
                raise
            logger.warning("a claim was lost with its connection (%s); trying once more", error)
        # The lost attempt may have been written. Try again; if the key is taken by then, the
        # claim's time tells whose it is (ours is this call's own microsecond: two callers
        # claiming one key in the same microsecond while one loses its connection could both
        # get True, which is the one way left to nudge twice).
        if await self._count(self._claim, values) == 1:
            return True
        query = select(claimed_events.c.at).where(claimed_events.c.key == key)
        async with self._begin(write=False) as connection:
            return bool(await connection.scalar(query) == values["at"])

    @_again
    async def unreviewed(
        self, *, since: datetime, until: datetime, channels: Collection[str] | None = None
    ) -> int:
        """Count the live messages received in ``[since, until)`` that were never reviewed.

        Shed while the app was overloaded, or failed every attempt (see
        :mod:`nudgebot.storage.intake`); in ``channels`` if given.
        """
        c = claimed_events.c
        query = select(func.count()).where(
            c.state.in_(("shed", "failed")), c.at >= since, c.at < until
        )
        if channels is not None:
            query = query.where(c.channel.in_(sorted(set(channels))))
        async with self._begin(write=False) as connection:
            return int(await connection.scalar(query) or 0)

    # -- watched channels --------------------------------------------------------------------

    async def watch(self, channel: str, by: str) -> bool:
        """Watch ``channel`` for live nudges; False if it already was."""
        statement = (
            self._insert(watched_channels)
            .values(channel=channel, added_by=by, at=self.now())
            .on_conflict_do_nothing()
        )
        return await self._count(statement) == 1

    async def unwatch(self, channel: str) -> bool:
        """Stop watching ``channel``; False if it was not watched."""
        statement = delete(watched_channels).where(watched_channels.c.channel == channel)
        return await self._count(statement) > 0

    @_again
    async def watched(self) -> set[str]:
        """Return the watched channels."""
        async with self._begin(write=False) as connection:
            result = await connection.execute(select(watched_channels.c.channel))
            return set(result.scalars().all())

    # -- per-user settings -------------------------------------------------------------------

    @_again
    async def user_settings(self, user: str) -> UserSettings:
        """Return ``user``'s nudge settings (defaults if never set; an ended mute reads None)."""
        query = select(user_settings.c.live, user_settings.c.muted_until).where(
            user_settings.c.user_id == user
        )
        async with self._begin(write=False) as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return UserSettings(user)
        live, muted_until = row
        if muted_until is not None and muted_until <= self.now():
            muted_until = None
        return UserSettings(user, bool(live), muted_until)

    async def set_live(self, user: str, live: bool) -> None:
        """Turn ``user``'s live nudges on or off; turning them on also ends a mute."""
        statement = self._insert(user_settings).values(user_id=user, live=live, muted_until=None)
        changes: dict[str, Any] = {"live": live}
        if live:
            changes["muted_until"] = null()
        await self._count(statement.on_conflict_do_update(index_elements=["user_id"], set_=changes))

    async def mute(self, user: str, until: datetime) -> None:
        """Mute ``user``'s live nudges until ``until``."""
        statement = self._insert(user_settings).values(user_id=user, live=True, muted_until=until)
        await self._count(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"muted_until": statement.excluded.muted_until}
            )
        )

    # -- daily tips --------------------------------------------------------------------------

    async def subscribe(self, sub: TipSubscription) -> None:
        """Subscribe ``sub.channel`` to daily tips, replacing its subscription if it had one."""
        values = {
            "channel": sub.channel,
            "platform": sub.platform,
            "local_time": sub.local_time,
            "timezone": sub.timezone,
            "weekdays_only": sub.weekdays_only,
            "created_by": sub.created_by,
            "at": self.now(),
        }
        statement = self._insert(tip_subscriptions).values(values)
        changes = {name: value for name, value in values.items() if name != "channel"}
        await self._count(statement.on_conflict_do_update(index_elements=["channel"], set_=changes))

    async def unsubscribe(self, channel: str) -> bool:
        """End ``channel``'s daily tips; False if it had none."""
        statement = delete(tip_subscriptions).where(tip_subscriptions.c.channel == channel)
        return await self._count(statement) > 0

    @_again
    async def subscriptions(self) -> list[TipSubscription]:
        """Return every channel's tip subscription, by channel."""
        t = tip_subscriptions.c
        query = select(
            t.channel, t.platform, t.local_time, t.timezone, t.weekdays_only, t.created_by, t.at
        ).order_by(t.channel)
        async with self._begin(write=False) as connection:
            rows = (await connection.execute(query)).all()
        return [
            TipSubscription(channel, platform, local, zone, bool(weekdays), by, created_at=at)
            for channel, platform, local, zone, weekdays, by, at in rows
        ]

    async def claim_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        """Claim ``channel``'s tip for local date ``day``: True exactly once per channel and day.

        Call before posting; only the caller that got True posts.
        """
        values = {"channel": channel, "day": day, "tip_id": tip_id, "at": self.now()}
        return await self._count(self._claim_delivery, values) == 1

    async def release_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        """Give back a claim whose tip could not be posted, so the day can be tried again.

        Only the claim for ``tip_id`` goes (another caller's newer claim stays); False if
        there was none.
        """
        d = tip_deliveries.c
        statement = delete(tip_deliveries).where(
            d.channel == channel, d.day == day, d.tip_id == tip_id
        )
        return await self._count(statement) > 0

    @_again
    async def deliveries(self, channel: str) -> list[tuple[date, str]]:
        """Return the tips claimed for ``channel``: ``(local day, tip id)``, oldest first."""
        query = (
            select(tip_deliveries.c.day, tip_deliveries.c.tip_id)
            .where(tip_deliveries.c.channel == channel)
            .order_by(tip_deliveries.c.day)
        )
        async with self._begin(write=False) as connection:
            rows = (await connection.execute(query)).all()
        return [(day, tip_id) for day, tip_id in rows]

    # -- privacy -----------------------------------------------------------------------------

    async def purge(self, *, retention_days: int) -> int:
        """Drop the words of reviews older than ``retention_days``; return how many changed.

        The reply, the customer's message and the findings' quotes go; scores, rule ids and
        everything else stay for reports. Claims older than the retention period (and
        :data:`CLAIM_DAYS`) are deleted too.
        """
        if retention_days < 0:
            raise ValueError("retention_days must be 0 or more")
        now = self.now()
        cutoff = now - timedelta(days=retention_days)
        r = reviews.c
        words = (
            update(reviews)
            .where(r.at < cutoff)
            .where(or_(r.text.is_not(None), r.customer.is_not(None), r.quotes.is_not(None)))
            .values(text=None, customer=None, quotes=null())
        )
        claims_cutoff = min(cutoff, now - timedelta(days=CLAIM_DAYS))
        async with self._begin(write=True, single=False) as connection:
            changed = (await connection.execute(words)).rowcount
            await connection.execute(
                delete(claimed_events).where(claimed_events.c.at < claims_cutoff)
            )
        return changed

    async def forget(self, user: str) -> int:
        """Forget ``user``: return how many rows were changed or deleted.

        Their reviews lose their words (reply, customer message, quotes), their message
        reference and their user id, keeping only anonymous scores; their feedback and
        settings are deleted, and their id is removed from the channels and subscriptions
        they set up.
        """
        r = reviews.c
        statements: list[Update | Delete] = [
            delete(feedback).where(feedback.c.user_id == user),
            update(reviews)
            .where(r.user_id == user)
            .values(user_id=None, text=None, customer=None, quotes=null(), message_ts=None),
            delete(user_settings).where(user_settings.c.user_id == user),
            update(watched_channels)
            .where(watched_channels.c.added_by == user)
            .values(added_by=None),
            update(tip_subscriptions)
            .where(tip_subscriptions.c.created_by == user)
            .values(created_by=None),
        ]
        touched = 0
        async with self._begin(write=True, single=False) as connection:
            for statement in statements:
                touched += (await connection.execute(statement)).rowcount
        return touched


def _agent_totals(where: Sequence[ColumnElement[bool]]) -> Executable:
    """Sum the replies per user id (NULL too): see :func:`_period_totals` for the columns.

    Helpful or not is the author's own feedback on a nudge sent, as :meth:`Store.reviews`
    gives it; feedback is looked up for the nudges sent only.
    """
    r, said = reviews.c, feedback.c.helpful

    def replies(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    nudges = reviews.outerjoin(
        feedback,
        and_(r.nudged == true(), feedback.c.review_id == r.id, feedback.c.user_id == r.user_id),
    )
    return (
        select(
            r.user_id,
            func.count(),
            *(func.sum(r[name]) for name in DIMENSIONS),
            func.sum(_OVERALL),
            replies(r.nudged == true()),
            replies(said == true()),
            replies(said == false()),
        )
        .select_from(nudges)
        .where(*where)
        .group_by(r.user_id)
    )


def _finding_totals(where: Sequence[ColumnElement[bool]]) -> Executable:
    """Count the replies per distinct ``(rules, dimensions)`` (fewer than the replies)."""
    r = reviews.c
    return (
        select(r.rules, r.dimensions, func.count())
        .where(*where, r.rules != "")
        .group_by(r.rules, r.dimensions)
    )


def _quoted(where: Sequence[ColumnElement[bool]], rules: Sequence[str]) -> Executable:
    """Select the rule ids and quotes of the replies that may have one of ``rules``, oldest first.

    ``LIKE '% rule %'`` on the padded ids may match more (SQLite's LIKE ignores ASCII case):
    :func:`~nudgebot.reports.quote_ranking` keeps the exact ones.
    """
    r = reviews.c
    padded = literal(" ") + r.rules + literal(" ")
    return (
        select(r.rules, r.quotes)
        .where(
            *where,
            r.quotes.is_not(None),
            or_(*(padded.contains(f" {rule} ", autoescape=True) for rule in rules)),
        )
        .order_by(r.at, r.id)
    )


def _period_totals(
    per_agent: Sequence[Sequence[Any]],
) -> tuple[ScoreSums, Acceptance, dict[str, AgentTotals]]:
    """Return the period's sums and acceptance, and each agent's totals, from the per-agent rows.

    A row is ``(user id, replies, the five score sums, overall sum, nudges, helpful, not
    helpful)``; the replies without a user (NULL) count in the period's totals only.
    """
    from nudgebot import reports

    columns = [0] * 10
    agents: dict[str, AgentTotals] = {}
    for user, *values in per_agent:
        totals = [int(value) for value in values]
        columns = [a + b for a, b in zip(columns, totals, strict=True)]
        if user is not None:
            agents[user] = reports.AgentTotals(totals[0], *totals[6:])
    return reports.ScoreSums(*columns[:7]), reports.Acceptance(*columns[7:]), agents
