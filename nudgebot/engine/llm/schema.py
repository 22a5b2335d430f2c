"""The shape of a model's answer: a pydantic model whose JSON schema the model is held to.

Servers that support structured output get :func:`response_schema` as a strict JSON schema;
servers that only do JSON mode get the same shape described in the prompt, and
:func:`parse_answer` reads what comes back tolerantly (code fences, text around the object,
numbers as strings) but strictly about the fields themselves: a missing or unknown field is a
schema mismatch, not something to guess at.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = ["AnswerError", "ModelFinding", "ModelReview", "ModelScores", "parse_answer"]

DimensionName = Literal["respect", "empathy", "adaptable", "learn", "ownership"]


class AnswerError(ValueError):
    """A model's answer that cannot be used; ``reason`` is a short phrase for the user's note."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelScores(_Strict):
    """The five scores, 0-100, higher is better."""

    respect: int
    empathy: int
    adaptable: int
    learn: int
    ownership: int

    @field_validator("respect", "empathy", "adaptable", "learn", "ownership", mode="before")
    @classmethod
    def _score(cls, value: Any) -> int:
        """Accept 80, 80.4 or "80"; clamp to 0-100."""
        if isinstance(value, bool):
            raise ValueError("a score is a number from 0 to 100")
        if isinstance(value, str):
            value = value.strip().rstrip("%")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("a score is a number from 0 to 100") from None
        if number != number:  # NaN
            raise ValueError("a score is a number from 0 to 100")
        return max(0, min(100, round(number)))


class ModelFinding(_Strict):
    """One thing that could land better, in the model's words."""

    dimension: DimensionName
    quote: str = Field(description="the draft's exact words; empty when something is missing")
    message: str = Field(description="what could land better, in one sentence")
    fix: str = Field(description="what to do instead, in one sentence")

    @field_validator("dimension", mode="before")
    @classmethod
    def _dimension(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ModelReview(_Strict):
    """A model's whole answer."""

    needs_nudge: bool
    scores: ModelScores
    findings: list[ModelFinding]
    suggestion: str | None = Field(description="the warmer reply; null when no nudge is needed")

    @model_validator(mode="before")
    @classmethod
    def _no_suggestion(cls, data: Any) -> Any:
        """Read a missing ``suggestion`` (a JSON-mode model left it out) as null."""
        if isinstance(data, dict) and "suggestion" not in data:
            return {**data, "suggestion": None}
        return data


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_answer(content: str | None) -> ModelReview:
    """Read a model's answer into a :class:`ModelReview`, or raise :class:`AnswerError`."""
    if content is None or not content.strip():
        raise AnswerError("answered with nothing")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = _embedded_object(text)
    if not isinstance(data, dict):
        raise AnswerError("answered with something other than a JSON object")
    try:
        return ModelReview.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise AnswerError("answered in the wrong shape", f"{where}: {first['msg']}") from None


def _embedded_object(text: str) -> Any:
    """Find the first complete JSON object in ``text`` (a model that talked around it)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            return decoder.raw_decode(text, start)[0]
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    raise AnswerError("answered with text that is not JSON (or JSON cut short)")
