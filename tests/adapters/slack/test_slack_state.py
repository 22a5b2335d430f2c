"""The Slack app's in-memory state, with a clock the tests move."""

from __future__ import annotations

import pytest

from nudgebot.adapters.slack.state import RECENT_REVIEWS, SlackState, TTLSet
from nudgebot.models import Review, Scores


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


def test_watched_channels() -> None:
    state = SlackState(watch=["C1"])
    assert state.is_watched("C1") and not state.is_watched("C2")
    assert state.watch("C2") and not state.watch("C2")
    assert state.unwatch("C1") and not state.unwatch("C1")
    assert state.watched == frozenset({"C2"})


def test_live_nudges_off_on_and_mute() -> None:
    clock = Clock()
    state = SlackState(clock=clock)
    assert state.wants_nudges("U1")
    state.set_live("U1", False)
    assert not state.wants_nudges("U1") and not state.live_enabled("U1")
    state.set_live("U1", True)
    until = state.mute("U1")
    assert until == clock.now + 3600
    assert state.muted_until("U1") == until and not state.wants_nudges("U1")
    clock.now += 3601
    assert state.muted_until("U1") is None and state.wants_nudges("U1")
    state.mute("U1")
    state.set_live("U1", True)  # turning nudges on ends a mute
    assert state.wants_nudges("U1")


def test_recent_reviews_and_streak() -> None:
    clock = Clock()
    state = SlackState(clock=clock)
    assert state.recent("U1") == [] and state.streak("U1") == 0
    state.record_review("U1", review(True, empathy=50))
    state.record_review("U1", review(False))
    state.record_review("U1", review(False, judged=False))  # not judged: not counted
    state.record_review("U1", review(False))
    recent = state.recent("U1")
    assert [(r.day, r.score, r.nudged) for r in recent] == [
        ("2023-11-14", 90, True),
        ("2023-11-14", 100, False),
        ("2023-11-14", 100, False),
    ]
    assert state.streak("U1") == 2
    for _ in range(RECENT_REVIEWS + 5):
        state.record_review("U1", review(False))
    assert len(state.recent("U1")) == RECENT_REVIEWS


def test_review_refs_and_feedback() -> None:
    state = SlackState(clock=Clock(), refs_size=2)
    first = state.store_review("U1", "C1", review(True, empathy=40))
    stored = state.stored(first)
    assert stored is not None and stored.score == 88 and stored.channel == "C1"
    assert state.record_feedback(first, "U1", helpful=True)
    second = state.store_review("U1", "C1", review(True))
    state.store_review("U1", "C1", review(True))
    assert second != first and state.stored(first) is None  # bounded: the oldest forgotten
    assert not state.record_feedback(first, "U1", helpful=False)  # still recorded
    assert [(f.ref, f.helpful) for f in state.feedback] == [(first, True), (first, False)]


def test_a_customer_message_is_remembered_for_the_reply_that_follows_it() -> None:
    now = [1000.0]
    state = SlackState(clock=lambda: now[0])
    state.remember_customer("C1", "100.1", None, "Where is my parcel?")
    assert state.customer_before("C1", "100.2", "100.1") == "Where is my parcel?"  # in its thread
    assert state.customer_before("C1", "100.3", None) == "Where is my parcel?"  # next top-level
    assert state.customer_before("C1", "100.0", None) is None  # a reply cannot precede it
    assert state.customer_before("C2", "100.3", None) is None
    state.remember_customer("C1", "100.4", "100.1", "Still nothing!!")
    assert state.customer_before("C1", "100.5", "100.1") == "Still nothing!!"
    assert state.customer_before("C1", "100.5", None) == "Where is my parcel?"
    now[0] += 25 * 3600
    assert state.customer_before("C1", "100.5", "100.1") is None  # forgotten after a day
