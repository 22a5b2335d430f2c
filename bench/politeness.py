"""Does the ``respect`` score track what people perceive as polite?

    python3 bench/politeness.py [CSV] [--json]

Reviews every ``Request`` of the Stanford Politeness Corpus (Wikipedia part; default
``../shared/eval/politeness-wikipedia.csv`` next to the repo) as a draft with no customer
message, using the rules engine, and reports against ``Normalized Score``:

- Spearman correlation (average ranks for ties, computed here without numpy/scipy);
- accuracy on the paper's binary task: the top quartile of ``Normalized Score`` is polite,
  the bottom quartile impolite (quartiles computed from this file). Decision rule: predict
  *polite* when the score is above the median score of those two quarters, *impolite* when
  below. A request whose score equals that median is a tie and counts as half right (a coin
  flip's expected value), so ties are neither rewarded nor hidden; the share of ties is shown.

Both figures are given for ``scores.respect`` and for the mean of the five scores.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections.abc import Sequence
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


def load(path: Path) -> list[tuple[str, float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["Request"], float(row["Normalized Score"])) for row in csv.DictReader(handle)]


def evaluate(path: Path) -> dict[str, Any]:
    from nudgebot.engine import DraftError, ReviewEngine
    from nudgebot.models import Draft

    rows = load(path)
    engine = ReviewEngine()
    respect: list[float] = []
    mean5: list[float] = []
    gold: list[float] = []
    skipped = flagged = 0
    for text, score in rows:
        try:
            review = engine.review_rules(Draft(text=text))
        except DraftError:
            skipped += 1
            continue
        scores = review.scores.to_dict()
        respect.append(scores["respect"])
        mean5.append(sum(scores.values()) / len(scores))
        gold.append(score)
        flagged += scores["respect"] < 100
    quartiles = statistics.quantiles(gold, n=4, method="inclusive")
    q1, q3 = quartiles[0], quartiles[2]
    return {
        "file": str(path),
        "requests": len(rows),
        "reviewed": len(gold),
        "skipped": skipped,
        "respect_below_100": flagged,
        "q1": q1,
        "q3": q3,
        "respect": {
            "spearman": spearman(respect, gold),
            "binary": binary_accuracy(respect, gold, q1, q3),
        },
        "mean_of_five": {
            "spearman": spearman(mean5, gold),
            "binary": binary_accuracy(mean5, gold, q1, q3),
        },
    }


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(fig: dict[str, Any]) -> str:
    header = (
        f"{'score':<14}{'Spearman':>10}{'accuracy':>10}{'threshold':>11}{'ties':>13}"
        f"{'acc. untied':>13}"
    )
    lines = [
        f"politeness check - {fig['reviewed']:,} of {fig['requests']:,} requests reviewed "
        f"(no customer message); {fig['respect_below_100']:,} have respect < 100",
        f"binary task: top quarter (Normalized Score >= {fig['q3']:.3f}) vs bottom quarter "
        f"(<= {fig['q1']:.3f}), {fig['respect']['binary']['cases']:,} requests",
        "rule: polite when score > median score of those two quarters; a tie counts half right",
        "",
        header,
        "-" * len(header),
    ]
    for label, key in (("respect", "respect"), ("mean of five", "mean_of_five")):
        part = fig[key]
        binary = part["binary"]
        share = binary["ties"] / binary["cases"]
        lines.append(
            f"{label:<14}{_num(part['spearman']):>10}{_num(binary['accuracy']):>10}"
            f"{binary['threshold']:>11.1f}{binary['ties']:>7,} ({share:.0%})"
            f"{_num(binary['accuracy_untied']):>13}"
        )
    lines += [
        "accuracy counts ties as half right; acc. untied leaves the ties out",
        "",
        "for scale: one annotator vs the other four ~0.54 Spearman; bag-of-words classifier "
        "~0.80 accuracy in-domain, ~0.61 across communities",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"politeness: no such file: {args.csv}", file=sys.stderr)
        return 2
    figures = evaluate(args.csv)
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
