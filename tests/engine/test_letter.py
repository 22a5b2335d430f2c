"""Tests for nudgebot.engine.letter: the greeting and sign-off of a reply."""

from __future__ import annotations

import pytest

from nudgebot.engine.letter import frame


def parts(text: str) -> list[str]:
    found = frame(text)
    return [text[a:b] for a, b in (s for s in (found.greeting, found.sign_off) if s)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi Priya, the return window is 30 days.", ["Hi Priya,"]),
        (
            "Dear Applicant\n\nYour badge is ready.\n\nYours faithfully,\nBlue Badge Team",
            ["Dear Applicant", "Yours faithfully,\nBlue Badge Team"],
        ),
        ("Sorted now. Cheers, Tom", ["Cheers, Tom"]),
        (
            "Hello Sam!\nAll fixed.\n\nThanks,\nJoanna\nSupport Lead",
            ["Hello Sam!", "Thanks,\nJoanna\nSupport Lead"],
        ),
        ("Hi there - it ships Friday.", ["Hi there -"]),
        ("Hey everyone please stop doing that, it is annoying.", []),
        ("Thanks for waiting. It ships Friday.", []),
        ("Thanks!", []),
    ],
)
def test_frame_finds_the_greeting_and_the_sign_off(text: str, expected: list[str]) -> None:
    assert parts(text) == expected


def test_a_long_tail_after_a_closing_word_is_not_a_signature() -> None:
    text = "It's done.\n\nThanks,\nand please remember to restart the laptop before the update."
    assert frame(text).sign_off is None


def test_holds_tells_what_lies_inside_the_frame() -> None:
    text = "Hi Priya, it ships Friday.\n\nCheers,\nTom"
    found = frame(text)
    assert found.holds(text.index("Priya"), text.index("Priya") + 5)
    assert found.holds(text.index("Tom"), len(text))
    assert not found.holds(text.index("Friday"), text.index("Friday") + 6)
