"""Every rule carries examples that must flag and must pass (proselint's meta-test)."""

import pytest

from nudgebot.engine.rules import default_rulebook
from nudgebot.engine.rules.checker import Context, first_match

RULEBOOK = default_rulebook()
IDS = [rule.id for rule in RULEBOOK.rules]


@pytest.mark.parametrize("rule_id", IDS)
def test_rule_has_examples_both_ways(rule_id: str) -> None:
    rule = RULEBOOK.rule(rule_id)
    assert rule.flag_examples, f"{rule.path}: add at least one `flag` example"
    assert rule.pass_examples, f"{rule.path}: add at least one `pass` example"


@pytest.mark.parametrize("rule_id", IDS)
def test_flag_examples_fire(rule_id: str) -> None:
    rule = RULEBOOK.rule(rule_id)
    for example in rule.flag_examples:
        context = Context(RULEBOOK, example.draft, example.customer, example.thread)
        assert first_match(rule, context) is not None, f"{rule.path}: should flag {example}"


@pytest.mark.parametrize("rule_id", IDS)
def test_pass_examples_do_not_fire(rule_id: str) -> None:
    rule = RULEBOOK.rule(rule_id)
    for example in rule.pass_examples:
        context = Context(RULEBOOK, example.draft, example.customer, example.thread)
        assert first_match(rule, context) is None, f"{rule.path}: should pass {example}"


def test_every_dimension_has_rules() -> None:
    dimensions = {rule.dimension for rule in RULEBOOK.rules if rule.level == "nudge"}
    assert dimensions == {"respect", "empathy", "adaptable", "learn", "ownership"}


def test_all_four_kinds_are_used() -> None:
    assert {rule.kind for rule in RULEBOOK.rules} == {
        "existence",
        "substitution",
        "occurrence",
        "conditional",
    }


@pytest.mark.parametrize("name", sorted(RULEBOOK.templates))
def test_added_sentences_never_trigger_a_rule(name: str) -> None:
    """What the rewrite adds must itself pass every rule, or the rewrite would chase its tail."""
    text = RULEBOOK.templates[name]["text"].replace("{party}", "the courier")
    context = Context(RULEBOOK, text, "It's the third time this went wrong. I'm furious!!")
    fired = [r.id for r in RULEBOOK.rules if r.kind != "conditional" and first_match(r, context)]
    assert fired == []
