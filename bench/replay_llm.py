"""Replay recorded model answers through the real model path and count what reaches the agent.

    PYTHONPATH=. .venv/bin/python bench/replay_llm.py [FILE.jsonl] [--json] [--show]

Each line of the file (default ``bench/data/llm-replay.jsonl``) is one invented support
situation: ``id``, ``channel`` ("chat" or "email"), ``move``, ``thread`` (the turns before the
reply, oldest first), ``draft`` and ``answer`` (the model's answer, in the schema's shape).
A hostile line also has ``hostile`` (what the answer tries), ``forbid`` (words that must not
reach the agent, in the suggestion or a finding) and ``require`` (words a suggestion that is
shown must still hold).

**Where the answers come from:** no model endpoint is reachable where this was written, so the
answers were written by hand, following ``prompts/review.system.md`` as a capable model would;
the hostile ones imitate an injected or careless model. Say so next to any figure.

The model is :class:`nudgebot.testing.FakeModelServer`, a real HTTP server on a local socket that
answers each request with the recorded answer for its draft; everything else is the real code:
``ReviewEngine.review(draft, "llm")`` with redaction, the prompt, the client, the schema, the
guard on the suggestion and on every finding. Reviews run 8 at a time.

Counted:
- **reached as written**: the suggestion and every finding reached the agent unchanged;
- **guard false alarms**: an ordinary answer the guard changed or held back (suggestion
  repaired or replaced, a finding dropped);
- **hostile caught**: no forbidden words reached the agent and a shown suggestion kept the
  required ones;
- **placeholders**: suggestions shown with a ``[placeholder]`` left to fill in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nudgebot.config import Settings  # noqa: E402
from nudgebot.engine import ReviewEngine  # noqa: E402
from nudgebot.engine.llm.reviewer import LLMReviewer  # noqa: E402
from nudgebot.engine.llm.schema import ModelReview  # noqa: E402
from nudgebot.engine.rules import default_rulebook  # noqa: E402
from nudgebot.models import ROLES, Draft, Review, Turn  # noqa: E402
from nudgebot.testing import FakeModelServer  # noqa: E402

DEFAULT_FILE = ROOT / "bench" / "data" / "llm-replay.jsonl"
CONCURRENCY = 8
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")
_WORD = re.compile(r"[a-z]{4,}")
_DRAFT = re.compile(r"<draft>\n(.*)\n</draft>", re.DOTALL)


@dataclass(frozen=True)
class ReplayCase:
    """One recorded situation and the model's answer to it."""

    id: str
    draft: Draft
    answer: dict[str, Any]
    hostile: str | None = None
    forbid: tuple[str, ...] = ()
    require: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What reached the agent for one case."""

    case: ReplayCase
    review: Review
    as_written: bool = False
    changed: list[str] = field(default_factory=list)
    caught: bool | None = None
    placeholders: int = 0


def read_cases(path: Path) -> list[ReplayCase]:
    """Read and check the replay file; a bad line raises ValueError naming it."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        data = json.loads(line)
        ModelReview.model_validate(data["answer"])  # the schema's shape, or it fails here
        thread = tuple(Turn(t["role"], t["text"]) for t in data.get("thread") or ())
        if any(turn.role not in ROLES for turn in thread):
            raise ValueError(f"{where}: a turn's role is 'customer' or 'agent'")
        hostile = data.get("hostile")
        if hostile and not (data.get("forbid") or data.get("require")):
            raise ValueError(f"{where}: a hostile case needs 'forbid' or 'require'")
        cases.append(
            ReplayCase(
                id=str(data["id"]),
                draft=Draft(
                    text=data["draft"], thread=thread, channel=data.get("channel"), id=data["id"]
                ),
                answer=data["answer"],
                hostile=hostile,
                forbid=tuple(data.get("forbid") or ()),
                require=tuple(data.get("require") or ()),
            )
        )
    ids = [case.id for case in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: two cases share an id")
    return cases


class Answers:
    """Finds the recorded answer for a request by the words of the draft it carries."""

    def __init__(self, cases: list[ReplayCase]) -> None:
        self._words = [(case, set(_WORD.findall(case.draft.text.lower()))) for case in cases]
        for case in cases:  # every draft must lead back to its own answer
            assert self._find(case.draft.text) is case, case.id

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        """Return the answer to a chat completion request (the FakeModelServer hook)."""
        content = request["messages"][-1]["content"]
        match = _DRAFT.search(content)
        return self._find(match.group(1) if match else content).answer

    def _find(self, text: str) -> ReplayCase:
        words = set(_WORD.findall(text.lower()))

        def overlap(item: tuple[ReplayCase, set[str]]) -> float:
            return len(words & item[1]) / (len(words | item[1]) or 1)

        return max(self._words, key=overlap)[0]


def replay_engine(url: str) -> ReviewEngine:
    """The real engine, with its model client pointed at the replaying server at ``url``."""
    return ReviewEngine(default_rulebook(cache_dir=None), llm=LLMReviewer(_settings(url)))


def _settings(url: str) -> Settings:
    return Settings(
        openai_api_key="replay", openai_base_url=url, model="replay", llm_cache_size=0,
        llm_timeout=30.0, cache_dir=None,
    )  # fmt: skip


async def replay(cases: list[ReplayCase], url: str) -> list[Outcome]:
    """Review every case through the real engine against the server at ``url``."""
    engine = replay_engine(url)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(case: ReplayCase) -> Outcome:
        async with slots:
            review = await engine.review(case.draft, "llm")
        return judge(case, review)

    try:
        return list(await asyncio.gather(*(one(case) for case in cases)))
    finally:
        await engine.aclose()


def judge(case: ReplayCase, review: Review) -> Outcome:
    """Compare what reached the agent with what the model wrote."""
    outcome = Outcome(case, review)
    answer = ModelReview.model_validate(case.answer)
    written = answer.suggestion if answer.needs_nudge else None
    if review.engine != "llm":
        outcome.changed.append(f"the model was not used ({review.meta.get('fallback')})")
    if review.suggestion != written:
        outcome.changed.append("suggestion repaired or replaced" if written else "suggestion added")
    shown = [(f.message, f.fix) for f in review.findings]
    dropped = [f for f in answer.findings if (f.message, f.fix) not in shown]
    if dropped:
        outcome.changed.append(f"{len(dropped)} finding(s) held back")
    outcome.as_written = not outcome.changed
    if review.suggestion:
        outcome.placeholders = len(_PLACEHOLDER.findall(review.suggestion))
    if case.hostile:
        seen = "\n".join([review.suggestion or "", *(f"{m}\n{x}" for m, x in shown)])
        leaked = [words for words in case.forbid if words in seen]
        kept = not review.suggestion or all(words in review.suggestion for words in case.require)
        outcome.caught = not leaked and kept
    return outcome


def figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """Count the outcomes."""
    ordinary = [o for o in outcomes if not o.case.hostile]
    hostile = [o for o in outcomes if o.case.hostile]
    shown = [o for o in outcomes if o.review.suggestion]
    written = [
        o for o in outcomes if o.case.answer.get("needs_nudge") and o.case.answer.get("suggestion")
    ]
    return {
        "source": "answers written by hand following the prompt (no model endpoint reachable)",
        "cases": len(outcomes),
        "ordinary": len(ordinary),
        "hostile": len(hostile),
        "reached_as_written": sum(o.as_written for o in ordinary),
        "guard_false_alarms": sum(not o.as_written for o in ordinary),
        "false_alarm_ids": [o.case.id for o in ordinary if not o.as_written],
        "hostile_caught": sum(bool(o.caught) for o in hostile),
        "hostile_missed_ids": [o.case.id for o in hostile if not o.caught],
        "suggestions_written": len(written),
        "suggestions_written_with_placeholders": sum(
            bool(_PLACEHOLDER.search(o.case.answer["suggestion"])) for o in written
        ),
        "suggestions_shown": len(shown),
        "suggestions_shown_with_placeholders": sum(o.placeholders > 0 for o in shown),
        "placeholders_shown": sum(o.placeholders for o in shown),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", action="store_true", help="print every case's outcome")
    parser.add_argument(
        "--suggestions",
        type=Path,
        help="also write the suggestions shown, for bench/rate_suggestions.py prepare",
    )
    args = parser.parse_args(argv)
    cases = read_cases(args.file)
    with FakeModelServer(answer=Answers(cases)) as server:
        outcomes = asyncio.run(replay(cases, server.url))
    result = figures(outcomes)
    if args.suggestions is not None:
        with args.suggestions.open("w", encoding="utf-8") as handle:
            for o in outcomes:
                if o.review.suggestion and not o.case.hostile:
                    turns = [{"role": t.role, "text": t.text} for t in o.case.draft.turns]
                    row = {
                        "case": o.case.id,
                        "label": "model-replay",
                        "thread": turns,
                        "draft": o.case.draft.text,
                        "suggestion": o.review.suggestion,
                    }
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if args.show:
        for o in outcomes:
            mark = "hostile " + ("caught" if o.caught else "MISSED") if o.case.hostile else ""
            state = "as written" if o.as_written else "; ".join(o.changed)
            print(f"{o.case.id:24} {state:40} {mark}")
            if o.review.note and (o.changed or o.case.hostile):
                print(f"{'':24} note: {o.review.note}")
        print()
    r = result
    print(f"Model path replay: {r['cases']} cases ({r['source']})")
    written = f"{r['reached_as_written']}/{r['ordinary']}"
    print(f"  ordinary answers reached the agent as written  {written}")
    print(f"  guard false alarms                            {r['guard_false_alarms']}")
    print(f"  hostile answers caught                        {r['hostile_caught']}/{r['hostile']}")
    print(
        f"  suggestions shown with [placeholders]          "
        f"{r['suggestions_shown_with_placeholders']}/{r['suggestions_shown']}"
        f" ({r['placeholders_shown']} placeholders)"
    )
    return 0 if not r["hostile_missed_ids"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
