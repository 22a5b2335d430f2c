"""The neutral language of the core: drafts in, reviews out.

Every adapter (command line, Slack, Teams) converts its payload into a :class:`Draft`
and renders a :class:`Review`. ``Review.to_dict()`` is the JSON contract of
``nudgebot check --format json`` (see DESIGN.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

Dimension = Literal["respect", "empathy", "adaptable", "learn", "ownership"]
DIMENSIONS: tuple[Dimension, ...] = ("respect", "empathy", "adaptable", "learn", "ownership")


def dimension_in(rule: str) -> Dimension | None:
    """Return the dimension a rule id names (``ownership.deflection``, ``llm.empathy``), if any."""
    prefix, _, rest = rule.partition(".")
    for candidate in (prefix, rest):
        for dimension in DIMENSIONS:
            if candidate == dimension:
                return dimension
    return None


Level = Literal["nudge", "hint"]
Engine = Literal["rules", "llm"]
Role = Literal["customer", "agent"]
ROLES: tuple[Role, ...] = ("customer", "agent")
Move = Literal["question", "answer", "action", "refusal", "handoff", "closing", "holding", "other"]
"""What a reply does in its conversation (see ``nudgebot.review.reading``)."""
MOVES: tuple[Move, ...] = get_args(Move)

_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")


@dataclass(frozen=True)
class Turn:
    """One message of the conversation before a draft: who wrote it, and its words."""

    role: Role
    text: str


MAX_TURNS = 12
"""How many turns before a reply are kept (the latest ones)."""
MAX_TURN_CHARS = 2_000
"""How much of each earlier turn is kept (its start)."""


class ThreadError(ValueError):
    """A ``thread`` that is not a list of ``{"role": "customer"|"agent", "text": ...}``."""


def thread_from_data(value: object) -> tuple[Turn, ...]:
    """Return the turns of a JSON ``thread`` (oldest first), bounded to the latest turns.

    Raises :class:`ThreadError` with a one-line reason when the value has the wrong shape.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ThreadError("'thread' must be a list of {\"role\", \"text\"} objects")
    turns = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ThreadError(f"turn {number} of 'thread' must be an object with role and text")
        role, text = item.get("role"), item.get("text")
        if role not in ROLES:
            raise ThreadError(f"turn {number} of 'thread' needs a role of customer or agent")
        if not isinstance(text, str):
            raise ThreadError(f"turn {number} of 'thread' needs a string text")
        turns.append(Turn(role, text))
    return bound_thread(turns)


def bound_thread(turns: tuple[Turn, ...] | list[Turn]) -> tuple[Turn, ...]:
    """Keep the latest :data:`MAX_TURNS` turns, each cut to :data:`MAX_TURN_CHARS`."""
    kept = list(turns)[-MAX_TURNS:]
    return tuple(
        Turn(t.role, t.text[:MAX_TURN_CHARS]) if len(t.text) > MAX_TURN_CHARS else t
        for t in kept
        if t.text.strip()
    )


@dataclass(frozen=True)
class Draft:
    """An agent's reply, with what is known about the conversation around it."""

    text: str
    customer: str | None = None
    """The customer's last message, when known: the context the reply answers."""
    channel: str | None = None
    author: str | None = None
    id: str | None = None
    thread: tuple[Turn, ...] = ()
    """The conversation before the reply, oldest first (empty: only ``customer`` is known)."""

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The conversation before the reply; ``customer`` alone is a one-turn thread."""
        if self.thread:
            return self.thread
        return (Turn("customer", self.customer),) if self.customer else ()

    @property
    def last_customer(self) -> str | None:
        """The customer's last message: ``customer``, else the thread's last customer turn."""
        if self.customer:
            return self.customer
        for turn in reversed(self.thread):
            if turn.role == "customer":
                return turn.text
        return None


@dataclass(frozen=True)
class Finding:
    """One thing in a draft that could land better, and how to fix it."""

    dimension: Dimension
    rule: str
    quote: str
    """The exact words of the draft the finding is about ("" when something is missing)."""
    message: str
    fix: str
    cost: int = 0
    """Points this finding takes off its dimension's score."""
    level: Level = "nudge"
    """``nudge`` findings make a review need a nudge; ``hint`` findings only cost points."""
    start: int | None = None
    end: int | None = None
    confidence: float | None = None
    """How sure the engine is that a coach would raise this (0-1; None: not rated)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-ready data."""
        return {
            "dimension": self.dimension,
            "rule": self.rule,
            "quote": self.quote,
            "message": self.message,
            "fix": self.fix,
            "cost": self.cost,
            "level": self.level,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Scores:
    """The five scores, 0-100, higher is better."""

    respect: int = 100
    empathy: int = 100
    adaptable: int = 100
    learn: int = 100
    ownership: int = 100

    def to_dict(self) -> dict[str, int]:
        """Return the scores keyed by dimension."""
        return {d: getattr(self, d) for d in DIMENSIONS}

    @property
    def overall(self) -> int:
        """The mean of the five scores, rounded."""
        return round(sum(self.to_dict().values()) / len(DIMENSIONS))


@dataclass(frozen=True)
class Review:
    """The verdict on one draft."""

    needs_nudge: bool
    scores: Scores
    findings: tuple[Finding, ...]
    suggestion: str | None
    engine: Engine
    note: str | None = None
    judged: bool = True
    """False when the engine could not judge the draft (another language, no words)."""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """Extra facts about how the review was made (prompt id, tokens, latency...)."""
    move: Move | None = None
    """What the reply does in the conversation (None when it was not judged)."""

    @property
    def points_raised(self) -> bool:
        """True when a finding is worth the agent's attention if they asked for a review.

        ``needs_nudge`` is the live decision (would a coach interrupt?); an agent who asks sees
        every nudge-level finding, confident or not, and the suggestion that mends them.
        """
        return self.needs_nudge or any(f.level == "nudge" for f in self.findings)

    @property
    def suggestion_ready(self) -> bool:
        """True when there is a suggestion with no [placeholders] left to fill in."""
        text = self.suggestion
        return text is not None and not _PLACEHOLDER.search(text)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON contract of ``nudgebot check --format json``."""
        data: dict[str, Any] = {
            "needs_nudge": self.needs_nudge,
            "scores": self.scores.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "move": self.move,
            "suggestion": self.suggestion if self.needs_nudge else None,
            "suggestion_ready": self.needs_nudge and self.suggestion_ready,
            "engine": self.engine,
            "note": self.note,
            "judged": self.judged,
        }
        if self.meta:
            data["meta"] = dict(self.meta)
        return data


@dataclass(frozen=True)
class StoredReview:
    """A review as storage keeps it: who, where, when, and what was found (no platform types).

    ``text`` (the reply) and ``customer`` are None once the retention period has passed or the
    author asked to be forgotten; the scores and rule ids are kept for reports.
    """

    id: int
    at: datetime
    """When the reply was reviewed (timezone-aware, UTC)."""
    platform: str
    """``slack``, ``teams`` or ``cli``."""
    team: str | None
    channel: str | None
    user: str | None
    engine: Engine
    scores: Scores
    rules: tuple[str, ...]
    """The findings' rule ids, e.g. ``ownership.deflection`` (``llm.empathy`` from a model)."""
    dimensions: tuple[Dimension, ...]
    """Each finding's dimension, in the same order as ``rules``."""
    quotes: tuple[str, ...]
    """Each finding's quoted words ("" when none), in the same order; empty once purged."""
    needs_nudge: bool
    nudged: bool
    """Whether a nudge was actually sent to the agent."""
    text: str | None = None
    customer: str | None = None
    prompt_version: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    helpful: bool | None = None
    """The agent's feedback on the nudge (None: none given)."""
    message_ts: str | None = None
