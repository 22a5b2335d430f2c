"""The neutral language of the core: threads, the live decision and the JSON contract."""

from __future__ import annotations

import pytest

from nudgebot import wording
from nudgebot.models import (
    MAX_TURN_CHARS,
    MAX_TURNS,
    Draft,
    Finding,
    Review,
    Scores,
    ThreadError,
    Turn,
    bound_thread,
    thread_from_data,
)

FINDING = Finding("ownership", "ownership.no-next-step", "", "No next step.", "Add one.", 30)


def review(needs_nudge: bool, suggestion: str | None, findings: tuple[Finding, ...] = ()) -> Review:
    return Review(needs_nudge, Scores(), findings, suggestion, "rules", move="answer")


def test_customer_alone_is_a_one_turn_thread() -> None:
    draft = Draft(text="On it.", customer="Where is my parcel?")
    assert draft.turns == (Turn("customer", "Where is my parcel?"),)
    assert draft.last_customer == "Where is my parcel?"


def test_the_last_customer_turn_of_a_thread_is_the_customer_message() -> None:
    thread = (Turn("customer", "It's late."), Turn("agent", "Sorry!"), Turn("customer", "Still?"))
    draft = Draft(text="I've chased it.", thread=thread)
    assert draft.turns == thread
    assert draft.last_customer == "Still?"
    assert Draft(text="x", thread=(Turn("agent", "Hello"),)).last_customer is None


def test_a_thread_from_json_is_checked_and_bounded() -> None:
    data = [{"role": "customer" if n % 2 else "agent", "text": f"turn {n}"} for n in range(20)]
    data[-1]["text"] = "x" * (MAX_TURN_CHARS + 50)
    turns = thread_from_data(data)
    assert len(turns) == MAX_TURNS and turns[0].text == f"turn {20 - MAX_TURNS}"
    assert len(turns[-1].text) == MAX_TURN_CHARS
    assert thread_from_data(None) == ()
    assert bound_thread([Turn("customer", "  "), Turn("agent", "hi")]) == (Turn("agent", "hi"),)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("not a list", "must be a list"),
        (["text"], "turn 1 of 'thread' must be an object"),
        ([{"role": "boss", "text": "hi"}], "role of customer or agent"),
        ([{"role": "agent", "text": 3}], "needs a string text"),
    ],
)
def test_a_malformed_thread_says_what_is_wrong(value: object, says: str) -> None:
    with pytest.raises(ThreadError, match=says):
        thread_from_data(value)


def test_the_json_gives_a_suggestion_only_with_a_live_nudge() -> None:
    live = review(True, "I'll chase it today.", (FINDING,)).to_dict()
    assert (live["needs_nudge"], live["suggestion"], live["suggestion_ready"]) == (
        True,
        "I'll chase it today.",
        True,
    )
    assert live["move"] == "answer" and live["findings"][0]["confidence"] is None
    asked = review(False, "I'll chase it today.", (FINDING,))
    data = asked.to_dict()
    assert (data["suggestion"], data["suggestion_ready"]) == (None, False)
    assert asked.points_raised  # an agent who asks still sees the finding and the suggestion


def test_a_suggestion_with_placeholders_is_not_ready() -> None:
    assert not review(True, "I'll update you by [by when].", (FINDING,)).suggestion_ready
    assert review(True, "I'll update you by 4pm.", (FINDING,)).suggestion_ready
    assert not review(False, None).suggestion_ready


def test_an_asked_review_says_ready_when_nothing_is_left_to_fill_in() -> None:
    asked = review(False, "I'll update you by 4pm.", (FINDING,))
    assert wording.suggestion_state(asked) == wording.READY
    with_brackets = review(False, "I'll update you by [by when].", (FINDING,))
    assert wording.suggestion_state(with_brackets) == wording.FILL_IN
