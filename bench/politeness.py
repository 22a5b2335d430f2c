"""Does the ``respect`` score track what people perceive as polite? (held-out figures)

    PYTHONPATH=$PWD python bench/politeness.py [CSV] [--part held-out|training|all] [--json]

Reads the Stanford Politeness Corpus (Wikipedia part; default
``../shared/eval/politeness-wikipedia.csv`` next to the repo, or next to the folder of its
worktrees) and keeps the **held-out** part: the 25% of requests that
``bench/fit_politeness.py`` puts aside by a seeded shuffle of the request ids and never fits
on (:func:`split`). Each request is reviewed as a draft with no customer message, using the
rules engine, and three scores are compared with ``Normalized Score``:

- ``respect``: the review's respect score (the findings' cost blended with the politeness
  estimate, as the bot shows it);
- ``estimate``: the raw politeness estimate of ``nudgebot.engine.politeness`` (0-1);
- ``findings only``: 100 minus the cost of the respect findings (the respect score before
  the politeness strategies; for comparison).

Figures: the AUC of the top quarter (polite) vs the bottom quarter (impolite) of
``Normalized Score`` (quartiles of the part measured; the paper's binary task), the Spearman
correlation over the whole part (average ranks for ties, computed here without
numpy/scipy), and the accuracy on the binary task: predict *polite* when the score is above
the median score of those two quarters, *impolite* when below; a request whose score equals
that median is a tie and counts as half right, and the share of ties is shown.

``--part training`` or ``all`` measure data the weights were fitted on: not a fair figure,
only a check of over-fitting.

``--support`` instead reviews the labelled support replies of ``../shared/eval/dev.jsonl``
and ``real-dev.jsonl`` (with their customer message or thread) and shows the respect score's
distribution for good replies (``needs_nudge`` false), for replies a coach would nudge on
respect, and for the other nudged replies, next to the findings-only score: a good, plain
reply must still score high (80 or more).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CSV_NAME = Path("shared", "eval", "politeness-wikipedia.csv")


def find_csv(root: Path = ROOT) -> Path:
    """The corpus next to the repo (``../shared/eval``), or next to its worktrees' folder."""
    candidates = [root.parent / CSV_NAME, root.parent.parent / CSV_NAME]
    return next((c for c in candidates if c.is_file()), candidates[0])


DEFAULT_CSV = find_csv()
SEED = 13
HELD_OUT_SHARE = 0.25
PARTS = ("held-out", "training", "all")


@dataclass(frozen=True)
class Request:
    """One rated request of the corpus."""

    id: str
    text: str
    score: float


def load(path: Path) -> list[Request]:
    """Read the corpus: id, request text, normalized politeness score."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Request(row["Id"], row["Request"], float(row["Normalized Score"]))
            for row in csv.DictReader(handle)
        ]


def split(
    rows: Sequence[Request], seed: int = SEED, share: float = HELD_OUT_SHARE
) -> tuple[list[Request], list[Request]]:
    """Return (training, held-out): a seeded shuffle of the sorted ids puts ``share`` aside."""
    ids = sorted({r.id for r in rows})
    random.Random(seed).shuffle(ids)
    held = set(ids[: round(len(ids) * share)])
    return [r for r in rows if r.id not in held], [r for r in rows if r.id in held]


def quarters(rows: Sequence[Request]) -> tuple[float, float]:
    """The first and third quartiles of the rows' scores."""
    q = statistics.quantiles([r.score for r in rows], n=4, method="inclusive")
    return q[0], q[2]


def quarter_labels(rows: Sequence[Request]) -> list[int | None]:
    """1 for the top quarter, 0 for the bottom quarter, None in between."""
    q1, q3 = quarters(rows)
    return [1 if r.score >= q3 else 0 if r.score <= q1 else None for r in rows]


def quarter_auc(rows: Sequence[Request], values: Sequence[float]) -> float | None:
    """AUC of the top quarter vs the bottom quarter of these rows (quartiles of the rows)."""
    pairs = [(v, y) for v, y in zip(values, quarter_labels(rows), strict=True) if y is not None]
    return auc([v for v, _ in pairs], [y for _, y in pairs])


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n, ties sharing the average of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    return ranks


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; None when either side is constant."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return float(sxy / (sxx * syy) ** 0.5)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson correlation of average ranks."""
    return pearson(average_ranks(xs), average_ranks(ys))


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties half): P(a polite case outranks an impolite)."""
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = average_ranks(scores)
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def binary_accuracy(
    predicted: Sequence[float], gold: Sequence[float], q1: float, q3: float
) -> dict[str, Any]:
    """The paper's task on the top (>= q3) and bottom (<= q1) quarters; ties count half."""
    cases = [(p, g >= q3) for p, g in zip(predicted, gold, strict=True) if g >= q3 or g <= q1]
    threshold = statistics.median(p for p, _ in cases)
    right = ties = 0.0
    for score, polite in cases:
        if score == threshold:
            ties += 1
        elif (score > threshold) == polite:
            right += 1
    return {
        "cases": len(cases),
        "threshold": threshold,
        "ties": int(ties),
        "accuracy": (right + 0.5 * ties) / len(cases),
        "accuracy_untied": right / (len(cases) - ties) if ties < len(cases) else None,
    }


def measure(rows: Sequence[Request]) -> dict[str, Any]:
    """Review each request and compare the three scores with its human rating."""
    from nudgebot.engine import DraftError, ReviewEngine
    from nudgebot.engine.politeness import politeness
    from nudgebot.models import Draft

    engine = ReviewEngine()
    kept: list[Request] = []
    scores: dict[str, list[float]] = {"respect": [], "estimate": [], "findings_only": []}
    for row in rows:
        try:
            review = engine.review_rules(Draft(text=row.text))
        except DraftError:
            continue
        cost = sum(f.cost for f in review.findings if f.dimension == "respect")
        kept.append(row)
        scores["respect"].append(review.scores.respect)
        scores["estimate"].append(politeness(row.text))
        scores["findings_only"].append(max(0, 100 - cost))
    gold = [r.score for r in kept]
    q1, q3 = quarters(kept)
    return {
        "requests": len(rows),
        "reviewed": len(kept),
        "q1": q1,
        "q3": q3,
        **{
            name: {
                "auc": quarter_auc(kept, values),
                "spearman": spearman(values, gold),
                "binary": binary_accuracy(values, gold, q1, q3),
            }
            for name, values in scores.items()
        },
    }


def evaluate(path: Path, part: str = "held-out") -> dict[str, Any]:
    """The figures of one part of the corpus (``held-out``, ``training`` or ``all``)."""
    rows = load(path)
    training, held = split(rows)
    chosen = {"held-out": held, "training": training, "all": rows}[part]
    return {"file": str(path), "part": part, "seed": SEED, **measure(chosen)}


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(fig: dict[str, Any]) -> str:
    """The figures as a short table."""
    header = (
        f"{'score':<15}{'AUC':>7}{'Spearman':>10}{'accuracy':>10}{'ties':>13}{'acc. untied':>13}"
    )
    fair = (
        "never fitted on"
        if fig["part"] == "held-out"
        else "INCLUDES the data the weights were fitted on: not a fair figure"
    )
    lines = [
        f"politeness check - {fig['part']} part ({fair}): {fig['reviewed']:,} of "
        f"{fig['requests']:,} requests reviewed (no customer message)",
        f"top quarter (Normalized Score >= {fig['q3']:.3f}) vs bottom quarter "
        f"(<= {fig['q1']:.3f}): {fig['respect']['binary']['cases']:,} requests",
        "",
        header,
        "-" * len(header),
    ]
    for label, key in (
        ("respect", "respect"),
        ("estimate", "estimate"),
        ("findings only", "findings_only"),
    ):
        part = fig[key]
        binary = part["binary"]
        share = binary["ties"] / binary["cases"]
        lines.append(
            f"{label:<15}{_num(part['auc']):>7}{_num(part['spearman']):>10}"
            f"{_num(binary['accuracy']):>10}{binary['ties']:>7,} ({share:.0%})"
            f"{_num(binary['accuracy_untied']):>13}"
        )
    lines += [
        "respect: the review's respect score; estimate: the raw politeness estimate; findings "
        "only: 100 minus the respect findings' cost",
        "accuracy: polite when above the median of the two quarters, a tie counts half right; "
        "acc. untied leaves the ties out",
        "",
        "for scale: one annotator vs the other four ~0.54 Spearman; bag-of-words classifier "
        "~0.80 accuracy in-domain, ~0.61 across communities",
    ]
    return "\n".join(lines)


SUPPORT_FILES = ("dev.jsonl", "real-dev.jsonl")
GROUPS = ("good", "respect nudge", "other nudge", "good, no respect finding")


def support_figures(folder: Path) -> dict[str, Any]:
    """The respect score's distribution on labelled support replies, by label."""
    from nudgebot.engine import ReviewEngine
    from nudgebot.models import Draft, Turn

    engine = ReviewEngine()
    out: dict[str, Any] = {}
    for name in SUPPORT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        groups: dict[str, dict[str, list[float]]] = {
            g: {"respect": [], "findings_only": []} for g in GROUPS
        }
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            thread = tuple(Turn(t["role"], t["text"]) for t in case.get("thread", []))
            draft = Draft(text=case["draft"], customer=case.get("customer"), thread=thread)
            if not draft.customer:
                draft = Draft(text=draft.text, customer=draft.last_customer, thread=thread)
            result = engine.review_rules(draft)
            cost = sum(f.cost for f in result.findings if f.dimension == "respect")
            if not case["needs_nudge"]:
                labels = ["good"] + (["good, no respect finding"] if cost == 0 else [])
            elif "respect" in case["dimensions"]:
                labels = ["respect nudge"]
            else:
                labels = ["other nudge"]
            for label in labels:
                groups[label]["respect"].append(result.scores.respect)
                groups[label]["findings_only"].append(max(0, 100 - cost))
        out[name] = {
            g: {k: _distribution(v) for k, v in scores.items()} for g, scores in groups.items()
        }
    return out


def _distribution(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    q = (
        statistics.quantiles(values, n=4, method="inclusive")
        if len(values) > 1
        else [values[0]] * 3
    )
    return {
        "n": len(values),
        "min": min(values),
        "q1": q[0],
        "median": q[1],
        "q3": q[2],
        "at_least_80": sum(v >= 80 for v in values) / len(values),
    }


def render_support(fig: dict[str, Any]) -> str:
    """The support replies' respect distributions as a short table."""
    header = (
        f"{'file':<16}{'replies':<26}{'n':>4}{'min':>6}{'q1':>7}{'median':>8}{'q3':>7}"
        f"{'>= 80':>7}   findings only: median, >= 80"
    )
    lines = ["respect score on labelled support replies", "", header, "-" * len(header)]
    for name, groups in fig.items():
        for group, scores in groups.items():
            d, f = scores["respect"], scores["findings_only"]
            if not d["n"]:
                continue
            lines.append(
                f"{name:<16}{group:<26}{d['n']:>4}{d['min']:>6.0f}{d['q1']:>7.1f}"
                f"{d['median']:>8.1f}{d['q3']:>7.1f}{d['at_least_80']:>7.0%}"
                f"   {f['median']:>5.1f}, {f['at_least_80']:.0%}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--part", choices=PARTS, default="held-out", help="which requests")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--support",
        action="store_true",
        help="the respect score on the labelled support replies next to the corpus instead",
    )
    args = parser.parse_args(argv)
    if args.support:
        support = support_figures(args.csv.parent)
        print(json.dumps(support, indent=2) if args.json else render_support(support))
        return 0 if support else 2
    if not args.csv.is_file():
        print(f"politeness: no such file: {args.csv}", file=sys.stderr)
        return 2
    figures = evaluate(args.csv, args.part)
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
