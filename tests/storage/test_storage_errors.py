"""Bad, unreachable and corrupted databases give one clear error, never the password."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from nudgebot.storage import StorageError, Store
from nudgebot.storage import store as store_module
from nudgebot.storage.store import async_url, safe_url

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_settings_urls_get_the_async_drivers() -> None:
    assert str(async_url("sqlite:///nudgebot.db")) == "sqlite+aiosqlite:///nudgebot.db"
    assert str(async_url("sqlite:////var/lib/x.db")) == "sqlite+aiosqlite:////var/lib/x.db"
    assert str(async_url("sqlite://")) == "sqlite+aiosqlite://"
    pg = async_url("postgresql://bot:s3cret@db.internal:5433/nudge?sslmode=require")
    assert pg.drivername == "postgresql+asyncpg"
    assert (pg.username, pg.password, pg.host, pg.port, pg.database) == (
        "bot",
        "s3cret",
        "db.internal",
        5433,
        "nudge",
    )
    assert dict(pg.query) == {"ssl": "require"}
    assert async_url("postgres://h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+psycopg2://h/db").drivername == "postgresql+asyncpg"


def test_safe_url_hides_the_password() -> None:
    assert safe_url("postgresql://bot:s3cret@h/db") == "postgresql://bot:***@h/db"
    assert safe_url("not a url ://bot:s3cret@h") == "not a url ://bot:***@h"
    assert safe_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nonsense", "not a database URL"),
        ("mysql://bot:s3cret@localhost/db", "'mysql' is not supported"),
    ],
)
async def test_urls_it_cannot_use(url: str, reason: str) -> None:
    with pytest.raises(StorageError, match=reason) as caught:
        await Store.open(url)
    assert "s3cret" not in str(caught.value)


async def test_unreachable_postgresql_names_the_url_without_its_password() -> None:
    url = f"postgresql://bot:s3cret@127.0.0.1:{free_port()}/nudgebot"
    with pytest.raises(StorageError) as caught:
        await Store.open(url)
    message = str(caught.value)
    assert message.startswith("cannot open the database postgresql://bot:***@127.0.0.1:")
    assert "s3cret" not in message
    assert "refused" in message.lower() or "connect" in message.lower()
    assert "\n" not in message


async def test_a_corrupted_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nudgebot.db"
    path.write_bytes(b"this is not a database, just some bytes " * 200)
    with pytest.raises(StorageError, match=r"cannot open the database sqlite:///.*nudgebot\.db"):
        await Store.open(f"sqlite:///{path}")


async def test_a_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'nudgebot.db'}"
    with pytest.raises(StorageError, match=r"the folder .*missing does not exist"):
        await Store.open(url)


async def test_wrong_postgresql_password(pg_module_url: str) -> None:
    url = async_url(pg_module_url).set(password="wrong-password")
    plain = url.render_as_string(hide_password=False).replace("+asyncpg", "")
    with pytest.raises(StorageError) as caught:
        await Store.open(plain)
    message = str(caught.value)
    assert "wrong-password" not in message
    assert "password authentication failed" in message
    assert ":***@" in message


async def test_a_failing_operation_is_a_storage_error(db_url: str) -> None:
    async with await Store.open(db_url) as store:
        engine = create_async_engine(async_url(db_url))
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP TABLE watched_channels"))
        finally:
            await engine.dispose()
        with pytest.raises(StorageError, match=r"^database (sqlite|postgresql)") as caught:
            await store.watched()
        assert "watched_channels" in str(caught.value)


async def _kill_connections(admin_url: str) -> int:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as admin:
            killed = await admin.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'nudgebot' AND pid <> pg_backend_pid()"
                    " AND datname = current_database()"  # this test module's database only
                )
            )
    finally:
        await engine.dispose()
    assert isinstance(killed, int)
    return killed


@pytest.fixture
def pg_url(pg_module_url: str) -> str:
    async def reset() -> None:
        engine = create_async_engine(async_url(pg_module_url), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as admin:
                await admin.execute(text("DROP SCHEMA public CASCADE"))
                await admin.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    asyncio.run(reset())
    return pg_module_url


def test_a_connection_idle_for_a_while_is_checked_and_replaced(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "IDLE_PING_SECONDS", 0.0)

    async def run() -> None:
        async with await Store.open(pg_url) as store:
            assert await store.claim("before")
            assert await _kill_connections(pg_url)
            assert await store.claim("after")  # the dead connection was replaced first

    asyncio.run(run())


def test_a_busy_connection_lost_is_replaced_and_the_call_still_claims_once(pg_url: str) -> None:
    # Killed between two calls: the next call either gets a new connection at once (the driver
    # saw it closed) or loses its statement with it and tries once more (see Store.claim).
    async def run() -> None:
        async with await Store.open(pg_url) as store:
            assert await store.claim("before")
            assert await _kill_connections(pg_url)
            assert await store.claim("lost")
            assert not await store.claim("lost")  # claimed once, by the call above
            assert await store.claim("after")

    asyncio.run(run())
