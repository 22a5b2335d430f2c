"""Fixtures for the storage tests: the same tests run on SQLite and on PostgreSQL.

``db_url`` (from :mod:`tests.databases`) is parametrized: a new SQLite file per test, and a
clean schema on a PostgreSQL server when ``NUDGEBOT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from nudgebot.storage import Store
from tests.databases import PG_ENV, db_url, pg_module_url

__all__ = ["PG_ENV", "db_url", "pg_module_url"]

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(db_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    """A fresh store on an empty database, on the fake clock."""
    opened = await Store.open(db_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()
