"""The Slack app's state: the database for what lasts, memory for what is fleeting."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from nudgebot.adapters.slack.state import (
    RECENT_REVIEWS,
    SETTINGS_TTL,
    WATCH_REFRESH,
    SlackState,
    TTLSet,
)
from nudgebot.models import Review, Scores, Turn


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def review(needs_nudge: bool, empathy: int = 100, judged: bool = True) -> Review:
    return Review(needs_nudge, Scores(empathy=empathy), (), None, "rules", judged=judged)


def test_ttl_set_expires_and_stays_bounded() -> None:
    clock = Clock()
    seen = TTLSet(ttl=10, maxsize=3, clock=clock)
    assert seen.add_new("a")
    assert not seen.add_new("a")
    assert not seen.add_new("b", "a")  # one seen: none added
    assert "b" not in seen
    clock.now += 11
    assert seen.add_new("a")
    for key in "bcd":
        seen.add_new(key)
    assert len(seen) == 3 and "a" not in seen  # the oldest went first
    with pytest.raises(ValueError):
        TTLSet(ttl=0, maxsize=1)


def test_dedupe_remembers_for_the_ttl() -> None:
    clock = Clock()
    state = SlackState(clock=clock, dedupe_ttl=60)
    assert state.first_time("event:Ev1", "live:C1:1.0")
    assert not state.first_time("event:Ev2", "live:C1:1.0")
    clock.now += 61
    assert state.first_time("event:Ev1")


@pytest.fixture
async def state() -> AsyncIterator[SlackState]:
    """A state on a fresh in-memory SQLite database, on a clock the test moves."""
    opened = SlackState(database_url="sqlite://", watch=["C1"], clock=Clock())
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


def clock_of(state: SlackState) -> Clock:
    assert isinstance(state.clock, Clock)
    return state.clock


@pytest.mark.anyio
async def test_watched_channels(state: SlackState) -> None:
    assert await state.is_watched("C1") and not await state.is_watched("C2")
    assert await state.watch("C2", by="U1") and not await state.watch("C2", by="U1")
    assert not await state.watch("C1", by="U1")  # configured: watched already
    assert await state.is_watched("C2") and await state.watched() == {"C2"}
    assert await state.unwatch("C2") and not await state.unwatch("C2")
    assert not await state.unwatch("C1")  # configured: stays watched
    assert await state.is_watched("C1") and not await state.is_watched("C2")


@pytest.mark.anyio
async def test_another_instances_watch_shows_after_the_cache_refresh(state: SlackState) -> None:
    other = SlackState(await state.open(), clock=state.clock)
    assert not await state.is_watched("C9")  # read and cached
    assert await other.watch("C9", by="U1")
    assert not await state.is_watched("C9")  # still the cached answer
    clock_of(state).now += WATCH_REFRESH + 1
    assert await state.is_watched("C9")


@pytest.mark.anyio
async def test_live_nudges_off_on_and_mute(state: SlackState) -> None:
    clock = clock_of(state)
    assert await state.wants_nudges("U1")
    await state.set_live("U1", False)
    assert not await state.wants_nudges("U1") and not await state.live_enabled("U1")
    await state.set_live("U1", True)
    until = await state.mute("U1")
    assert until == clock.now + 3600
    assert await state.muted_until("U1") == until and not await state.wants_nudges("U1")
    clock.now += 3601
    assert await state.muted_until("U1") is None and await state.wants_nudges("U1")
    await state.mute("U1")
    await state.set_live("U1", True)  # turning nudges on ends a mute
    assert await state.wants_nudges("U1")


async def record(state: SlackState, user: str, review: Review, ts: str = "1.0") -> int | None:
    return await state.record_review(
        review, user=user, channel="C1", team="T1", text="Hi", customer=None, message_ts=ts
    )


@pytest.mark.anyio
async def test_recent_reviews_and_streak(state: SlackState) -> None:
    assert await state.recent("U1") == [] and state.streak([]) == 0
    await record(state, "U1", review(True, empathy=50))
    await record(state, "U1", review(False))
    assert await record(state, "U1", review(False, judged=False)) is None  # not judged: not kept
    await record(state, "U1", review(False))
    await record(state, "U2", review(True))  # someone else's
    recent = await state.recent("U1")
    assert [(r.day, r.score, r.nudged) for r in recent] == [
        ("2023-11-14", 90, True),
        ("2023-11-14", 100, False),
        ("2023-11-14", 100, False),
    ]
    assert state.streak(recent) == 2
    for _ in range(RECENT_REVIEWS + 5):
        await record(state, "U1", review(False))
    assert len(await state.recent("U1")) == RECENT_REVIEWS
    clock_of(state).now += 31 * 24 * 3600
    assert await state.recent("U1") == []  # the App Home looks back 30 days


@pytest.mark.anyio
async def test_a_stored_review_is_nudged_only_once_sent_and_takes_one_verdict(
    state: SlackState,
) -> None:
    review_id = await record(state, "U1", review(True, empathy=40))
    assert review_id is not None
    store = await state.open()
    stored = await store.review(review_id)
    assert stored is not None and not stored.nudged and stored.channel == "C1"
    await state.nudge_sent(review_id)
    assert await state.record_feedback(str(review_id), "U1", helpful=True)
    assert not await state.record_feedback(str(review_id), "U1", helpful=False)  # once
    assert not await state.record_feedback("999999", "U1", helpful=True)  # no such review
    assert not await state.record_feedback("-", "U1", helpful=True)  # not a review id
    stored = await store.review(review_id)
    assert stored is not None and stored.nudged and stored.helpful is True


@pytest.mark.anyio
async def test_a_claim_is_won_once_across_states_sharing_a_store(state: SlackState) -> None:
    other = SlackState(await state.open())
    assert await state.claim("slack:live:C1:1.0")
    assert not await other.claim("slack:live:C1:1.0")
    assert await other.claim("slack:live:C1:2.0")


@pytest.mark.anyio
async def test_forget_removes_what_was_kept_of_a_user(state: SlackState) -> None:
    review_id = await record(state, "U1", review(True))
    assert review_id is not None
    await state.set_live("U1", False)
    assert await state.forget("U1") > 0
    assert await state.recent("U1") == [] and await state.live_enabled("U1")
    stored = await (await state.open()).review(review_id)
    assert stored is not None and stored.user is None and stored.text is None


def test_the_recent_turns_are_remembered_for_a_day_and_bounded() -> None:
    now = [1000.0]
    state = SlackState(clock=lambda: now[0], conversations=2)
    memory = state.conversations
    memory.add("C1:100.1", (100, 1), Turn("customer", "Where is my parcel?"), starts=True)
    assert memory.before("C1:100.1", (100, 2)).turns == (Turn("customer", "Where is my parcel?"),)
    memory.add("C2", (100, 1), Turn("customer", "Hi"))
    memory.add("C3", (100, 1), Turn("customer", "Hello"))
    assert len(memory) == 2  # C1's thread, the least recently used, went first
    now[0] += 25 * 3600
    assert memory.before("C3", (100, 2)).turns == ()  # forgotten after a day


@pytest.mark.anyio
async def test_nudge_settings_are_cached_briefly_for_the_live_path(state: SlackState) -> None:
    other = SlackState(await state.open(), clock=state.clock)  # another instance
    assert await state.wants_nudges("U7")  # read and cached
    await other.set_live("U7", False)
    assert await state.wants_nudges("U7")  # the other instance's change: not seen yet
    assert not await state.live_enabled("U7")  # the App Home reads it fresh
    clock_of(state).now += SETTINGS_TTL + 1
    assert not await state.wants_nudges("U7")
    await state.set_live("U7", True)  # a change made here is seen at once
    assert await state.wants_nudges("U7")
    await state.mute("U7")
    assert not await state.wants_nudges("U7")
