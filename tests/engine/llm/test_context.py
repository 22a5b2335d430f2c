"""Tests for nudgebot.engine.llm.context: the thread, move, channel and hints the model sees."""

from __future__ import annotations

from nudgebot.engine.llm.context import (
    LAST_TURN_CHARS,
    MAX_TURNS,
    THREAD_CHARS,
    TURN_CHARS,
    channel_kind,
    hint_lines,
    move_name,
    render_thread,
    thread_of,
)
from nudgebot.models import Draft, Finding, Turn


def finding(quote: str, message: str, confidence: float | None = None) -> Finding:
    return Finding("ownership", "ownership.x", quote, message, "fix", confidence=confidence)


def test_the_thread_is_rendered_oldest_first_one_line_a_turn() -> None:
    turns = (Turn("customer", "My order\n\nnever came."), Turn("agent", "Sorry!  Checking now."))
    assert render_thread(turns) == "customer: My order never came.\nagent: Sorry! Checking now."
    assert render_thread(()) == "(not given)"


def test_the_thread_is_bounded_keeping_the_latest_turns() -> None:
    turns = tuple(Turn("customer" if i % 2 else "agent", f"turn {i} " * 100) for i in range(10))
    text = render_thread(turns)
    lines = text.splitlines()
    assert lines[0].startswith("(") and "earlier messages left out" in lines[0]
    assert lines[-1].startswith("customer: turn 9")
    assert len(lines) - 1 <= MAX_TURNS
    assert len(text) <= THREAD_CHARS + 40
    assert all(len(line) <= TURN_CHARS + 12 for line in lines[1:-1])
    assert len(lines[-1]) <= LAST_TURN_CHARS + 12
    assert lines[-1].endswith("…")


def test_a_one_turn_thread_is_the_customer_message() -> None:
    assert thread_of(Draft("d", customer="Where is it?")) == (Turn("customer", "Where is it?"),)
    earlier = (Turn("agent", "Hello"), Turn("customer", "Hi"))
    assert thread_of(Draft("d", thread=earlier)) == earlier
    assert thread_of(Draft("d", customer="Where?", thread=earlier))[-1] == Turn(
        "customer", "Where?"
    )
    assert thread_of(Draft("d", customer="Hi", thread=earlier)) == earlier


def test_the_channel_says_chat_or_e_mail() -> None:
    assert channel_kind(None) == "unknown"
    assert channel_kind("C0123ABC") == "chat"
    assert channel_kind("19:abc@thread.tacv2") == "chat"
    assert channel_kind("email") == channel_kind("E-mail") == "e-mail"


def test_an_unknown_move_is_said_so() -> None:
    assert move_name(None) == move_name(" ") == "unknown"
    assert move_name("refusal") == "refusal"


def test_hints_carry_each_quote_once_and_only_confident_findings() -> None:
    findings = [
        finding("contact the courier", "Sends the customer elsewhere."),
        finding("contact the courier", "The customer has to chase."),
        finding("", "No time is given.", confidence=0.9),
        finding("not our problem", "Shrugs it off.", confidence=0.2),
        finding("ASAP", '"ASAP" is vague.'),
    ]
    assert hint_lines(findings, 6) == [
        'ownership: "contact the courier" Sends the customer elsewhere; The customer has to chase.',
        "ownership: No time is given.",
        'ownership: "ASAP" is vague.',
    ]
    assert len(hint_lines(findings, 2)) == 2


def test_findings_on_the_same_words_share_one_line() -> None:
    findings = [
        Finding("learn", "a", "Not our problem", "“Not our problem” denies the problem.", "f"),
        Finding("respect", "b", "Not our problem", "“Not our problem” sounds dismissive.", "f"),
        Finding("respect", "c", "", "No greeting anywhere.", "f"),
    ]
    assert hint_lines(findings, 6) == [
        "learn, respect: “Not our problem” denies the problem; sounds dismissive.",
        "respect: No greeting anywhere.",
    ]
    text = "\n".join(hint_lines(findings, 6))
    assert text.count("Not our problem") == 1
