"""Measuring the engine on a labelled file (the format of ``shared/eval/dev.jsonl``).

Pure functions: :func:`read_cases` parses the file (naming the line of any bad record),
:func:`evaluate` runs a review function over the cases and counts what DESIGN.md asks for;
:func:`evaluate_concurrently` does the same with an async review function (the model path),
a bounded number of cases at a time.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nudgebot.models import DIMENSIONS, MOVES, Draft, Review, ThreadError, Turn, thread_from_data


class CaseError(ValueError):
    """A line of an evaluation file that cannot be read."""


@dataclass(frozen=True)
class Case:
    """One labelled draft."""

    id: str
    draft: str
    customer: str | None
    needs_nudge: bool
    dimensions: tuple[str, ...]
    facts: tuple[str, ...]
    thread: tuple[Turn, ...] = ()
    move: str | None = None
    """The labelled move of the reply, when the file gives one."""

    def as_draft(self, text: str | None = None) -> Draft:
        """Return the case as the engine sees it: the draft (or ``text``) and its conversation."""
        return Draft(
            text=self.draft if text is None else text,
            customer=self.customer,
            thread=self.thread,
            id=self.id,
        )


def read_cases(path: Path) -> list[Case]:
    """Read every case of a JSON Lines file; a bad line raises :class:`CaseError` naming it."""
    with path.open(encoding="utf-8") as handle:
        return list(parse_cases(handle, str(path)))


def parse_cases(lines: Iterable[str], source: str = "<input>") -> Iterator[Case]:
    """Parse labelled cases from JSON Lines, skipping blank lines."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise CaseError(f"{source}:{number}: not valid JSON ({error.msg})") from None
        yield _case(data, f"{source}:{number}")


def _case(data: Any, where: str) -> Case:
    if not isinstance(data, dict):
        raise CaseError(f"{where}: expected a JSON object")
    draft, label = data.get("draft"), data.get("needs_nudge")
    if not isinstance(draft, str) or not isinstance(label, bool):
        raise CaseError(f"{where}: needs a string 'draft' and a boolean 'needs_nudge'")
    dimensions = tuple(data.get("dimensions") or ())
    unknown = [d for d in dimensions if d not in DIMENSIONS]
    if unknown:
        raise CaseError(f"{where}: unknown dimension {unknown[0]!r}")
    customer = data.get("customer")
    try:
        thread = thread_from_data(data.get("thread"))
    except ThreadError as error:
        raise CaseError(f"{where}: {error}") from None
    move = data.get("move")
    if move is not None and move not in MOVES:
        raise CaseError(f"{where}: unknown move {move!r}")
    return Case(
        id=str(data.get("id", where)),
        draft=draft,
        customer=customer if isinstance(customer, str) else None,
        needs_nudge=label,
        dimensions=dimensions,
        facts=tuple(str(f) for f in data.get("facts") or ()),
        thread=thread,
        move=move,
    )


@dataclass
class Outcome:
    """What happened to one case."""

    case: Case
    review: Review
    facts_kept: bool | None = None
    recheck_passed: bool | None = None


@dataclass
class Metrics:
    """Counts over a run, and the figures derived from them."""

    outcomes: list[Outcome] = field(default_factory=list)

    def _count(self, predicted: bool, actual: bool) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.review.needs_nudge == predicted and o.case.needs_nudge == actual
        )

    @property
    def precision(self) -> float:
        """Share of nudges that were deserved."""
        return _ratio(self._count(True, True), self._count(True, True) + self._count(True, False))

    @property
    def recall(self) -> float:
        """Share of deserved nudges that were given."""
        return _ratio(self._count(True, True), self._count(True, True) + self._count(False, True))

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    @property
    def false_nudge_rate(self) -> float:
        """Share of good replies that were nudged anyway."""
        return _ratio(
            self._count(True, False), self._count(True, False) + self._count(False, False)
        )

    def dimension_recall(self, dimension: str) -> tuple[int, int]:
        """(found, labelled): cases with a real problem in ``dimension`` that a finding named."""
        labelled = [o for o in self.outcomes if dimension in o.case.dimensions]
        found = [
            o
            for o in labelled
            if any(f.dimension == dimension for f in o.review.findings if f.level == "nudge")
        ]
        return len(found), len(labelled)

    @property
    def facts_kept(self) -> tuple[int, int]:
        """(kept, suggestions): suggestions that keep every labelled fact of their draft."""
        judged = [o for o in self.outcomes if o.facts_kept is not None]
        return sum(1 for o in judged if o.facts_kept), len(judged)

    @property
    def recheck_passed(self) -> tuple[int, int]:
        """(passed, suggestions): suggestions that the engine itself would not nudge."""
        judged = [o for o in self.outcomes if o.recheck_passed is not None]
        return sum(1 for o in judged if o.recheck_passed), len(judged)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


EVAL_CONCURRENCY = 8
"""How many cases :func:`evaluate_concurrently` reviews at once by default."""


def evaluate(cases: Iterable[Case], review: Callable[[Draft], Review]) -> Metrics:
    """Review every case, then re-review each suggestion, and collect the metrics."""
    metrics = Metrics()
    for case in cases:
        result = review(case.as_draft())
        outcome = Outcome(case, result)
        if result.suggestion is not None:
            outcome.facts_kept = all(fact in result.suggestion for fact in case.facts)
            again = review(case.as_draft(result.suggestion))
            outcome.recheck_passed = not again.needs_nudge
        metrics.outcomes.append(outcome)
    return metrics


async def evaluate_concurrently(
    cases: Iterable[Case],
    review: Callable[[Draft], Awaitable[Review]],
    limit: int = EVAL_CONCURRENCY,
) -> Metrics:
    """Like :func:`evaluate`, with up to ``limit`` cases in flight; outcomes keep their order.

    A case's review and the re-review of its suggestion run one after the other; different
    cases overlap. The first error (a draft that cannot be reviewed) cancels the rest.
    """
    import asyncio  # here: the rules path (check, eval --engine rules) never pays for it

    slots = asyncio.Semaphore(max(1, limit))

    async def one(case: Case) -> Outcome:
        async with slots:
            result = await review(case.as_draft())
            outcome = Outcome(case, result)
            if result.suggestion is not None:
                outcome.facts_kept = all(fact in result.suggestion for fact in case.facts)
                again = await review(case.as_draft(result.suggestion))
                outcome.recheck_passed = not again.needs_nudge
            return outcome

    tasks = [asyncio.ensure_future(one(case)) for case in cases]
    try:
        outcomes = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return Metrics(outcomes=list(outcomes))
