"""Which literal strings must occur in any text a regular expression matches.

``required("(?:sorry|apologi[sz]e) for")`` gives ``{" for"}`` or ``{"sorry", "apologi"}``
(whichever is the stronger filter). ``None`` means no literal of at least two characters is
certain. This is the prefilter idea of RE2's FilteredRE2, kept small: sequences pick their best
part, alternations union their branches, optional parts promise nothing.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_MIN_LENGTH = 2
_MAX_LITERALS = 64

Literals = frozenset[str] | None
INVALID: frozenset[str] = frozenset({"\x00invalid"})
"""Returned for a pattern that does not parse, so the caller can report the error."""


_FORMAT = 5  # bump when the extraction changes, so cached results are not reused
_memo: dict[str, Literals] = {}
_unsaved = False


def required(pattern: str) -> Literals:
    """Return literals of which at least one occurs in every match, or None."""
    return _remembered(pattern, lambda parsed: _sequence(list(parsed)), INVALID)


def exact(pattern: str) -> frozenset[str] | None:
    """Return the texts a pattern matches when it is only literal text, else None.

    A pattern with a capturing group is never "only literal text": its groups are read.
    """

    def texts(parsed: Any) -> frozenset[str] | None:
        found = None if parsed.state.groups > 1 else _exact_sequence(list(parsed))
        return frozenset(found) if found and all(found) else None

    return _remembered("=" + pattern, texts, None)


def _remembered(key: str, work_out: Callable[[Any], Literals], invalid: Literals) -> Literals:
    """Parse the pattern (the key, less an optional "=") once, ever: memo and disk cache."""
    global _unsaved
    if key in _memo:
        return _memo[key]
    try:
        parsed = _parser.parse(key[1:] if key.startswith("=") else key)
    except Exception:  # the caller compiles the pattern itself and reports the error
        return invalid
    found = work_out(parsed)
    _memo[key] = found
    _unsaved = True
    return found


def load_cache(folder: Path) -> None:
    """Fill the memo from ``folder`` (parsing a pattern is most of the rules' load time)."""
    try:
        data = json.loads((folder / f"literals-{_FORMAT}.json").read_text(encoding="utf-8"))
        for pattern, literals in data.items():
            _memo.setdefault(pattern, None if literals is None else frozenset(literals))
    except (OSError, ValueError, TypeError, AttributeError):
        return  # no cache, or a damaged one: it is rebuilt


def save_cache(folder: Path) -> None:
    """Write the memo to ``folder`` if it learnt anything; failures are silently ignored."""
    global _unsaved
    if not _unsaved:
        return
    data = {
        pattern: None if lits is None else sorted(lits)
        for pattern, lits in _memo.items()
        if lits is not INVALID
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, folder / f"literals-{_FORMAT}.json")
        _unsaved = False
    except OSError:
        return


# Words so common in replies that a filter on them lets almost everything through.
_COMMON = frozenset(
    """
    a an the to of and or but in on at by for with from as is are was were be been being it its
    it's this that that's these those there here i i'm i'll i've me my we we're we'll our us you
    you're your yours he she they them their his her have has had do does did not no yes can
    will would could should may might must just so if then than also about up out all any some
    what when where which who how why please thanks thank hi now get got go going one more very
    """.split()
)


def _strength(literals: frozenset[str]) -> tuple[int, int]:
    """Rank a literal set as a filter: rare, long words first, then fewer of them."""
    weakest = min(0 if lit.strip(" '") in _COMMON else len(lit.strip()) for lit in literals)
    return weakest, -len(literals)


def _sequence(items: list[tuple[Any, Any]]) -> Literals:
    candidates: list[frozenset[str]] = []
    runs: set[str] = {""}  # the literal texts the items so far can spell, joined up

    def flush() -> None:
        nonlocal runs
        if runs and all(len(run) >= _MIN_LENGTH or not run.isascii() for run in runs):
            candidates.append(frozenset(runs))
        runs = {""}

    for op, av in items:
        exact = _exact(op, av)
        if exact is not None and len(runs) * len(exact) <= _MAX_LITERALS:
            runs = {run + tail for run in runs for tail in exact}
            continue
        flush()
        found = _item(op, av)
        if found is not None:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=_strength)


def _exact(op: Any, av: Any) -> set[str] | None:
    """Return the few exact texts an item matches (``(?:a|bc)?``: "", "a", "bc"), or None."""
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.SUBPATTERN:
        return _exact_sequence(list(av[-1]))
    if op is _c.BRANCH:
        return _union(av[1], _exact_sequence)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
        inner = _exact_sequence(list(av[2]))
        return None if inner is None else inner | {""}
    return None


def _union(
    branches: list[Any], of: Callable[[list[tuple[Any, Any]]], Collection[str] | None]
) -> set[str] | None:
    """Join what each branch of an alternation gives; None if any branch gives None."""
    union: set[str] = set()
    for branch in branches:
        found = of(list(branch))
        if found is None:
            return None
        union |= set(found)
    return union if len(union) <= _MAX_LITERALS else None


def _exact_sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    texts = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None or len(texts) * len(exact) > _MAX_LITERALS:
            return None
        texts = {text + tail for text in texts for tail in exact}
    return texts


def _item(op: Any, av: Any) -> Literals:
    if op is _c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is _c.BRANCH:
        union = _union(av[1], _sequence)
        return None if union is None else frozenset(union)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _sequence(list(av[2]))
    if op is _c.ATOMIC_GROUP:
        return _sequence(list(av))
    return None
