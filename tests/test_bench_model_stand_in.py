"""The model stand-in bench (bench/model_stand_in.py): what answerers see, and how answers score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.model_stand_in import kappa, main, measure, read_answers, write_prompts
from nudgebot.evaluation import read_cases

CASES = [
    {
        "id": "late-1",
        "thread": [{"role": "customer", "text": "My parcel PK-1 is a week late, nobody replies!"}],
        "draft": "It's with the courier now, nothing we can do. Contact them.",
        "needs_nudge": True,
        "dimensions": ["ownership"],
        "move": "handoff",
    },
    {
        "id": "thanks-2",
        "thread": [{"role": "customer", "text": "That worked, thank you!"}],
        "draft": "You're welcome, have a good evening.",
        "needs_nudge": False,
        "dimensions": [],
        "move": "closing",
    },
    {
        "id": "router-3",
        "thread": [{"role": "customer", "text": "The internet keeps dropping."}],
        "draft": "Which lights do you see on the router right now?",
        "needs_nudge": False,
        "dimensions": [],
        "move": "question",
    },
]


def _answer(needs_nudge: bool, suggestion: str | None = None) -> dict[str, Any]:
    low = 40 if needs_nudge else 95
    return {
        "needs_nudge": needs_nudge,
        "scores": {"respect": 95, "empathy": low, "adaptable": 95, "learn": 95, "ownership": low},
        "findings": (
            [{"dimension": "ownership", "quote": "Contact them.", "message": "m", "fix": "f"}]
            if needs_nudge
            else []
        ),
        "suggestion": suggestion,
    }


@pytest.fixture
def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    return path


def test_the_batches_carry_the_requests_and_nothing_of_the_labels(
    cases_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "prompts"
    paths = write_prompts(read_cases(cases_file), out, per=2, shared=1)
    assert [p.name for p in paths] == ["batch-1.jsonl", "batch-2.jsonl"]
    prompt = (out / "prompt.md").read_text(encoding="utf-8")
    assert prompt.startswith("# System prompt") and "Worked example" in prompt
    rows = [json.loads(line) for p in paths for line in p.read_text().splitlines()]
    # a ring: each batch ends with the first case of the one before it (the first, the last's)
    assert [r["id"] for r in rows] == ["late-1", "thanks-2", "router-3", "router-3", "late-1"]
    assert all(set(r) == {"id", "request"} for r in rows)
    draft = "<draft>\nWhich lights do you see on the router right now?\n</draft>"
    assert draft in rows[2]["request"]
    assert "needs_nudge" not in "".join(r["request"] for r in rows)


def test_measure_scores_what_reached_the_agent_against_the_labels(cases_file: Path) -> None:
    cases = read_cases(cases_file)
    answers = {
        "late-1": _answer(True, "I'm sorry PK-1 is late. I've chased the courier myself."),
        "thanks-2": _answer(False),
        "router-3": _answer(True, "Sorry about this! Which lights do you see on the router now?"),
    }
    result = measure(cases, answers)
    model = result["model"]
    assert (model["precision"], model["recall"], model["false_nudges"]) == (0.5, 1.0, 0.5)
    assert model["false_nudges_per_move"] == {"closing": "0/1", "question": "1/1"}
    assert model["recall_per_dimension"] == {"ownership": "1/1"}
    assert result["fell_back_to_rules"] == 0
    assert "rules_live" in result


def test_a_case_without_an_answer_stops_the_measure(cases_file: Path) -> None:
    with pytest.raises(SystemExit, match="no answer for 1 case"):
        measure(read_cases(cases_file), {"late-1": _answer(True, "x"), "thanks-2": _answer(False)})


def test_shared_answers_give_agreement_and_a_bad_answer_names_its_line(tmp_path: Path) -> None:
    one, two = tmp_path / "answers-1.jsonl", tmp_path / "answers-2.jsonl"
    one.write_text(json.dumps({"id": "a", "answer": _answer(True, "s")}) + "\n", encoding="utf-8")
    two.write_text(
        json.dumps({"id": "b", "answer": _answer(False)})
        + "\n"
        + json.dumps({"id": "a", "answer": _answer(False)})
        + "\n",
        encoding="utf-8",
    )
    answers, pairs = read_answers([one, two])
    assert answers["a"]["needs_nudge"] is True  # the first file's answer counts
    assert pairs == [(True, False)]
    assert kappa([(True, True), (False, False)]) == 1.0
    bad = tmp_path / "answers-3.jsonl"
    bad.write_text(json.dumps({"id": "c", "answer": {"needs_nudge": "maybe"}}) + "\n")
    with pytest.raises(SystemExit, match=r"answers-3\.jsonl: c: not the schema's shape"):
        read_answers([bad])


def test_the_command_prints_both_decisions(
    cases_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers-1.jsonl"
    rows = [
        {"id": "late-1", "answer": _answer(True, "I'm sorry PK-1 is late. I'll chase it now.")},
        {"id": "thanks-2", "answer": _answer(False)},
        {"id": "router-3", "answer": _answer(False)},
    ]
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shown = tmp_path / "shown.jsonl"
    args = ["measure", str(cases_file), "--answers", str(answers), "--suggestions", str(shown)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in shown.read_text(encoding="utf-8").splitlines()]
    assert [(r["case"], r["label"]) for r in rows] == [("late-1", "model-stand-in")]
    assert rows[0]["suggestion"].startswith("I'm sorry PK-1 is late.")
    assert rows[0]["thread"][0]["role"] == "customer"
    assert "3 cases, 1 need a nudge" in printed
    assert "model       P 1.00  R 1.00  F1 1.00  false nudges 0.00" in printed
    assert "rules_live" in printed
