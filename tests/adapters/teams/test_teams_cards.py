"""The Adaptive Card builders: structure, escaping and Teams' size limit (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.rules_card import rules_card
from nudgebot.engine import review as rules_review
from nudgebot.learning import QuietPolicy, RuleFigures, RuleState
from nudgebot.models import Finding, Review, Scores
from nudgebot.wording import one_per_phrase
from tests.adapters.teams.card_model import card_problems
from tests.adapters.teams.harness import actions, element, has_element, text_of

UPSET = "Where is my parcel?? It's been 2 weeks"
DRAFT = "Not our problem, your parcel should arrive soon."


def markdown_texts(card: Any) -> list[str]:
    """Every text Teams renders as markdown (TextBlocks; TextRuns are shown as typed)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def big_review(findings: int, suggestion: str, words: str = "word") -> Review:
    many = tuple(
        Finding(
            "empathy" if i % 2 else "ownership",
            f"rule.{i}",
            f"{words} " * 80 + f"number {i}",  # distinct words: one finding per phrase
            f"Finding {i}: " + f"{words} " * 150,
            "Try this instead: " + f"{words} " * 150,
            cost=5,
            level="nudge" if i % 3 else "hint",
        )
        for i in range(findings)
    )
    return Review(True, Scores(empathy=10, ownership=5), many, suggestion, "rules")


def test_a_review_card_is_an_adaptive_card_1_5_with_execute_buttons() -> None:
    review = rules_review(DRAFT, customer=UPSET)
    card = cards.review_card(review, DRAFT, ref="r-1", requester="aad-1")
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert card["$schema"].startswith("http://adaptivecards.io/schemas/")
    assert card["fallbackText"] == cards.review_summary(review)
    assert all(a["type"] == "Action.Execute" for a in actions(card))
    assert {a["verb"] for a in actions(card)} == set(cards.VERBS)
    assert all(a["data"]["ref"] == "r-1" and a["data"]["for"] == "aad-1" for a in actions(card))
    [use] = [a for a in actions(card) if a["verb"] == cards.VERB_USE]
    assert use["data"]["suggestion"] == review.suggestion
    assert text_of(element(card, "suggestion-text")) == review.suggestion
    assert element(card, "scores")["text"].startswith("Respect ")
    assert len(element(card, "findings")["items"]) == sum(
        1 for f in one_per_phrase(review.findings) if f.level == "nudge"
    )


def test_words_not_ours_are_never_markdown() -> None:
    draft = "**Act now** [click](https://evil.example) <at>Boss</at> {{DATE(2017-02-14T06:08:39Z)}}"
    suggestion = "_sorry_ [here](https://evil.example) {{TIME(2017-02-14T06:08:39Z)}}"
    finding = Finding("respect", "r", "**Act now**", "[click](https://evil.example) is rude", "ok")
    review = Review(True, Scores(respect=60), (finding,), suggestion, "llm", note="**note**")
    card = cards.review_card(review, draft, ref="r")
    rendered = "\n".join(markdown_texts(card))
    for words in ("Act now", "evil.example", "Boss", "sorry", "note**"):
        assert words not in rendered
    assert text_of(element(card, "draft")) == draft.replace("{{DATE", "{\u200b{DATE")
    assert "{{TIME(" not in text_of(element(card, "suggestion-text"))
    assert "{{DATE(" not in json.dumps(card)
    assert text_of(element(card, "suggestion-text")).startswith("_sorry_ [here]")


def test_a_huge_review_fits_in_one_teams_message() -> None:
    review = big_review(60, "I'm sorry. " * 4_000)
    card = cards.review_card(review, "x " * 20_000, ref="r")
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert text_of(element(card, "draft")).endswith("…(shortened)")
    assert "I've left out to keep this short" in text_of(card)
    suggestion = text_of(element(card, "suggestion-text"))
    assert suggestion.endswith("…") and len(suggestion) < len(review.suggestion or "")
    assert "did not fit in one Teams card" in text_of(element(card, "suggestion"))


def test_an_emoji_heavy_review_fits_too() -> None:
    review = big_review(30, "😊👍🏽 " * 6_000, words="😞📦")
    card = cards.review_card(review, "🙂" * 40_000, ref="r", requester="aad")
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert not text_of(element(card, "draft")).endswith("\u200d")
    # Too big to carry the suggestion twice: "Use suggestion" then relies on the app's memory.
    [use] = [a for a in actions(card) if a["verb"] == cards.VERB_USE]
    assert "suggestion" not in use["data"]


def test_a_draft_that_reads_well_gets_encouragement_and_no_findings() -> None:
    good = (
        "Hi Priya, I'm sorry your parcel is late. I've called the courier and it's booked for "
        "tomorrow before 1pm; I'll check the tracking at 2pm and call you if it hasn't arrived."
    )
    review = rules_review(good, customer=UPSET)
    assert not review.needs_nudge
    card = cards.review_card(review, good, ref="r")
    assert element(card, "title")["text"] == "Looking good"
    assert not has_element(card, "findings")
    assert "reads well" in text_of(card)


def test_a_draft_not_judged_gets_the_note_and_no_scores() -> None:
    review = rules_review("🙂🎉")
    card = cards.review_card(review, "🙂🎉", ref="r")
    assert element(card, "title")["text"] == "I couldn't review this one"
    assert not has_element(card, "scores")
    assert review.note and review.note in text_of(element(card, "note"))
    assert [a["verb"] for a in card["actions"]] == [cards.VERB_DISMISS]


def test_feedback_given_shows_thanks_instead_of_its_buttons() -> None:
    review = rules_review(DRAFT, customer=UPSET)
    card = cards.review_card(review, DRAFT, ref="r", feedback_given=True)
    assert element(card, "feedback")["type"] == "TextBlock"
    assert {a["verb"] for a in actions(card)} == {cards.VERB_USE, cards.VERB_DISMISS}


def test_replacement_cards_have_nothing_to_click() -> None:
    used = cards.used_card("Thanks for waiting. " * 3_000)
    assert cards.card_size(used) <= cards.MAX_CARD_BYTES
    assert actions(used) == [] and "actions" not in used
    assert actions(cards.dismissed_card()) == []
    assert "not helpful" in text_of(cards.thanks_card(False))


def test_coaching_card_shows_the_question_answer_and_three_tips() -> None:
    answer = "First, acknowledge.\n\nThen offer what you can do.\n\n" + "More. " * 10_000
    tips = [f"Tip {i}" for i in range(6)]
    card = cards.coaching_card("How do I say no?", answer, tips, note="from the tips")
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert "How do I say no?" in text_of(element(card, "question"))
    text = text_of(card)
    assert "First, acknowledge." in text and "Then offer what you can do." in text
    assert [t for t in tips if t in text] == tips[:3]
    assert "from the tips" in text_of(element(card, "note"))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four five six", 18, "one…(shortened)"),
        ("👩\u200d👩\u200d👧" * 5, 16, "👩\u200d👩…(shortened)"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert cards.shorten(text, limit) == expected
    assert len(cards.shorten(text, limit)) <= limit


def test_help_names_the_commands() -> None:
    text = cards.help_text()
    for command in (
        "`help`",
        "`review`",
        "`tips`",
        "`rules`",
        "`rules off <rule> [why]`",
        "@mention",
    ):
        assert command in text


def test_the_rules_card_fits_and_passes_the_card_model_with_many_rules() -> None:
    figures = [
        RuleFigures(f"ownership.rule-{n:03d}", "ownership", 500 - n, 10, 30, 4, 1)
        for n in range(200)
    ]
    states = {"ownership.rule-001": RuleState("ownership.rule-001", "auto", quiet=True)}
    card = rules_card(figures, states, labels={}, policy=QuietPolicy(), lead=False)
    assert card_problems(card) == [] and cards.card_size(card) <= cards.MAX_CARD_BYTES
    listed = [
        item["text"] for item in next(b for b in card["body"] if b.get("id") == "rules")["items"]
    ]
    assert listed[0].startswith("• ownership.rule-000: auto; 500 live nudges, 10 helpful")
    assert listed[-1].startswith("…and ") and "more" in listed[-1]
    assert "ownership.rule-001" in next(b for b in card["body"] if b.get("id") == "quiet")["text"]
    assert not [b for b in card["body"] if b.get("id") == "usage"]  # how to steer: leads only
    empty = rules_card([], {}, labels={}, policy=QuietPolicy(), lead=True)
    assert card_problems(empty) == [] and "No live nudges" in json.dumps(empty)
