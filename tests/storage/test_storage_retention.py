"""Retention: the purge job beside the app, and ``nudgebot purge`` on the command line."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from nudgebot import cli
from nudgebot.models import Scores, StoredReview
from nudgebot.storage import Store
from nudgebot.storage.retention import RetentionJob
from nudgebot.storage.store import StorageError
from tests.storage.conftest import START, FakeClock

pytestmark = pytest.mark.anyio


def review(days_ago: float, user: str = "U1") -> StoredReview:
    return StoredReview(
        id=0,
        at=START - timedelta(days=days_ago),
        platform="slack",
        team="T1",
        channel="C1",
        user=user,
        engine="rules",
        scores=Scores(empathy=70),
        rules=("empathy.no-apology",),
        dimensions=("empathy",),
        quotes=("Nothing to do",),
        needs_nudge=True,
        nudged=True,
        text="Nothing to do with us.",
        customer="My parcel is lost!",
    )


async def texts(store: Store) -> list[tuple[str | None, str | None, int]]:
    rows = await store.reviews(since=START - timedelta(days=400), until=START)
    return [(row.text, row.user, row.scores.empathy) for row in rows]


async def test_the_job_purges_at_start_and_then_every_interval(
    store: Store, clock: FakeClock
) -> None:
    await store.add_reviews([review(40), review(10)])
    naps: list[float] = []
    woke = asyncio.Event()
    resume = asyncio.Event()

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        woke.set()
        await resume.wait()
        resume.clear()

    async def opened() -> Store:
        return store

    job = RetentionJob(opened, 30, interval=3600, sleep=sleep)
    job.start()
    await asyncio.wait_for(woke.wait(), 5)
    assert await texts(store) == [(None, "U1", 70), ("Nothing to do with us.", "U1", 70)]
    assert job.purged == 1 and naps == [3600]
    clock.advance(days=25)  # the second review is now 35 days old
    woke.clear()
    resume.set()
    await asyncio.wait_for(woke.wait(), 5)
    assert job.purged == 2
    assert [text for text, _, _ in await texts(store)] == [None, None]
    await job.stop()


async def test_a_failing_purge_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def broken() -> Store:
        nonlocal calls
        calls += 1
        raise StorageError("database sqlite:///x.db: unable to open database file")

    job = RetentionJob(broken, 30)
    assert await job.run_once() == 0
    assert await job.run_once() == 0
    assert calls == 2 and "retention purge failed" in caplog.text


def test_nudgebot_purge_drops_old_words_and_forgets_a_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'purge.db'}"

    async def seed() -> None:
        async with await Store.open(url, clock=FakeClock()) as store:
            await store.add_reviews([review(40), review(10), review(1, user="U2")])

    async def read() -> list[tuple[str | None, str | None, int]]:
        async with await Store.open(url, clock=FakeClock()) as store:
            return await texts(store)

    asyncio.run(seed())
    # The command's clock is real: START is in the past, so nothing is 20,000 days old...
    assert cli.main(["purge", "--days", "20000", "--database", url]) == 0
    assert "of 0 review(s) older than 20000 days" in capsys.readouterr().out
    assert cli.main(["purge", "--user", "@U2", "--database", url]) == 0
    assert "U2: forgotten" in capsys.readouterr().out
    rows = asyncio.run(read())
    assert rows[-1] == (None, None, 70)  # U2's review: no words, no name, the score kept
    assert rows[0][0] == "Nothing to do with us."
    # ...while the reviews of 40 and 10 days before START are more than 30 days old now.
    assert cli.main(["purge", "--database", url]) == 0
    assert "of 2 review(s) older than 30 days" in capsys.readouterr().out
    assert [text for text, _, _ in asyncio.run(read())] == [None, None, None]


@pytest.mark.parametrize("days", ["-1", "many"])
def test_nudgebot_purge_refuses_a_bad_period(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["purge", "--days", days]) == 2
    assert "not a number of days" in capsys.readouterr().err
