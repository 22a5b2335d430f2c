"""Build unlabelled real cases (brand-agent replies on Twitter) for blind labelling.

    python3 bench/real_cases.py SOURCE.xlsx [--real-dev PATH] [--out PATH] [-n 300] [--seed 13]

SOURCE is a TweetSumm export that carries the tweet texts: a spreadsheet (``.xlsx``) or a
JSON Lines file (``.jsonl``) with a ``dialog_id`` and a ``text`` column, the text being
TweetSumm's dialog format, one tweet per line as ``\\tCustomer:\\t...`` or ``\\tAgent:\\t...``;
a line without that prefix continues the tweet above it (a tweet with a line break), and is
kept, joined with a newline. Handles are already anonymised in the corpus (``@123456``);
brands' own handles stay as they are, as in ``real-dev.jsonl``.

For every conversation not in ``real-dev.jsonl`` (compared by dialog id, and by text so that
the same conversation under another id is skipped too), one agent reply with at least one
tweet before it is chosen at random with a fixed seed; ``n`` conversations are taken in a
seeded random order. Each case is written as one JSON line::

    {"id": "rx-001", "dialog": ..., "turn": ..., "thread": [{"role", "text"}...], "draft": ...}

where ``turn`` is the reply's index among the dialog's tweets (so ``turn == len(thread)``),
``thread`` is every tweet before it, oldest first, and ``draft`` is the reply itself.

The corpus texts are licensed CC BY-NC-SA 4.0: write the output outside the repository
(default ``/work/data/real-extra/candidates.jsonl``); this module holds no corpus text.
Standard library only (the spreadsheet is read as the zipped XML it is).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
# real-dev.jsonl lives in the steering repo's shared/ next to the main checkout; a worktree
# under /work/wt/ finds it one level further up.
_SHARED_CANDIDATES = [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
DEFAULT_REAL_DEV = next(
    (p / "eval" / "real-dev.jsonl" for p in _SHARED_CANDIDATES if (p / "eval").is_dir()),
    _SHARED_CANDIDATES[0] / "eval" / "real-dev.jsonl",
)
DEFAULT_OUT = Path("/work/data/real-extra/candidates.jsonl")

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TURN_LINE = re.compile(r"^\t(Customer|Agent):\t(.*)$")
_COLUMN = re.compile(r"[A-Z]+")
# A text shorter than this ("@AppleSupport Thanks!") may well recur in unrelated
# conversations, so it is not taken as evidence that a conversation is already in real-dev.
MIN_MATCH_CHARS = 40


@dataclass(frozen=True)
class Tweet:
    """One tweet of a conversation: who wrote it (``customer`` or ``agent``) and its text."""

    role: str
    text: str


@dataclass(frozen=True)
class Case:
    """An unlabelled case: the agent's reply, the thread before it and where it comes from."""

    id: str
    dialog: str
    turn: int
    thread: tuple[Tweet, ...]
    draft: str

    def to_json(self) -> dict[str, object]:
        """The JSON object written for this case, in the field order of real-dev.jsonl."""
        return {
            "id": self.id,
            "dialog": self.dialog,
            "turn": self.turn,
            "thread": [{"role": t.role, "text": t.text} for t in self.thread],
            "draft": self.draft,
        }


def parse_dialog(text: str) -> list[Tweet]:
    """Tweets of one TweetSumm dialog text; continuation lines join the tweet above them."""
    tweets: list[list[str]] = []
    for line in text.split("\n"):
        match = _TURN_LINE.match(line)
        if match:
            role = "customer" if match.group(1) == "Customer" else "agent"
            tweets.append([role, match.group(2)])
        elif line.strip() and tweets:
            tweets[-1][1] += "\n" + line
    return [Tweet(role, body) for role, body in tweets]


def _xlsx_rows(path: Path) -> list[dict[str, str]]:
    """Rows of the first sheet of an .xlsx file as dicts keyed by the header row."""
    with zipfile.ZipFile(path) as book:
        names = set(book.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{_SHEET_NS}t"))
                for si in root.findall(f"{_SHEET_NS}si")
            ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table: list[dict[str, str]] = []
    for row in sheet.iter(f"{_SHEET_NS}row"):
        cells: dict[str, str] = {}
        for cell in row.findall(f"{_SHEET_NS}c"):
            column = _COLUMN.match(cell.get("r", ""))
            if column is None:
                continue
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{_SHEET_NS}t"))
            else:
                v = cell.find(f"{_SHEET_NS}v")
                if v is None or v.text is None:
                    continue
                value = shared[int(v.text)] if kind == "s" else v.text
            cells[column.group()] = value
        table.append(cells)
    if not table:
        return []
    header = table[0]
    return [
        {header[col]: val for col, val in cells.items() if col in header} for cells in table[1:]
    ]


def _jsonl_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_dialogs(path: Path) -> dict[str, list[Tweet]]:
    """Conversations of a TweetSumm export (.xlsx or .jsonl), by dialog id, in file order."""
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _jsonl_rows(path)
    dialogs: dict[str, list[Tweet]] = {}
    for row in rows:
        dialog_id, text = row.get("dialog_id"), row.get("text")
        if dialog_id and text and dialog_id not in dialogs:
            tweets = parse_dialog(text)
            if tweets:
                dialogs[dialog_id] = tweets
    return dialogs


def _key(text: str) -> str:
    """The first line of a tweet, lower-cased with runs of white space collapsed.

    real-dev.jsonl keeps only a tweet's first line, so that is what is compared.
    """
    first = text.split("\n", 1)[0]
    return " ".join(first.lower().split())


def known_conversations(cases: Iterable[Mapping[str, object]]) -> tuple[set[str], set[str]]:
    """Dialog ids and the comparable texts (long enough to be telling) of existing cases."""
    ids: set[str] = set()
    texts: set[str] = set()
    for case in cases:
        ids.add(str(case.get("dialog", "")))
        turns = case.get("thread")
        bodies = [
            str(t.get("text", ""))
            for t in (turns if isinstance(turns, list) else [])
            if isinstance(t, Mapping)
        ]
        bodies.append(str(case.get("draft", "")))
        texts.update(k for k in map(_key, bodies) if len(k) >= MIN_MATCH_CHARS)
    return ids, texts


def build_cases(
    dialogs: Mapping[str, Sequence[Tweet]],
    known_ids: set[str],
    known_texts: set[str],
    n: int = 300,
    seed: int = 13,
    prefix: str = "rx",
) -> tuple[list[Case], dict[str, int]]:
    """Pick one agent reply per new conversation; return the cases and what was skipped."""
    skipped = {"known_id": 0, "known_text": 0, "duplicate_text": 0, "no_reply": 0}
    seen_texts: set[str] = set()
    eligible: list[str] = []
    for dialog_id, tweets in dialogs.items():
        keys = {k for k in (_key(t.text) for t in tweets) if len(k) >= MIN_MATCH_CHARS}
        if dialog_id in known_ids:
            skipped["known_id"] += 1
        elif keys & known_texts:
            skipped["known_text"] += 1
        elif keys & seen_texts:
            skipped["duplicate_text"] += 1
        elif not any(t.role == "agent" for t in tweets[1:]):
            skipped["no_reply"] += 1
        else:
            eligible.append(dialog_id)
            seen_texts |= keys
    rng = random.Random(seed)
    order = sorted(eligible)
    rng.shuffle(order)
    cases: list[Case] = []
    for dialog_id in order[:n]:
        tweets = dialogs[dialog_id]
        turn = rng.choice([i for i, t in enumerate(tweets) if i >= 1 and t.role == "agent"])
        cases.append(
            Case(
                id=f"{prefix}-{len(cases) + 1:03d}",
                dialog=dialog_id,
                turn=turn,
                thread=tuple(tweets[:turn]),
                draft=tweets[turn].text,
            )
        )
    return cases, skipped


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the candidates file and print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="TweetSumm export with texts (.xlsx/.jsonl)")
    parser.add_argument("--real-dev", type=Path, default=DEFAULT_REAL_DEV)
    parser.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="further case files whose conversations must be skipped (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--prefix", default="rx")
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    if out.is_relative_to(ROOT):
        parser.error("write the cases outside the repository: the corpus texts are CC BY-NC-SA")
    for path in [args.real_dev, *args.exclude]:
        if not path.is_file():
            parser.error(f"{path} not found: the conversations to skip must be read")
    dialogs = load_dialogs(args.source)
    existing = _read_jsonl(args.real_dev)
    for path in args.exclude:
        existing += _read_jsonl(path)
    ids, texts = known_conversations(existing)
    cases, skipped = build_cases(dialogs, ids, texts, n=args.n, seed=args.seed, prefix=args.prefix)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case.to_json(), ensure_ascii=False) + "\n")
    print(
        f"{len(dialogs)} dialogs read, {len(cases)} cases written to {out}; skipped: "
        + ", ".join(f"{k} {v}" for k, v in skipped.items()),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
