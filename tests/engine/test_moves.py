"""What a reply does: its move, read from the words of the draft (invented examples)."""

from __future__ import annotations

import pytest

from nudgebot.engine import ReviewEngine
from nudgebot.engine.rules.checker import Context

RULEBOOK = ReviewEngine().rulebook
UPSET = "My parcel is a week late and nobody replies!!"


@pytest.mark.parametrize(
    ("draft", "move"),
    [
        # a hand-off in other words: a suggested channel, a number to ring, a form, a store
        ("We suggest contacting our billing team, they can sort this out.", "handoff"),
        ("Please give our card team a call on 0800 123 456.", "handoff"),
        ("Have you contacted the courier directly about this?", "handoff"),
        ("You'll need to take it back to the store where you bought it.", "handoff"),
        ("Our account specialists will be able to help you with that.", "handoff"),
        # holding: someone will come back, no time given
        ("A member of our returns team will be in touch soon.", "holding"),
        ("We will research your account and follow up with you.", "holding"),
        # closings: wishes, and a pointer to the private channel the talk moved to
        ("Have a great day!", "closing"),
        ("Thanks, we've just replied to your DM and will keep helping you there.", "closing"),
        # and what stays as it was
        ("I replied to the courier and they say it left the depot today.", "answer"),
        ("What's the order number?", "question"),
        ("I've refunded the £20 to your card.", "action"),
    ],
)
def test_the_move_of_a_reply(draft: str, move: str) -> None:
    assert Context(RULEBOOK, draft, UPSET).move == move
