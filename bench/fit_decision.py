"""Fit the live decision, "would a coach interrupt this reply?": ``[reply]`` in calibration.toml.

    python bench/fit_decision.py FILE.jsonl ... [--write] [--max-false-nudges 0.10]

Runs the rules over labelled files (the format of ``../shared/eval/real-dev.jsonl``) and fits
one logistic model per *reply* (scikit-learn, development time only) over the features of
:func:`nudgebot.engine.decision.reply_features`: which rules fired, their dimensions with the
move, the situation, and hashed word n-grams of the draft.

Honest figures: every reply's score comes from models that never saw it (5-fold
cross-validation grouped by reply, repeated over shuffles); the threshold is the lowest whose
cross-validated false-nudge rate on the real replies (files named ``real*``) stays within
``--max-false-nudges``. The same folds score the per-finding model of ``bench/fit_calibration.py``
("before"), so the two are compared on equal terms. Written files count with ``--written-weight``
(they are many, and unlike real replies). The final weights are fitted on everything;
``--write`` saves them into ``prompts/calibration.toml`` (the per-finding weights are kept).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nudgebot.engine import ReviewEngine  # noqa: E402
from nudgebot.engine.calibration import SITUATIONS, UNCALIBRATED, features  # noqa: E402
from nudgebot.engine.decision import reply_features  # noqa: E402
from nudgebot.engine.rules.checker import Context, check  # noqa: E402
from nudgebot.evaluation import read_cases  # noqa: E402

OUT = ROOT / "prompts" / "calibration.toml"
LEXICAL = re.compile(r"^d:\d+$")
"""The names of the hashed word n-gram features."""
REPLY_MARKER = "# The live decision"
"""The comment that starts the ``[reply]`` part of the calibration file (kept by both scripts)."""


@dataclass
class Reply:
    """One labelled reply: its source, label, move, and the features both models read."""

    source: str
    needs_nudge: bool
    dimensions: frozenset[str]
    move: str | None
    predicted_move: str
    names: list[str]
    findings: list[tuple[list[str], bool]] = field(default_factory=list)
    """Each nudge-level finding's own features, and whether the coach named its dimension."""

    @property
    def real(self) -> bool:
        """Whether the reply is a real one (its file is named ``real*``)."""
        return self.source.startswith("real")

    @property
    def flagged(self) -> bool:
        """Whether the rules found anything at nudge level (a nudge needs something to show)."""
        return bool(self.findings)


def collect(paths: Sequence[Path]) -> list[Reply]:
    """Run the uncalibrated rules over every case and return the replies with their features."""
    engine = ReviewEngine(calibration=UNCALIBRATED)
    replies = []
    for path in paths:
        for case in read_cases(path):
            draft, _ = engine.prepare(case.as_draft())
            context = Context(engine.rulebook, draft.text, draft.customer, draft.thread)
            found = [h.finding for h in check(context)]
            nudges = [f for f in found if f.level == "nudge"]
            reply = Reply(
                path.stem,
                case.needs_nudge,
                frozenset(case.dimensions),
                case.move,
                context.move,
                reply_features(found, context, SITUATIONS),
            )
            for finding in nudges:
                names = features(finding, context, len(nudges) - 1)
                reply.findings.append((names, finding.dimension in case.dimensions))
            replies.append(reply)
    return replies


def logistic(rows: list[list[str]], labels: list[bool], weights: list[float], c: float) -> dict:
    """Fit an L2 logistic regression over binary features; return its weights by name."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectors = DictVectorizer()
    x = vectors.fit_transform([dict.fromkeys(r, 1) for r in rows])
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(x, labels, sample_weight=weights)
    names = vectors.get_feature_names_out()
    return {str(k): float(v) for k, v in zip(names, model.coef_[0], strict=True)}


def sigmoid(weights: dict[str, float], names: Sequence[str]) -> float:
    """The model's probability for a row of feature names."""
    z = sum(weights.get(n, 0.0) for n in names)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


Fitter = Callable[[Sequence[Reply]], Callable[[Reply], float]]


def fit_reply(
    train: Sequence[Reply],
    c: float,
    written_weight: float,
    keep: Callable[[str], bool],
    prune: float,
) -> dict[str, float]:
    """Fit the reply-level model; word n-gram weights below ``prune`` are dropped (smaller file)."""
    rows = [[n for n in r.names if keep(n)] for r in train]
    sample = [1.0 if r.real else written_weight for r in train]
    weights = logistic(rows, [r.needs_nudge for r in train], sample, c)
    return {k: v for k, v in weights.items() if abs(v) >= prune or not LEXICAL.match(k)}


def reply_model(
    c: float, written_weight: float, keep: Callable[[str], bool], prune: float
) -> Fitter:
    """The reply-level model: one row per reply, the label its needs_nudge.

    A reply the rules found nothing in scores 0: a live nudge needs something to show.
    """

    def fit(train: Sequence[Reply]) -> Callable[[Reply], float]:
        weights = fit_reply(train, c, written_weight, keep, prune)
        return lambda r: sigmoid(weights, r.names) if r.flagged else 0.0

    return fit


def finding_model(c: float) -> Fitter:
    """The per-finding model of ``bench/fit_calibration.py``: a reply scores its best finding."""

    def fit(train: Sequence[Reply]) -> Callable[[Reply], float]:
        rows = [names for r in train for names, _ in r.findings]
        labels = [agrees for r in train for _, agrees in r.findings]
        weights = logistic(rows, labels, [1.0] * len(rows), c)
        return lambda r: max((sigmoid(weights, n) for n, _ in r.findings), default=0.0)

    return fit


def out_of_fold(replies: Sequence[Reply], fit: Fitter, repeats: int) -> list[float]:
    """Each reply's score from models that never saw it, averaged over shuffled 5-fold splits."""
    totals = [0.0] * len(replies)
    for seed in range(repeats):
        order = list(range(len(replies)))
        random.Random(seed).shuffle(order)
        fold_of = {case: n % 5 for n, case in enumerate(order)}
        for fold in range(5):
            score = fit([r for n, r in enumerate(replies) if fold_of[n] != fold])
            for n, reply in enumerate(replies):
                if fold_of[n] == fold:
                    totals[n] += score(reply)
    return [t / repeats for t in totals]


def figures(pairs: Sequence[tuple[Reply, float]], threshold: float) -> dict[str, float]:
    """Precision, recall, F1 and false-nudge rate of the decision ``score >= threshold``."""
    tp = sum(s >= threshold and r.needs_nudge for r, s in pairs)
    fp = sum(s >= threshold and not r.needs_nudge for r, s in pairs)
    pos = sum(r.needs_nudge for r, _ in pairs)
    neg = len(pairs) - pos
    p = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / pos if pos else 0.0
    return {
        "precision": p,
        "recall": rc,
        "f1": 2 * p * rc / (p + rc) if p + rc else 0.0,
        "false_nudges": fp / neg if neg else 0.0,
        "fp": fp,
        "neg": neg,
    }


def choose(replies: Sequence[Reply], scores: Sequence[float], bound: float) -> float:
    """The lowest threshold whose false-nudge rate on the real replies stays within ``bound``."""
    real = [(r, s) for r, s in zip(replies, scores, strict=True) if r.real]
    for t in sorted({round(s, 3) for _, s in real if s > 0} | {0.5}):
        if figures(real, t)["false_nudges"] <= bound:
            return t
    return 0.99


def report(name: str, replies: Sequence[Reply], scores: Sequence[float], threshold: float) -> None:
    """Print the cross-validated figures per group of files, and per move on the real replies."""
    pairs = list(zip(replies, scores, strict=True))
    groups = {
        "real (all)": [p for p in pairs if p[0].real],
        "written (all)": [p for p in pairs if not p[0].real],
        **{s: [p for p in pairs if p[0].source == s] for s in sorted({r.source for r in replies})},
    }
    print(f"{name}: threshold {threshold:.3f}")
    for group, chosen in groups.items():
        if not chosen:
            continue
        f = figures(chosen, threshold)
        print(
            f"  {group:20} P {f['precision']:.2f}  R {f['recall']:.2f}  F1 {f['f1']:.2f}  "
            f"false nudges {f['false_nudges']:.2f} ({f['fp']}/{f['neg']})"
        )
    moves = Counter(r.predicted_move for r, _ in pairs if r.real and not r.needs_nudge)
    nudged = Counter(
        r.predicted_move for r, s in pairs if r.real and not r.needs_nudge and s >= threshold
    )
    per_move = ", ".join(f"{m} {nudged[m]}/{n}" for m, n in moves.most_common())
    print(f"  false nudges per move (real, the move as read): {per_move}")


def by_file(
    replies: Sequence[Reply], models: dict[str, Fitter], bound: float, repeats: int
) -> None:
    """Leave each real file out in turn: threshold by CV on the rest, figures on the file."""
    print("each real file left out (fitted and thresholded on the others):")
    for source in sorted({r.source for r in replies if r.real}):
        train = [r for r in replies if r.source != source]
        test = [r for r in replies if r.source == source]
        for name, fitter in models.items():
            threshold = choose(train, out_of_fold(train, fitter, repeats), bound)
            score = fitter(train)
            f = figures([(r, score(r)) for r in test], threshold)
            print(
                f"  {source:20} {name.split(':')[0]:7} P {f['precision']:.2f}  R {f['recall']:.2f}"
                f"  F1 {f['f1']:.2f}  false nudges {f['false_nudges']:.2f} ({f['fp']}/{f['neg']})"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the models under the same folds; with --write save the reply model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help=f"save {OUT.relative_to(ROOT)}")
    parser.add_argument("--max-false-nudges", type=float, default=0.10)
    parser.add_argument("--c", type=float, default=0.3, help="inverse L2 strength, reply model")
    parser.add_argument("--finding-c", type=float, default=0.5, help="the same, per finding")
    parser.add_argument("--written-weight", type=float, default=0.3)
    parser.add_argument("--no-lexical", action="store_true", help="leave out the word n-grams")
    parser.add_argument(
        "--prune", type=float, default=0.1, help="drop word n-gram weights smaller than this"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--by-file", action="store_true", help="also leave each real file out")
    args = parser.parse_args(argv)

    replies = collect(args.files)
    real = [r for r in replies if r.real]
    print(
        f"{len(replies)} replies ({len(real)} real, {sum(r.needs_nudge for r in real)} of them"
        f" need a nudge; the rules find something in {sum(r.flagged for r in real)} real replies,"
        f" {sum(r.flagged and r.needs_nudge for r in real)} of those that need one)"
    )
    keep = (lambda n: not LEXICAL.match(n)) if args.no_lexical else (lambda n: True)
    models: dict[str, Fitter] = {
        "before: per-finding confidences": finding_model(args.finding_c),
        "after: reply-level model": reply_model(args.c, args.written_weight, keep, args.prune),
    }
    chosen = 0.5
    for name, fitter in models.items():
        scores = out_of_fold(replies, fitter, args.repeats)
        threshold = choose(replies, scores, args.max_false_nudges)
        report(name + " (cross-validated)", replies, scores, threshold)
        chosen = threshold
    if args.by_file:
        by_file(replies, models, args.max_false_nudges, args.repeats)
    if args.write:
        weights = fit_reply(replies, args.c, args.written_weight, keep, args.prune)
        write(weights, chosen, args.files, len(replies))
        print(f"wrote [reply] into {OUT.relative_to(ROOT)}")
    return 0


def write(weights: dict[str, float], threshold: float, files: Sequence[Path], n: int) -> None:
    """Replace the ``[reply]`` tables of the calibration file, keeping the per-finding part."""
    text = OUT.read_text(encoding="utf-8")
    head = text.split(f"\n{REPLY_MARKER}", 1)[0].rstrip("\n")
    lines = [
        head,
        "",
        f"{REPLY_MARKER}, one per reply, fitted by bench/fit_decision.py on",
        f"# {', '.join(p.name for p in files)} ({n} replies).",
        "[reply]",
        f"threshold = {threshold:.3f}",
        "",
        "[reply.weights]",
    ]
    for name, value in sorted(weights.items()):
        if abs(value) >= 1e-3:
            lines.append(f"{json.dumps(name)} = {value:.4f}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
