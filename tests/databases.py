"""Real databases for tests: a new SQLite file, or a clean schema on a PostgreSQL server.

``db_url`` is parametrized: a new SQLite file per test, and a clean schema in a PostgreSQL
database made for the test module when ``NUDGEBOT_TEST_POSTGRES_URL`` points at a server (a
role allowed to create databases). Without it the PostgreSQL runs are skipped, saying so;
``.ci/run`` always sets it (``.ci/with-postgres`` starts a throwaway server). Import the
fixtures into a conftest or a test module to use them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from nudgebot.storage.store import async_url

PG_ENV = "NUDGEBOT_TEST_POSTGRES_URL"


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def pg_module_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database of this test module's own, dropped afterwards."""
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (`bash .ci/with-postgres make test`)")
    name = f"nudgebot_test_{request.module.__name__.rsplit('.', 1)[-1]}_{secrets.token_hex(3)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = async_url(server).set(database=name).render_as_string(hide_password=False)
    url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        yield url
    finally:
        asyncio.run(_drop_database(server, name))


async def _drop_database(server: str, name: str) -> None:
    """Drop a test database, waiting out a moment of autovacuum (which FORCE may not end)."""
    for attempt in range(50):
        try:
            await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError:
            if attempt == 49:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or a clean PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nudgebot.db'}"
    url: str = request.getfixturevalue("pg_module_url")
    asyncio.run(_admin(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"))
    return url
