"""The figures of an evaluation run (``nudgebot eval``): as data, as text, as a table.

:func:`eval_summary` turns :class:`~nudgebot.evaluation.Metrics` into JSON-ready data (what
``--format json`` prints); :func:`eval_plain` and :func:`eval_renderable` show that data to a
person. ``rich`` is imported only by :func:`eval_renderable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nudgebot.evaluation import Metrics
from nudgebot.models import DIMENSIONS

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["eval_plain", "eval_renderable", "eval_summary"]


@dataclass(frozen=True)
class _Row:
    measure: str
    value: float | None
    count: str


def eval_summary(metrics: Metrics, engine: str, *, failures: bool = False) -> dict[str, Any]:
    """Return the figures of an evaluation run as JSON-ready data."""
    outcomes = metrics.outcomes
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for outcome in outcomes:
        predicted, actual = outcome.review.needs_nudge, outcome.case.needs_nudge
        key = ("t" if predicted == actual else "f") + ("p" if predicted else "n")
        counts[key] += 1
    dimensions = {}
    for dimension in DIMENSIONS:
        found, labelled = metrics.dimension_recall(dimension)
        dimensions[dimension] = {
            "recall": _share(found, labelled),
            "found": found,
            "labelled": labelled,
        }
    kept, suggested = metrics.facts_kept
    passed, rechecked = metrics.recheck_passed
    engines: dict[str, int] = {}
    for outcome in outcomes:
        engines[outcome.review.engine] = engines.get(outcome.review.engine, 0) + 1
    data: dict[str, Any] = {
        "cases": len(outcomes),
        "engine": engine,
        "reviewed_by": engines,
        "needs_nudge": {
            "precision": round(metrics.precision, 4),
            "recall": round(metrics.recall, 4),
            "f1": round(metrics.f1, 4),
            **counts,
        },
        "false_nudge_rate": round(metrics.false_nudge_rate, 4),
        "good_replies": counts["fp"] + counts["tn"],
        "dimension_recall": dimensions,
        "facts_kept": {"share": _share(kept, suggested), "kept": kept, "suggestions": suggested},
        "recheck_passed": {
            "share": _share(passed, rechecked),
            "passed": passed,
            "suggestions": rechecked,
        },
    }
    data["false_nudges_by_move"] = _by_move(metrics)
    with_moves = [o for o in outcomes if o.case.move]
    if with_moves:
        right = sum(1 for o in with_moves if o.review.move == o.case.move)
        data["move_read"] = {
            "share": _share(right, len(with_moves)),
            "right": right,
            "labelled": len(with_moves),
        }
    if failures:
        data["failures"] = list(_failures(metrics))
    return data


def _by_move(metrics: Metrics) -> dict[str, dict[str, Any]]:
    """Return the false-nudge rate on good replies per move (the labelled move if known)."""
    table: dict[str, dict[str, Any]] = {}
    for outcome in metrics.outcomes:
        if outcome.case.needs_nudge:
            continue
        move = outcome.case.move or outcome.review.move or "unjudged"
        row = table.setdefault(move, {"nudged": 0, "good": 0})
        row["good"] += 1
        row["nudged"] += int(outcome.review.needs_nudge)
    for row in table.values():
        row["rate"] = _share(row["nudged"], row["good"])
    return dict(sorted(table.items(), key=lambda item: -item[1]["good"]))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _failures(metrics: Metrics) -> Iterator[dict[str, Any]]:
    for outcome in metrics.outcomes:
        case, review = outcome.case, outcome.review
        found = sorted({f.dimension for f in review.findings if f.level == "nudge"})
        missed = [d for d in case.dimensions if d not in found]
        if review.needs_nudge != case.needs_nudge or missed:
            yield {
                "id": case.id,
                "expected_nudge": case.needs_nudge,
                "got_nudge": review.needs_nudge,
                "missed_dimensions": missed,
                "found_dimensions": found,
                "draft": case.draft,
            }


def _rows(summary: dict[str, Any]) -> list[_Row]:
    verdict_counts = summary["needs_nudge"]
    tp, fp, fn = verdict_counts["tp"], verdict_counts["fp"], verdict_counts["fn"]
    rows = [
        _Row("needs_nudge precision", verdict_counts["precision"], f"{tp} of {tp + fp} nudges"),
        _Row("needs_nudge recall", verdict_counts["recall"], f"{tp} of {tp + fn} deserved"),
        _Row("needs_nudge F1", verdict_counts["f1"], ""),
        _Row(
            "false-nudge rate (good replies)",
            summary["false_nudge_rate"],
            f"{fp} of {summary['good_replies']} good replies",
        ),
    ]
    for dimension, figures in summary["dimension_recall"].items():
        rows.append(
            _Row(
                f"recall: {dimension}",
                figures["recall"],
                f"{figures['found']} of {figures['labelled']}",
            )
        )
    for move, figures in summary.get("false_nudges_by_move", {}).items():
        rows.append(
            _Row(
                f"false nudges: {move}",
                figures["rate"],
                f"{figures['nudged']} of {figures['good']} good replies",
            )
        )
    if "move_read" in summary:
        read = summary["move_read"]
        rows.append(
            _Row("move read as labelled", read["share"], f"{read['right']} of {read['labelled']}")
        )
    facts, recheck = summary["facts_kept"], summary["recheck_passed"]
    rows.append(
        _Row(
            "suggestions keeping every fact",
            facts["share"],
            f"{facts['kept']} of {facts['suggestions']}",
        )
    )
    rows.append(
        _Row(
            "suggestions passing their re-check",
            recheck["share"],
            f"{recheck['passed']} of {recheck['suggestions']}",
        )
    )
    return rows


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _failure_lines(summary: dict[str, Any]) -> Iterator[str]:
    failures = summary.get("failures")
    if failures is None:
        return
    yield ""
    yield f"Misses ({len(failures)}):" if failures else "Misses: none"
    for failure in failures:
        expected = "nudge" if failure["expected_nudge"] else "no nudge"
        got = "nudge" if failure["got_nudge"] else "no nudge"
        line = f"  {failure['id']}: expected {expected}, got {got}"
        if failure["missed_dimensions"]:
            line += f"; missed {', '.join(failure['missed_dimensions'])}"
        draft = " ".join(failure["draft"].split())
        yield line
        yield f"      {draft[:110]}{'…' if len(draft) > 110 else ''}"


def eval_plain(summary: dict[str, Any]) -> str:
    """Return the evaluation figures as a plain-text table."""
    rows = _rows(summary)
    width = max(len(row.measure) for row in rows)
    lines = [f"{summary['cases']} cases, engine: {summary['engine']}", ""]
    lines += [
        f"{row.measure:<{width}}  {_figure(row.value):>5}  {row.count}".rstrip() for row in rows
    ]
    lines += _failure_lines(summary)
    return "\n".join(lines) + "\n"


def eval_renderable(summary: dict[str, Any]) -> RenderableType:
    """Return the evaluation figures as a ``rich`` table (and the misses, when asked for)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{summary['cases']} cases, engine: {summary['engine']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("count", style="dim")
    for row in _rows(summary):
        table.add_row(row.measure, _figure(row.value), row.count)
    misses = list(_failure_lines(summary))
    return Group(table, Text("\n".join(misses))) if misses else table
