"""Schema migrations: from the first schema to the newest, keeping every row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nudgebot.models import Review, Scores, StoredReview
from nudgebot.storage import StorageError, Store, TipSubscription, UserSettings
from nudgebot.storage import migrate as migrations
from nudgebot.storage.intake import Intake
from nudgebot.storage.schema import METADATA
from nudgebot.storage.store import async_url

pytestmark = pytest.mark.anyio

FIRST = "0001"


def engine_for(url: str) -> AsyncEngine:
    return create_async_engine(async_url(url))


async def revision_of(url: str) -> str | None:
    engine = engine_for(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(migrations.current)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str) -> None:
    engine = engine_for(url)
    try:
        await migrations.upgrade(engine, revision)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    engine = engine_for(url)
    try:
        await migrations.downgrade(engine, revision)
    finally:
        await engine.dispose()


def when(engine: AsyncEngine, moment: str) -> str:
    """A timestamp literal in the first schema's column type, written as plain SQL would."""
    if engine.dialect.name == "postgresql":
        return f"CAST('{moment}+00:00' AS TIMESTAMP WITH TIME ZONE)"
    return f"'{moment}.000000'"  # SQLAlchemy's SQLite text format, in UTC


async def seed_first_schema(url: str) -> None:
    """Rows in every table of revision 0001, inserted with plain SQL (no nudgebot code)."""
    engine = engine_for(url)
    t1, t2, t3 = (
        when(engine, "2026-10-01 09:00:00"),
        when(engine, "2026-10-02 10:30:00"),
        when(engine, "2026-10-03 11:45:00"),
    )
    unit_separator = "char(31)" if engine.dialect.name == "sqlite" else "chr(31)"
    statements = [
        "INSERT INTO reviews (id, at, platform, team, channel, user_id, engine, prompt_version,"
        " respect, empathy, adaptable, learn, ownership, needs_nudge, nudged, rules, dimensions,"
        " quotes, text, customer, message_ts) VALUES"
        f" (1, {t1}, 'slack', 'T1', 'C1', 'U1', 'llm', '3', 90, 80, 70, 60, 50, TRUE, TRUE,"
        " 'ownership.deflection respect.curt', 'ownership respect',"
        f" 'contact the courier' || {unit_separator} || 'No.',"
        " 'Not our problem, contact the courier.', 'Where is it?', '1700000000.000100'),"
        f" (2, {t2}, 'teams', NULL, NULL, NULL, 'rules', NULL,"
        " 100, 100, 100, 100, 100, FALSE, FALSE, '', '', NULL, NULL, NULL, NULL)",
        f"INSERT INTO feedback (review_id, user_id, helpful, at) VALUES (1, 'U1', TRUE, {t2})",
        f"INSERT INTO watched_channels (channel, added_by, at) VALUES ('C1', 'U9', {t1})",
        f"INSERT INTO user_settings (user_id, live, muted_until) VALUES ('U1', FALSE, {t3}),"
        " ('U2', TRUE, NULL)",
        "INSERT INTO tip_subscriptions (channel, platform, local_time, timezone, weekdays_only,"
        f" created_by, at) VALUES ('C1', 'slack', '09:30', 'Europe/London', TRUE, 'U9', {t1})",
        "INSERT INTO tip_deliveries (channel, day, tip_id, at) VALUES"
        f" ('C1', '2026-10-01', 'three-cs-1', {t1}), ('C1', '2026-10-02', 'real-4', {t2})",
        f"INSERT INTO claimed_events (key, at) VALUES ('slack:nudge:C1:1700000000.000100', {t1})",
    ]
    if engine.dialect.name == "postgresql":  # explicit ids do not move the sequence
        statements.append("SELECT setval('reviews_id_seq', 2)")
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_upgrading_from_the_first_schema_keeps_every_row(db_url: str) -> None:
    await upgrade(db_url, FIRST)
    assert await revision_of(db_url) == FIRST
    await seed_first_schema(db_url)

    later = datetime(2026, 10, 2, 12, 0, tzinfo=UTC)
    store = await Store.open(db_url, clock=lambda: later)  # upgrades to the newest revision
    try:
        assert await revision_of(db_url) == migrations.head() != FIRST
        reviews = await store.reviews(
            since=datetime(2026, 9, 1, tzinfo=UTC), until=datetime(2026, 11, 1, tzinfo=UTC)
        )
        assert reviews == [
            StoredReview(
                id=1,
                at=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
                platform="slack",
                team="T1",
                channel="C1",
                user="U1",
                engine="llm",
                scores=Scores(respect=90, empathy=80, adaptable=70, learn=60, ownership=50),
                rules=("ownership.deflection", "respect.curt"),
                dimensions=("ownership", "respect"),
                quotes=("contact the courier", "No."),
                needs_nudge=True,
                nudged=True,
                text="Not our problem, contact the courier.",
                customer="Where is it?",
                prompt_version="3",
                latency_ms=None,  # the columns revision 0002 added are empty for old rows
                input_tokens=None,
                output_tokens=None,
                helpful=True,
                message_ts="1700000000.000100",
            ),
            StoredReview(
                id=2,
                at=datetime(2026, 10, 2, 10, 30, tzinfo=UTC),
                platform="teams",
                team=None,
                channel=None,
                user=None,
                engine="rules",
                scores=Scores(),
                rules=(),
                dimensions=(),
                quotes=(),
                needs_nudge=False,
                nudged=False,
            ),
        ]
        assert await store.watched() == {"C1"}
        assert await store.user_settings("U1") == UserSettings(
            "U1", live=False, muted_until=datetime(2026, 10, 3, 11, 45, tzinfo=UTC)
        )
        assert await store.user_settings("U2") == UserSettings("U2", live=True)
        assert await store.subscriptions() == [
            TipSubscription("C1", "slack", "09:30", "Europe/London", True, "U9")
        ]
        assert await store.deliveries("C1") == [
            (date(2026, 10, 1), "three-cs-1"),
            (date(2026, 10, 2), "real-4"),
        ]
        assert not await store.claim("slack:nudge:C1:1700000000.000100")
        # an old claim is a plain claim (revision 0004): never live work to sweep up
        intake = Intake(store, owner="test", lease=60)
        assert await intake.find("slack:nudge:C1:1700000000.000100") is None
        assert await intake.due() == []
        assert await intake.take("slack:nudge:C1:1700000000.000100") is None
        assert not await store.add_feedback(1, "U1", helpful=False)
        assert not await store.claim_delivery("C1", date(2026, 10, 2), "other")
        # and the upgraded schema takes new rows, in the new columns too
        new_id = await store.add_review(
            _review_with_usage(),
            platform="slack",
            team="T1",
            channel="C1",
            user="U1",
            text=None,
            customer=None,
            nudged=False,
        )
        assert new_id == 3
        new = await store.review(new_id)
        assert new is not None
        assert (new.latency_ms, new.input_tokens, new.output_tokens) == (250.0, 100, 20)
    finally:
        await store.close()


def _review_with_usage() -> Review:
    return Review(
        needs_nudge=False,
        scores=Scores(),
        findings=(),
        suggestion=None,
        engine="llm",
        meta={"tokens": {"input": 100, "output": 20}, "latency_ms": 250},
    )


async def test_upgrading_from_0003_keeps_the_claims_and_takes_live_work(db_url: str) -> None:
    await upgrade(db_url, "0003")
    engine = engine_for(db_url)
    try:
        async with engine.begin() as connection:
            moment = when(engine, "2026-10-01 09:00:00")
            await connection.execute(
                text(f"INSERT INTO claimed_events (key, at) VALUES ('slack:live:C1:1.0', {moment})")
            )
    finally:
        await engine.dispose()
    now = datetime(2026, 10, 1, 9, 0, 5, tzinfo=UTC)
    async with await Store.open(db_url, clock=lambda: now) as store:
        assert await revision_of(db_url) == migrations.head()
        assert not await store.claim("slack:live:C1:1.0")  # still claimed
        intake = Intake(store, owner="A", lease=30)
        assert await intake.due() == []  # a plain claim is not work to resume
        assert not await intake.record("slack:live:C1:1.0", channel="C1", payload="{}")
        assert await intake.record("slack:live:C1:2.0", channel="C1", payload='{"a": 1}')
        work = await intake.find("slack:live:C1:2.0")
        assert work is not None and (work.state, work.payload, work.attempts) == (
            "new",
            '{"a": 1}',
            1,
        )
    await downgrade(db_url, "0003")
    assert await revision_of(db_url) == "0003"


async def test_open_creates_the_newest_schema(db_url: str) -> None:
    assert await revision_of(db_url) is None
    await (await Store.open(db_url)).close()
    assert await revision_of(db_url) == migrations.head()


async def test_the_newest_revision_builds_exactly_the_tables_in_schema_py(db_url: str) -> None:
    await upgrade(db_url, "head")

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, METADATA))

    engine = engine_for(db_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_downgrading_and_upgrading_again(db_url: str) -> None:
    await upgrade(db_url, FIRST)
    await seed_first_schema(db_url)
    await upgrade(db_url, "head")
    await downgrade(db_url, FIRST)
    assert await revision_of(db_url) == FIRST
    async with await Store.open(db_url) as store:
        assert (
            len(
                await store.reviews(
                    since=datetime(2026, 9, 1, tzinfo=UTC), until=datetime(2026, 11, 1, tzinfo=UTC)
                )
            )
            == 2
        )
    await downgrade(db_url, "base")
    assert await revision_of(db_url) is None


async def test_without_migrate_an_old_schema_is_an_error(db_url: str) -> None:
    await upgrade(db_url, FIRST)
    with pytest.raises(StorageError, match=r"revision '0001'.*needs '0005'.*migrate=True"):
        await Store.open(db_url, migrate=False)
    await (await Store.open(db_url)).close()
    await (await Store.open(db_url, migrate=False)).close()  # at the newest now: fine


async def test_a_schema_from_a_newer_nudgebot_is_an_error(db_url: str) -> None:
    await upgrade(db_url, "head")
    engine = engine_for(db_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        await engine.dispose()
    with pytest.raises(StorageError, match=r"'9999'.*newer nudgebot"):
        await Store.open(db_url)
    with pytest.raises(StorageError, match=r"'9999'"):
        await Store.open(db_url, migrate=False)


def test_the_migrations_ship_inside_the_package() -> None:
    import nudgebot

    assert str(migrations.MIGRATIONS).startswith(str(next(iter(nudgebot.__path__))))
    assert (migrations.MIGRATIONS / "env.py").is_file()
    versions = sorted(p.name for p in (migrations.MIGRATIONS / "versions").glob("r*.py"))
    assert versions == [
        "r0001_initial.py",
        "r0002_usage.py",
        "r0003_conversations.py",
        "r0004_intake.py",
        "r0005_learning.py",
    ]
