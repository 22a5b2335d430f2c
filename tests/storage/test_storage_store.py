"""The store's API on SQLite and PostgreSQL: reviews, feedback, settings, tips, privacy."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nudgebot.models import Finding, Review, Scores, StoredReview
from nudgebot.storage import Store, TipSubscription, UserSettings
from tests.storage.conftest import START, FakeClock

pytestmark = pytest.mark.anyio

DAY = timedelta(days=1)


def make_review(*, nudge: bool = True, meta: dict[str, object] | None = None) -> Review:
    findings = (
        Finding("ownership", "ownership.deflection", "contact the courier", "m", "f", 30),
        Finding("empathy", "empathy.no-acknowledgement", "", "m", "f", 20, level="hint"),
    )
    return Review(
        needs_nudge=nudge,
        scores=Scores(respect=90, empathy=80, adaptable=100, learn=95, ownership=70),
        findings=findings if nudge else (),
        suggestion="Sorry about that: I'll chase the courier now." if nudge else None,
        engine="llm" if meta else "rules",
        meta=meta or {},
    )


def stored(at: datetime, **fields: object) -> StoredReview:
    values: dict[str, object] = {
        "id": 0,
        "at": at,
        "platform": "slack",
        "team": "T1",
        "channel": "C1",
        "user": "U1",
        "engine": "rules",
        "scores": Scores(),
        "rules": ("ownership.deflection",),
        "dimensions": ("ownership",),
        "quotes": ("not our problem",),
        "needs_nudge": True,
        "nudged": True,
        "text": "Not our problem.",
        "customer": "Where is it?",
    }
    values.update(fields)
    return StoredReview(**values)  # type: ignore[arg-type]


async def everything(store: Store) -> list[StoredReview]:
    return await store.reviews(since=START - 400 * DAY, until=START + 400 * DAY)


async def test_review_round_trip_with_findings_meta_and_feedback(store: Store) -> None:
    meta = {
        "prompt": {"id": "review", "version": "3", "hash": "abc"},
        "tokens": {"input": 812, "output": 95},
        "latency_ms": 1234.5,
    }
    review_id = await store.add_review(
        make_review(meta=meta),
        platform="slack",
        team="T1",
        channel="C1",
        user="U1",
        text="Not our problem, contact the courier.",
        customer="Where is my parcel?",
        nudged=False,
        message_ts="1700000000.000100",
    )
    assert isinstance(review_id, int)
    await store.set_nudged(review_id)
    assert await store.add_feedback(review_id, "U1", helpful=True)

    [got] = await everything(store)
    assert got == StoredReview(
        id=review_id,
        at=START,
        platform="slack",
        team="T1",
        channel="C1",
        user="U1",
        engine="llm",
        scores=Scores(respect=90, empathy=80, adaptable=100, learn=95, ownership=70),
        rules=("ownership.deflection", "empathy.no-acknowledgement"),
        dimensions=("ownership", "empathy"),
        quotes=("contact the courier", ""),
        needs_nudge=True,
        nudged=True,
        text="Not our problem, contact the courier.",
        customer="Where is my parcel?",
        prompt_version="3",
        latency_ms=1234.5,
        input_tokens=812,
        output_tokens=95,
        helpful=True,
        message_ts="1700000000.000100",
    )
    assert got.at.tzinfo == UTC
    assert await store.review(review_id) == got
    assert await store.review(review_id + 1000) is None


async def test_a_rules_review_without_meta_or_findings(store: Store) -> None:
    review_id = await store.add_review(
        make_review(nudge=False),
        platform="cli",
        team=None,
        channel=None,
        user=None,
        text=None,
        customer=None,
        nudged=False,
    )
    got = await store.review(review_id)
    assert got is not None
    assert (got.engine, got.rules, got.dimensions, got.quotes) == ("rules", (), (), ())
    assert (got.prompt_version, got.latency_ms, got.input_tokens, got.helpful) == (
        None,
        None,
        None,
        None,
    )
    assert (got.team, got.channel, got.user, got.text) == (None, None, None, None)


async def test_ids_are_distinct_and_times_are_kept_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 2, 10, 30, tzinfo=paris)
    ids = {
        await store.add_review(
            make_review(),
            platform="slack",
            team="T1",
            channel="C1",
            user="U1",
            text=None,
            customer=None,
            nudged=False,
            at=local + i * timedelta(microseconds=1),
        )
        for i in range(3)
    }
    assert len(ids) == 3
    rows = await everything(store)
    assert [r.at for r in rows] == [
        datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + i * timedelta(microseconds=1) for i in range(3)
    ]
    assert all(r.at.utcoffset() == timedelta(0) for r in rows)


async def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.reviews(since=datetime(2026, 1, 1), until=START)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.mute("U1", datetime(2026, 1, 1))


async def test_filters(store: Store) -> None:
    rows = [
        stored(START - 10 * DAY, channel="C1", user="U1", team="T1"),
        stored(START - 5 * DAY, channel="C1", user="U2", team="T1"),
        stored(START - 5 * DAY, channel="C2", user="U1", team="T1"),
        stored(START - 1 * DAY, channel="C3", user="U3", team="T2"),
        stored(START, channel="C1", user="U1", team="T1"),  # at `until`: excluded
    ]
    await store.add_reviews(rows)

    async def who(**filters: object) -> list[tuple[str | None, str | None]]:
        found = await store.reviews(since=START - 7 * DAY, until=START, **filters)  # type: ignore[arg-type]
        return [(r.channel, r.user) for r in found]

    assert await who() == [("C1", "U2"), ("C2", "U1"), ("C3", "U3")]
    assert await who(channels={"C1"}) == [("C1", "U2")]
    assert await who(channels=["C1", "C3"]) == [("C1", "U2"), ("C3", "U3")]
    assert await who(users={"U1"}) == [("C2", "U1")]
    assert await who(users={"U1", "U3"}, channels={"C3"}) == [("C3", "U3")]
    assert await who(team="T2") == [("C3", "U3")]
    assert await who(team="T1", users={"U2"}) == [("C1", "U2")]
    assert await who(channels=set()) == []
    assert await who(users=()) == []
    assert await who(team="nobody") == []
    # `since` is included
    since_included = await store.reviews(since=START - 10 * DAY, until=START - 9 * DAY)
    assert len(since_included) == 1


async def test_add_reviews_keeps_every_field_and_helpful(store: Store) -> None:
    rows = [
        stored(START - 3 * DAY, helpful=True, latency_ms=12.5, input_tokens=3, output_tokens=4),
        stored(START - 2 * DAY, user="U2", helpful=False, prompt_version="2"),
        stored(START - 1 * DAY, user=None, helpful=True),  # no author: no feedback to store
        stored(START - 1 * DAY, rules=(), dimensions=(), quotes=(), needs_nudge=False),
    ]
    earlier = stored(START - 9 * DAY, helpful=None)
    await store.add_reviews([earlier])  # ids of the next batch do not start at 1
    await store.add_reviews(rows)
    await store.add_reviews([])
    got = await everything(store)
    assert [replace(r, id=0) for r in got] == [
        earlier,
        rows[0],
        rows[1],
        replace(rows[2], helpful=None),
        rows[3],
    ]
    assert len({r.id for r in got}) == 5
    # each verdict is on its own review
    assert [(await store.review(r.id)).helpful for r in got] == [  # type: ignore[union-attr]
        None,
        True,
        False,
        None,
        None,
    ]


async def test_feedback_once_per_review_and_user(store: Store) -> None:
    [first, second] = [
        await store.add_review(
            make_review(),
            platform="slack",
            team="T1",
            channel="C1",
            user="U1",
            text="t",
            customer=None,
            nudged=True,
        )
        for _ in range(2)
    ]
    assert await store.add_feedback(first, "U1", helpful=False)
    assert not await store.add_feedback(first, "U1", helpful=True)  # already given: kept
    assert await store.add_feedback(first, "U9", helpful=True)  # someone else's verdict
    assert not await store.add_feedback(second + 1000, "U1", helpful=True)  # no such review
    got = {r.id: r.helpful for r in await everything(store)}
    assert got == {first: False, second: None}  # `helpful` is the author's own verdict


async def test_watched_channels(store: Store) -> None:
    assert await store.watched() == set()
    assert await store.watch("C1", by="U1")
    assert not await store.watch("C1", by="U2")
    assert await store.watch("C2", by="U1")
    assert await store.watched() == {"C1", "C2"}
    assert await store.unwatch("C1")
    assert not await store.unwatch("C1")
    assert await store.watched() == {"C2"}


async def test_user_settings(store: Store, clock: FakeClock) -> None:
    assert await store.user_settings("U1") == UserSettings("U1", live=True, muted_until=None)
    await store.set_live("U1", False)
    assert await store.user_settings("U1") == UserSettings("U1", live=False)
    until = clock.now + timedelta(hours=1)
    await store.mute("U1", until)
    settings = await store.user_settings("U1")
    assert settings == UserSettings("U1", live=False, muted_until=until)
    assert not settings.wants_nudges(clock.now)
    await store.set_live("U1", True)  # on again: the mute ends too
    assert await store.user_settings("U1") == UserSettings("U1", live=True)

    await store.mute("U2", until)
    assert not (await store.user_settings("U2")).wants_nudges(clock.now)
    clock.advance(hours=1)
    assert await store.user_settings("U2") == UserSettings("U2", live=True, muted_until=None)
    assert (await store.user_settings("U2")).wants_nudges(clock.now)


async def test_tip_subscriptions(store: Store) -> None:
    assert await store.subscriptions() == []
    await store.subscribe(TipSubscription("C2"))
    await store.subscribe(TipSubscription("C1", local_time="08:00", created_by="U1"))
    replacement = TipSubscription(
        "C1",
        platform="teams",
        local_time="17:45",
        timezone="Europe/London",
        weekdays_only=True,
        created_by="U2",
    )
    await store.subscribe(replacement)
    assert await store.subscriptions() == [replacement, TipSubscription("C2")]
    assert await store.unsubscribe("C2")
    assert not await store.unsubscribe("C2")
    assert await store.subscriptions() == [replacement]


def test_tip_subscription_checks_local_time() -> None:
    for bad in ("9:30", "24:00", "12:60", "noon", "12:30:00"):
        with pytest.raises(ValueError, match="HH:MM"):
            TipSubscription("C1", local_time=bad)
    assert TipSubscription("C1", local_time="23:59").local_time == "23:59"


async def test_deliveries(store: Store) -> None:
    day = date(2026, 11, 2)
    assert await store.deliveries("C1") == []
    assert await store.claim_delivery("C1", day, "tip-7")
    assert not await store.claim_delivery("C1", day, "tip-8")
    assert await store.claim_delivery("C1", day + DAY, "tip-8")
    assert await store.claim_delivery("C1", day - DAY, "tip-1")
    assert await store.claim_delivery("C2", day, "tip-7")
    assert await store.deliveries("C1") == [
        (day - DAY, "tip-1"),
        (day, "tip-7"),
        (day + DAY, "tip-8"),
    ]


async def test_purge_drops_the_words_of_old_reviews_and_keeps_scores(
    store: Store, clock: FakeClock
) -> None:
    scores = Scores(respect=10, empathy=20, adaptable=30, learn=40, ownership=50)
    old = stored(START - 31 * DAY, scores=scores, helpful=True, message_ts="1.2")
    recent = stored(START - 29 * DAY, scores=scores)
    wordless = stored(
        START - 40 * DAY, text=None, customer=None, rules=(), dimensions=(), quotes=()
    )
    await store.add_reviews([old, recent, wordless])
    clock.now = START - 31 * DAY
    assert await store.claim("old-claim")
    clock.now = START - 29 * DAY
    assert await store.claim("recent-claim")
    clock.now = START

    assert await store.purge(retention_days=30) == 1
    assert await store.purge(retention_days=30) == 0  # nothing left to change
    [got_wordless, got_old, got_recent] = await everything(store)
    assert replace(got_old, id=0) == replace(old, text=None, customer=None, quotes=())
    assert got_old.scores == scores
    assert got_old.rules == ("ownership.deflection",)
    assert got_old.helpful is True
    assert replace(got_recent, id=0) == recent
    assert replace(got_wordless, id=0) == wordless
    assert await store.claim("old-claim")  # claims older than the retention period are gone
    assert not await store.claim("recent-claim")

    assert await store.purge(retention_days=0) == 1
    assert all(r.text is None and r.quotes == () for r in await everything(store))
    with pytest.raises(ValueError):
        await store.purge(retention_days=-1)


async def test_forget_removes_a_user_and_their_words(store: Store, clock: FakeClock) -> None:
    await store.add_reviews(
        [
            stored(START - 2 * DAY, user="U1", helpful=True, message_ts="1.1"),
            stored(START - 1 * DAY, user="U1", helpful=False),
            stored(START - 1 * DAY, user="U2", helpful=True, text="Kept."),
        ]
    )
    await store.set_live("U1", False)
    await store.watch("C1", by="U1")
    await store.subscribe(TipSubscription("C1", created_by="U1"))
    u2_review = (await store.reviews(since=START - DAY, until=START, users={"U2"}))[0]
    assert await store.add_feedback(u2_review.id, "U1", helpful=False)

    # 2 reviews + 3 feedback rows + 1 settings row + 1 channel + 1 subscription
    assert await store.forget("U1") == 8
    assert await store.forget("U1") == 0
    got = await everything(store)
    assert [(r.user, r.text, r.customer, r.quotes, r.message_ts) for r in got[:2]] == [
        (None, None, None, (), None)
    ] * 2
    assert [r.scores for r in got[:2]] == [Scores()] * 2
    assert [r.rules for r in got] == [("ownership.deflection",)] * 3
    assert (got[2].user, got[2].text, got[2].helpful) == ("U2", "Kept.", True)
    assert await store.reviews(since=START - 9 * DAY, until=START, users={"U1"}) == []
    assert await store.user_settings("U1") == UserSettings("U1")
    assert await store.subscriptions() == [TipSubscription("C1")]
    assert await store.watched() == {"C1"}


async def test_the_clock_must_be_timezone_aware(db_url: str) -> None:
    store = await Store.open(db_url, clock=lambda: datetime(2026, 1, 1))
    try:
        with pytest.raises(ValueError, match="timezone-aware"):
            await store.claim("k")
    finally:
        await store.close()


async def test_reopening_keeps_everything(db_url: str, clock: FakeClock) -> None:
    async with await Store.open(db_url, clock=clock) as store:
        await store.add_reviews([stored(START - DAY)])
        await store.watch("C1", by="U1")
        assert await store.claim("k")
        assert store.url.startswith(("sqlite", "postgresql"))
    async with await Store.open(db_url, clock=clock) as store:
        assert len(await everything(store)) == 1
        assert await store.watched() == {"C1"}
        assert not await store.claim("k")


async def test_findings_with_awkward_words_round_trip(store: Store) -> None:
    quotes = ("line one\nline two", "", 'émoji 🙂 ‘quotes’ "double"', "a\x1fb", " ")
    row = stored(
        START - DAY,
        rules=("respect.curt", "llm.empathy", "empathy.no-apology", "x.y", "odd rule"),
        dimensions=("respect", "empathy", "empathy", "learn", "ownership"),
        quotes=quotes,
    )
    await store.add_reviews([row])
    [got] = await everything(store)
    assert got.rules == ("respect.curt", "llm.empathy", "empathy.no-apology", "x.y", "odd_rule")
    assert got.dimensions == row.dimensions
    # the separator inside a quote becomes a space; everything else is kept
    assert got.quotes == (*quotes[:3], "a b", " ")


async def test_one_dimension_per_rule(store: Store) -> None:
    with pytest.raises(ValueError, match="one dimension per rule"):
        await store.add_reviews([stored(START, dimensions=())])


async def test_an_in_memory_database_for_tests(clock: FakeClock) -> None:
    async with await Store.open("sqlite://", clock=clock) as store:
        results = await asyncio.gather(
            *(store.claim(f"k{i % 5}") for i in range(20)),
            *(store.watch(f"C{i}", by="U1") for i in range(5)),
            store.add_reviews([stored(START - DAY) for _ in range(3)]),
        )
        assert sum(1 for r in results[:20] if r) == 5
        assert await store.watched() == {f"C{i}" for i in range(5)}
        assert len(await everything(store)) == 3


def test_reviews_are_read_on_the_fast_path() -> None:
    # store._stored fills the records' __dict__ directly (2-5x faster than __init__) while
    # StoredReview and Scores are plain dataclasses with the fields it knows; if the models
    # change, it falls back to the constructors: correct, but slower. Update _STORED_FIELDS.
    from nudgebot.storage import store as store_module

    assert store_module._FILL


async def test_score_sums_match_the_reviews_they_sum(store: Store) -> None:
    from nudgebot.reports import ScoreSums, score_sums

    rng = random.Random(7)
    rows = [
        stored(
            START - timedelta(hours=rng.uniform(0, 24 * 14)),
            channel=rng.choice(["C1", "C2"]),
            user=rng.choice(["U1", "U2", "U3"]),
            team=rng.choice(["T1", "T2"]),
            scores=Scores(*(rng.randrange(0, 101) for _ in range(5))),
        )
        for _ in range(300)
    ]
    await store.add_reviews(rows)
    for filters in (
        {},
        {"channels": {"C1"}},
        {"users": ["U2", "U3"], "team": "T2"},
        {"channels": set()},
        {"team": "nobody"},
    ):
        since, until = START - 10 * DAY, START - 2 * DAY
        expected = score_sums(
            await store.reviews(since=since, until=until, **filters)  # type: ignore[arg-type]
        )
        got = await store.score_sums(since=since, until=until, **filters)  # type: ignore[arg-type]
        assert got == expected
    assert await store.score_sums(since=START, until=START + DAY) == ScoreSums()
