"""Running the rules over a draft: context signals first, then each rule once.

A rule produces at most one finding per draft (its first match that survives its ``unless``),
so one habit costs its points once and the review stays short enough to read.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from nudgebot.engine.rules.patterns import Found, PatternSet, Positions
from nudgebot.engine.rules.rulebook import Rule, Rulebook, Scope, Signal
from nudgebot.engine.rules.text import (
    Sentence,
    fold,
    lower,
    mask,
    rough_word_count,
    sentence_at,
    sentence_index,
    sentences,
    step_stem,
)
from nudgebot.models import Finding, Move, Turn


class Context:
    """A draft prepared for matching, with its conversation and lazily computed signals.

    Signals read one of four texts (``in`` in ``_signals.toml``): ``draft``; ``customer``, the
    customer's last message; ``thread``, every customer turn of the conversation; and
    ``agent_before``, what agents already wrote in it. ``customer`` alone is a one-turn thread.
    """

    def __init__(
        self,
        rulebook: Rulebook,
        draft: str,
        customer: str | None = None,
        thread: tuple[Turn, ...] = (),
    ) -> None:
        self.rulebook = rulebook
        self.text = draft
        self.masked = mask(draft)
        self.folded = lower(self.masked)
        self._sentences: list[Sentence] | None = None
        if not customer:
            customer = next((t.text for t in reversed(thread) if t.role == "customer"), None)
        self.customer = customer or ""
        self.thread = thread
        self._customer_folded: str | None = None
        self._positions: dict[str, list[int]] | None = None
        self._present: frozenset[str] | None = None
        self._customer_positions: dict[str, list[int]] | None = None
        self._customer_present: frozenset[str] | None = None
        self._others: dict[str, _Text] = {}
        self._signals: dict[str, bool] = {}
        self._move: Move | None = None
        self._hits: dict[bool, list[Hit]] = {}
        self._pattern_matches: dict[str, list[tuple[int, Found]]] = {}
        self._versions: weakref.WeakValueDictionary[str, Context] | None = None

    def derive(self, draft: str) -> Context:
        """Return a context for a new version of the draft, reusing all customer-side work.

        The rewrite often comes back to a text it has already read (a round that adds
        nothing, the draft itself), so the versions of one review's draft that are still in
        use are handed back with all their work done: literals, signals and hits. A context
        depends only on its text and the conversation, so that is safe. They are known by weak
        reference: a strong one would make every context part of a reference cycle, left for
        the garbage collector.
        """
        if self._versions is None:
            self._versions = weakref.WeakValueDictionary({self.text: self})
        known = self._versions.get(draft)
        if known is not None:
            return known
        other = Context(self.rulebook, draft, None)
        other._versions = self._versions
        self._versions[draft] = other
        other.customer = self.customer
        other.thread = self.thread
        other._customer_folded = self._customer_folded
        other._customer_present = self._customer_present
        other._customer_positions = self._customer_positions
        other._others = self._others
        conversation = self.rulebook.conversation_signals
        other._signals = {
            name: value for name, value in self._signals.items() if name in conversation
        }
        return other

    @property
    def move(self) -> Move:
        """What the reply does: the first move in the rulebook's order whose signal holds."""
        if self._move is None:
            found = (m for m in self.rulebook.moves if self.signal(f"move_{m}"))
            self._move = next(found, self.rulebook.default_move)
        return cast(Move, self._move)  # mypy keeps None in a narrowed Literal union

    def _text(self, source: str) -> _Text:
        """Return the text of ``thread`` or ``agent_before``, folded, with its literals."""
        found = self._others.get(source)
        if found is None:
            role = "customer" if source == "thread" else "agent"
            turns = [t.text for t in self.thread if t.role == role]
            if source == "thread" and not turns and self.customer:
                turns = [self.customer]
            masked = mask("\n".join(turns))
            folded = lower(masked)
            positions = self.rulebook.index.positions(folded)
            found = _Text(masked, folded, frozenset(positions), positions)
            self._others[source] = found
        return found

    @property
    def sentences(self) -> list[Sentence]:
        """The draft's sentences (computed on first use)."""
        if self._sentences is None:
            self._sentences = sentences(self.folded)
        return self._sentences

    @property
    def present(self) -> frozenset[str]:
        """The prefilter literals that occur in the draft (computed on first use)."""
        if self._present is None:
            self._present = frozenset(self.positions)
        return self._present

    @property
    def positions(self) -> dict[str, list[int]]:
        """Where each prefilter literal occurs in the draft (computed on first use)."""
        if self._positions is None:
            self._positions = self.rulebook.index.positions(self.folded)
        return self._positions

    @property
    def customer_positions(self) -> dict[str, list[int]]:
        """Where each prefilter literal occurs in the customer's message."""
        if self._customer_positions is None:
            self._customer_positions = self.rulebook.index.positions(self.customer_folded)
        return self._customer_positions

    @property
    def customer_present(self) -> frozenset[str]:
        """The prefilter literals that occur in the customer's message."""
        if self._customer_present is None:
            self._customer_present = frozenset(self.customer_positions)
        return self._customer_present

    @property
    def customer_masked(self) -> str:
        """The customer's message with non-prose blanked out, case kept."""
        return mask(self.customer)

    @property
    def customer_folded(self) -> str:
        """The customer's message, folded for matching (computed on first use)."""
        if self._customer_folded is None:
            self._customer_folded = fold(self.customer)
        return self._customer_folded

    def signal(self, name: str) -> bool:
        """Return whether a signal holds; ``!name`` negates it.

        Most calls ask again for a signal already known, so that is looked up first.
        """
        cached = self._signals.get(name)
        if cached is not None:
            return cached
        if name.startswith("!"):
            return not self.signal(name[1:])
        self._signals[name] = False  # guards against cycles between signals
        cached = self._evaluate(self.rulebook.signals[name])
        self._signals[name] = cached
        return cached

    def signal_in(self, name: str, start: int, end: int) -> bool:
        """Return whether a draft signal's patterns occur within ``text[start:end]``.

        For the rewrite, which asks of one clause or one cut what :meth:`signal` asks of the
        whole draft ("does this clause only disclaim?"). An unknown or pattern-less signal: no.
        """
        signal = self.rulebook.signals.get(name)
        if signal is None or signal.pattern is None:
            return False
        text = self.masked if signal.case_sensitive else self.folded
        return signal.pattern.matches(text, self.present, start, end, self.positions)

    def _evaluate(self, signal: Signal) -> bool:
        if signal.all_of and not all(self.signal(other) for other in signal.all_of):
            return False
        if signal.pattern is None and not signal.any_of and signal.max_words is None:
            return True  # only ``all``: the conjunction alone
        text, present, positions = self._read(signal)
        if signal.max_words is not None and rough_word_count(text) <= signal.max_words:
            return True
        if signal.same is not None:
            named = self._steps(self.rulebook.signals[signal.same])
            return bool(named) and bool(named & self._steps(signal))
        if signal.pattern is not None and signal.pattern.matches(text, present, 0, None, positions):
            return True
        return any(self.signal(other) for other in signal.any_of)

    def _read(self, signal: Signal) -> tuple[str, frozenset[str], Positions]:
        """Return the text a signal reads (as its case wants), its literals and their places."""
        if signal.source == "draft":
            text = self.masked if signal.case_sensitive else self.folded
            return text, self.present, self.positions
        if signal.source == "customer":
            text = self.customer_masked if signal.case_sensitive else self.customer_folded
            return text, self.customer_present, self.customer_positions
        other = self._text(signal.source)
        text = other.masked if signal.case_sensitive else other.folded
        return text, other.present, other.positions

    def _steps(self, signal: Signal) -> set[str]:
        """Return the steps a signal's matches name (their ``step`` group, by word stem)."""
        text, present, positions = self._read(signal)
        assert signal.pattern is not None  # the rulebook checks it
        return {
            step_stem(m.group("step"))
            for _, m in signal.pattern.finditer(text, present, positions)
            if isinstance(m, re.Match) and m.group("step")
        }

    def scope(self, scope: Scope, start: int, end: int) -> tuple[int, int]:
        """Return the span of the draft that ``scope`` means around the match ``start:end``."""
        if scope == "draft" or not self.sentences:
            return 0, len(self.text)
        sentence = sentence_at(self.sentences, start)
        if scope == "after":
            return end, max(end, sentence.end)
        if scope == "before":
            return sentence.start, start
        if scope == "following":
            index = sentence_index(self.sentences, start)
            last = self.sentences[min(index + 1, len(self.sentences) - 1)]
            return end, max(end, last.end)
        return sentence.start, sentence.end


@dataclass(frozen=True)
class _Text:
    masked: str
    folded: str
    present: frozenset[str]
    positions: dict[str, list[int]]


@dataclass(frozen=True)
class Match:
    """Where a rule fired, and which of its patterns (or swaps) fired."""

    start: int
    end: int
    index: int
    groups: dict[str, str]


@dataclass(frozen=True)
class Hit:
    """A rule that fired: the rule, where, and the finding it makes."""

    rule: Rule
    match: Match
    finding: Finding


def check(context: Context, *, hints: bool = True) -> list[Hit]:
    """Return the hits of every rule on the prepared draft, in rule order.

    ``hints=False`` skips hint-level rules that only cost points (the rewrite's re-check needs
    only what it would mend). The hits are kept on the context: the rewrite asks again for
    texts it has checked before (see :meth:`Context.derive`).
    """
    known = context._hits.get(hints)
    if known is None and not hints and True in context._hits:
        known = [hit for hit in context._hits[True] if _mends(hit.rule)]
    if known is None:
        known = [
            Hit(rule, found, to_finding(rule, context, found))
            for rule in context.rulebook.rules
            if hints or _mends(rule)
            if (found := first_match(rule, context)) is not None
        ]
    context._hits[hints] = known
    return list(known)


def _mends(rule: Rule) -> bool:
    """Whether the rewrite acts on the rule: every rule but the hints that only cost points."""
    return rule.level != "hint" or rule.kind == "substitution"


def first_match(rule: Rule, context: Context) -> Match | None:
    """Return where ``rule`` fires on the draft, or None."""
    prefiltered = rule.kind != "conditional"
    if prefiltered and rule.pattern is not None and not rule.pattern.may_match(context.present):
        return None
    if rule.moves and context.move not in rule.moves:
        return None
    if not all(context.signal(name) for name in rule.when):
        return None
    if rule.kind == "occurrence":
        return _occurrence(rule, context)
    if rule.kind == "conditional":
        return _conditional(rule, context)
    return next(_matches(rule, context), None)


def all_matches(rule: Rule, context: Context) -> Iterator[Match]:
    """Every place an existence or substitution rule fires (the rewrite mends them all)."""
    if rule.moves and context.move not in rule.moves:
        return
    if rule.kind in ("existence", "substitution") and all(context.signal(n) for n in rule.when):
        yield from _matches(rule, context)


def _pattern_matches(rule: Rule, context: Context) -> list[tuple[int, Found]]:
    """Return every match of the rule's patterns in the draft (before its ``unless``).

    Kept on the context: the check wants the first, the rewrite then asks for them all.
    """
    found = context._pattern_matches.get(rule.id)
    if found is None:
        assert rule.pattern is not None
        text = context.masked if rule.case_sensitive else context.folded
        found = rule.pattern.finditer(text, context.present, context.positions)
        context._pattern_matches[rule.id] = found
    return found


def _matches(rule: Rule, context: Context) -> Iterator[Match]:
    draft_wide: bool | None = None  # an unless over the whole draft is the same for every match
    for index, m in _pattern_matches(rule, context):
        if rule.unless is not None:
            if rule.unless_scope != "draft":
                if _found(rule.unless, context, rule.unless_scope, m):
                    continue
            else:
                if draft_wide is None:
                    draft_wide = _found(rule.unless, context, "draft", m)
                if draft_wide:
                    return
        groups = {k: context.text[m.start(k) : m.end(k)] for k, v in m.groupdict().items() if v}
        yield Match(m.start(), m.end(), index, groups)


def _found(pattern: PatternSet, context: Context, scope: Scope, m: Found) -> bool:
    start, end = context.scope(scope, m.start(), m.end())
    return pattern.matches(context.folded, context.present, start, end, context.positions)


def _occurrence(rule: Rule, context: Context) -> Match | None:
    if rule.count == "words":
        words = rough_word_count(context.folded)
        too_many = rule.max is not None and words > rule.max
        too_few = rule.min is not None and 0 < words < rule.min
        if too_many or too_few:
            return Match(0, len(context.text.rstrip()), 0, {})
        return None
    found = list(_matches(rule, context))
    if rule.max is not None and len(found) > rule.max:
        return found[rule.max]
    if rule.min is not None and len(found) < rule.min:
        return Match(0, 0, 0, {})
    return None


def _conditional(rule: Rule, context: Context) -> Match | None:
    assert rule.requires is not None
    if rule.pattern is None:  # the draft as a whole must meet the requirement
        if rule.requires.matches(context.folded, context.present, 0, None, context.positions):
            return None
        return Match(0, 0, 0, {})
    for found in _matches(rule, context):
        start, end = context.scope(rule.requires_scope, found.start, found.end)
        if not rule.requires.matches(
            context.folded, context.present, start, end, context.positions
        ):
            return found
    return None


def to_finding(rule: Rule, context: Context, found: Match) -> Finding:
    """Turn a match into the finding a person reads."""
    quote = context.text[found.start : found.end].strip()
    message = rule.message.replace("{quote}", quote)
    if rule.kind == "substitution":
        message = message.replace("{replacement}", rule.swaps[found.index])
    return Finding(
        dimension=rule.dimension,
        rule=rule.id,
        quote=quote,
        message=message,
        fix=next((fix for name, fix in rule.fix_when if context.signal(name)), rule.fix),
        cost=rule.cost,
        level=rule.level,
        start=found.start if quote else None,
        end=found.end if quote else None,
    )
