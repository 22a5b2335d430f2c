"""The leads' review as an Adaptive Card: content, names instead of ids, Teams' limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.report_card import (
    agent_labels,
    change_words,
    report_card,
    report_summary,
)
from nudgebot.engine import ReviewEngine
from nudgebot.models import Scores, StoredReview
from nudgebot.reports import Report, ScoreChange, build_report, review_query, rule_labels
from tests.adapters.teams.card_model import MODEL_TYPES, card_problems
from tests.adapters.teams.harness import element, has_element, text_of
from tests.adapters.teams.test_teams_cards import markdown_texts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PRIYA = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
SAM = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
LEE = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
RULE = "ownership.deflection"
GOOD = Scores(80, 70, 90, 85, 60)
QUOTE = "Not our problem, email sam@example.com"


def aad(number: int) -> str:
    return f"0a1b2c3d-4e5f-4a6b-8c7d-{number:012d}"


def row(
    number: int,
    user: str,
    *,
    hours_ago: float = 1,
    scores: Scores = GOOD,
    rules: tuple[str, ...] = (),
    quotes: tuple[str, ...] = (),
    nudged: bool = False,
    helpful: bool | None = None,
    text: str | None = None,
) -> StoredReview:
    return StoredReview(
        number,
        NOW - timedelta(hours=hours_ago),
        "teams",
        "tenant",
        "19:channel@thread.tacv2",
        user,
        "rules",
        scores,
        rules,
        tuple("ownership" for _ in rules),
        quotes,
        bool(rules),
        nudged,
        helpful=helpful,
        text=text,
    )


def report(
    rows: list[StoredReview],
    previous: list[StoredReview] | None = None,
    names: dict[str, str] | None = None,
) -> Report:
    query = review_query(now=NOW, days=7, names=(names or {}).items())
    labels = rule_labels(ReviewEngine().rulebook.rules)
    return build_report(rows, previous or [], query=query, labels=labels)


def a_week() -> Report:
    rows = [
        row(1, PRIYA, rules=(RULE,), quotes=(QUOTE,), nudged=True, helpful=True),
        row(2, PRIYA, rules=(RULE,), quotes=(QUOTE,), nudged=True, helpful=False),
        row(3, SAM, scores=Scores(95, 95, 95, 95, 95),
            text="I've refunded order 55120 and emailed you the receipt, Dana."),
        row(4, LEE, rules=(RULE,), quotes=("that's not our problem",), nudged=True),
    ]  # fmt: skip
    before = [row(9, PRIYA, hours_ago=24 * 8, scores=Scores(60, 60, 60, 60, 60))]
    return report(rows, before, names={PRIYA: "Priya Sharma", SAM: "Sam O'Neil"})


def test_the_report_card_is_an_adaptive_card_1_5_the_sdk_model_accepts() -> None:
    card = report_card(a_week(), chart_alt="Team score by day: 81 on Nov 20.")
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.5")
    assert card_problems(card) == []
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert card["fallbackText"] == report_summary(a_week())


def test_the_model_check_can_fail() -> None:
    assert {"TextBlock", "FactSet", "ColumnSet", "Column", "RichTextBlock", "TextRun"} <= set(
        MODEL_TYPES
    )
    broken: dict[str, Any] = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "x", "weight": "Heavy"},
            {"type": "FactSet", "facts": [{"title": "a"}]},
            {"type": "Chart.Pie3D"},
            {"type": "ColumnSet", "columns": [], "colour": "red"},
        ],
    }
    problems = "\n".join(card_problems(broken))
    for wrong in ("weight", "facts[0]", "Chart.Pie3D", "colour"):
        assert wrong in problems


def test_title_period_and_the_six_scores_with_their_change_in_words() -> None:
    card = report_card(a_week())
    assert element(card, "title")["text"] == "Team review · last 7 days"
    assert element(card, "period")["text"] == "2026-11-13 12:00 to 2026-11-20 12:00 UTC"
    assert "4 replies reviewed" in element(card, "replies")["text"]
    facts = {fact["title"]: fact["value"] for fact in element(card, "scores")["facts"]}
    assert list(facts) == ["Overall", "Respect", "Empathy", "Adaptable", "Learn", "Ownership"]
    overall = a_week().overall
    assert overall.mean is not None and overall.previous == 60
    assert (
        facts["Overall"]
        == f"{overall.mean:.0f} · ▲ up {overall.mean - 60:.1f} on the previous period"
    )
    assert "Scores are out of 100" in text_of(card)


@pytest.mark.parametrize(
    ("mean", "previous", "words"),
    [
        (70.0, None, "no earlier period to compare"),
        (70.0, 70.04, "= the same as the previous period"),
        (72.5, 70.0, "▲ up 2.5 on the previous period"),
        (61.0, 70.0, "▼ down 9.0 on the previous period"),
    ],
)
def test_change_words(mean: float, previous: float | None, words: str) -> None:
    assert change_words(ScoreChange("overall", mean, previous)) == words


def test_issues_have_their_human_labels_and_anonymised_examples() -> None:
    week = a_week()
    [issue] = week.issues
    assert issue.label != RULE and issue.label == rule_labels(ReviewEngine().rulebook.rules)[RULE]
    issues = text_of(element(report_card(week), "issues"))
    assert f"1. {issue.label} (Ownership), in 3 replies" in issues
    assert "[email]" in issues and "sam@example.com" not in issues
    assert RULE not in json.dumps(report_card(week))


def test_the_reply_of_the_period_names_its_author_and_hides_personal_data() -> None:
    kudos = "\n".join(text_of(item) for item in element(report_card(a_week()), "kudos")["items"])
    assert "Reply of the period, by Sam O'Neil (overall 95)" in kudos
    assert "55120" not in kudos and "[id]" in kudos


def test_nudge_acceptance_in_a_sentence() -> None:
    said = element(report_card(a_week()), "acceptance")["text"]
    assert said == (
        "**Nudges**: 3 nudges sent; agents answered 2 of them and found 1 helpful (50%)."
    )
    quiet = report([row(1, PRIYA)])
    assert "none were sent" in element(report_card(quiet), "acceptance")["text"]


def test_agents_are_named_never_shown_by_their_ids() -> None:
    week = a_week()
    card = report_card(week)
    rows = element(card, "agents")["items"][2:]  # after the heading and the column titles
    names = [text_of(r["columns"][0]) for r in rows]
    assert names == ["Priya Sharma", "Sam O'Neil", "agent 1"]  # by replies, then id
    assert [text_of(c) for c in rows[0]["columns"][1:]] == ["2", "77", "2", "50%"]
    dumped = json.dumps(card)
    assert all(ident not in dumped for ident in (PRIYA, SAM, LEE))


def test_a_name_that_is_an_id_or_blank_gets_a_neutral_label() -> None:
    rows = [row(1, PRIYA), row(2, SAM), row(3, LEE)]
    names = {PRIYA: PRIYA.upper(), SAM: "  ", LEE: "29:1Qx7vAgentTeamsId"}
    labels = agent_labels(report(rows, names=names))
    assert sorted(labels.values()) == ["agent 1", "agent 2", "agent 3"]


def test_names_are_shown_as_typed_never_as_markdown() -> None:
    name = "**Boss** [win](https://evil.example) {{DATE(2017-02-14T06:08:39Z)}}"
    card = report_card(report([row(1, PRIYA)], names={PRIYA: name}))
    rendered = "\n".join(markdown_texts(card))
    assert "Boss" not in rendered and "evil.example" not in rendered
    assert "**Boss** [win](https://evil.example)" in text_of(element(card, "agents"))
    assert "{{DATE(" not in json.dumps(card)


def test_a_period_without_replies() -> None:
    card = report_card(report([]))
    assert "No replies were reviewed in this period" in element(card, "replies")["text"]
    assert not has_element(card, "scores") and not has_element(card, "agents")
    assert card_problems(card) == []


def test_the_chart_is_announced_and_described_only_when_sent() -> None:
    alt = "Team score by day, last 7 days: from 70 on Nov 14 to 81 on Nov 20."
    card = report_card(a_week(), chart_alt=alt)
    assert "chart below" in element(card, "chart")["text"]
    assert element(card, "chart-alt")["text"] == alt
    assert not has_element(report_card(a_week()), "chart")


@pytest.mark.parametrize("name", ["Alexandra Konstantinopoulou-Papadimitriou", "😀👩‍👩‍👧" * 30])
def test_a_big_team_fits_in_one_teams_message(name: str) -> None:
    people = 400
    rows = [
        row(n, aad(n), rules=(RULE,), quotes=("😞 not our problem " * 20,), nudged=True,
            text="Thank you so much 🙏 " * 30)
        for n in range(1, people + 1)
        for _ in range(1 + n % 3)
    ]  # fmt: skip
    names = {aad(n): f"{name} {n}" for n in range(1, people + 1)}
    big = report(rows, names=names)
    card = report_card(big, chart_alt="A chart.")
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert card_problems(card) == []
    agents = element(card, "agents")["items"]
    shown = len(agents) - 3  # the heading, the column titles, the "and more" line
    assert shown >= 3
    assert element(card, "agents-more")["text"].startswith(
        f"…and {people - shown} more agents with fewer replies"
    )


def test_every_other_teams_card_passes_the_same_model_check() -> None:
    from nudgebot.engine import review as rules_review

    draft = "Not our problem, contact the courier."
    built = [
        cards.review_card(rules_review(draft, customer="Where is it??"), draft, ref="r"),
        cards.review_card(rules_review("🙂🎉"), "🙂🎉", ref="r", feedback_given=True),
        cards.used_card("Thanks for waiting."),
        cards.dismissed_card(),
        cards.thanks_card(True),
        cards.coaching_card("How do I say no?", "Kindly.", ["Name the next step."], "a note"),
        cards.text_card("Name the next step.", title="Today's tip"),
    ]
    assert [card_problems(card) for card in built] == [[]] * len(built)


def test_what_the_team_finds_helpful_in_the_card() -> None:
    from dataclasses import replace

    from tests.test_learning_report import sample_learning

    week = replace(a_week(), learning=sample_learning(why="{{DATE(2026-01-01)}} too noisy"))
    card = report_card(week)
    assert card_problems(card) == []
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    learning = element(card, "learning")
    said = "\n".join(text_of(item) for item in learning["items"])
    assert "👍 Passes the customer along: 90% of 10 votes helpful, 2 acted on" in said
    assert "👎 Brushes off: 0% of 3 votes helpful, 2 acted on" in said
    assert "Brushes off: off (lead), by a lead" in said and "ULEAD" not in json.dumps(card)
    assert "3 of 4 findings judged agreed with (75%); 2 misses." in said
    assert "{{DATE(" not in json.dumps(card)  # a lead's words can't call the card's functions
    assert report_card(a_week()).get("body") and not has_element(report_card(a_week()), "learning")
