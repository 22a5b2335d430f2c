"""Live work in the database: recorded once, owned under a lease, taken over when it lapses."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from nudgebot.engine import review as rules_review
from nudgebot.storage import StorageError, Store
from nudgebot.storage.intake import Intake
from tests.storage.conftest import START, FakeClock

pytestmark = pytest.mark.anyio

KEY = "slack:live:C1:1700000000.000100"
REPLY = "Not our problem, contact the courier."


def fields(ts: str = "1700000000.000100") -> dict[str, Any]:
    return {
        "platform": "slack",
        "team": "T1",
        "channel": "C1",
        "user": "U1",
        "text": REPLY,
        "customer": None,
        "message_ts": ts,
    }


async def all_reviews(store: Store) -> list[Any]:
    return await store.reviews(since=START - timedelta(days=1), until=START + timedelta(days=1))


async def test_an_event_is_recorded_once_and_owned_by_its_recorder(store: Store) -> None:
    a = Intake(store, "A", lease=30)
    assert await a.record(KEY, channel="C1", payload='{"e": 1}')
    assert not await a.record(KEY, channel="C1", payload='{"e": 1}')  # delivered again
    assert not await Intake(store, "B", lease=30).record(KEY, channel="C1", payload="{}")
    work = await a.find(KEY)
    assert work is not None and (work.state, work.payload, work.attempts) == ("new", '{"e": 1}', 1)


async def test_work_is_taken_over_only_once_its_lease_has_run_out(
    store: Store, clock: FakeClock
) -> None:
    a, b, c = (Intake(store, name, lease=30) for name in "ABC")
    await a.record(KEY, channel="C1", payload="{}")
    assert await b.due() == [] and await b.take(KEY) is None  # A holds it
    clock.advance(seconds=29)
    assert await a.renew({KEY}) == 1  # A is still at it: 30 s more
    clock.advance(seconds=29)
    assert await b.take(KEY) is None
    clock.advance(seconds=2)  # A went silent (killed): the lease ran out
    [due] = await b.due()
    assert due.key == KEY
    taken = await asyncio.gather(b.take(KEY), c.take(KEY))
    [work] = [found for found in taken if found is not None]  # exactly one of them
    assert work.attempts == 2 and work.state == "new"


async def test_a_review_is_stored_with_the_move_to_posting_then_marked_sent(
    store: Store,
) -> None:
    a = Intake(store, "A", lease=30)
    await a.record(KEY, channel="C1", payload="{}")
    review = rules_review(REPLY)
    review_id = await a.store_review(KEY, review, nudge=True, **fields())
    assert review_id is not None
    work = await a.find(KEY)
    assert work is not None and (work.state, work.payload, work.owner) == (
        "posting",
        None,  # the event's words are in the review now, not kept twice
        "A",
    )
    [row] = await all_reviews(store)
    assert row.id == review_id and not row.nudged and row.text == REPLY
    assert await a.store_review(KEY, review, nudge=True, **fields()) is None  # not again
    await a.sent(KEY, review_id)
    [row] = await all_reviews(store)
    assert row.nudged
    work = await a.find(KEY)
    assert work is not None and (work.state, work.review_id) == ("done", review_id)
    assert await a.due() == []


async def test_an_owner_whose_lease_was_taken_over_stores_nothing(
    store: Store, clock: FakeClock
) -> None:
    a, b = Intake(store, "A", lease=30), Intake(store, "B", lease=30)
    await a.record(KEY, channel="C1", payload="{}")
    clock.advance(seconds=31)
    assert await b.take(KEY) is not None
    review = rules_review(REPLY)
    assert await a.store_review(KEY, review, nudge=True, **fields()) is None
    assert await all_reviews(store) == []  # rolled back with the move
    assert await b.store_review(KEY, review, nudge=False, **fields()) is not None
    assert len(await all_reviews(store)) == 1
    work = await b.find(KEY)
    assert work is not None and work.state == "done"


async def test_work_left_posting_is_due_and_ends_without_a_nudge(
    store: Store, clock: FakeClock
) -> None:
    a, b = Intake(store, "A", lease=30), Intake(store, "B", lease=30)
    await a.record(KEY, channel="C1", payload="{}")
    review_id = await a.store_review(KEY, rules_review(REPLY), nudge=True, **fields())
    clock.advance(seconds=31)  # A died while posting
    assert review_id is not None
    work = await b.take(KEY)
    assert work is not None and work.state == "posting" and work.owner == "B"
    await b.finish(KEY)
    [row] = await all_reviews(store)
    assert not row.nudged
    assert await b.due() == []


async def test_work_given_back_is_due_at_once(store: Store) -> None:
    a, b = Intake(store, "A", lease=30), Intake(store, "B", lease=30)
    await a.record(KEY, channel="C1", payload="{}")
    await b.release(KEY)  # not B's to give back
    assert await b.due() == []
    await a.release(KEY)
    assert [work.key for work in await b.due()] == [KEY]


async def test_shed_and_failed_work_is_counted_as_not_reviewed(
    store: Store, clock: FakeClock
) -> None:
    a = Intake(store, "A", lease=30)
    await a.record("slack:live:C1:1.0", channel="C1", payload="{}", shed=True)
    await a.record("slack:live:C2:2.0", channel="C2", payload="{}", shed=True)
    await a.record("slack:live:C1:3.0", channel="C1", payload="{}")
    await a.finish("slack:live:C1:3.0", "failed")
    await a.record("slack:live:C1:4.0", channel="C1", payload="{}")
    await a.finish("slack:live:C1:4.0")
    shed = await a.find("slack:live:C1:1.0")
    assert shed is not None and shed.state == "shed" and shed.payload is None
    assert await a.due() == []  # shed work is never picked up
    since, until = START - timedelta(hours=1), START + timedelta(hours=1)
    assert await a.unreviewed(since=since, until=until) == 3
    assert await a.unreviewed(since=since, until=until, channels=["C1"]) == 2
    assert await a.unreviewed(since=until, until=until + timedelta(hours=1)) == 0


async def test_a_stored_review_lost_with_its_connection_is_there_once(store: Store) -> None:
    a = Intake(store, "A", lease=30)
    await a.record(KEY, channel="C1", payload="{}")
    original = a._store_review
    calls = 0

    async def flaky(*args: Any) -> int | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await original(*args)  # written, then the connection is lost
            raise StorageError("database: connection lost", in_doubt=True)
        return await original(*args)

    a._store_review = flaky  # type: ignore[method-assign]
    review_id = await a.store_review(KEY, rules_review(REPLY), nudge=True, **fields())
    [row] = await all_reviews(store)
    assert row.id == review_id and calls == 1


async def test_a_report_counts_the_messages_never_reviewed(store: Store, clock: FakeClock) -> None:
    from nudgebot.reports import ReviewQuery, load_report, report_text

    a = Intake(store, "A", lease=30)
    await a.record("slack:live:C1:1.0", channel="C1", payload="{}", shed=True)
    await a.record("slack:live:C2:2.0", channel="C2", payload="{}", shed=True)
    clock.advance(hours=1)
    query = ReviewQuery(since=START - timedelta(days=1), until=clock.now)
    everything = await load_report(store, query)
    assert everything.unreviewed == 2 and everything.to_dict()["unreviewed"] == 2
    assert "Not reviewed: 2 (the app was overloaded, or reviewing failed)" in report_text(
        everything
    )
    one_channel = await load_report(
        store, ReviewQuery(since=query.since, until=query.until, channels=("C1",))
    )
    assert one_channel.unreviewed == 1
    by_agent = await load_report(
        store, ReviewQuery(since=query.since, until=query.until, users=("U1",))
    )
    assert by_agent.unreviewed == 0  # not known per agent
