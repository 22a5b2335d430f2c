"""Redaction: how much personal data reaches the model, how much else is redacted, how fast.

    .venv/bin/python bench/redaction.py [--json]

Reads the corpus of the tests (``tests/engine/data/personal_data.jsonl``: personal items, each
in a support sentence, with their country and kind; ``look_alikes.jsonl``: order numbers,
tracking ids, amounts, times, dates, versions) and prints, for the default region (GB):

- personal items that survive redaction (any visible character of the value left), overall and
  by kind and country, and which ones;
- look-alikes touched by a redaction, and which ones;
- the time to redact one corpus sentence (median and 95th percentile, after the first call has
  imported ``phonenumbers`` and ``stdnum``), and the time of that first call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from nudgebot.engine.redaction import find_personal_data

DATA = Path(__file__).resolve().parents[1] / "tests" / "engine" / "data"


def load(name: str) -> list[dict[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def occurrences(text: str, value: str) -> list[tuple[int, int]]:
    found, start = [], text.find(value)
    while start >= 0:
        found.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return found


def survives(text: str, value: str) -> bool:
    spans = find_personal_data(text)
    return any(
        not text[i].isspace() and not any(a <= i < b for a, b, _ in spans)
        for start, end in occurrences(text, value)
        for i in range(start, end)
    )


def touched(text: str, value: str) -> bool:
    spans = find_personal_data(text)
    return any(
        a < end and start < b for start, end in occurrences(text, value) for a, b, _ in spans
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    personal, alikes = load("personal_data.jsonl"), load("look_alikes.jsonl")
    started = time.perf_counter()
    find_personal_data("call 030 12345678, IBAN DE89 3704 0044 0532 0130 00")
    first_ms = (time.perf_counter() - started) * 1000
    survived = [item for item in personal if survives(item["text"], item["value"])]
    over = [item for item in alikes if touched(item["text"], item["value"])]
    timings = []
    for item in personal + alikes:
        started = time.perf_counter()
        find_personal_data(item["text"])
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    figures = {
        "personal_items": len(personal),
        "countries": len({item["country"] for item in personal}),
        "survived": len(survived),
        "survived_share": round(len(survived) / len(personal), 4),
        "survived_items": [f"{i['country']} {i['kind']}: {i['value']}" for i in survived],
        "look_alikes": len(alikes),
        "over_redacted": len(over),
        "over_redacted_share": round(len(over) / len(alikes), 4),
        "over_redacted_items": [f"{i['kind']}: {i['value']}" for i in over],
        "by_kind": dict(Counter(item["kind"] for item in personal)),
        "first_call_ms": round(first_ms, 1),
        "us_per_sentence_p50": round(statistics.median(timings), 1),
        "us_per_sentence_p95": round(timings[int(0.95 * (len(timings) - 1))], 1),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    print(
        f"personal data reaching the model: {figures['survived']}/{len(personal)} "
        f"({figures['survived_share']:.1%}) from {figures['countries']} countries (target <= 5%)"
    )
    for line in figures["survived_items"]:
        print(f"  survived: {line}")
    print(
        f"look-alikes redacted: {figures['over_redacted']}/{len(alikes)} "
        f"({figures['over_redacted_share']:.1%}) (target <= 5%)"
    )
    for line in figures["over_redacted_items"]:
        print(f"  over-redacted: {line}")
    print(f"items by kind: {figures['by_kind']}")
    print(
        f"time per sentence: p50 {figures['us_per_sentence_p50']} us, "
        f"p95 {figures['us_per_sentence_p95']} us; first call (imports) {first_ms:.0f} ms"
    )
    ok = figures["survived_share"] <= 0.05 and figures["over_redacted_share"] <= 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
