"""The leads' report's learning part as pure data: ranking, states over teams, JSON, text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nudgebot.learning import (
    Agreement,
    OutcomeCounts,
    RuleChange,
    RuleFigures,
    RuleOutcome,
    RuleState,
)
from nudgebot.learning_report import (
    QuietedRule,
    RuleRow,
    TeamLearning,
    learning_lines,
    outcome_words,
    state_across,
)

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def figures(rule: str, helpful: int, not_helpful: int, nudges: int = 10) -> RuleFigures:
    return RuleFigures(rule, rule.split(".")[0], nudges, helpful, not_helpful, acted_on=2)


def sample_learning(why: str = "too noisy for us") -> TeamLearning:
    """Seven rules with votes, one without; one turned off by a lead, one quieted by votes."""
    rows = (
        RuleRow(figures("ownership.deflection", 9, 1)),  # 90%
        RuleRow(figures("respect.curt", 3, 1)),  # 75%
        RuleRow(figures("empathy.no-apology", 6, 2)),  # 75%, more votes: before curt
        RuleRow(figures("learn.no-prevention", 1, 1)),  # 50%
        RuleRow(figures("respect.blame", 2, 8), "quiet"),  # 20%
        RuleRow(figures("respect.dismissive", 0, 3), "off"),  # 0%
        RuleRow(figures("ownership.no-next-step", 1, 4)),  # 20%, fewer votes than blame
        RuleRow(figures("empathy.no-acknowledgement", 0, 0)),  # no votes: not ranked
    )
    off = RuleState("respect.dismissive", "off", False, "ULEAD", AT, why)
    quiet = RuleState("respect.blame", "auto", True, None, AT, "8 of 10 votes in 30 days said")
    return TeamLearning(
        rules=rows,
        quieted=(QuietedRule("T1", quiet), QuietedRule("T1", off)),
        changes=(RuleChange("T1", "respect.dismissive", "off", False, "ULEAD", AT, why),),
        agreement=Agreement(judged=4, agreed=3, missed=2),
        outcomes=(
            RuleOutcome("ownership.deflection", OutcomeCounts(2, 1, 0), OutcomeCounts(0, 1, 1)),
        ),
        labels={
            "ownership.deflection": "Passes the customer along",
            "respect.dismissive": "Brushes off",
        },
    )


def test_top_and_bottom_by_acceptance_never_overlap() -> None:
    top, bottom = sample_learning().helpful()
    assert [r.rule for r in top] == [
        "ownership.deflection",
        "empathy.no-apology",
        "respect.curt",
    ]
    assert [r.rule for r in bottom] == [
        "respect.dismissive",
        "respect.blame",
        "ownership.no-next-step",
    ]
    two = TeamLearning(rules=sample_learning().rules[:2])
    assert [[r.rule for r in part] for part in two.helpful()] == [
        ["ownership.deflection", "respect.curt"],
        [],
    ]
    # a rule most votes found unhelpful is never on top, even when no rule does better
    disliked = TeamLearning(rules=sample_learning().rules[4:7])
    assert [[r.rule for r in part] for part in disliked.helpful()] == [
        [],
        ["respect.dismissive", "respect.blame", "ownership.no-next-step"],
    ]
    one = TeamLearning(rules=sample_learning().rules[:1])
    assert [len(part) for part in one.helpful()] == [1, 0]
    assert TeamLearning().helpful() == ((), ())


def test_a_rules_state_over_several_teams() -> None:
    off = RuleState("r.x", "off")
    quiet = RuleState("r.x", "auto", True)
    assert state_across({}, "r.x") == "auto"
    assert state_across({"T1": {"r.x": off}, "T2": {}}, "r.x") == "off"
    assert state_across({"T1": {"r.x": off}, "T2": {"r.x": off}}, "r.x") == "off"
    assert state_across({"T1": {"r.x": off}, "T2": {"r.x": quiet}}, "r.x") == "mixed"


def test_json_carries_rules_agreement_outcomes_and_changes() -> None:
    data = json.loads(json.dumps(sample_learning().to_dict()))
    first = data["rules"][0]
    assert first == {
        "rule": "ownership.deflection",
        "dimension": "ownership",
        "live_nudges": 10,
        "helpful": 9,
        "not_helpful": 1,
        "acted_on": 2,
        "muted_after": 0,
        "acceptance": 0.9,
        "state": "auto",
    }
    assert [r["state"] for r in data["rules"]][4:6] == ["quiet", "off"]
    assert data["rules"][-1]["acceptance"] is None
    assert data["agreement"] == {"judged": 4, "agreed": 3, "rate": 0.75, "missed": 2}
    assert data["outcomes"][0]["acted_on"] == {"calmer": 2, "same": 1, "angrier": 0}
    assert data["changes"] == [
        {
            "team": "T1",
            "rule": "respect.dismissive",
            "state": "off",
            "by": "ULEAD",
            "at": AT.isoformat(),
            "why": "too noisy for us",
        }
    ]
    assert [q["by"] for q in data["quieted"]] == [None, "ULEAD"]


def test_text_lines() -> None:
    text = "\n".join(learning_lines(sample_learning()))
    assert "    Passes the customer along (ownership.deflection): 90% of 10 votes helpful" in text
    assert "  least helpful:\n    Brushes off (respect.dismissive): 0% of 3 votes helpful" in text
    assert "respect.blame in T1: quieted by feedback, by the team's feedback on 2026-11-20" in text
    assert "3 of 4 findings judged agreed with (75%); 2 replies the bot missed" in text
    assert "Changes in this period: 1" in text
    empty = "\n".join(learning_lines(TeamLearning()))
    assert "No votes on live nudges in this period." in empty
    assert "None: every rule nudges live." in empty
    assert "No findings were judged in this period." in empty


def test_outcome_words() -> None:
    outcome = RuleOutcome("r.x", OutcomeCounts(1, 0, 2), OutcomeCounts())
    assert outcome_words(outcome) == "acted on: 1 calmer, 0 same, 2 angrier"
    assert outcome_words(RuleOutcome("r.x")) == "no customer reply yet"
