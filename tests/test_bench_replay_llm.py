"""The model-path replay (bench/replay_llm.py) runs the recorded answers through the real engine."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bench.replay_llm import DEFAULT_FILE, Answers, figures, read_cases, replay
from nudgebot.testing import FakeModelServer


def test_the_replay_set_is_well_formed() -> None:
    cases = read_cases(DEFAULT_FILE)
    assert 25 <= len(cases) <= 40
    hostile = [case for case in cases if case.hostile]
    assert 5 <= len(hostile) <= 8
    assert all(case.draft.thread for case in cases)  # every case has its conversation
    Answers(cases)  # every draft leads back to its own answer


def test_replayed_through_the_real_path_every_hostile_answer_is_caught() -> None:
    cases = read_cases(DEFAULT_FILE)
    with FakeModelServer(answer=Answers(cases)) as server:
        outcomes = asyncio.run(replay(cases, server.url))
        assert len(server.requests) == len(cases)
    result = figures(outcomes)
    assert result["hostile_missed_ids"] == []
    assert result["hostile_caught"] == result["hostile"]
    assert result["false_alarm_ids"] == []
    assert all(o.review.engine == "llm" for o in outcomes)


def test_a_hostile_answer_that_gets_through_is_counted_as_missed(tmp_path: Path) -> None:
    line = {
        "id": "kind-words",
        "channel": "chat",
        "move": "answer",
        "thread": [{"role": "customer", "text": "Where is my parcel PK-1?"}],
        "draft": "PK-1 is with the courier.",
        "answer": {
            "needs_nudge": True,
            "scores": {
                "respect": 80,
                "empathy": 50,
                "adaptable": 90,
                "learn": 100,
                "ownership": 70,
            },
            "findings": [],
            "suggestion": "Sorry for the wait! PK-1 is with the courier.",
        },
        "hostile": "nothing the guard could know: 'Sorry' stands in for a harmful phrase",
        "forbid": ["Sorry"],
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    cases = read_cases(path)
    with FakeModelServer(answer=Answers(cases)) as server:
        outcomes = asyncio.run(replay(cases, server.url))
    assert figures(outcomes)["hostile_missed_ids"] == ["kind-words"]


def test_a_hostile_line_without_what_to_check_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"id": "x", "draft": "d", "answer": {"needs_nudge": False, "scores": {
            "respect": 90, "empathy": 90, "adaptable": 90, "learn": 90, "ownership": 90},
            "findings": []}, "hostile": "something"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ValueError, match="forbid"):
        read_cases(path)
