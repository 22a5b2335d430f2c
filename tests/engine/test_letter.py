"""Tests for nudgebot.engine.letter: the greeting and sign-off of a reply."""

from __future__ import annotations

import pytest

from nudgebot.engine.letter import frame, split


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


def test_frame_and_split_agree_on_chat_signatures_and_one_line_sign_offs() -> None:
    chat = "@77 Hi Sam, the fix is live now. Thanks, ^KF"
    assert parts(chat) == ["@77 Hi Sam,", "Thanks, ^KF"]
    shape = split(chat)
    assert (shape.greeting, shape.sign_off) == ("@77 Hi Sam,", "Thanks, ^KF")
    one_line = "Sorted now, the refund is on its way. Cheers, Tom"
    assert split(one_line).sign_off == "Cheers, Tom" and split(one_line).inline_sign_off
    team = "Hello,\n\nAll sorted.\n\nHome Moves Team"
    assert parts(team) == ["Hello,", "Home Moves Team"]


def test_split_keeps_a_long_tail_after_thanks_in_the_body() -> None:
    text = "It's done.\n\nThanks,\nand please remember to restart the laptop before the update."
    assert split(text).sign_off == ""
    assert "restart the laptop" in split(text).body


def test_a_name_after_the_greetings_comma_belongs_to_the_greeting() -> None:
    shape = split("@5521 Hi, Aimee. What flight are you on? I'd like to take a look. *AJL")
    assert shape.greeting == "@5521 Hi, Aimee."
    assert shape.body == "What flight are you on? I'd like to take a look."
    polite = split("@5521 Hi, Mr. Okafor. Could you send the booking number, please?")
    assert polite.greeting == "@5521 Hi, Mr. Okafor."
    assert split("Hi, Thanks for the photos. The crack is covered.").body.startswith("Thanks")


def test_a_closing_glued_to_initials_is_a_signature() -> None:
    shape = split("@63 Our engineers are working on it. Kindly bear with us. Thank you.AP")
    assert shape.sign_off == "Thank you.AP" and shape.inline_sign_off
