"""Independent labels for the extra real cases: agreement, merged labels, and the held-aside split.

    python bench/real_labels.py [--data /work/data/real-extra] [--save-labels]

Reads ``candidates.jsonl`` (built by ``bench/real_cases.py``; texts stay outside the repo) and
every ``labels-<labeller>.jsonl`` beside it, each written by a labeller briefed alone, blind to
the engine and to the others (the brief: ``docs/real-data.md``). It prints the agreement between
labellers on the cases they share (needs_nudge: raw agreement and Cohen's kappa; dimensions;
move), merges the labels (one labeller: theirs; several: the majority, dimensions named by at
least two of those who said nudge) and writes two files in the real-dev format beside them:

- ``real-extra-fit.jsonl``: may be used for fitting the confidences (``bench/fit_calibration.py``);
- ``real-extra-holdout.jsonl``: held aside; nothing is tuned or fitted on it, it only measures.

The split is by a hash of the case id, so it never changes. ``--save-labels`` also writes the
labels without any text (ids, dialog, turn, each labeller's verdict) to
``bench/data/real-extra.labels.jsonl``, so the sets can be rebuilt from the source.

``--name NAME`` names the files (``NAME-fit.jsonl``, ``bench/data/NAME.labels.jsonl``);
``--whole`` writes one held-aside set ``NAME.jsonl`` instead of two halves (the fresh sets:
``--data /work/data/real-fresh --name real-fresh --whole``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "bench" / "data" / "real-extra.labels.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file, skipping blank lines."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def held_aside(case_id: str) -> bool:
    """Whether a case belongs to the held-aside half (a fixed hash of its id)."""
    return hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0


def kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa for two raters' yes/no labels of the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(labels: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Lines describing pairwise agreement on the cases each pair of labellers shares."""
    lines = []
    for first, second in combinations(sorted(labels), 2):
        shared = sorted(set(labels[first]) & set(labels[second]))
        if not shared:
            continue
        a = [bool(labels[first][i]["needs_nudge"]) for i in shared]
        b = [bool(labels[second][i]["needs_nudge"]) for i in shared]
        raw = sum(x == y for x, y in zip(a, b, strict=True)) / len(shared)
        both = [
            i
            for i in shared
            if labels[first][i]["needs_nudge"] and labels[second][i]["needs_nudge"]
        ]
        overlap = [
            len(set(labels[first][i]["dimensions"]) & set(labels[second][i]["dimensions"]))
            / len(set(labels[first][i]["dimensions"]) | set(labels[second][i]["dimensions"]))
            for i in both
        ]
        moves = sum(labels[first][i]["move"] == labels[second][i]["move"] for i in shared)
        dims = f"{sum(overlap) / len(overlap):.2f}" if overlap else "n/a"
        lines.append(
            f"{first} vs {second} on {len(shared)} shared cases: needs_nudge agree {raw:.2f}, "
            f"kappa {kappa(a, b):.2f}; dimensions (Jaccard, both nudged: {len(both)}) {dims}; "
            f"move agree {moves / len(shared):.2f}"
        )
    return lines


def merge(votes: list[dict[str, Any]]) -> dict[str, Any]:
    """One label from one or several labellers' (majority; ties go to no nudge)."""
    if len(votes) == 1:
        return dict(votes[0])
    yes = [v for v in votes if v["needs_nudge"]]
    nudge = len(yes) * 2 > len(votes)
    dimensions: list[str] = []
    if nudge:
        counts = Counter(d for v in yes for d in v["dimensions"])
        dimensions = [d for d, n in counts.items() if n >= 2] or [counts.most_common(1)[0][0]]
    move = Counter(v["move"] for v in votes).most_common(1)[0][0]
    agreed = all(v["needs_nudge"] == nudge for v in votes)
    high = agreed and all(v.get("confidence") == "high" for v in votes)
    return {
        "needs_nudge": nudge,
        "dimensions": sorted(dimensions),
        "move": move,
        "confidence": "high" if high else "low",
        "why": " / ".join(v.get("why", "") for v in votes),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print agreement, write the merged fit and held-aside sets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/data/real-extra"))
    parser.add_argument("--save-labels", action="store_true")
    parser.add_argument(
        "--name", default="real-extra", help="the set's name: output files and saved labels"
    )
    parser.add_argument(
        "--whole", action="store_true", help="one held-aside set NAME.jsonl, no fitting half"
    )
    args = parser.parse_args(argv)
    saved = SAVED.with_name(f"{args.name}.labels.jsonl")
    candidates = {c["id"]: c for c in read_jsonl(args.data / "candidates.jsonl")}
    labels = {
        path.stem.removeprefix("labels-"): {row["id"]: row for row in read_jsonl(path)}
        for path in sorted(args.data.glob("labels-*.jsonl"))
    }
    if not labels:
        print(f"no labels-*.jsonl in {args.data}", file=sys.stderr)
        return 2
    for line in agreement(labels):
        print(line)
    merged = []
    for case_id, case in candidates.items():
        votes = [labels[name][case_id] for name in sorted(labels) if case_id in labels[name]]
        if votes:
            merged.append({**case, **merge(votes), "labellers": len(votes)})
    fit = [m for m in merged if not held_aside(m["id"])]
    holdout = [m for m in merged if held_aside(m["id"])]
    parts = [(f"{args.name}-fit", fit), (f"{args.name}-holdout", holdout)]
    for name, rows in [(args.name, merged)] if args.whole else parts:
        with (args.data / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        nudged = sum(r["needs_nudge"] for r in rows)
        print(f"{name}: {len(rows)} cases, {nudged} need a nudge ({nudged / len(rows):.0%})")
    if args.save_labels:
        saved.parent.mkdir(parents=True, exist_ok=True)
        with saved.open("w", encoding="utf-8") as handle:
            for case_id, case in candidates.items():
                for name in sorted(labels):
                    row = labels[name].get(case_id)
                    if row is not None:
                        keep = {
                            k: row[k] for k in ("needs_nudge", "dimensions", "move", "confidence")
                        }
                        entry = {"id": case_id, "dialog": case["dialog"], "turn": case["turn"]}
                        handle.write(json.dumps({**entry, "labeller": name, **keep}) + "\n")
        print(f"wrote {saved.relative_to(ROOT)} (labels only, no text)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
