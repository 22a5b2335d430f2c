"""The blind rating (bench/rate_suggestions.py): sheets hide the version; scores join them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.rate_suggestions import prepare, score


def _rows(label: str, suggestion: str) -> list[dict[str, object]]:
    thread = [{"role": "customer", "text": "Where is my parcel PK-1?"}]
    return [
        {"case": f"c{n}", "label": label, "thread": thread, "draft": "PK-1 is late.",
         "suggestion": f"{suggestion} ({n})"}
        for n in range(3)
    ]  # fmt: skip


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_sheet_is_blind_and_the_score_joins_ratings_to_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old.jsonl", _rows("old", "Sorry, PK-1 is late by [by when]."))
    new = _write(tmp_path / "new.jsonl", _rows("new", "I'm sorry PK-1 is late."))
    folder = tmp_path / "round"
    assert prepare([old, new], folder, ["A", "B"], shared=99, seed=7) == 0
    sheet = [json.loads(line) for line in (folder / "sheet.jsonl").read_text().splitlines()]
    assert all(set(row) == {"item", "thread", "draft", "suggestion"} for row in sheet)
    key = {json.loads(line)["item"]: json.loads(line)["label"]
           for line in (folder / "key.jsonl").read_text().splitlines()}  # fmt: skip
    for rater, bump in (("A", 0), ("B", 1)):
        ratings = [{"item": i, "rating": (4 if label == "new" else 2) + bump}
                   for i, label in key.items()]  # fmt: skip
        _write(folder / f"ratings-{rater}.jsonl", ratings)
    capsys.readouterr()
    assert score(folder) == 0
    printed = capsys.readouterr().out
    assert "A vs B on 6 shared items: exact 0.00, within one point 1.00" in printed
    assert "new: 3 suggestions rated, mean 4.50" in printed
    assert (
        "old: 3 suggestions rated, mean 2.50" in printed and "with placeholders 3 of 3" in printed
    )
    (folder / "sheet.jsonl").unlink()  # licensed real texts are not kept: the means still are
    assert score(folder) == 0
    assert "new: 3 suggestions rated, mean 4.50" in capsys.readouterr().out
