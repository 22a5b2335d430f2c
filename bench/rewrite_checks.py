"""Mechanical checks of the rules' suggestions over a labelled file.

    PYTHONPATH=$PWD .venv/bin/python bench/rewrite_checks.py FILE.jsonl [FILE.jsonl ...]
        [--json] [--show N]

For every case the rules engine reviews (the draft with its customer message or thread, as in
``nudgebot eval``), and for every review that raises points (``Review.points_raised``), it
counts, without any judgement of taste:

- **suggestions given vs coaching points only**: a suggested reply, or none (the review shows
  the findings with their example sentences instead); a suggestion identical to the draft;
- **placeholders**: ``[...]`` left to fill in, per suggestion, and the share with none;
- **text after a sign-off**: the draft ends with a sign-off ("Kind regards, ...", "Yours
  faithfully", a signature such as "^KF" or "-AC") and the suggestion has words after it, or
  lost it;
- **condolence without a loss**: "sorry for your loss" or condolences that the draft did not
  have, when no one in the conversation lost a person or a pet;
- **a flagged sentence kept**: a nudge-level finding confident enough to edit (its confidence
  at least half the live threshold), of a rule whose fix removes or rewords its words, whose
  quoted words are still in the suggestion (rules whose fix is an added sentence, such as "no
  next step", are not counted; a deflection kept as the right answer in a move other than a
  handoff is counted apart);
- **lost facts**: for cases with a ``facts`` field, facts of the draft missing from the
  suggestion;
- **stock sentences added**: sentences of ``prompts/rules/_rewrite.toml`` written into the
  suggestions (the raters' first complaint was stock sentences that don't fit);
- **broken text**: a stop before a colon (". :"), a placeholder glued to a suffix
  ("]-ish"), a sentence ending on a dangling word ("and I'm."), a lower-case month or weekday.

It reads only the files named on the command line. The held-aside sets (``holdout*``,
``written-blind/``, ``*.heldaside.jsonl``) are refused unless ``--held-aside`` is given; then
only the counts are printed, never a case's text (``--show`` is refused), so nothing is tuned
on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nudgebot.engine.pipeline import ReviewEngine  # noqa: E402
from nudgebot.engine.rules.rulebook import Rulebook  # noqa: E402
from nudgebot.evaluation import Case, read_cases  # noqa: E402
from nudgebot.models import Review  # noqa: E402

PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")
SIGN_OFF_LINE = re.compile(
    r"^(?:(?:kind |warm |best |many |warmest )?(?:regards|wishes)|rgds|best|thanks|thank you|"
    r"cheers|yours(?: sincerely| truly| faithfully)?|sincerely|all the best|take care|speak soon)"
    r"[,.!]?$",
    re.I,
)
INLINE_SIGNATURE = re.compile(
    r"(?:\s\^\s?[A-Z]{1,4}|\s[-\u2013\u2014]\s?[A-Z]{1,3}|\s\*[A-Z]{1,4}|"
    r"(?<=[.!?])\s+(?:thanks|cheers|regards|rgds|best)[,.!]?\s+[A-Z][a-z]+\.?)\s*$",
    re.I,
)
CONDOLENCE = re.compile(
    r"sorry for your loss|condolence|sorry to hear (?:about )?(?:the )?loss", re.I
)
REAL_LOSS = re.compile(
    r"passed away|funeral|bereave\w*|condolence|"
    r"(?:mum|mom|mother|dad|father|husband|wife|partner|son|daughter|brother|sister|grand\w+|"
    r"friend|baby|dog|cat|uncle|aunt|nan|gran)(?:'s)? (?:has |had |just |recently )*(?:died|passed)"
    r"|death of|(?:lost|losing) (?:my|our) (?:mum|mom|mother|dad|father|husband|wife|partner|"
    r"son|daughter|brother|sister|grand\w+|baby|dog|cat)",
    re.I,
)
MONTHS = (
    "january|february|march|april|june|july|august|september|october|november|december|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
BROKEN = {
    "stop before a colon": re.compile(r"[.!?]\s*:"),
    "placeholder glued to a suffix": re.compile(r"\]-\w"),
    "dangling word before a stop": re.compile(
        r"\b(?:and|but|so|or|I'm|I am|to|the|a|an|of|with|as|because|which)[.!?](?=\s|$)"
    ),
    "lower-case month or weekday": re.compile(rf"(?<![\w/.@-])(?:{MONTHS})\b"),
}


def sign_off(draft: str) -> str | None:
    """The draft's closing block (sign-off line and what follows), or its inline signature."""
    lines = draft.rstrip().split("\n")
    for index in range(len(lines) - 1, max(len(lines) - 5, -1), -1):
        if SIGN_OFF_LINE.match(lines[index].strip()):
            return "\n".join(line.strip() for line in lines[index:]).strip()
    found = INLINE_SIGNATURE.search(draft.rstrip())
    return found.group(0).strip() if found else None


def after_sign_off(draft: str, suggestion: str) -> str | None:
    """``"after"`` when words follow the draft's sign-off, ``"lost"`` when it is gone."""
    closing = sign_off(draft)
    if closing is None:
        return None
    at = suggestion.rfind(closing)
    if at < 0:
        return "lost"
    return "after" if suggestion[at + len(closing) :].strip() else None


def loss_in(case: Case) -> bool:
    """Whether someone in the conversation lost a person or a pet."""
    texts = [turn.text for turn in case.thread] + [case.customer or ""]
    return any(REAL_LOSS.search(text) for text in texts)


def edits_words(rulebook: Rulebook, rule_id: str, move: str | None) -> bool | None:
    """Whether the rule's fix removes or rewords its words in this move (None: it adds)."""
    try:
        rule = rulebook.rule(rule_id)
    except KeyError:
        return None
    if rule.rewrite == "keep" and rule.kind != "substitution":
        return None
    moves = getattr(rule, "rewrite_moves", ())
    return not moves or move in moves


def shouting(rulebook: Rulebook, rule_id: str) -> bool:
    """Whether the rule's fix is a change of case (its words stay, lowered)."""
    try:
        return rulebook.rule(rule_id).rewrite == "lower"
    except KeyError:
        return False


def check_case(case: Case, review: Review, floor: float, rulebook: Rulebook) -> dict[str, Any]:
    """The counts for one reviewed case (see the module docstring)."""
    out: dict[str, Any] = {"id": case.id, "points": review.points_raised}
    suggestion = review.suggestion
    out["suggested"] = suggestion is not None
    if suggestion is None:
        return out
    folded = suggestion.lower()
    out["unchanged"] = suggestion.strip() == case.draft.strip()
    out["placeholders"] = len(PLACEHOLDER.findall(suggestion))
    out["sign_off"] = after_sign_off(case.draft, suggestion)
    out["condolence_no_loss"] = bool(
        CONDOLENCE.search(suggestion) and not CONDOLENCE.search(case.draft) and not loss_in(case)
    )
    kept = [
        f
        for f in review.findings
        if f.level == "nudge"
        and f.quote
        and (f.confidence is None or f.confidence >= floor)
        and (f.quote in suggestion if shouting(rulebook, f.rule) else f.quote.lower() in folded)
    ]
    editing = {f.rule: edits_words(rulebook, f.rule, review.move) for f in kept}
    out["flagged_kept"] = [f.rule for f in kept if editing[f.rule]]
    out["kept_as_information"] = [f.rule for f in kept if editing[f.rule] is False]
    out["facts_total"] = len(case.facts)
    out["facts_lost"] = [
        fact
        for fact in case.facts
        if fact.lower() in case.draft.lower() and fact.lower() not in folded
    ]
    out["stock_added"] = sum(
        1
        for spec in rulebook.templates.values()
        if (stem := spec["text"].split("{")[0].split("[")[0].strip())
        and stem in suggestion
        and stem not in case.draft
    )
    out["broken"] = [
        name
        for name, pattern in BROKEN.items()
        if len(pattern.findall(suggestion)) > len(pattern.findall(case.draft))
    ]
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures over all cases of one file."""
    raised = [r for r in rows if r["points"]]
    given = [r for r in raised if r["suggested"]]
    placeholders = Counter(min(r["placeholders"], 3) for r in given)
    return {
        "cases": len(rows),
        "points_raised": len(raised),
        "suggestions": len(given),
        "coaching_points_only": len(raised) - len(given),
        "unchanged_drafts": sum(1 for r in given if r["unchanged"]),
        "no_placeholder": sum(1 for r in given if r["placeholders"] == 0),
        "placeholders": {("3+" if k == 3 else str(k)): v for k, v in sorted(placeholders.items())},
        "more_than_two_placeholders": sum(1 for r in given if r["placeholders"] > 2),
        "text_after_sign_off": sum(1 for r in given if r["sign_off"] == "after"),
        "sign_off_lost": sum(1 for r in given if r["sign_off"] == "lost"),
        "condolence_without_loss": sum(1 for r in given if r["condolence_no_loss"]),
        "flagged_sentence_kept": sum(1 for r in given if r["flagged_kept"]),
        "kept_as_information": sum(1 for r in given if r["kept_as_information"]),
        "flagged_kept_by_rule": dict(
            Counter(rule for r in given for rule in r["flagged_kept"]).most_common()
        ),
        "facts_lost": sum(len(r["facts_lost"]) for r in given),
        "facts_checked": sum(r["facts_total"] for r in given),
        "stock_sentences_added": sum(r["stock_added"] for r in given),
        "broken_text": dict(Counter(name for r in given for name in r["broken"]).most_common()),
    }


def render(name: str, figures: dict[str, Any]) -> str:
    """The figures of one file, as lines for people."""
    given = figures["suggestions"] or 1
    share = 100 * figures["no_placeholder"] / given
    return "\n".join(
        [
            f"{name}: {figures['cases']} cases, {figures['points_raised']} raise points",
            f"  suggestions given         {figures['suggestions']}"
            f" (coaching points only: {figures['coaching_points_only']},"
            f" unchanged drafts: {figures['unchanged_drafts']})",
            f"  no placeholder            {figures['no_placeholder']} ({share:.0f}%);"
            f" by count {figures['placeholders']}; more than two:"
            f" {figures['more_than_two_placeholders']}",
            f"  text after a sign-off     {figures['text_after_sign_off']}"
            f" (sign-off lost: {figures['sign_off_lost']})",
            f"  condolence without a loss {figures['condolence_without_loss']}",
            f"  a flagged sentence kept   {figures['flagged_sentence_kept']}"
            f" {figures['flagged_kept_by_rule']}; kept as the right information in this"
            f" move: {figures['kept_as_information']}",
            f"  lost facts                {figures['facts_lost']} of {figures['facts_checked']}",
            f"  stock sentences added     {figures['stock_sentences_added']}"
            " (from _rewrite.toml, in all suggestions)",
            f"  broken text               {figures['broken_text']}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks over each file and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", type=int, default=0, help="print N suggestions with problems")
    parser.add_argument(
        "--held-aside",
        action="store_true",
        help="allow the held-aside sets: counts only, no --show",
    )
    args = parser.parse_args(argv)
    if args.held_aside and args.show:
        parser.error("--show prints cases' texts: not with --held-aside")
    for path in args.files:
        held = (
            "written-blind" in path.parts
            or "holdout" in path.name
            or path.name.endswith(".heldaside.jsonl")
        )
        if held and not args.held_aside:
            parser.error(f"{path} is held aside for blind measurement (counts: --held-aside)")
    engine = ReviewEngine()
    floor = engine.calibration.threshold / 2
    report: dict[str, Any] = {}
    for path in args.files:
        rows, shown = [], 0
        for case in read_cases(path):
            review = engine.review_rules(case.as_draft())
            row = check_case(case, review, floor, engine.rulebook)
            rows.append(row)
            problem = row.get("suggested") and (
                row["placeholders"] > 2
                or row["sign_off"]
                or row["condolence_no_loss"]
                or row["flagged_kept"]
                or row["facts_lost"]
                or row["broken"]
            )
            if problem and shown < args.show:
                shown += 1
                print(f"--- {case.id} {json.dumps({k: v for k, v in row.items() if v})}")
                print(case.draft, "\n=>", review.suggestion, sep="\n")
        report[path.name] = summarise(rows)
        if not args.json:
            print(render(path.name, report[path.name]))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
