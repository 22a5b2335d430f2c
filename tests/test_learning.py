"""The pure core of learning from the team: the quiet policy, rule commands, labelled cases."""

from __future__ import annotations

import pytest

from nudgebot.learning import (
    Agreement,
    OutcomeCounts,
    QuietPolicy,
    RuleFigures,
    RulesCommandError,
    RuleState,
    change,
    labelled_case,
    parse_rules_command,
    rules_lines,
)

KNOWN = ["ownership.deflection", "ownership.vague-timing", "respect.blame", "learn.no-prevention"]


@pytest.mark.parametrize(
    ("helpful", "not_helpful", "quiet"),
    [
        (8, 12, True),  # 60% of 20: quiet
        (9, 11, False),  # 55%
        (0, 19, False),  # too few votes
        (0, 20, True),
        (30, 45, True),
    ],
)
def test_the_default_policy_quiets_at_60_percent_of_20_votes(
    helpful: int, not_helpful: int, quiet: bool
) -> None:
    assert QuietPolicy().quiet(helpful, not_helpful) is quiet


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="min_votes"):
        QuietPolicy(min_votes=0)
    with pytest.raises(ValueError, match="share"):
        QuietPolicy(share=1.5)
    with pytest.raises(ValueError, match="days"):
        QuietPolicy(days=0)


def test_a_rule_is_live_unless_a_lead_or_the_feedback_quiets_it() -> None:
    assert RuleState("r.x").live
    assert not RuleState("r.x", "auto", quiet=True).live
    assert RuleState("r.x", "on", quiet=True).live  # a lead's "on" wins over the feedback
    assert not RuleState("r.x", "off").live
    assert RuleState("r.x", "auto", quiet=True).name == "quiet"


def test_rules_commands_read_a_rule_by_id_or_by_its_last_part() -> None:
    assert parse_rules_command("", KNOWN).action == "list"
    assert parse_rules_command("stats", KNOWN).action == "list"
    command = parse_rules_command("off deflection  agents say it misfires", KNOWN)
    assert (command.action, command.rule, command.why) == (
        "off",
        "ownership.deflection",
        "agents say it misfires",
    )
    assert parse_rules_command("ON respect.blame", KNOWN).rule == "respect.blame"
    assert parse_rules_command("auto llm.empathy", KNOWN).rule == "llm.empathy"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("off", "needs a rule id"),
        ("disable respect.blame", "I don't know `rules disable`"),
        ("off nosuchrule", "There is no rule `nosuchrule`"),
        ("off timing", "Did you mean ownership.vague-timing"),
        ("list everything", "takes nothing more"),
    ],
)
def test_a_malformed_rules_command_says_how_to_write_it(text: str, says: str) -> None:
    with pytest.raises(RulesCommandError, match=says):
        parse_rules_command(text, KNOWN)


def test_rules_lines_show_state_and_figures() -> None:
    figures = [RuleFigures("ownership.deflection", "ownership", 25, 5, 15, 7, 1)]
    states = {
        "ownership.deflection": RuleState("ownership.deflection", "auto", quiet=True),
        "respect.blame": RuleState("respect.blame", "off", by="U1"),
    }
    lines = rules_lines(figures, states)
    assert lines[0].startswith("ownership.deflection: quieted by feedback; 25 live nudges")
    assert "5 helpful, 15 not helpful (25% helpful), 7 acted on, 1 muted after" in lines[0]
    assert lines[1].startswith("respect.blame: off (lead); 0 live nudges")


def test_outcome_changes_compare_heat() -> None:
    assert change(2, 0) == "calmer"
    assert change(1, 2) == "angrier"
    assert change(1, 1) == "same"
    assert change(None, 1) is None
    counts = OutcomeCounts().add("calmer").add("calmer").add("angrier")
    assert counts.to_dict() == {"calmer": 2, "same": 0, "angrier": 1} and counts.total == 3


def test_agreement_rate() -> None:
    assert Agreement().rate is None
    assert Agreement(judged=4, agreed=3, missed=1).to_dict() == {
        "judged": 4,
        "agreed": 3,
        "rate": 0.75,
        "missed": 1,
    }


def test_labelled_cases_from_verdicts() -> None:
    thread = [{"role": "customer", "text": "Where is my parcel?"}]
    agreed = labelled_case(
        "x",
        draft="Contact the courier.",
        thread=thread,
        verdicts=[
            ("ownership.deflection", "ownership", "agree"),
            ("respect.curt", "respect", "disagree"),
        ],
    )
    assert agreed is not None
    assert (agreed["needs_nudge"], agreed["dimensions"], agreed["thread"]) == (
        True,
        ["ownership"],
        thread,
    )
    rejected = labelled_case(
        "y", draft="Happy to help!", thread=[], verdicts=[("respect.curt", "respect", "disagree")]
    )
    assert rejected is not None and (rejected["needs_nudge"], rejected["dimensions"]) == (False, [])
    missed = labelled_case("z", draft="Fine.", thread=[], verdicts=[("", "respect", "missed")])
    assert missed is not None and missed["dimensions"] == ["respect"]
    assert labelled_case("w", draft="", thread=[], verdicts=[("", None, "missed")]) is None
