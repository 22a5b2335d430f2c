"""Schema migrations with Alembic, configured in code (no ``alembic.ini``).

The revisions live in ``nudgebot/storage/migrations/versions/`` inside the package, so an
installed wheel can upgrade its database too. :meth:`nudgebot.storage.Store.open` upgrades to
the newest revision by itself; :func:`upgrade` does the same for a URL, to any revision (the
migration tests stop at the first one).

Only one process migrates at a time: on PostgreSQL the upgrade holds a transaction-level
advisory lock, on SQLite an immediate (write) transaction, so two bot instances starting
together do not both try to create the tables.

To add a revision, change :mod:`nudgebot.storage.schema`, then write the next file in
``versions/`` by hand (copy the newest one; set ``revision`` and ``down_revision``), or let
Alembic draft it against a scratch database at the current head::

    python -m nudgebot.storage.migrate "add the thing"

and read the draft before keeping it. ``tests/storage/test_migrations.py`` checks that the
newest revision builds exactly the tables in ``schema.py`` on both databases.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = [
    "MIGRATIONS",
    "MigrationError",
    "current",
    "downgrade",
    "head",
    "upgrade",
    "upgrade_connection",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""The Alembic script directory shipped in the package."""

_PG_LOCK = 0x6E75_6467_6D69_6772  # "nudgmigr": the advisory lock key for migrations


class MigrationError(RuntimeError):
    """The database's schema cannot be brought to the wanted revision."""


def config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at the package's migrations (and ``connection``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """Return the newest revision this version of nudgebot knows."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    if found is None:  # pragma: no cover - the package always ships revisions
        raise MigrationError("no migrations found in " + str(MIGRATIONS))
    return found


def current(connection: Connection) -> str | None:
    """Return the database's revision (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def _known(revision: str | None) -> None:
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(config()).get_revision(revision)
    except CommandError:
        raise MigrationError(
            f"the database's schema is at revision {revision!r}, which this version of "
            f"nudgebot does not know (its newest is {head()!r}): it was made by a newer "
            "nudgebot; upgrade nudgebot"
        ) from None


def _upgrade_sync(connection: Connection, revision: str) -> None:
    _known(current(connection))
    command.upgrade(config(connection), revision)


def _downgrade_sync(connection: Connection, revision: str) -> None:
    _known(current(connection))
    command.downgrade(config(connection), revision)


async def _locked(
    connection: AsyncConnection, step: Callable[[Connection, str], None], revision: str
) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK})"))
    elif connection.dialect.name == "sqlite":
        # Take SQLite's write lock first: DDL is not transactional in Python's sqlite3 module
        # otherwise, and a second process would find half-made tables.
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
    await connection.run_sync(step, revision)
    await connection.commit()


async def upgrade_connection(connection: AsyncConnection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` to ``revision``, holding the migration lock.

    Commits on success. The connection must not be in a transaction yet.
    """
    await _locked(connection, _upgrade_sync, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (default: the newest)."""
    async with engine.connect() as connection:
        await upgrade_connection(connection, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the database behind ``engine`` back to ``revision`` (``base``: empty).

    What the newer revisions added is lost: for rolling back a release, not for daily use.
    """
    async with engine.connect() as connection:
        await _locked(connection, _downgrade_sync, revision)


def _draft(message: str) -> None:  # pragma: no cover - a developer's tool
    """Write a draft revision comparing a scratch database at head with ``schema.py``."""
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            engine = create_async_engine(f"sqlite+aiosqlite:///{folder}/draft.db")
            try:
                await upgrade(engine)
                async with engine.connect() as connection:

                    def draft(sync: Connection) -> None:
                        command.revision(config(sync), message=message, autogenerate=True)

                    await connection.run_sync(draft)
            finally:
                await engine.dispose()

    asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 2:
        sys.exit('usage: python -m nudgebot.storage.migrate "what the revision does"')
    _draft(sys.argv[1])
