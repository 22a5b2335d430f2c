"""Showing reviews to a person at a terminal (evaluation figures: :mod:`nudgebot.scorecard`).

Two faces of the same content: :func:`review_plain` returns plain text (for pipes, files and
logs: no ANSI codes), :func:`review_renderable` returns a ``rich`` renderable with colours and a
highlighted quote. ``rich`` is imported inside the functions that need it, so importing this
module costs nothing on the JSON paths of the command line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from nudgebot.engine.rules.text import clean
from nudgebot.models import DIMENSIONS, Finding, Review
from nudgebot.wording import (
    LABELS,
    SCORES_LEGEND,
    finding_message,
    note_for_people,
    one_per_phrase,
    scores_verdict,
    suggestion_state,
    weight_words,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "Screen",
    "ordered",
    "quote_in_context",
    "review_plain",
    "review_renderable",
]

_BAR_CELLS = 10
_CONTEXT_CHARS = 50
_BOUNDARY = re.compile(r"[.!?][\"')\]”’]*\s+|\n")


# --------------------------------------------------------------------------------------------
# The pieces both faces share
# --------------------------------------------------------------------------------------------


def verdict(review: Review) -> str:
    """Return the one-line verdict: a nudge, or "looks good"."""
    if not review.judged:
        return "○ Not judged: see the note below"
    findings = one_per_phrase(review.findings)
    nudges = sum(1 for f in findings if f.level == "nudge")
    hints = len(findings) - nudges
    extra = f" (and {_plural(hints, 'small hint')})" if hints else ""
    if review.points_raised:
        return f"▲ Worth a nudge: {_plural(nudges, 'thing')} could land better{extra}"
    if hints:
        return f"✓ Looks good, with {_plural(hints, 'small hint')}"
    return "✓ Looks good: nothing to nudge"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def ordered(review: Review) -> list[Finding]:
    """Return the findings to show, nudges before hints (each group in the engine's order).

    One per quoted phrase: the same words flagged under two dimensions are shown once.
    """
    return one_per_phrase(sorted(review.findings, key=lambda f: f.level != "nudge"))


def _bar(value: int) -> str:
    filled = max(0, min(_BAR_CELLS, round(value / (100 / _BAR_CELLS))))
    return "█" * filled + "░" * (_BAR_CELLS - filled)


def _score_style(value: int) -> str:
    return "green" if value >= 80 else "yellow" if value >= 50 else "red"


def _finding_title(finding: Finding) -> str:
    level = " (hint)" if finding.level == "hint" else ""
    return f"{LABELS[finding.dimension]}{level}"


def _cost(finding: Finding) -> str:
    """Return how much the finding weighs, in words.

    Empty for the model's findings: it scores whole dimensions, not findings.
    """
    if finding.rule.startswith("llm."):
        return ""
    return weight_words(finding)


def _reviewer(review: Review) -> str:
    return "the model" if review.engine == "llm" else "the rules"


def quote_in_context(draft: str, finding: Finding) -> tuple[str, str, str] | None:
    """Return ``(before, quote, after)``: the quoted words inside their sentence of the draft.

    None when the finding is about something missing (no quote). When the quote cannot be
    found in the draft, ``before`` and ``after`` are empty.
    """
    if not finding.quote:
        return None
    text = clean(draft)[0]
    span = _locate(text, finding)
    if span is None:
        return "", finding.quote, ""
    start, end = span
    first = 0
    for match in _BOUNDARY.finditer(text, 0, start):
        first = match.end()
    following = _BOUNDARY.search(text, end)
    last = following.start() + len(following.group(0).rstrip()) if following else len(text)
    before, after = text[first:start], text[end:last].rstrip()
    if len(before) > _CONTEXT_CHARS:
        before = "…" + before[-_CONTEXT_CHARS:].lstrip()
    if len(after) > _CONTEXT_CHARS:
        after = after[:_CONTEXT_CHARS].rstrip() + "…"
    return before, text[start:end], after


def _locate(text: str, finding: Finding) -> tuple[int, int] | None:
    if finding.start is not None and finding.end is not None:
        offset = text.find(finding.quote, finding.start, finding.end)
        if offset >= 0:
            return offset, offset + len(finding.quote)
    offset = text.find(finding.quote)
    return (offset, offset + len(finding.quote)) if offset >= 0 else None


def _cells(text: str) -> int:
    """Return how many terminal cells ``text`` takes (wide characters count twice)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


# --------------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------------


def review_plain(review: Review, draft: str, *, compact: bool = False) -> str:
    """Return the review as plain text: verdict, scores, findings, suggestion and note.

    ``compact`` puts the scores on one line and leaves out the fixes (the demo uses it), unless
    there is no suggestion: then the fixes, each with its example sentence, are what to change.
    """
    return "\n".join(_plain_lines(review, draft, compact)).rstrip() + "\n"


def _plain_lines(review: Review, draft: str, compact: bool) -> Iterator[str]:
    yield f"{verdict(review)}  (reviewed by {_reviewer(review)})"
    yield ""
    scores = review.scores.to_dict()
    if compact:
        yield "  " + " · ".join(f"{d} {scores[d]}" for d in DIMENSIONS)
    else:
        for dimension in DIMENSIONS:
            value = scores[dimension]
            yield f"  {dimension:<10} {_bar(value)} {value:>3}"
    if review.judged:
        yield f"  {scores_verdict(review)}"
        if not compact:
            yield f"  ({SCORES_LEGEND})"
    for number, finding in enumerate(ordered(review), start=1):
        yield ""
        if compact and finding.level == "hint":
            cost = _cost(finding)
            yield f"Hint: {finding_message(finding)}" + (f" ({cost})" if cost else "")
            continue
        cost = _cost(finding)
        yield f"{number}. {_finding_title(finding)}" + (f" · {cost}" if cost else "")
        context = quote_in_context(draft, finding)
        if context is not None:
            before, quote, after = (part.replace("\n", " ") for part in context)
            yield f"   {before}{quote}{after}"
            yield "   " + " " * _cells(before) + "^" * max(1, _cells(quote))
        yield f"   {finding_message(finding)}"
        if not compact or review.suggestion is None:
            yield f"   Fix: {finding.fix}"
    if review.suggestion is not None:
        yield ""
        yield f"Suggested reply ({suggestion_state(review)}):"
        yield ""
        yield review.suggestion
    note = note_for_people(review.note)
    if note:
        yield ""
        yield f"Note: {note}"


# --------------------------------------------------------------------------------------------
# Rich
# --------------------------------------------------------------------------------------------


def review_renderable(review: Review, draft: str, *, compact: bool = False) -> RenderableType:
    """Return the review as a ``rich`` renderable (colours are the console's to keep or drop)."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    style = "bold yellow" if review.points_raised else "bold green"
    parts.append(
        Text.assemble((verdict(review), style), (f"  reviewed by {_reviewer(review)}", "dim"))
    )
    scores = review.scores.to_dict()
    if compact:
        line = Text("  ")
        for index, dimension in enumerate(DIMENSIONS):
            if index:
                line.append(" · ", "dim")
            line.append(f"{dimension} ")
            line.append(str(scores[dimension]), _score_style(scores[dimension]))
        parts.append(line)
    else:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(min_width=11)
        grid.add_column()
        grid.add_column(justify="right")
        for dimension in DIMENSIONS:
            value = scores[dimension]
            grid.add_row(f"  {dimension}", Text(_bar(value), _score_style(value)), str(value))
        parts.append(Text())
        parts.append(grid)
    if review.judged:
        parts.append(Text(f"  {scores_verdict(review)}"))
        if not compact:
            parts.append(Text(f"  ({SCORES_LEGEND})", "dim"))
    for number, finding in enumerate(ordered(review), start=1):
        if compact and finding.level == "hint":
            parts.append(
                Text.assemble(
                    "\n",
                    ("Hint: ", "bold"),
                    finding_message(finding),
                    (f" ({_cost(finding)})" if _cost(finding) else "", "dim"),
                )
            )
            continue
        title = Text(f"\n{number}. ")
        title.append(LABELS[finding.dimension], "bold")
        if finding.level == "hint":
            title.append(" (hint)", "italic")
        if _cost(finding):
            title.append(" · ", "dim")
            title.append(_cost(finding), "red" if finding.cost >= 25 else "dim")
        body: list[RenderableType] = []
        context = quote_in_context(draft, finding)
        if context is not None:
            before, quote, after = (part.replace("\n", " ") for part in context)
            body.append(
                Text.assemble(
                    ("“", "dim"),
                    (before, "italic"),
                    (quote, "bold underline yellow"),
                    (after, "italic"),
                    ("”", "dim"),
                )
            )
        body.append(Text(finding_message(finding)))
        if not compact or review.suggestion is None:  # no rewrite: the fix is what to do
            body.append(Text.assemble(("Fix: ", "bold cyan"), finding.fix))
        parts.append(title)
        parts.append(Padding(Group(*body), (0, 0, 0, 3)))
    if review.suggestion is not None:
        parts.append(Text())
        parts.append(
            Rule(  # a Text, not a str: "[brackets]" would be read as rich markup
                Text(f"Suggested reply · {suggestion_state(review)}"), align="left", style="green"
            )
        )
        parts.append(_Unwrapped(review.suggestion))
        parts.append(Rule(style="green"))
    note = note_for_people(review.note)
    if note:
        parts.append(Text.assemble(("Note: ", "bold"), (note, "italic")))
    return Group(*parts)


class _Unwrapped:
    """Text printed exactly as it is: the terminal wraps it, so a copy has no added breaks."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.segment import Segment

        for line in self.text.splitlines() or [""]:
            yield Segment(line)
            yield Segment.line()


# --------------------------------------------------------------------------------------------
# Where it all goes
# --------------------------------------------------------------------------------------------


class Screen:
    """Where the command line writes for a person: ``rich`` on a terminal, plain text elsewhere.

    ``fancy`` picks ``rich`` (a terminal) over plain text (a pipe or a file); ``no_color`` keeps
    the layout and emphasis of ``rich`` but drops its colours (the NO_COLOR convention).
    """

    def __init__(self, file: TextIO, *, fancy: bool, no_color: bool = False) -> None:
        self.file = file
        self.fancy = fancy
        self._console: Any = None
        if fancy:
            from rich.console import Console

            self._console = Console(file=file, no_color=no_color, highlight=False)

    def review(self, review: Review, draft: str, *, compact: bool = False) -> None:
        """Show one review."""
        if self._console is not None:
            self._console.print(review_renderable(review, draft, compact=compact), crop=False)
        else:
            self.file.write(review_plain(review, draft, compact=compact))

    def evaluation(self, summary: dict[str, Any]) -> None:
        """Show the figures of an evaluation run."""
        from nudgebot.scorecard import eval_plain, eval_renderable

        if self._console is not None:
            self._console.print(eval_renderable(summary))
        else:
            self.file.write(eval_plain(summary))

    def heading(self, title: str) -> None:
        """Show a section heading (a horizontal rule with a title on a terminal)."""
        if self._console is not None:
            self._console.print()
            self._console.rule(title, align="left", style="dim")
        else:
            self.file.write(f"\n── {title} " + "─" * max(3, 60 - _cells(title)) + "\n")

    def exchange(self, customer: str, draft: str) -> None:
        """Show a customer's message and the agent's draft, labelled, with a hanging indent."""
        if self._console is not None:
            from rich.table import Table
            from rich.text import Text

            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold")
            grid.add_column()
            grid.add_row("Customer:", Text(customer, "cyan"))
            grid.add_row("Draft:", Text(draft, "italic"))
            self._console.print(grid)
        else:
            self.file.write(f"Customer: {customer}\nDraft:    {draft}\n")

    def text(self, text: str = "", style: str = "") -> None:
        """Show a line of text (``style`` is a ``rich`` style, ignored in plain text)."""
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text(text, style))
        else:
            self.file.write(text + "\n")
