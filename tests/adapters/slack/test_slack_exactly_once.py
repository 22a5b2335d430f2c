"""Two instances of the app on one database: each nudge and each daily tip happens once.

Both instances are the real app under uvicorn (each in its own thread and event loop), on
the same database (an SQLite file, and a PostgreSQL server when one is configured: see
:mod:`tests.databases`), talking to one fake Slack. The same events reach both, as they would
when a load balancer retries on the other instance or Slack redelivers to another one; the
claims in the database, not either process's memory, decide who acts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudgebot.adapters.slack.daily_tips import DailyTips
from nudgebot.engine import ReviewEngine
from nudgebot.storage import TipSubscription
from nudgebot.testing import FakeSlackAPI
from nudgebot.tips import TipLibrary
from tests.adapters.slack.harness import (
    HOME,
    LEAD,
    SUPPORT,
    RunningApp,
    event,
    make_settings,
    preload,
)
from tests.databases import db_url, pg_module_url

__all__ = ["db_url", "pg_module_url"]

EVENTS = 12


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        fake.add_user(LEAD, HOME, tz="Europe/London")
        yield fake


@pytest.fixture
def pair(db_url: str, api: FakeSlackAPI) -> Iterator[tuple[RunningApp, RunningApp]]:
    """Two instances of the app sharing the database at ``db_url``."""
    settings = make_settings(api, database_url=db_url)
    library = TipLibrary.load()
    first = RunningApp(settings, ReviewEngine.from_settings(settings), tips=library)
    second = RunningApp(settings, ReviewEngine.from_settings(settings), tips=library)
    for app in (first, second):
        app.app.bot.services.clear()  # the tests run the schedulers themselves
    with first, second:
        api.reset()
        yield first, second
        first.settle()
        second.settle()


def on_both(pair: tuple[RunningApp, RunningApp], work: Any) -> list[Any]:
    """Start ``work(app)`` in both apps' loops at once; return both results."""
    futures: list[Future[Any]] = []
    for app in pair:
        assert app.loop is not None
        futures.append(asyncio.run_coroutine_threadsafe(work(app), app.loop))
    return [future.result(20) for future in futures]


def test_the_same_messages_reaching_both_instances_are_nudged_once_each(
    pair: tuple[RunningApp, RunningApp], api: FakeSlackAPI
) -> None:
    first, second = pair
    stamps = [f"1700003{n:03d}.000100" for n in range(EVENTS)]
    for number, ts in enumerate(stamps):
        for index, app in enumerate(pair):  # different event ids: two separate deliveries
            app.send_event(event("event_message.json", f"Ev{index}X{number}", ts=ts))
    first.settle()
    second.settle()
    nudges = api.calls_to("chat.postEphemeral")
    assert sorted(call.params["thread_ts"] for call in nudges) == stamps
    store = first.run(first.app.bot.state.open())
    now = datetime.now(UTC)
    rows = first.run(store.reviews(since=now - timedelta(days=1), until=now, channels=[SUPPORT]))
    assert sorted(row.message_ts or "" for row in rows) == stamps  # each stored once
    assert all(row.nudged for row in rows)


def test_both_schedulers_racing_post_each_days_tip_once(
    pair: tuple[RunningApp, RunningApp], api: FakeSlackAPI
) -> None:
    first, _ = pair
    store = first.run(first.app.bot.state.open())
    channels = [f"C0TEAM{n}" for n in range(5)]
    for channel in channels:
        first.run(store.subscribe(TipSubscription(channel, "slack", "09:30", "Europe/London")))
    day = datetime.now(UTC).date() + timedelta(days=3)
    moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)

    async def run(app: RunningApp) -> list[Any]:
        tips = DailyTips(app.app.bot, app.app.client, TipLibrary.load())
        return await tips.run_once(moment)

    results = on_both(pair, run)
    statuses = [d.status for found in results for d in found if d.channel in channels]
    # The loser of each race finds the day claimed ("taken") or, having read the channel's
    # deliveries after the winner's claim, sees nothing due at all.
    assert statuses.count("posted") == 5 and set(statuses) <= {"posted", "taken"}
    posted = [c.params["channel"] for c in api.calls_to("chat.postMessage")]
    assert sorted(posted) == channels
    # Run again on both (a restart, a second tick): nothing more is posted.
    later = on_both(pair, run)
    assert not [d for found in later for d in found if d.status == "posted"]
    assert len(api.calls_to("chat.postMessage")) == 5
