"""Be sure before interrupting: a confidence for every finding, and the live threshold.

A rule that fires is evidence, not a verdict: "no next step" on a diagnostic question, or "no
acknowledgement" after an earlier turn already said sorry, is usually wrong. Each finding gets a
confidence, the chance that a support coach would raise its dimension about this reply, from a
logistic model over what the reading says: the rule, its dimension with the reply's move, and
the situation (upset, fault, repeats, an earlier acknowledgement, thanks).

The weights and the live threshold are data (``prompts/calibration.toml``), fitted on labelled
replies by ``bench/fit_calibration.py`` (scikit-learn at development time only: here it is a dot
product and a sigmoid). A live nudge (watched channels, Teams' quoted replies) goes out only when
a finding reaches the threshold; when an agent asks, every finding shows with its confidence.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

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


def features(finding: Finding, context: Context, others: int) -> list[str]:
    """Return the names of the features that hold for ``finding`` in this conversation.

    ``others`` is how many other nudge-level findings the review has (several problems at
    once are more often real). The names are what the weights file is keyed by.
    """
    move = context.move
    names = [
        "bias",
        f"rule={finding.rule}",
        f"dimension={finding.dimension}",
        f"move={move}",
        f"dimension*move={finding.dimension}*{move}",
    ]
    signals = context.rulebook.signals
    held = [s for s in SITUATIONS if s in signals and context.signal(s)]
    names += [f"situation={s}" for s in held]
    names += [f"dimension*situation={finding.dimension}*{s}" for s in held]
    agents = sum(1 for turn in context.thread if turn.role == "agent")
    names.append(f"agent_turns={min(agents, 2)}")
    names.append(f"others={min(others, 3)}")
    return names


@dataclass(frozen=True)
class Calibration:
    """Fitted weights for finding confidences, and the live threshold."""

    weights: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    """A live nudge needs a finding whose confidence is at least this."""
    source: Path | None = None

    def confidence(self, names: Iterable[str]) -> float:
        """Return the sigmoid of the summed weights of ``names`` (unknown names weigh 0)."""
        total = sum(self.weights.get(name, 0.0) for name in names)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))

    def rate(self, findings: tuple[Finding, ...], context: Context) -> tuple[Finding, ...]:
        """Return the findings with their confidence set (hint-level findings too)."""
        nudges = sum(1 for f in findings if f.level == "nudge")
        rated = []
        for finding in findings:
            others = nudges - (1 if finding.level == "nudge" else 0)
            value = self.confidence(features(finding, context, others))
            rated.append(replace(finding, confidence=round(value, 3)))
        return tuple(rated)

    def live(self, findings: tuple[Finding, ...]) -> bool:
        """Return whether a coach would interrupt: a nudge-level finding at the threshold."""
        return bool(self.deciding(findings))

    def deciding(self, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
        """Return the findings that make the live decision: nudge-level, at the threshold."""
        return tuple(
            f for f in findings if f.level == "nudge" and (f.confidence or 0.0) >= self.threshold
        )


UNCALIBRATED = Calibration({"bias": 10.0}, threshold=0.5)
"""Every finding certain: the behaviour before calibration (used when no file is present)."""


def load_calibration(path: Path) -> Calibration:
    """Read a calibration file: ``threshold`` and a ``[weights]`` table of numbers."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise CalibrationError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise CalibrationError(f"{path}: not valid TOML: {error}") from None
    threshold = data.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise CalibrationError(f"{path}: 'threshold' must be a number between 0 and 1")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not all(
        isinstance(v, int | float) for v in weights.values()
    ):
        raise CalibrationError(f"{path}: '[weights]' must be a table of numbers")
    return Calibration({str(k): float(v) for k, v in weights.items()}, float(threshold), path)


@lru_cache(maxsize=4)
def default_calibration(override: Path | None = None) -> Calibration:
    """Load ``calibration.toml`` from the prompts folder once per process.

    A custom prompts folder without one uses the bundled file; without any file every
    finding counts as certain (:data:`UNCALIBRATED`).
    """
    from nudgebot.engine.rules import prompts_dir

    for folder in (prompts_dir(override), prompts_dir()):
        path = folder / "calibration.toml"
        if path.is_file():
            return load_calibration(path)
    return UNCALIBRATED
