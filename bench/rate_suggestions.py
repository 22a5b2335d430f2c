"""A blind rating of suggested replies: generate, prepare sheets for raters, score their ratings.

    python bench/rate_suggestions.py generate CASES.jsonl --label new --out new.jsonl
    PYTHONPATH=/path/to/an/older/checkout python bench/rate_suggestions.py generate ... --label old
    python bench/rate_suggestions.py prepare new.jsonl old.jsonl --dir ratings/ [--shared 30]
    python bench/rate_suggestions.py score --dir ratings/

``generate`` reviews every case (the format of ``../shared/eval/dev.jsonl`` or ``real-dev.jsonl``)
with the rules engine importable from ``PYTHONPATH`` and writes each suggestion it gives (an
older nudgebot without threads gets the customer's last message instead). ``prepare`` pools the
suggestions of every file, shuffles them with a fixed seed and writes:

- ``sheet.jsonl``: one item per suggestion (``item``, the conversation, the draft, the
  suggestion), with nothing that tells which engine or version wrote it;
- ``key.jsonl``: which case and which file each item came from (kept from the raters);
- ``assignments.json``: which items each rater gets: every item once, plus ``--shared`` items
  that two raters both rate, for agreement.

Each rater, briefed alone (``docs/rating.md``), writes ``ratings-<name>.jsonl`` beside them:
``{"item": ..., "rating": 1-5}`` (5 = send as is, 3 = better than the draft but clunky, 1 =
worse than the draft). ``score`` joins ratings to the key and prints, per file: how many
suggestions, the mean rating (an item rated twice counts the mean of its two ratings), the
distribution, and, on the shared items, the agreement between raters (exact, within one point,
Spearman). It also counts, mechanically, placeholders and condolences without a loss.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")
CONDOLENCE = re.compile(r"sorry for your loss|my condolences|deepest sympathy", re.I)
LOSS = re.compile(r"passed away|died|funeral|bereave|death", re.I)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file, skipping blank lines."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write rows as JSON Lines."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _draft(case: dict[str, Any]) -> Any:
    from nudgebot.models import Draft

    thread = case.get("thread") or []
    customer = case.get("customer")
    if not customer:
        customer = next((t["text"] for t in reversed(thread) if t["role"] == "customer"), None)
    try:
        from nudgebot.models import thread_from_data

        return Draft(text=case["draft"], customer=customer, thread=thread_from_data(thread))
    except ImportError:  # an older nudgebot: the customer's last message only
        return Draft(text=case["draft"], customer=customer)


def generate(cases_path: Path, label: str, out: Path) -> int:
    """Review every case with the importable engine; write the suggestions it gives."""
    from nudgebot.engine import ReviewEngine  # type: ignore[import-not-found,unused-ignore]

    engine = ReviewEngine()
    rows = []
    for case in read_jsonl(cases_path):
        review = engine.review_rules(_draft(case))
        if review.suggestion and review.suggestion.strip() != case["draft"].strip():
            rows.append(
                {
                    "case": case.get("id"),
                    "label": label,
                    "thread": case.get("thread")
                    or (
                        [{"role": "customer", "text": case["customer"]}]
                        if case.get("customer")
                        else []
                    ),
                    "draft": case["draft"],
                    "suggestion": review.suggestion,
                    "needs_nudge": case.get("needs_nudge"),
                }
            )
    write_jsonl(out, rows)
    print(f"{label}: {len(rows)} suggestions from {cases_path.name} -> {out}")
    return 0


def prepare(
    files: Sequence[Path], folder: Path, raters: Sequence[str], shared: int, seed: int
) -> int:
    """Pool and shuffle the suggestions; write the blind sheet, the key and the assignments."""
    pooled = [row for path in files for row in read_jsonl(path)]
    random.Random(seed).shuffle(pooled)
    folder.mkdir(parents=True, exist_ok=True)
    sheet, key = [], []
    for number, row in enumerate(pooled, start=1):
        item = f"s-{number:03d}"
        sheet.append(
            {
                "item": item,
                "thread": row["thread"],
                "draft": row["draft"],
                "suggestion": row["suggestion"],
            }
        )
        key.append({"item": item, "case": row["case"], "label": row["label"]})
    write_jsonl(folder / "sheet.jsonl", sheet)
    write_jsonl(folder / "key.jsonl", key)
    items = [s["item"] for s in sheet]
    common = items[:shared]
    rest = items[shared:]
    assignments = {
        name: sorted(common + rest[index :: len(raters)]) for index, name in enumerate(raters)
    }
    (folder / "assignments.json").write_text(json.dumps(assignments, indent=1), encoding="utf-8")
    print(
        f"{len(sheet)} items; shared by every rater: {len(common)}; per rater: "
        + ", ".join(f"{n} {len(v)}" for n, v in assignments.items())
    )
    return 0


def _spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's correlation (bench/politeness.py's), None for fewer than three pairs."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from bench.politeness import spearman

    return spearman(a, b) if len(a) >= 3 else None


def score(folder: Path) -> int:
    """Join the ratings to the key; print means per file, agreement, and mechanical counts."""
    key = {row["item"]: row for row in read_jsonl(folder / "key.jsonl")}
    texts_kept = (folder / "sheet.jsonl").exists()  # not for licensed real texts (round4, 14)
    sheet = {row["item"]: row for row in read_jsonl(folder / "sheet.jsonl")} if texts_kept else {}
    ratings: dict[str, dict[str, int]] = {}
    for path in sorted(folder.glob("ratings-*.jsonl")):
        name = path.stem.removeprefix("ratings-")
        ratings[name] = {r["item"]: int(r["rating"]) for r in read_jsonl(path)}
    if not ratings:
        print(f"no ratings-*.jsonl in {folder}", file=sys.stderr)
        return 2
    names = sorted(ratings)
    for first_index, first in enumerate(names):
        for second in names[first_index + 1 :]:
            both = sorted(set(ratings[first]) & set(ratings[second]))
            if not both:
                continue
            a = [ratings[first][i] for i in both]
            b = [ratings[second][i] for i in both]
            exact = sum(x == y for x, y in zip(a, b, strict=True)) / len(both)
            near = sum(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)) / len(both)
            rho = _spearman(a, b)
            rho_text = "n/a" if rho is None else f"{rho:.2f}"
            print(
                f"{first} vs {second} on {len(both)} shared items: exact {exact:.2f}, "
                f"within one point {near:.2f}, Spearman {rho_text}"
            )
    by_label: dict[str, list[float]] = {}
    for item, row in key.items():
        given = [ratings[n][item] for n in names if item in ratings[n]]
        if given:
            by_label.setdefault(row["label"], []).append(statistics.mean(given))
    for label, values in sorted(by_label.items()):
        distribution = {n: sum(1 for v in values if round(v) == n) for n in range(1, 6)}
        head = (
            f"{label}: {len(values)} suggestions rated, mean {statistics.mean(values):.2f}; "
            f"5s {distribution[5]}, 4s {distribution[4]}, 3s {distribution[3]}, "
            f"2s {distribution[2]}, 1s {distribution[1]}"
        )
        if not texts_kept:
            print(f"{head} (no sheet.jsonl: no counts of the texts)")
            continue
        items = [i for i, row in key.items() if row["label"] == label]
        texts = [sheet[i]["suggestion"] for i in items]
        drafts = [
            sheet[i]["draft"] + " ".join(t["text"] for t in sheet[i]["thread"]) for i in items
        ]
        placeholders = sum(1 for t in texts if PLACEHOLDER.search(t))
        misplaced = sum(
            1
            for t, d in zip(texts, drafts, strict=True)
            if CONDOLENCE.search(t) and not LOSS.search(d)
        )
        print(
            f"{head}; with placeholders {placeholders} of "
            f"{len(texts)}; condolence without a loss {misplaced}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch the three steps."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    gen = steps.add_parser("generate")
    gen.add_argument("cases", type=Path)
    gen.add_argument("--label", required=True)
    gen.add_argument("--out", type=Path, required=True)
    prep = steps.add_parser("prepare")
    prep.add_argument("files", nargs="+", type=Path)
    prep.add_argument("--dir", type=Path, required=True)
    prep.add_argument("--raters", default="R1,R2")
    prep.add_argument("--shared", type=int, default=30)
    prep.add_argument("--seed", type=int, default=7)
    sc = steps.add_parser("score")
    sc.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "generate":
        return generate(args.cases, args.label, args.out)
    if args.step == "prepare":
        return prepare(args.files, args.dir, args.raters.split(","), args.shared, args.seed)
    return score(args.dir)


if __name__ == "__main__":
    sys.exit(main())
