"""Be sure before interrupting: a confidence for every finding, and the live threshold.

A rule that fires is evidence, not a verdict: "no next step" on a diagnostic question, or "no
acknowledgement" after an earlier turn already said sorry, is usually wrong. Each finding gets a
confidence, the chance that a support coach would raise its dimension about this reply, from a
logistic model over what the reading says: the rule, its dimension with the reply's move, and
the situation (upset, fault, repeats, an earlier acknowledgement, thanks).

The live decision is made once per reply (:mod:`nudgebot.engine.decision`): would a coach
interrupt this reply at all? A model over the findings, the move, the situation and light
lexical features says how likely; a live nudge (watched channels, Teams' quoted replies) goes
out only when that reaches its threshold and the rules have something to show. When an agent
asks, every finding shows with its confidence.

All weights and thresholds are data (``prompts/calibration.toml``), fitted on labelled replies by
``bench/fit_calibration.py`` (the findings) and ``bench/fit_decision.py`` (the reply, its
``[reply]`` table); scikit-learn at development time only: here it is a dot product and a
sigmoid. Without a ``[reply]`` table the live decision is a finding at the findings' threshold.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from nudgebot.engine.decision import buckets, structure
from nudgebot.engine.reading import SITUATION
from nudgebot.engine.rules.checker import Context
from nudgebot.models import Finding

SITUATIONS: tuple[str, ...] = (
    *SITUATION,  # the reading of the conversation, and a few more signals:
    "customer_upset",
    "customer_problem",
    "customer_asks",
    "draft_owns_fault",
    "draft_done",
    "draft_short",
    "draft_bare",
)
"""The signals of the reading that a finding's confidence may depend on."""


class CalibrationError(ValueError):
    """A calibration file that cannot be used, naming the file and what is wrong."""


def features(
    finding: Finding, context: Context, others: int, held: list[str] | None = None
) -> list[str]:
    """Return the names of the features that hold for ``finding`` in this conversation.

    ``others`` is how many other nudge-level findings the review has (several problems at
    once are more often real). The names are what the weights file is keyed by. ``held`` is
    :func:`situations_held` when the caller rates several findings of one reply.
    """
    move = context.move
    names = [
        "bias",
        f"rule={finding.rule}",
        f"dimension={finding.dimension}",
        f"move={move}",
        f"dimension*move={finding.dimension}*{move}",
    ]
    held = situations_held(context) if held is None else held
    names += [f"situation={s}" for s in held]
    names += [f"dimension*situation={finding.dimension}*{s}" for s in held]
    agents = sum(1 for turn in context.thread if turn.role == "agent")
    names.append(f"agent_turns={min(agents, 2)}")
    names.append(f"others={min(others, 3)}")
    return names


def situations_held(context: Context) -> list[str]:
    """Return the :data:`SITUATIONS` that hold in this conversation, in their order."""
    signals = context.rulebook.signals
    return [s for s in SITUATIONS if s in signals and context.signal(s)]


@dataclass(frozen=True)
class Calibration:
    """Fitted weights for finding confidences, and the live threshold."""

    weights: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    """A finding this confident drives the rewrite (and, without a reply model, a live nudge)."""
    source: Path | None = None
    reply_weights: Mapping[str, float] = field(default_factory=dict)
    """The reply-level model's weights (empty: no reply model)."""
    reply_threshold: float = 0.5
    """A live nudge needs the reply-level confidence to be at least this."""
    model_live_below: float = 70.0
    """The model path: a live nudge needs the model's lowest score below this (``model.toml``).

    The model says ``needs_nudge`` at a score below 70 and an agent who asks sees that review;
    a watched channel hears from it only when it is surer than that."""

    def confidence(self, names: Iterable[str]) -> float:
        """Return the sigmoid of the summed weights of ``names`` (unknown names weigh 0)."""
        return _sigmoid(sum(self.weights.get(name, 0.0) for name in names))

    def reply_confidence(self, findings: tuple[Finding, ...], context: Context) -> float | None:
        """Return how likely a coach would interrupt this reply (None: no reply model).

        The same sum as over :func:`~nudgebot.engine.decision.reply_features`, with the word
        n-grams looked up by bucket number instead of by name.
        """
        if not self.reply_weights:
            return None
        weights, draft = self._reply_tables
        total = sum(weights.get(name, 0.0) for name in structure(findings, context, SITUATIONS))
        total += sum(draft.get(bucket, 0.0) for bucket in buckets(context.text))
        return _sigmoid(total)

    @cached_property
    def _reply_tables(self) -> tuple[dict[str, float], dict[int, float]]:
        """The reply weights split: the draft's word buckets by number, the rest by name."""
        named: dict[str, float] = {}
        draft: dict[int, float] = {}
        for name, value in self.reply_weights.items():
            prefix, _, rest = name.partition(":")
            if prefix == "d" and rest.isdigit():
                draft[int(rest)] = value
            else:
                named[name] = value
        return named, draft

    def rate(self, findings: tuple[Finding, ...], context: Context) -> tuple[Finding, ...]:
        """Return the findings with their confidence set (hint-level findings too)."""
        nudges = sum(1 for f in findings if f.level == "nudge")
        held = situations_held(context) if findings else []  # the same for every finding
        rated = []
        for finding in findings:
            others = nudges - (1 if finding.level == "nudge" else 0)
            value = self.confidence(features(finding, context, others, held))
            rated.append(replace(finding, confidence=round(value, 3)))
        return tuple(rated)

    def live(self, findings: tuple[Finding, ...], context: Context | None = None) -> bool:
        """Return whether a coach would interrupt: the live decision."""
        return bool(self.deciding(findings, context))

    def deciding(
        self, findings: tuple[Finding, ...], context: Context | None = None
    ) -> tuple[Finding, ...]:
        """Return the findings that make the live decision (none: no live nudge).

        With a reply model (and the ``context``): every nudge-level finding, when the reply's
        confidence reaches the reply threshold. Without: the nudge-level findings at the
        findings' threshold. A live nudge always has a nudge-level finding to show.
        """
        nudges = tuple(f for f in findings if f.level == "nudge")
        if not nudges:
            return ()
        reply = self.reply_confidence(findings, context) if context is not None else None
        if reply is not None:
            return nudges if reply >= self.reply_threshold else ()
        return tuple(f for f in nudges if (f.confidence or 0.0) >= self.threshold)


def _sigmoid(total: float) -> float:
    """Return the logistic function of ``total``, clipped so it never overflows."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


UNCALIBRATED = Calibration({"bias": 10.0}, threshold=0.5)
"""Every finding certain: the behaviour before calibration (used when no file is present)."""


def load_calibration(path: Path) -> Calibration:
    """Read a calibration file.

    It holds ``threshold``, a ``[weights]`` table of numbers, and optionally a ``[reply]`` table
    with its own ``threshold`` and ``[reply.weights]``.
    """
    data = _read_toml(path)
    threshold = data.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise CalibrationError(f"{path}: 'threshold' must be a number between 0 and 1")
    weights = data.get("weights")
    reply = data.get("reply", {})
    reply_weights = _table(path, reply.get("weights", {}), "[reply.weights]")
    reply_threshold = reply.get("threshold", 0.5)
    if not isinstance(reply_threshold, int | float) or not 0 < reply_threshold < 1:
        raise CalibrationError(f"{path}: '[reply] threshold' must be a number between 0 and 1")
    return Calibration(
        _table(path, weights, "[weights]"),
        float(threshold),
        path,
        reply_weights,
        float(reply_threshold),
    )


def load_model_threshold(path: Path) -> float:
    """Read ``live_below`` from the model path's file (``model.toml``): a score from 1 to 100."""
    data = _read_toml(path)
    below = data.get("live_below")
    if isinstance(below, bool) or not isinstance(below, int | float) or not 0 < below <= 100:
        raise CalibrationError(f"{path}: 'live_below' must be a score from 1 to 100")
    return float(below)


def _read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, or stop naming the file and what is wrong with it."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise CalibrationError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise CalibrationError(f"{path}: not valid TOML: {error}") from None
    return data


def _table(path: Path, table: object, name: str) -> dict[str, float]:
    """Return a table of weights, or stop naming the file and the table."""
    if not isinstance(table, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in table.values()
    ):
        raise CalibrationError(f"{path}: '{name}' must be a table of numbers")
    return {str(k): float(v) for k, v in table.items()}


@lru_cache(maxsize=4)
def default_calibration(override: Path | None = None) -> Calibration:
    """Load ``calibration.toml`` and ``model.toml`` from the prompts folder once per process.

    A custom prompts folder without one uses the bundled file; without any file every
    finding counts as certain (:data:`UNCALIBRATED`) and the model's own verdict is live.
    """
    from nudgebot.engine.rules import prompts_dir

    folders = (prompts_dir(override), prompts_dir())
    found = next((p for f in folders if (p := f / "calibration.toml").is_file()), None)
    calibration = UNCALIBRATED if found is None else load_calibration(found)
    for folder in folders:
        path = folder / "model.toml"
        if path.is_file():
            return replace(calibration, model_live_below=load_model_threshold(path))
    return calibration
