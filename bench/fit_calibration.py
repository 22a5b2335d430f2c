"""Fit the findings' confidences and the live threshold: ``prompts/calibration.toml``.

    python bench/fit_calibration.py [FILE.jsonl ...] [--write] [--max-false-nudges 0.10]

Runs the rules (every finding, none dropped) over labelled files in the format of
``../shared/eval/dev.jsonl`` / ``real-dev.jsonl`` (default: both), and fits a logistic model
(scikit-learn, development time only) that says how likely a coach is to raise a finding's
dimension about that reply, from the features in :func:`nudgebot.engine.calibration.features`.
The findings' threshold decides which findings drive the rewrite; the live decision itself is
fitted per reply by ``bench/fit_decision.py`` (run it after this one).

Honest figures: confidences are predicted out of fold (5-fold cross-validation, grouped by
reply, repeated over 5 shuffles), the live threshold is the lowest one whose cross-validated
false-nudge rate on the *real* replies stays within ``--max-false-nudges``, and the printed
precision / recall / false nudges are those out-of-fold figures, per file. The final weights
are then fitted on everything. ``--write`` saves them; without it nothing is written.
A held-aside set (never given to this script) measures the result: see the README.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nudgebot.engine import ReviewEngine  # noqa: E402
from nudgebot.engine.calibration import UNCALIBRATED, features  # noqa: E402
from nudgebot.engine.rules.checker import Context, check  # noqa: E402
from nudgebot.evaluation import read_cases  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_FILES = (EVAL / "dev.jsonl", EVAL / "real-dev.jsonl")
OUT = ROOT / "prompts" / "calibration.toml"
REPLY_MARKER = "# The live decision"
"""Where the reply-level part written by ``bench/fit_decision.py`` starts; kept on --write."""


@dataclass
class Item:
    """One nudge-level finding of one reply, with its features and whether a coach agrees."""

    case: int
    names: list[str]
    agrees: bool


@dataclass
class Reply:
    """One labelled reply: where it comes from and what the coach said."""

    source: str
    needs_nudge: bool
    move: str | None
    predicted_move: str


def collect(paths: Sequence[Path]) -> tuple[list[Reply], list[Item]]:
    """Run the uncalibrated rules over every case; return the replies and their findings."""
    engine = ReviewEngine(calibration=UNCALIBRATED)
    replies: list[Reply] = []
    items: list[Item] = []
    for path in paths:
        for case in read_cases(path):
            draft, _ = engine.prepare(case.as_draft())
            context = Context(engine.rulebook, draft.text, draft.customer, draft.thread)
            findings = [h.finding for h in check(context) if h.finding.level == "nudge"]
            index = len(replies)
            replies.append(Reply(path.stem, case.needs_nudge, case.move, context.move))
            for finding in findings:
                names = features(finding, context, len(findings) - 1)
                items.append(Item(index, names, finding.dimension in case.dimensions))
    return replies, items


def fit(items: Sequence[Item], c: float) -> tuple[dict[str, float], object]:
    """Fit the logistic model; return its weights keyed by feature name, and the model."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectors = DictVectorizer()
    x = vectors.fit_transform([dict.fromkeys(i.names, 1) for i in items])
    y = [i.agrees for i in items]
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(x, y)
    weights = dict(zip(vectors.get_feature_names_out(), model.coef_[0], strict=True))
    return {str(k): float(v) for k, v in weights.items()}, model


def out_of_fold(items: Sequence[Item], n_cases: int, c: float, repeats: int) -> list[float]:
    """Each finding's confidence from models that never saw its reply (averaged over shuffles)."""
    import math
    import random

    totals = [0.0] * len(items)
    for seed in range(repeats):
        order = list(range(n_cases))
        random.Random(seed).shuffle(order)
        fold_of = {case: n % 5 for n, case in enumerate(order)}
        for fold in range(5):
            train = [i for i in items if fold_of[i.case] != fold]
            weights, _ = fit(train, c)
            for n, item in enumerate(items):
                if fold_of[item.case] == fold:
                    z = sum(weights.get(name, 0.0) for name in item.names)
                    totals[n] += 1 / (1 + math.exp(-z))
    return [t / repeats for t in totals]


def figures(
    replies: Sequence[Reply], best: Sequence[float], threshold: float, source: str
) -> dict[str, float]:
    """Precision, recall and false-nudge rate of the live decision on one source."""
    tp = fp = fn = tn = 0
    for reply, score in zip(replies, best, strict=True):
        if not reply.source.startswith(source):
            continue
        nudged = score >= threshold
        tp += nudged and reply.needs_nudge
        fp += nudged and not reply.needs_nudge
        fn += not nudged and reply.needs_nudge
        tn += not nudged and not reply.needs_nudge
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "false_nudges": fp / (fp + tn) if fp + tn else 0.0,
        "nudges": tp + fp,
        "replies": tp + fp + fn + tn,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Fit, report cross-validated figures, and (with --write) save the calibration file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--write", action="store_true", help=f"save {OUT.relative_to(ROOT)}")
    parser.add_argument("--max-false-nudges", type=float, default=0.10)
    parser.add_argument(
        "--live-source",
        default="real",
        help="the files (name prefix) whose false nudges bound the threshold (default: real*)",
    )
    parser.add_argument("--c", type=float, default=0.5, help="inverse regularisation strength")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--curve", action="store_true", help="print precision/recall by threshold")
    args = parser.parse_args(argv)

    replies, items = collect(args.files)
    oof = out_of_fold(items, len(replies), args.c, args.repeats)
    best = [0.0] * len(replies)
    for item, score in zip(items, oof, strict=True):
        best[item.case] = max(best[item.case], score)
    sources = sorted({r.source for r in replies})
    live = args.live_source if any(s.startswith(args.live_source) for s in sources) else ""
    candidates = sorted({round(s, 3) for s in best if s > 0} | {0.5})
    threshold = next(
        (
            t
            for t in candidates
            if figures(replies, best, t, live)["false_nudges"] <= args.max_false_nudges
        ),
        0.99,
    )
    print(f"{len(replies)} replies, {len(items)} findings; live threshold {threshold:.3f}")
    print("cross-validated (5-fold by reply, out-of-fold confidences), the live decision:")
    for source in [*sources, live] if live not in sources else sources:
        f = figures(replies, best, threshold, source)
        print(
            f"  {source:12} precision {f['precision']:.2f}  recall {f['recall']:.2f}  "
            f"F1 {f['f1']:.2f}  false nudges {f['false_nudges']:.2f}  "
            f"({int(f['nudges'])} nudges / {int(f['replies'])} replies)"
        )
    if args.curve:
        print(f"  the trade-off on {live} (cross-validated):")
        for t in candidates[:: max(1, len(candidates) // 25)]:
            f = figures(replies, best, t, live)
            print(
                f"    threshold {t:.3f}: precision {f['precision']:.2f}  recall "
                f"{f['recall']:.2f}  false nudges {f['false_nudges']:.2f}"
            )
    moves = [r for r in replies if r.move]
    if moves:
        right = sum(r.move == r.predicted_move for r in moves)
        share = right / len(moves)
        print(f"  move read right: {right} of {len(moves)} labelled replies ({share:.2f})")
    weights, _ = fit(items, args.c)
    if args.write:
        lines = [
            "# Finding confidences and the live threshold, fitted by bench/fit_calibration.py on",
            f"# {', '.join(p.name for p in args.files)}",
            f"# ({len(replies)} replies, {len(items)} findings).",
            "# Edit by refitting, not by hand: see the README (quality).",
            f"threshold = {threshold:.3f}",
            "",
            "[weights]",
        ]
        for name, value in sorted(weights.items()):
            if abs(value) >= 1e-4:
                lines.append(f"{json.dumps(name)} = {value:.4f}")
        kept = OUT.read_text(encoding="utf-8").split(f"\n{REPLY_MARKER}", 1) if OUT.exists() else []
        reply = f"\n{REPLY_MARKER}{kept[1]}" if len(kept) == 2 else ""  # bench/fit_decision.py's
        OUT.write_text("\n".join(lines) + "\n" + reply, encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
