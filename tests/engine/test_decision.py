"""The live decision per reply: its features, the calibration file, and the shipped weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from nudgebot.engine import ReviewEngine
from nudgebot.engine.calibration import (
    SITUATIONS,
    Calibration,
    CalibrationError,
    default_calibration,
    load_calibration,
    load_model_threshold,
)
from nudgebot.engine.decision import BUCKETS, hashed, reply_features, tokens
from nudgebot.engine.rules.checker import Context, check
from nudgebot.models import Draft, Turn

ENGINE = ReviewEngine()


def _context(draft: str, customer: str) -> Context:
    return Context(ENGINE.rulebook, draft, customer)


def test_tokens_fold_links_handles_and_numbers() -> None:
    words = tokens("@Ann Your order 4411 is here: https://example.com/x — it’s late?")
    assert words == ["<at>", "your", "order", "<num>", "is", "here", "<url>", "it's", "late", "?"]


def test_hashed_ngrams_are_stable_buckets_never_words() -> None:
    names = hashed("d", "we are sorry")
    assert names == hashed("d", "We are SORRY")  # the same text, the same features
    assert len(names) == 5  # three words, two bigrams (no collisions here)
    assert all(n.startswith("d:") and 0 <= int(n[2:]) < BUCKETS for n in names)
    assert not any("sorry" in n for n in names)


def test_reply_features_name_the_findings_move_and_situation() -> None:
    context = _context(
        "You'll need to contact the courier.", "My parcel is a week late and nobody replies!!"
    )
    findings = tuple(h.finding for h in check(context))
    names = reply_features(findings, context, SITUATIONS)
    assert context.move == "handoff"
    assert "move=handoff" in names
    assert "rule=ownership.deflection" in names
    assert "dimension*move=ownership*handoff" in names
    assert "situation=thread_upset" in names
    assert "agent_turns=0" in names
    assert any(n.startswith("d:") for n in names)
    assert set(hashed("d", context.text)) <= set(names)


def test_the_reply_model_decides_and_needs_a_finding_to_show() -> None:
    draft = Draft(text="You'll need to contact the courier.", customer="Where is my parcel??")
    base = {"bias": -1.0}
    keen = Calibration({"bias": 10.0}, 0.5, reply_weights={**base, "move=handoff": 3.0})
    shy = Calibration({"bias": 10.0}, 0.5, reply_weights={**base, "move=handoff": -3.0})
    assert ReviewEngine(calibration=keen).review_rules(draft).needs_nudge
    quiet = ReviewEngine(calibration=shy).review_rules(draft)
    assert not quiet.needs_nudge
    assert quiet.points_raised and all(f.confidence == 1.0 for f in quiet.findings)
    # nothing found, nothing to show: no live nudge however keen the reply model is
    fine = Draft(text="I've refunded the £20 and it'll show by Friday.", customer="Refund?")
    eager = Calibration({"bias": 10.0}, 0.5, reply_weights={"bias": 10.0})
    assert not ReviewEngine(calibration=eager).review_rules(fine).needs_nudge


def test_without_a_reply_model_a_confident_finding_decides() -> None:
    draft = Draft(text="You'll need to contact the courier.", customer="Where is my parcel??")
    context = _context(draft.text, draft.customer or "")
    calibration = Calibration({"bias": 1.0}, threshold=0.7)
    findings = calibration.rate(tuple(h.finding for h in check(context)), context)
    assert calibration.reply_confidence(findings, context) is None
    assert calibration.live(findings, context)
    assert not Calibration({"bias": 0.5}, threshold=0.7).live(
        Calibration({"bias": 0.5}).rate(findings, context), context
    )


def test_a_calibration_file_with_a_reply_table(tmp_path: Path) -> None:
    path = tmp_path / "calibration.toml"
    path.write_text(
        "threshold = 0.4\n[weights]\nbias = 0.1\n"
        '[reply]\nthreshold = 0.6\n[reply.weights]\n"d:12" = -0.5\n'
    )
    loaded = load_calibration(path)
    assert loaded.reply_threshold == 0.6 and loaded.reply_weights == {"d:12": -0.5}
    path.write_text("threshold = 0.4\n[weights]\nbias = 0.1\n[reply]\nthreshold = 2\n")
    with pytest.raises(CalibrationError, match=r"calibration.toml: '\[reply\] threshold'"):
        load_calibration(path)
    path.write_text('threshold = 0.4\n[weights]\nbias = 0.1\n[reply.weights]\nbias = "x"\n')
    with pytest.raises(CalibrationError, match=r"'\[reply.weights\]' must be a table of numbers"):
        load_calibration(path)


def test_the_model_paths_live_threshold_is_read_from_model_toml(tmp_path: Path) -> None:
    assert default_calibration().model_live_below == 60.0  # the shipped prompts/model.toml
    path = tmp_path / "model.toml"
    path.write_text("live_below = 55\n")
    assert load_model_threshold(path) == 55.0
    for bad in ("live_below = 0", "live_below = 101", 'live_below = "60"', "live_below = true"):
        path.write_text(bad + "\n")
        with pytest.raises(CalibrationError, match="'live_below' must be a score from 1 to 100"):
            load_model_threshold(path)
    (tmp_path / "calibration.toml").write_text("threshold = 0.4\n[weights]\nbias = 0.1\n")
    path.write_text("live_below = 50\n")
    custom = default_calibration(tmp_path)
    assert custom.model_live_below == 50.0 and custom.threshold == 0.4


def test_the_shipped_decision_tells_a_good_reply_from_a_deflecting_one() -> None:
    shipped = default_calibration()
    assert shipped.reply_weights and 0 < shipped.reply_threshold < 1
    thread = (Turn("customer", "My parcel is a week late and nobody replies"),)
    good = Draft(
        text="I'm so sorry about the delay! I've chased parcel 88121 with the courier myself "
        "and I'll update you here by 3pm today.",
        thread=thread,
    )
    deflecting = Draft(
        text="We suggest contacting the courier directly, they will be able to help.",
        thread=thread,
    )
    assert not ENGINE.review_rules(good, live=True).needs_nudge
    assert ENGINE.review_rules(deflecting, live=True).needs_nudge


def test_a_quieted_rule_never_nudges_alone() -> None:
    draft = Draft(text="You'll need to contact the courier.", customer="Where is my parcel??")
    # the reply model interrupts only for the deflection rule
    weights = {"bias": -3.0, "rule=ownership.deflection": 6.0}
    engine = ReviewEngine(calibration=Calibration({"bias": 10.0}, 0.5, reply_weights=weights))
    nudged = engine.review_rules(draft, live=True)
    rules = {f.rule for f in nudged.findings if f.level == "nudge"}
    assert nudged.needs_nudge and "ownership.deflection" in rules and len(rules) > 1
    assert set(nudged.meta["live_rules"]) == rules
    # quieted, it still makes the reply worth interrupting: the other findings go out
    quieted = engine.review_rules(draft, live=True, quiet={"ownership.deflection"})
    assert quieted.needs_nudge and quieted.meta["quieted"] == ["ownership.deflection"]
    assert set(quieted.meta["live_rules"]) == rules - {"ownership.deflection"}
    # every finding quieted: no live nudge, every finding still shown to an agent who asks
    silent = engine.review_rules(draft, live=True, quiet=rules)
    assert not silent.needs_nudge and sorted(rules) == silent.meta["quieted"]
    assert {f.rule for f in engine.review_rules(draft, quiet=rules).findings} >= rules
