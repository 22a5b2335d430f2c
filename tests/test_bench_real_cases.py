from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bench.real_cases import (
    ROOT,
    Tweet,
    build_cases,
    known_conversations,
    load_dialogs,
    main,
    parse_dialog,
)

# Invented conversations in TweetSumm's dialog format (no corpus text).
LONG_A = "my parcel was due on Monday and still has not arrived at all"
LONG_B = "sorry to hear that, could you send us the order number by DM please"


def dialog_text(*tweets: tuple[str, str]) -> str:
    return "".join(f"\t{role}:\t{body}\n" for role, body in tweets)


def make_dialogs(count: int) -> dict[str, list[Tweet]]:
    dialogs = {}
    for i in range(count):
        text = dialog_text(
            ("Customer", f"@Brand question number {i} about a delivery that is late again"),
            ("Agent", f"@{100000 + i} Sorry about that, what is the order number {i}?"),
            ("Customer", f"@Brand it is order {i}, placed a week ago on the website"),
            ("Agent", f"@{100000 + i} Thanks, I have chased it and will update you {i}."),
        )
        dialogs[f"d{i:03d}"] = parse_dialog(text)
    return dialogs


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    strings: list[str] = []
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            strings.append(value)
            cells.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{len(strings) - 1}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}">{sst}</sst>')
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{ns}"><sheetData>{"".join(body)}</sheetData></worksheet>',
        )


def test_parse_dialog_roles_and_continuation_lines() -> None:
    text = dialog_text(("Customer", "@Brand help"), ("Agent", "@123 Sure, details?"))
    text += "Thanks, Sam\n" + dialog_text(("Customer", "@Brand ok"))
    tweets = parse_dialog(text)
    assert [t.role for t in tweets] == ["customer", "agent", "customer"]
    assert tweets[1].text == "@123 Sure, details?\nThanks, Sam"
    assert tweets[2].text == "@Brand ok"


def test_load_dialogs_reads_xlsx_by_header(tmp_path: Path) -> None:
    path = tmp_path / "dialogs.xlsx"
    text = dialog_text(("Customer", "@Brand a & b <c>"), ("Agent", "@1 yes"))
    write_xlsx(path, [["data_split", "dialog_id", "text"], ["train", "abc", text]])
    dialogs = load_dialogs(path)
    assert list(dialogs) == ["abc"]
    assert dialogs["abc"] == [Tweet("customer", "@Brand a & b <c>"), Tweet("agent", "@1 yes")]


def test_build_cases_is_seeded_and_picks_a_reply_with_a_thread() -> None:
    dialogs = make_dialogs(40)
    cases, _ = build_cases(dialogs, set(), set(), n=10, seed=3)
    again, _ = build_cases(dialogs, set(), set(), n=10, seed=3)
    other, _ = build_cases(dialogs, set(), set(), n=10, seed=4)
    assert cases == again
    assert [c.dialog for c in cases] != [c.dialog for c in other]
    assert [c.id for c in cases] == [f"rx-{i:03d}" for i in range(1, 11)]
    assert len({c.dialog for c in cases}) == 10
    for case in cases:
        tweets = dialogs[case.dialog]
        assert case.turn >= 1 and case.turn == len(case.thread)
        assert tweets[case.turn] == Tweet("agent", case.draft)
        assert list(case.thread) == tweets[: case.turn]
    assert {c.turn for c in build_cases(dialogs, set(), set(), n=40)[0]} == {1, 3}


def test_build_cases_skips_conversations_already_labelled() -> None:
    dialogs = make_dialogs(6)
    dialogs["copy"] = parse_dialog(dialog_text(("Customer", LONG_A), ("Agent", LONG_B)))
    dialogs["copy2"] = parse_dialog(dialog_text(("Customer", LONG_A.upper()), ("Agent", "@1 ok")))
    dialogs["no-reply"] = parse_dialog(dialog_text(("Agent", "@1 hello"), ("Customer", "hi")))
    existing = [
        {"dialog": "d001", "thread": [], "draft": "x"},
        {"dialog": "other-id", "thread": [{"role": "customer", "text": LONG_A}], "draft": "ok"},
    ]
    ids, texts = known_conversations(existing)
    assert "ok" not in texts  # too short to tell two conversations apart
    cases, skipped = build_cases(dialogs, ids, texts, n=100)
    assert {c.dialog for c in cases} == {"d000", "d002", "d003", "d004", "d005"}
    assert skipped == {"known_id": 1, "known_text": 2, "duplicate_text": 0, "no_reply": 1}


def test_build_cases_skips_duplicates_within_the_source() -> None:
    dialogs = make_dialogs(3)
    dialogs["zz-dup"] = list(dialogs["d000"])
    cases, skipped = build_cases(dialogs, set(), set(), n=100)
    assert skipped["duplicate_text"] == 1
    assert sorted(c.dialog for c in cases) == ["d000", "d001", "d002"]


def test_cli_writes_jsonl_and_refuses_output_inside_the_repo(tmp_path: Path) -> None:
    source = tmp_path / "src.jsonl"
    rows = [
        {"dialog_id": k, "text": dialog_text(("Customer", f"@B hi {k}"), ("Agent", "@1 yo"))}
        for k in ("a", "b", "c")
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    real_dev = tmp_path / "real-dev.jsonl"
    real_dev.write_text(json.dumps({"dialog": "b", "thread": [], "draft": "x"}) + "\n")
    out = tmp_path / "out" / "candidates.jsonl"
    assert main([str(source), "--real-dev", str(real_dev), "--out", str(out), "-n", "5"]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(c["dialog"] for c in written) == ["a", "c"]
    assert list(written[0]) == ["id", "dialog", "turn", "thread", "draft"]
    assert written[0]["thread"][0]["role"] == "customer"
    with pytest.raises(SystemExit):
        main([str(source), "--real-dev", str(real_dev), "--out", str(ROOT / "cases.jsonl")])
    with pytest.raises(SystemExit):
        main([str(source), "--real-dev", str(tmp_path / "missing.jsonl"), "--out", str(out)])
    assert not (ROOT / "cases.jsonl").exists()
