"""The politeness estimate: its data file, its behaviour, and the respect score it feeds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bench.politeness import find_csv, load, quarter_auc, spearman, split
from nudgebot.engine import ReviewEngine, review
from nudgebot.engine.politeness import (
    PolitenessFileError,
    load_model,
    parse_model,
    politeness,
    respect_score,
    sentences,
    strategies_used,
)
from nudgebot.engine.rules import prompts_dir
from nudgebot.models import Draft

ROOT = Path(__file__).resolve().parents[2]
FILE = prompts_dir() / "politeness.toml"

# The strategies of Danescu-Niculescu-Mizil et al. (2013) that the brief names.
PAPER_STRATEGIES = {
    "gratitude",
    "deference",
    "greeting",
    "positive_lexicon",
    "negative_lexicon",
    "apologizing",
    "please",
    "please_start",
    "indirect_btw",
    "direct_question",
    "direct_start",
    "counterfactual_modal",
    "indicative_modal",
    "first_person_start",
    "first_person_plural",
    "first_person",
    "second_person",
    "second_person_start",
    "hedges",
    "factuality",
}


def raw() -> dict:
    with FILE.open("rb") as handle:
        return tomllib.load(handle)


def test_the_weights_file_loads_and_every_strategy_has_a_fitted_weight() -> None:
    data = raw()
    model = load_model()
    names = [s["name"] for s in data["strategy"]]
    assert [s.name for s in model.strategies] == names
    assert set(names) >= PAPER_STRATEGIES
    for entry in data["strategy"]:
        assert isinstance(entry["weight"], float), entry["name"]
        assert entry.get("phrases") or entry.get("patterns"), entry["name"]
        assert entry["description"].endswith("."), entry["name"]
    # fitted, not the zeros the file starts from: most strategies carry some weight
    assert sum(1 for s in model.strategies if abs(s.weight) >= 0.05) >= len(names) * 0.8
    assert 0 < model.blend < 1
    assert data["fit"]["training_requests"] + data["fit"]["held_out_requests"] > 4000


def test_a_strategy_without_a_weight_is_refused_with_its_name() -> None:
    data = raw()
    del data["strategy"][3]["weight"]
    with pytest.raises(PolitenessFileError, match=data["strategy"][3]["name"]):
        parse_model(data)


def test_a_broken_file_is_refused() -> None:
    data = raw()
    with pytest.raises(PolitenessFileError, match="respect_blend"):
        parse_model({**data, "model": {**data["model"], "respect_blend": 2}})
    data["strategy"][0] = {**data["strategy"][0], "patterns": ["(unclosed"]}
    with pytest.raises(PolitenessFileError, match="regular expression"):
        parse_model(data)
    data = raw()
    data["strategy"].append(dict(data["strategy"][0]))
    with pytest.raises(PolitenessFileError, match="twice"):
        parse_model(data)


@pytest.mark.parametrize(
    ("plain", "politer"),
    [
        ("Could you check the log?", "Could you check the log? Thanks!"),
        ("Could you send me the log?", "Could you please send me the log?"),
        ("Can you send me the log?", "Can you please send me the log?"),
        ("Can you send me the log?", "Could you send me the log?"),
        ("The link is broken.", "Sorry, the link is broken."),
        ("Why did you change the title?", "I wonder whether the title should change?"),
    ],
)
def test_courtesy_raises_the_estimate(plain: str, politer: str) -> None:
    assert politeness(politer) > politeness(plain)


@pytest.mark.parametrize(
    ("plain", "ruder"),
    [
        ("The guide is on the help page.", "Did you even read the guide on the help page?"),
        ("Thanks for the edit.", "Thanks for the edit. Why did you remove the sources?"),
        ("The page has three sections.", "Obviously the page has three sections."),
    ],
)
def test_challenges_lower_the_estimate(plain: str, ruder: str) -> None:
    assert politeness(ruder) < politeness(plain)


def test_the_estimate_is_a_probability_and_ranks_polite_above_rude() -> None:
    polite = "Hi! Thanks so much for your help. Would you mind taking a quick look? :)"
    rude = "So did you even read it? Stop reverting my edits, this is ridiculous!"
    assert 0 <= politeness(rude) < 0.2 < 0.8 < politeness(polite) <= 1


def test_strategies_are_found_where_the_file_says() -> None:
    assert "please_start" in strategies_used("Please check the page.")
    assert "please" not in strategies_used("Please check the page.")
    assert "please" in strategies_used("Could you please check the page?")
    assert "greeting" in strategies_used("@324594 Hi there, your order is on its way.")
    assert "greeting" not in strategies_used("Your order is on its way. Hi again later.")
    assert "second_person_start" in strategies_used("<@U024BE7LH> You can find it here.")
    assert "apologizing" in strategies_used("Our apologies for the wait.")  # apolog*
    assert "gratitude" in strategies_used("Much obliged, and thankful.")  # thank*
    assert "multiple_questions" in strategies_used("Where is it? Who moved it?")


def test_sentences_drop_handles_and_fold_quotes() -> None:
    assert sentences("@12 It\u2019s here.  \u201cThanks\u201d!\nBye") == [
        "it's here.",
        'thanks"!',
        "bye",
    ]


def test_the_respect_score_blends_findings_and_politeness() -> None:
    model = load_model()
    polite, rude = "Thank you so much, could you help?", "Did you even read it?"
    assert respect_score(20, None) == 80  # no text: the findings alone, as before
    assert respect_score(200, None) == 0
    assert respect_score(0, polite) > respect_score(0, rude)
    assert respect_score(0, polite) > respect_score(30, polite)
    assert respect_score(0, polite) <= 100 and respect_score(500, rude) >= 0
    assert respect_score(500, polite) <= round(model.blend * 100)


@pytest.mark.parametrize(
    "draft",
    [
        "Your refund of £40 went out today and should reach your card within 3 working days.",
        "It's under Settings, then Display, then Cast.",
        "Restart the router, then wait two minutes for the lights to settle.",
        "Yes, the 11:32 train stops at Manchester Piccadilly.",
        "Done, your account is unlocked.",
    ],
)
def test_a_plain_good_reply_without_findings_scores_80_or_more(draft: str) -> None:
    assert respect_score(0, draft) >= 80


def test_the_engine_scores_a_plain_good_reply_high() -> None:
    draft = "Done, your account is unlocked."
    result = ReviewEngine().review_rules(Draft(text=draft, customer="I'm locked out."))
    cost = sum(f.cost for f in result.findings if f.dimension == "respect")
    assert result.scores.respect == respect_score(cost, draft)
    assert result.scores.respect >= 80


def test_a_rude_reply_loses_respect_even_where_no_rule_fires() -> None:
    plain = review("The form is on the account page.")
    rude = review("Seriously? Did you even look at the account page?")
    assert rude.scores.respect < plain.scores.respect


CSV = find_csv(ROOT)


@pytest.mark.skipif(not CSV.is_file(), reason="../shared/eval/politeness-wikipedia.csv is absent")
def test_respect_tracks_human_politeness_on_the_held_out_part() -> None:
    training, held = split(load(CSV))
    assert len(held) > 1000 and not {r.id for r in held} & {r.id for r in training}
    engine = ReviewEngine()
    respect = [engine.review_rules(Draft(text=r.text)).scores.respect for r in held]
    estimate = [politeness(r.text) for r in held]
    gold = [r.score for r in held]
    for values in (respect, estimate):
        assert (quarter_auc(held, values) or 0) >= 0.75
        assert (spearman(values, gold) or 0) >= 0.40
