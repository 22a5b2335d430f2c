"""Measure the model path's live decision with stand-in answers, where no model is reachable.

    python bench/model_stand_in.py prompts CASES.jsonl --out DIR [--per 50] [--shared 10]
    python bench/model_stand_in.py measure CASES.jsonl --answers DIR/answers-*.jsonl [--json]
        [--suggestions OUT.jsonl]
    python bench/model_stand_in.py threshold CASES.jsonl --answers ... [--max-false-nudges 0.10]

``prompts`` reviews every labelled case through the real model path against a local recording
server (:class:`nudgebot.testing.FakeModelServer`) and writes exactly what a model would be sent:
``DIR/prompt.md`` (the system prompt and its worked examples, the same for every case) and
``DIR/batch-K.jsonl`` (``id`` and ``request``, the last user message: the redacted thread, the
move, the channel, the draft and the rules' hints). Nothing in a batch says how a case is
labelled. ``--shared`` also puts the first N cases of each batch at the end of the next one (and
the last batch's at the end of the first), so two answerers meet on those and their agreement
can be measured.

Each answerer (a capable model, or, where none is reachable, an independent reviewer briefed to
follow ``prompt.md`` as the model would) writes ``DIR/answers-K.jsonl``: ``{"id", "answer"}``
with the answer in the schema's shape.

``measure`` replays every answer through the real code path (redaction, the client, the schema,
the guard; only the server is local) and scores the decision that reached the agent against the
labels, next to the rules' own live decision on the same cases: precision, recall, F1, false
nudges on good replies (overall and per labelled move), how many answers fell back to the rules
or were changed by the guard, and the answerers' agreement on shared cases. A case answered
twice counts the first file's answer. Say where the answers came from next to any figure.

``threshold`` chooses the model path's live threshold (``prompts/model.toml``): a watched
channel hears a nudge only when the model's lowest score is below ``live_below``; it prints
the figures for each candidate and the highest within ``--max-false-nudges``. Choose it on
one set and measure it on another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.replay_llm import replay_engine  # noqa: E402
from nudgebot.engine import ReviewEngine  # noqa: E402
from nudgebot.engine.llm.schema import ModelReview  # noqa: E402
from nudgebot.engine.rules import default_rulebook  # noqa: E402
from nudgebot.evaluation import Case, Metrics, Outcome, read_cases  # noqa: E402
from nudgebot.models import DIMENSIONS, Review  # noqa: E402
from nudgebot.testing import FakeModelServer, model_answer  # noqa: E402


class _Serving:
    """Answers each request with the answer of the case under review (one review at a time)."""

    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        self.answers = answers or {}
        self.current: str | None = None
        self.requests: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.current is not None
        self.requests.setdefault(self.current, request["messages"])
        return self.answers.get(self.current) or model_answer(request)


async def _review_all(cases: Sequence[Case], serving: _Serving, url: str) -> list[Review]:
    """Review the cases one after another through the model path (so each request is known)."""
    engine = replay_engine(url)
    reviews = []
    try:
        for case in cases:
            serving.current = case.id
            reviews.append(await engine.review(case.as_draft(), "llm"))
    finally:
        await engine.aclose()
    return reviews


def write_prompts(cases: Sequence[Case], out: Path, per: int, shared: int) -> list[Path]:
    """Write ``prompt.md`` and the batches; return the batch files."""
    serving = _Serving()
    with FakeModelServer(answer=serving) as server:
        asyncio.run(_review_all(cases, serving, server.url))
    out.mkdir(parents=True, exist_ok=True)
    first = serving.requests[cases[0].id]
    parts = [f"# System prompt\n\n{first[0]['content']}\n"]
    for number, message in enumerate(first[1:-1], start=1):
        title = "Worked example: the request" if message["role"] == "user" else "Its answer"
        parts.append(f"## {title} ({(number + 1) // 2})\n\n{message['content']}\n")
    (out / "prompt.md").write_text("\n".join(parts), encoding="utf-8")
    batches = [list(cases[i : i + per]) for i in range(0, len(cases), per)]
    paths = []
    for number, batch in enumerate(batches, start=1):
        extra = batches[number - 2][:shared] if shared and len(batches) > 1 else []
        path = out / f"batch-{number}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for case in [*batch, *extra]:
                request = serving.requests[case.id][-1]["content"]
                handle.write(json.dumps({"id": case.id, "request": request}, ensure_ascii=False))
                handle.write("\n")
        paths.append(path)
    return paths


def read_answers(
    paths: Sequence[Path],
) -> tuple[dict[str, dict[str, Any]], list[tuple[bool, bool]]]:
    """Read the answers (the first file's where two answered); pairs of needs_nudge on shared."""
    answers: dict[str, dict[str, Any]] = {}
    pairs = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            answer = row["answer"]
            try:
                ModelReview.model_validate(answer)
            except ValueError as error:
                raise SystemExit(
                    f"{path}: {row.get('id')}: not the schema's shape ({error})"
                ) from None
            earlier = answers.get(str(row["id"]))
            if earlier is None:
                answers[str(row["id"])] = answer
            else:
                pairs.append((bool(earlier["needs_nudge"]), bool(answer["needs_nudge"])))
    return answers, pairs


def kappa(pairs: Sequence[tuple[bool, bool]]) -> float:
    """Cohen's kappa of two yes/no judgements."""
    n = len(pairs)
    if not n:
        return float("nan")
    observed = sum(a == b for a, b in pairs) / n
    yes_a, yes_b = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def figures(metrics: Metrics) -> dict[str, Any]:
    """The decision's figures, the false nudges per labelled move, and recall per dimension.

    Recall per dimension counts, among the cases labelled with a problem in a dimension, those
    a nudge-level finding of that dimension named (as ``nudgebot eval`` does).
    """
    per_move: Counter[str] = Counter()
    good: Counter[str] = Counter()
    for outcome in metrics.outcomes:
        if not outcome.case.needs_nudge:
            move = outcome.case.move or "?"
            good[move] += 1
            per_move[move] += outcome.review.needs_nudge
    return {
        "precision": round(metrics.precision, 2),
        "recall": round(metrics.recall, 2),
        "f1": round(metrics.f1, 2),
        "false_nudges": round(metrics.false_nudge_rate, 2),
        "false_nudges_per_move": {m: f"{per_move[m]}/{good[m]}" for m in sorted(good)},
        "recall_per_dimension": {
            d: f"{found}/{labelled}"
            for d in DIMENSIONS
            for found, labelled in [metrics.dimension_recall(d)]
            if labelled
        },
    }


def measure(
    cases: Sequence[Case],
    answers: dict[str, dict[str, Any]],
    suggestions: Path | None = None,
    label: str = "model-stand-in",
) -> dict[str, Any]:
    """Replay the answers and score both decisions against the labels.

    ``suggestions``: also write every suggestion that reached the agent there, in the shape
    ``bench/rate_suggestions.py prepare`` reads, under ``label`` (which version wrote it).
    """
    missing = [case.id for case in cases if case.id not in answers]
    if missing:
        raise SystemExit(f"no answer for {len(missing)} case(s), e.g. {missing[:3]}")
    serving = _Serving(answers)
    with FakeModelServer(answer=serving) as server:
        reviews = asyncio.run(_review_all(cases, serving, server.url))
    model = Metrics([Outcome(case, review) for case, review in zip(cases, reviews, strict=True)])
    if suggestions is not None:
        rows = [
            {
                "case": case.id,
                "label": label,
                "thread": [{"role": t.role, "text": t.text} for t in case.as_draft().turns],
                "draft": case.draft,
                "suggestion": review.suggestion,
            }
            for case, review in zip(cases, reviews, strict=True)
            if review.suggestion
        ]
        suggestions.write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
    engine = ReviewEngine(default_rulebook(cache_dir=None))
    rules = Metrics(
        [Outcome(case, engine.review_rules(case.as_draft(), live=True)) for case in cases]
    )
    fell_back = [r for r in reviews if r.engine != "llm"]
    guarded = [  # what the guard held back (a suggestion, a finding) or corrected
        case.id
        for case, review in zip(cases, reviews, strict=True)
        if review.meta.get("guard")
        or review.meta.get("guard_findings")
        or "was corrected" in (review.note or "")
    ]
    return {
        "cases": len(cases),
        "need_a_nudge": sum(case.needs_nudge for case in cases),
        "model": figures(model),
        "rules_live": figures(rules),
        "fell_back_to_rules": len(fell_back),
        "changed_by_guard": len(guarded),
        "changed_by_guard_ids": guarded,
    }


def thresholds(
    cases: Sequence[Case], answers: dict[str, dict[str, Any]], max_false_nudges: float
) -> tuple[list[dict[str, Any]], int | None]:
    """Score "a live nudge when the lowest score is below T" for T = 40, 45, ..., 70.

    Return the figures per T and the highest T whose false-nudge rate stays within
    ``max_false_nudges`` (None: none does). Read from the answers alone, as the model wrote them.
    """
    labels = {case.id: case.needs_nudge for case in cases}
    lowest = {i: min(a["scores"].values()) for i, a in answers.items() if i in labels}
    good = sum(not labels[i] for i in lowest) or 1
    need = sum(labels[i] for i in lowest) or 1
    rows, chosen = [], None
    for below in range(40, 71, 5):
        nudged = [i for i, score in lowest.items() if score < below]
        right = sum(labels[i] for i in nudged)
        false = len(nudged) - right
        rows.append(
            {
                "live_below": below,
                "precision": round(right / len(nudged), 2) if nudged else None,
                "recall": round(right / need, 2),
                "false_nudges": round(false / good, 2),
            }
        )
        if false / good <= max_false_nudges:
            chosen = below
    return rows, chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prompts = sub.add_parser("prompts", help="write what a model would be sent")
    prompts.add_argument("cases", type=Path)
    prompts.add_argument("--out", type=Path, required=True)
    prompts.add_argument("--per", type=int, default=50, help="cases per batch")
    prompts.add_argument("--shared", type=int, default=0, help="cases each batch shares")
    scoring = sub.add_parser("measure", help="replay the answers, score the decisions")
    scoring.add_argument("cases", type=Path)
    scoring.add_argument("--answers", type=Path, nargs="+", required=True)
    scoring.add_argument("--json", action="store_true")
    scoring.add_argument(
        "--suggestions", type=Path, help="write the suggestions shown, for rate_suggestions.py"
    )
    scoring.add_argument("--label", default="model-stand-in", help="their label in that file")
    choosing = sub.add_parser("threshold", help="the model path's live threshold on scores")
    choosing.add_argument("cases", type=Path)
    choosing.add_argument("--answers", type=Path, nargs="+", required=True)
    choosing.add_argument("--max-false-nudges", type=float, default=0.10)
    args = parser.parse_args(argv)
    cases = read_cases(args.cases)
    if args.command == "threshold":
        answers, _ = read_answers(args.answers)
        rows, chosen = thresholds(cases, answers, args.max_false_nudges)
        for row in rows:
            print(
                f"  live_below {row['live_below']:3}  P {row['precision']}  R {row['recall']:.2f}"
                f"  false nudges {row['false_nudges']:.2f}"
            )
        print(f"highest within {args.max_false_nudges:.0%} false nudges: live_below = {chosen}")
        return 0
    if args.command == "prompts":
        for path in write_prompts(cases, args.out, args.per, args.shared):
            print(path)
        return 0
    answers, pairs = read_answers(args.answers)
    result = measure(cases, answers, args.suggestions, args.label)
    agreement = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    result["shared"] = {"cases": len(pairs), "agreement": agreement, "kappa": kappa(pairs)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['cases']} cases, {result['need_a_nudge']} need a nudge")
    for name in ("model", "rules_live"):
        f = result[name]
        print(
            f"  {name:11} P {f['precision']:.2f}  R {f['recall']:.2f}  F1 {f['f1']:.2f}  "
            f"false nudges {f['false_nudges']:.2f}  per move {f['false_nudges_per_move']}"
        )
        print(f"  {'':11} recall per dimension {f['recall_per_dimension']}")
    print(
        f"  fell back to the rules {result['fell_back_to_rules']}, "
        f"changed by the guard {result['changed_by_guard']}"
    )
    if pairs:
        print(
            f"  answerers on {len(pairs)} shared cases: agreement {agreement:.2f}, "
            f"kappa {result['shared']['kappa']:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
