from __future__ import annotations

import json

import pytest

from nudgebot.engine.llm.schema import AnswerError, parse_answer

GOOD = {
    "needs_nudge": True,
    "scores": {"respect": 90, "empathy": 40, "adaptable": 70, "learn": 80, "ownership": 30},
    "findings": [{"dimension": "Empathy", "quote": "but", "message": "m", "fix": "f"}],
    "suggestion": "Sorry! Let me look into that for you.",
}


def test_a_plain_json_answer_is_read() -> None:
    review = parse_answer(json.dumps(GOOD))
    assert review.scores.empathy == 40
    assert review.findings[0].dimension == "empathy"  # case forgiven


@pytest.mark.parametrize(
    "wrapped",
    [
        "```json\n{}\n```",
        "```\n{}\n```",
        "Sure! Here is the review:\n{}\nHope that helps.",
    ],
)
def test_fences_and_talk_around_the_object_are_tolerated(wrapped: str) -> None:
    assert parse_answer(wrapped.format(json.dumps(GOOD))).needs_nudge is True


def test_scores_are_coerced_and_clamped() -> None:
    data = {**GOOD, "scores": {"respect": "85%", "empathy": 40.6, "adaptable": 130,
                               "learn": -5, "ownership": "30"}}  # fmt: skip
    scores = parse_answer(json.dumps(data)).scores
    assert scores.model_dump() == {
        "respect": 85, "empathy": 41, "adaptable": 100, "learn": 0, "ownership": 30
    }  # fmt: skip


def test_a_missing_suggestion_reads_as_null() -> None:
    data = {key: value for key, value in GOOD.items() if key != "suggestion"}
    assert parse_answer(json.dumps(data)).suggestion is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "answered with nothing"),
        ("   ", "answered with nothing"),
        ("[1, 2]", "answered with something other than a JSON object"),
        ('{"needs_nudge": true, "scores": {', "answered with text that is not JSON"),
        (json.dumps({**GOOD, "extra": 1}), "answered in the wrong shape"),
        (json.dumps({**GOOD, "scores": {"respect": True}}), "answered in the wrong shape"),
        (json.dumps({**GOOD, "findings": [{"dimension": "tone"}]}), "answered in the wrong shape"),
        (
            json.dumps({**GOOD, "scores": {**GOOD["scores"], "empathy": "lots"}}),  # type: ignore[dict-item]
            "answered in the wrong shape",
        ),
    ],
)
def test_unusable_answers_raise_with_a_reason(content: str | None, reason: str) -> None:
    with pytest.raises(AnswerError) as error:
        parse_answer(content)
    assert error.value.reason.startswith(reason)
