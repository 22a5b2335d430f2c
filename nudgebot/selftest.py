"""Checking a rulebook against its own examples (``nudgebot rules test``) and describing it.

Every rule file carries drafts it must ``flag`` and drafts it must ``pass``. A support lead who
edits a rule runs these to see at once whether the rule still does what its examples say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nudgebot.engine.rules.checker import Context, first_match
from nudgebot.engine.rules.rulebook import Example, Rule, Rulebook

__all__ = ["ExampleFailure", "describe", "rules_dir", "run_examples"]


@dataclass(frozen=True)
class ExampleFailure:
    """A rule that does not do what one of its examples (or its lack of them) says."""

    rule: str
    expected: str
    """``flag``, ``pass``, or ``examples`` when the rule has none of a kind."""
    example: Example | None
    problem: str


def run_examples(rulebook: Rulebook) -> tuple[int, list[ExampleFailure]]:
    """Run every rule on its own examples; return how many ran and the failures.

    A ``flag`` example passes when that rule fires on it, a ``pass`` example when it does not.
    A rule with no ``flag`` or no ``pass`` examples fails too: examples are how it is checked.
    """
    ran = 0
    failures: list[ExampleFailure] = []
    for rule in rulebook.rules:
        for kind, examples in (("flag", rule.flag_examples), ("pass", rule.pass_examples)):
            if not examples:
                failures.append(
                    ExampleFailure(rule.id, "examples", None, f"has no '{kind}' examples")
                )
            for example in examples:
                ran += 1
                context = Context(rulebook, example.draft, example.customer, example.thread)
                fired = first_match(rule, context)
                if kind == "flag" and fired is None:
                    failures.append(ExampleFailure(rule.id, kind, example, "did not fire"))
                elif kind == "pass" and fired is not None:
                    quote = example.draft[fired.start : fired.end].strip()
                    where = f" on “{quote}”" if quote else ""
                    failures.append(ExampleFailure(rule.id, kind, example, f"fired{where}"))
    return ran, failures


def describe(rule: Rule, limit: int = 100) -> str:
    """Return the first sentence of the comment at the top of the rule's file (or its message).

    Rule files open with a few ``#`` lines saying what the rule is about; their first sentence
    is what ``nudgebot rules list`` shows, cut to ``limit`` characters.
    """
    try:
        lines = rule.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    comment: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("#"):
            if comment or stripped:
                break
            continue
        comment.append(stripped.lstrip("#").strip())
    text = " ".join(" ".join(comment).split()) or " ".join(rule.message.split())
    match = re.search(r"[.!?](?=\s+[A-Z\"“(])", text)
    first = text[: match.end()] if match else text
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def rules_dir(directory: Path) -> Path:
    """Return the folder holding the rule files: ``directory`` or its ``rules`` subfolder."""
    nested = directory / "rules"
    if not (directory / "_signals.toml").is_file() and nested.is_dir():
        return nested
    return directory
