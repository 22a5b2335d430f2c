"""Fit the politeness strategies' weights on human politeness ratings.

    PYTHONPATH=$PWD python bench/fit_politeness.py [CSV] [--dry-run] [--json]

Needs the ``fit`` extra (scikit-learn); the bot itself never does.

1. Reads the Stanford Politeness Corpus, Wikipedia part (default
   ``../shared/eval/politeness-wikipedia.csv`` next to the repo).
2. Splits it once, by request id: a seeded shuffle of the sorted ids puts 25% aside as the
   **held-out** part (:func:`split`). Nothing about the held-out part is used to fit the
   weights, to choose the regularisation or the respect blend, or to choose phrases.
3. On the training part, the top quarter of ``Normalized Score`` is *polite* and the bottom
   quarter *impolite* (the paper's binary task; quartiles of the training part). A logistic
   regression on the strategies (one 0/1 feature each, from ``prompts/politeness.toml``) is
   fitted on those two quarters. Its regularisation ``C`` and the respect blend (the share of
   the respect score given to the politeness estimate) are chosen by 5-fold cross-validation
   on the training part; the cross-validated figures are printed.
4. Refits on the whole training part, writes the weights, the intercept and the blend into
   ``prompts/politeness.toml`` (unless ``--dry-run``), and prints the held-out figures:
   AUC of top vs bottom quarter (quartiles of the held-out part) and Spearman with
   ``Normalized Score`` over the whole held-out part, for the raw estimate and the respect
   score.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.politeness import (  # noqa: E402
    DEFAULT_CSV,
    HELD_OUT_SHARE,
    SEED,
    Request,
    load,
    quarter_auc,
    quarter_labels,
    spearman,
    split,
)

TOML = ROOT / "prompts" / "politeness.toml"
FOLDS = 5
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
BLEND_GRID = tuple(round(0.05 * i, 2) for i in range(0, 21))
MAX_BLEND = 0.4
"""The findings keep most of the respect score: they are what the coach explains."""


def respect_costs(rows: Sequence[Request]) -> list[int | None]:
    """The cost of the rules' respect findings on each request (reviewed with no customer).

    None where the engine does not judge the text (not English, no words): the bot shows
    its respect score as 100 there, and so does :func:`blend`.
    """
    from nudgebot.engine import DraftError, ReviewEngine
    from nudgebot.models import Draft

    engine = ReviewEngine()
    costs: list[int | None] = []
    for row in rows:
        try:
            result = engine.review_rules(Draft(text=row.text))
        except DraftError:
            costs.append(None)
            continue
        judged = result.judged
        costs.append(
            sum(f.cost for f in result.findings if f.dimension == "respect") if judged else None
        )
    return costs


def blend(
    linear: Sequence[float], costs: Sequence[int | None], weight: float, shift: float
) -> list[int]:
    """The respect score of each request for a blend weight, as the engine computes it."""
    from nudgebot.engine.politeness import blend_respect

    return [
        100 if c is None else blend_respect(c, z, weight, shift)
        for z, c in zip(linear, costs, strict=True)
    ]


def figures(
    rows: Sequence[Request], estimates: Sequence[float], respect: Sequence[float]
) -> dict[str, Any]:
    """AUC (top vs bottom quarter of these rows) and Spearman (all rows), for both scores."""
    gold = [r.score for r in rows]
    out: dict[str, Any] = {"requests": len(rows)}
    for name, values in (("estimate", estimates), ("respect", respect)):
        out[name] = {"auc": quarter_auc(rows, values), "spearman": spearman(values, gold)}
    return out


class Fitter:
    """Logistic regression of top vs bottom quarter on the strategies' 0/1 features."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)

    def fit(self, x: Sequence[Sequence[int]], rows: Sequence[Request], c: float) -> Any:
        """Fit on the rows' top and bottom quarters (quartiles of these rows)."""
        from sklearn.linear_model import LogisticRegression

        labels = quarter_labels(rows)  # quartiles of the rows fitted on
        xs = [f for f, y in zip(x, labels, strict=True) if y is not None]
        ys = [y for y in labels if y is not None]
        return LogisticRegression(C=c, max_iter=2000).fit(xs, ys)


def cross_validate(
    rows: Sequence[Request],
    x: Sequence[Sequence[int]],
    costs: Sequence[int | None],
    fitter: Fitter,
    shift: float,
) -> dict[str, Any]:
    """Out-of-fold estimates for each C; choose C, then the blend, by mean fold figures."""
    from sklearn.model_selection import KFold

    folds = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(list(range(len(rows)))))
    per_c: dict[float, list[dict[str, Any]]] = {}
    oof: dict[float, list[tuple[list[int], list[float]]]] = {}
    for c in C_GRID:
        per_c[c], oof[c] = [], []
        for train, test in folds:
            model = fitter.fit([x[i] for i in train], [rows[i] for i in train], c)
            linear = [float(z) for z in model.decision_function([x[i] for i in test])]
            test_rows = [rows[i] for i in test]
            per_c[c].append(figures(test_rows, linear, linear))
            oof[c].append((list(test), linear))
    mean = _mean_figures
    best_c = max(C_GRID, key=lambda c: mean(per_c[c], "estimate", "auc"))
    by_blend: dict[float, list[dict[str, Any]]] = {}
    for weight in BLEND_GRID:
        by_blend[weight] = []
        for test, est in oof[best_c]:
            test_rows = [rows[i] for i in test]
            respect = blend(est, [costs[i] for i in test], weight, shift)
            by_blend[weight].append(figures(test_rows, est, respect))
    allowed = [w for w in BLEND_GRID if w <= MAX_BLEND]
    best_blend = max(allowed, key=lambda w: mean(by_blend[w], "respect", "spearman"))
    chosen = by_blend[best_blend]
    return {
        "c": best_c,
        "blend": best_blend,
        "auc_by_c": {c: round(mean(per_c[c], "estimate", "auc"), 4) for c in C_GRID},
        "spearman_by_blend": {
            w: round(mean(by_blend[w], "respect", "spearman"), 4) for w in BLEND_GRID
        },
        "estimate": {
            "auc": mean(chosen, "estimate", "auc"),
            "spearman": mean(chosen, "estimate", "spearman"),
        },
        "respect": {
            "auc": mean(chosen, "respect", "auc"),
            "spearman": mean(chosen, "respect", "spearman"),
        },
        "findings_only": {
            "auc": mean(by_blend[0.0], "respect", "auc"),
            "spearman": mean(by_blend[0.0], "respect", "spearman"),
        },
    }


def _mean_figures(folds: Sequence[dict[str, Any]], score: str, figure: str) -> float:
    return statistics.fmean(f[score][figure] or 0.0 for f in folds)


def write_toml(
    path: Path,
    weights: dict[str, float],
    intercept: float,
    respect_blend: float,
    fit: dict[str, Any],
) -> None:
    """Write the fitted numbers into the politeness file, keeping its phrases and comments."""
    text = path.read_text(encoding="utf-8")
    head, *blocks = re.split(r"(?m)^(?=\[\[strategy\]\])", text)
    head = re.sub(r"(?m)^intercept = .*$", f"intercept = {intercept:.4f}", head)
    head = re.sub(r"(?m)^respect_blend = .*$", f"respect_blend = {respect_blend:.2f}", head)
    head = re.sub(r"(?ms)^\[fit\]\n.*", "", head).rstrip("\n") + "\n\n" + _fit_table(fit)
    out = [head]
    for block in blocks:
        name = re.search(r'(?m)^name = "([^"]+)"', block)
        if name is None or name.group(1) not in weights:
            raise SystemExit(f"fit_politeness: no weight for the strategy block:\n{block}")
        value = f"weight = {weights[name.group(1)]:.4f}"
        block, count = re.subn(r"(?m)^weight = .*$", value, block)
        if count != 1:
            raise SystemExit(f"fit_politeness: strategy {name.group(1)} needs one weight line")
        out.append(block)
    path.write_text("".join(out), encoding="utf-8")


def _fit_table(fit: dict[str, Any]) -> str:
    lines = ["[fit]", "# Written by bench/fit_politeness.py; the figures are described there."]
    for key, value in fit.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--toml", type=Path, default=TOML, help="the politeness file")
    parser.add_argument("--dry-run", action="store_true", help="fit and print; write nothing")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--cv-only",
        action="store_true",
        help="cross-validate on the training part only and print no held-out figures (use "
        "this while choosing phrases, so the held-out part stays unseen)",
    )
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"fit_politeness: no such file: {args.csv}", file=sys.stderr)
        return 2
    from nudgebot.engine.politeness import load_model

    model = load_model(args.toml)
    names = [s.name for s in model.strategies]
    rows = load(args.csv)
    train, held = split(rows)

    def featurize(part: Sequence[Request]) -> list[list[int]]:
        return [[int(v) for v in model.features(r.text).values()] for r in part]

    x_train, x_held = featurize(train), featurize(held)
    costs_train = respect_costs(train)
    fitter = Fitter(names)
    cv = cross_validate(train, x_train, costs_train, fitter, model.shift)
    final = fitter.fit(x_train, train, cv["c"])
    weights = {n: float(w) for n, w in zip(names, final.coef_[0], strict=True)}
    intercept = float(final.intercept_[0])
    if args.cv_only:
        if not args.dry_run:
            write_toml(args.toml, weights, intercept, cv["blend"], {"note": "cv-only fit"})
        print(json.dumps({**cv, "weights": weights, "intercept": intercept}, indent=2))
        return 0
    linear = [float(z) for z in final.decision_function(x_held)]
    respect = blend(linear, respect_costs(held), cv["blend"], model.shift)
    held_fig = figures(held, linear, respect)  # the estimate is sigmoid(linear): same ranks
    result = {
        "csv": str(args.csv),
        "split": {"seed": SEED, "held_out_share": HELD_OUT_SHARE},
        "training": len(train),
        "held_out": len(held),
        "c": cv["c"],
        "respect_blend": cv["blend"],
        "cross_validated": cv,
        "held_out_figures": held_fig,
        "weights": weights,
        "intercept": intercept,
    }
    if not args.dry_run:
        fit = {
            "corpus": "Stanford Politeness Corpus, Wikipedia part (politeness-wikipedia.csv)",
            "split_seed": SEED,
            "held_out_share": HELD_OUT_SHARE,
            "training_requests": len(train),
            "held_out_requests": len(held),
            "regularisation_c": cv["c"],
            "cv_estimate_auc": round(cv["estimate"]["auc"], 3),
            "cv_estimate_spearman": round(cv["estimate"]["spearman"], 3),
            "cv_respect_auc": round(cv["respect"]["auc"], 3),
            "cv_respect_spearman": round(cv["respect"]["spearman"], 3),
            "held_out_estimate_auc": round(held_fig["estimate"]["auc"], 3),
            "held_out_estimate_spearman": round(held_fig["estimate"]["spearman"], 3),
            "held_out_respect_auc": round(held_fig["respect"]["auc"], 3),
            "held_out_respect_spearman": round(held_fig["respect"]["spearman"], 3),
        }
        write_toml(args.toml, weights, intercept, cv["blend"], fit)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(render(result, written=None if args.dry_run else args.toml))
    return 0


def render(result: dict[str, Any], written: Path | None) -> str:
    """The figures as a short table."""
    cv, held = result["cross_validated"], result["held_out_figures"]
    lines = [
        f"politeness fit - {result['training']:,} training requests, "
        f"{result['held_out']:,} held out (seed {SEED}, {HELD_OUT_SHARE:.0%} by request id)",
        f"C = {cv['c']} (5-fold CV AUC by C: {cv['auc_by_c']})",
        f"respect blend = {cv['blend']} (5-fold CV respect Spearman by blend, max {MAX_BLEND})",
        "",
        f"{'':<36}{'AUC':>8}{'Spearman':>10}",
        f"{'5-fold CV, estimate':<36}{cv['estimate']['auc']:>8.3f}"
        f"{cv['estimate']['spearman']:>10.3f}",
        f"{'5-fold CV, respect score':<36}{cv['respect']['auc']:>8.3f}"
        f"{cv['respect']['spearman']:>10.3f}",
        f"{'5-fold CV, respect findings only':<36}{cv['findings_only']['auc']:>8.3f}"
        f"{cv['findings_only']['spearman']:>10.3f}",
        f"{'held out, estimate':<36}{held['estimate']['auc']:>8.3f}"
        f"{held['estimate']['spearman']:>10.3f}",
        f"{'held out, respect score':<36}{held['respect']['auc']:>8.3f}"
        f"{held['respect']['spearman']:>10.3f}",
        "",
        "weights: "
        + ", ".join(
            f"{n} {w:+.2f}"
            for n, w in sorted(result["weights"].items(), key=lambda kv: -abs(kv[1]))
        ),
        f"intercept {result['intercept']:+.3f}",
        f"written to {written}" if written else "dry run: nothing written",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
