"""Pattern lists from rule files, compiled for speed.

Patterns are regular expressions over lower-cased text (unless a rule says otherwise).
``{name}`` inserts a fragment from the shared vocabulary (``_signals.toml``); word
boundaries are added where a pattern starts or ends with a word character, so ``"soon"``
does not match "soonest".

Speed comes from a prefilter: for each pattern we work out literal strings of which at least
one must occur for the pattern to match ("sorry" for ``sorry|apologi[sz]e`` needs either
"sorry" or "apologi"). One Aho-Corasick pass over a draft finds which literals occur, and only
the patterns that can match are run. A pattern with no usable literal always runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ahocorasick

from nudgebot.engine.rules import _regex_literals

_END = r"(?![\w])"
_SPECIAL = re.compile(r"\\.|[\[\]()|]")
_MACRO = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LOOKAHEAD_END = re.compile(r"\(\?[=!][^()]*\)$")
_NO_START_BOUNDARY = tuple("!?.,;:\"'-^\\ ([")
_NO_END_BOUNDARY = tuple("!?.,;:\"'-$ ")


class PatternError(ValueError):
    """A pattern that does not compile, or names a vocabulary entry that does not exist."""


def expand(pattern: str, vocab: Mapping[str, str], _depth: int = 0) -> str:
    """Replace ``{name}`` with the vocabulary fragment of that name, recursively."""
    if _depth > 8:
        raise PatternError(f"vocabulary nests too deeply in {pattern!r}")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vocab:
            raise PatternError(f"unknown vocabulary entry {{{name}}}")
        return "(?:" + expand(vocab[name], vocab, _depth + 1) + ")"

    return _MACRO.sub(substitute, pattern)


def _bounded(raw: str, expanded: str) -> str:
    """Add the end boundary; the start boundary is checked in Python (``Alternative.scan``).

    A leading look-behind would stop ``re`` from jumping to a literal prefix (~30x slower).
    """
    open_end = raw.endswith(_NO_END_BOUNDARY) or raw.endswith((r"\W", r"\s", r"\w", "]"))
    open_end = open_end or _LOOKAHEAD_END.search(raw) is not None
    end = "" if open_end else _END
    return f"(?:{expanded}){end}"


def _starts_bounded(raw: str) -> bool:
    return not raw.startswith(_NO_START_BOUNDARY)


class LiteralMatch:
    """A match found from the literal index alone (no regex ran): the same few methods."""

    __slots__ = ("_end", "_start", "string")

    def __init__(self, string: str, start: int, end: int) -> None:
        self.string, self._start, self._end = string, start, end

    def start(self, group: int | str = 0) -> int:
        """Where the match starts."""
        return self._start

    def end(self, group: int | str = 0) -> int:
        """Where the match ends."""
        return self._end

    def group(self, group: int = 0) -> str:
        """Return the matched text."""
        return self.string[self._start : self._end]

    def groupdict(self) -> dict[str, str | None]:
        """No named groups: a literal has none."""
        return {}


Found = re.Match[str] | LiteralMatch
Positions = Mapping[str, Sequence[int]]


@dataclass(frozen=True)
class Alternative:
    """One pattern of a list: its position, its regex source, and the literals it needs."""

    index: int
    source: str
    literals: frozenset[str] | None
    """At least one of these occurs in any text the regex matches; None: no such promise."""
    bounded: bool = False
    """A match must not start right after a letter, digit, underscore or apostrophe."""
    exact: frozenset[str] | None = None
    """When the pattern is just these texts (``sorry|apologies``): matched from the index."""
    end_bounded: bool = False

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled regex, compiled on first use (start-up compiles none)."""
        return re.compile(self.source)

    def scan(
        self, text: str, start: int = 0, end: int | None = None, positions: Positions | None = None
    ) -> Iterator[Found]:
        """Yield the matches in ``text[start:end]``, honouring the start boundary."""
        end = len(text) if end is None else end
        if self.exact is not None and positions is not None:
            yield from self._from_index(text, start, end, positions)
            return
        pos = start
        while pos <= end:
            m = self.regex.search(text, pos, end)
            if m is None:
                return
            at = m.start()
            if self.bounded and at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_'"):
                pos = at + 1
                continue
            yield m
            pos = m.end() if m.end() > at else at + 1

    def occurs(self, text: str, start: int, end: int, positions: Positions | None = None) -> bool:
        """Return whether the pattern matches in ``text[start:end]`` (as :meth:`scan` would)."""
        if self.exact is None or positions is None:
            return next(self.scan(text, start, end, positions), None) is not None
        for literal in self.exact:
            for at in positions.get(literal, ()):
                if self._fits(text, start, end, at, at + len(literal)):
                    return True
        return False

    def _fits(self, text: str, start: int, end: int, at: int, stop: int) -> bool:
        """Whether an exact text found at ``at:stop`` is a match inside ``start:end``."""
        if at < start or stop > end:
            return False
        if self.bounded and at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_'"):
            return False
        return not (self.end_bounded and stop < end and (text[stop].isalnum() or text[stop] == "_"))

    def _from_index(self, text: str, start: int, end: int, positions: Positions) -> Iterator[Found]:
        """Yield the regex's matches, worked out from where its exact texts occur."""
        assert self.exact is not None
        spans = []
        for literal in self.exact:
            for at in positions.get(literal, ()):
                stop = at + len(literal)
                if self._fits(text, start, end, at, stop):
                    spans.append((at, -stop))
        spans.sort()
        taken = start
        for at, negative_stop in spans:  # leftmost, then longest, not overlapping (like finditer)
            if at >= taken:
                taken = max(-negative_stop, at + 1)
                yield LiteralMatch(text, at, -negative_stop)


class PatternSet:
    """A compiled pattern list; the prefilter skips patterns whose literals are absent."""

    def __init__(self, alternatives: Sequence[Alternative]) -> None:
        self.alternatives = tuple(alternatives)
        self._unfiltered = tuple(alt for alt in alternatives if alt.literals is None)
        self._always = bool(self._unfiltered)
        self._any = frozenset(self.literals)
        self._by_literal: dict[str, list[Alternative]] = {}
        for alt in alternatives:
            for literal in alt.literals or ():
                self._by_literal.setdefault(literal, []).append(alt)

    def may_match(self, present: frozenset[str]) -> bool:
        """Return False when no pattern of the list can match a text with these literals."""
        return self._always or not self._any.isdisjoint(present)

    @property
    def literals(self) -> set[str]:
        """Every literal any pattern of the list may need."""
        return {lit for alt in self.alternatives for lit in alt.literals or ()}

    def _candidates(self, present: frozenset[str] | None) -> Iterable[Alternative]:
        if present is None:
            return self.alternatives
        found = self._any & present
        if not found:
            return self._unfiltered
        chosen = {id(alt): alt for lit in found for alt in self._by_literal[lit]}
        return (*self._unfiltered, *chosen.values())

    def finditer(
        self, text: str, present: frozenset[str] | None, positions: Positions | None = None
    ) -> list[tuple[int, Found]]:
        """Every match of every pattern, as (pattern index, match), in order of position."""
        found = [
            (alt.index, m)
            for alt in self._candidates(present)
            for m in alt.scan(text, positions=positions)
        ]
        found.sort(key=lambda item: (item[1].start(), item[0]))
        return found

    def matches(
        self,
        text: str,
        present: frozenset[str] | None,
        start: int = 0,
        end: int | None = None,
        positions: Positions | None = None,
    ) -> bool:
        """Return whether any pattern matches within ``text[start:end]``.

        What :meth:`search` finds, when only whether it finds something matters (signals,
        ``unless`` and ``requires``): it stops at the first pattern that matches instead of
        running every candidate to find the leftmost match.
        """
        end = len(text) if end is None else end
        return any(alt.occurs(text, start, end, positions) for alt in self._candidates(present))

    def search(
        self,
        text: str,
        present: frozenset[str] | None,
        start: int = 0,
        end: int | None = None,
        positions: Positions | None = None,
    ) -> Found | None:
        """Return the leftmost match of any pattern within ``text[start:end]``, or None."""
        end = len(text) if end is None else end
        best: Found | None = None
        for alt in self._candidates(present):
            m = next(alt.scan(text, start, end, positions), None)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best


def compile_patterns(
    patterns: Sequence[str], vocab: Mapping[str, str], *, case_sensitive: bool = False
) -> PatternSet:
    """Compile a pattern list with prefilter literals.

    A pattern that is an alternation (``a|b|c``, also after ``{vocab}`` expansion) is split into
    its branches, so a branch only runs when its own literals occur.
    """
    alternatives = []
    for index, raw in enumerate(patterns):
        for branch in _branches(expand(raw, vocab)):
            source = _bounded(branch if raw.endswith("}") else raw, branch)
            end_bounded = source.endswith(_END)
            literals = _regex_literals.required(source)
            if literals is _regex_literals.INVALID:
                try:
                    re.compile(source)
                except re.error as error:
                    raise PatternError(f"pattern {raw!r} does not compile: {error}") from None
                literals = None
            exact = None if case_sensitive else _regex_literals.exact(branch)
            if exact != literals:  # only texts the index looks for can be answered from it
                exact = None
            if literals is not None and case_sensitive:
                literals = frozenset(lit.lower() for lit in literals)  # checked on folded text
            alternatives.append(
                Alternative(
                    index, source, literals, _starts_bounded(raw), exact, end_bounded=end_bounded
                )
            )
    return PatternSet(alternatives)


def _branches(source: str, depth: int = 0) -> list[str]:
    """Split a top-level alternation into its branches (unwrapping a group around it)."""
    parts = _split_top(source)
    if len(parts) == 1:
        inner = _sole_group(source)
        if inner is None or depth > 3:
            return [source]
        return _branches(inner, depth + 1)
    return [b for part in parts for b in _branches(part, depth + 1)]


def _split_top(source: str) -> list[str]:
    """Split at the ``|`` that stand outside any group or character class."""
    parts, start = [], 0
    for char, depth, token in _structure(source):
        if char == "|" and depth == 0:
            parts.append(source[start : token.start()])
            start = token.end()
    parts.append(source[start:])
    return parts


def _sole_group(source: str) -> str | None:
    """Return the inside of ``(?:...)`` when that group is the whole pattern."""
    if not (source.startswith("(?:") and source.endswith(")")):
        return None
    for char, depth, token in _structure(source):
        if char == ")" and depth == 0 and token.end() != len(source):
            return None
    return source[3:-1]


def _structure(source: str) -> Iterator[tuple[str, int, re.Match[str]]]:
    """Yield each ``(``, ``)`` and ``|`` outside character classes, with the depth after it."""
    depth, in_class = 0, False
    for token in _SPECIAL.finditer(source):
        char = token.group()
        if len(char) == 2:  # an escape
            continue
        if in_class:
            in_class = char != "]"
            continue
        if char == "[":
            in_class = True
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char != "]":
            yield char, depth, token


class LiteralIndex:
    """Finds, in one pass, which prefilter literals occur in a text, and where."""

    def __init__(self, literals: Iterable[str]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for literal in set(literals):
            self._automaton.add_word(literal, literal)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def positions(self, text: str) -> dict[str, list[int]]:
        """Return where each literal that occurs in ``text`` starts, in order."""
        found: dict[str, list[int]] = {}
        if self._empty or not text:
            return found
        for last, literal in self._automaton.iter(text):
            found.setdefault(literal, []).append(last - len(literal) + 1)
        return found

    def present(self, text: str) -> frozenset[str]:
        """Return the literals that occur somewhere in ``text``."""
        return frozenset(self.positions(text))
