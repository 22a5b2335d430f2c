"""Words for people: notes, labels, scores and findings as every surface shows them."""

from __future__ import annotations

import pytest

from nudgebot.adapters.slack.blocks import coaching_message, nudge_message, review_message
from nudgebot.adapters.teams.cards import coaching_card, review_card
from nudgebot.engine import ReviewEngine
from nudgebot.models import Draft, Finding, Review, Scores
from nudgebot.terminal import review_plain
from nudgebot.wording import (
    FILL_IN,
    READY,
    fresh_tips,
    language_name,
    note_for_people,
    one_per_phrase,
    scores_verdict,
    suggestion_label,
    trim_quote,
    weight_words,
)
from tests.adapters.teams.harness import text_of

ENGINE = ReviewEngine()


def finding(dimension: str, quote: str, cost: int = 10) -> Finding:
    return Finding(dimension, f"{dimension}.x", quote, f"About {quote!r}.", "Try this.", cost)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("“, contact the courier.”", "contact the courier"),
        ("  Not our problem!! ", "Not our problem"),
        ("(it's policy)", "it's policy"),
        ("...", ""),
    ],
)
def test_quotes_lose_the_punctuation_around_them(raw: str, said: str) -> None:
    assert trim_quote(raw) == said


def test_the_same_words_under_two_dimensions_count_once() -> None:
    found = [
        finding("learn", "Not our problem"),
        finding("respect", "not our problem."),
        finding("ownership", ""),
        finding("empathy", ""),
    ]
    kept = one_per_phrase(found)
    assert [f.dimension for f in kept] == ["learn", "ownership", "empathy"]


def test_a_real_review_quotes_each_phrase_once_everywhere() -> None:
    draft = "Not our problem, contact the courier."
    review = ENGINE.review_rules(Draft(draft))
    quotes = [trim_quote(f.quote).casefold() for f in review.findings if f.quote]
    assert len(quotes) > len(set(quotes))  # the engine flags one phrase twice...
    slack = str(review_message(review, draft)["blocks"])
    assert slack.count("Not our problem") == 1  # ...people see it once
    assert "“, contact" not in slack and "“contact the courier”" in slack
    teams = text_of(review_card(review, draft, ref="r"))
    assert teams.count("Not our problem") == 2  # the draft shown on the card, and one finding


def test_suggestions_say_whether_they_are_ready() -> None:
    ready = Review(True, Scores(empathy=60), (), "Sorry, Sam. I'll call you at 4pm.", "rules")
    holes = Review(True, Scores(empathy=60), (), "Sorry, [name]. I'll call you at [time].", "rules")
    assert suggestion_label(ready) == f"A warmer version. {READY}:"
    assert suggestion_label(holes) == f"A warmer version. {FILL_IN}:"
    for review, said, unsaid in ((ready, READY, FILL_IN), (holes, FILL_IN, READY)):
        surfaces = [
            str(review_message(review, "x")),
            str(nudge_message(review, "x", ref="r")),
            text_of(review_card(review, "x", ref="r")),
            review_plain(review, "x"),
        ]
        for shown in surfaces:
            assert said in shown and unsaid not in shown


def test_notes_are_sentences_with_language_names() -> None:
    assert note_for_people("the rules are written for English and this draft looks like 'fr'") == (
        "I can only review English for now, and this draft looks like it's in French."
    )
    assert note_for_people("nothing to review: the draft has no words") == (
        "There was nothing to review: the draft has no words in it."
    )
    assert note_for_people("removed 1 invisible character(s); the model timed out") == (
        "I removed 1 invisible character before reviewing. The model timed out."
    )
    assert note_for_people(None) is None and note_for_people("  ") is None
    assert language_name("de") == "German" and language_name("xx") == "another language"


def test_a_french_draft_is_explained_in_words_on_every_surface() -> None:
    review = ENGINE.review_rules(Draft("Bonjour, votre colis arrivera demain, merci."))
    assert not review.judged and review.note and "'fr'" in review.note  # the JSON keeps it
    for shown in (
        str(review_message(review, "x")),
        text_of(review_card(review, "x", ref="r")),
        review_plain(review, "x"),
    ):
        assert "French" in shown and "'fr'" not in shown


def test_scores_are_explained_in_words() -> None:
    review = Review(True, Scores(empathy=35, ownership=70, learn=45), (), None, "rules")
    assert scores_verdict(review) == (
        "Empathy (35) and Learn (45) need work; Ownership (70) could be warmer; the rest read well."
    )
    assert scores_verdict(Review(False, Scores(), (), None, "rules")) == "All five read well."
    assert weight_words(finding("empathy", "x", 35)) == "a big one"
    assert weight_words(finding("empathy", "x", 5)) == "a small thing"
    card = text_of(
        review_card(
            Review(True, review.scores, (finding("empathy", "late", 35),), None, "rules"),
            "x",
            ref="r",
        )
    )
    assert "costs" not in card and "points" not in card and "need work" in card


def test_coaching_lists_only_the_tips_the_answer_has_not_given() -> None:
    tips = ["Say sorry for the trouble first.", "Give a time you can keep."]
    answer = "A few pointers from the team's coaching tips:\n• " + "\n• ".join(tips)
    assert fresh_tips(answer, [*tips, "Offer one next step."]) == ["Offer one next step."]
    slack = str(coaching_message("How do I say sorry?", answer, tips)["blocks"])
    assert slack.count("Give a time you can keep.") == 1 and "Tips to try" not in slack
    teams = text_of(coaching_card("How do I say sorry?", answer, tips))
    assert teams.count("Give a time you can keep.") == 1
