"""Which literal strings must occur in any text a regular expression matches.

``required("(?:sorry|apologi[sz]e) for")`` gives ``{" for"}`` or ``{"sorry", "apologi"}``
(whichever is the stronger filter). ``None`` means no literal of at least two characters is
certain. This is the prefilter idea of RE2's FilteredRE2, kept small: sequences pick their best
part, alternations union their branches, optional parts promise nothing.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_MIN_LENGTH = 2
_MAX_LITERALS = 64

Literals = frozenset[str] | None
INVALID: frozenset[str] = frozenset({"\x00invalid"})
"""Returned for a pattern that does not parse, so the caller can report the error."""


@lru_cache(maxsize=4096)
def required(pattern: str) -> Literals:
    """Return literals of which at least one occurs in every match, or None."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # the caller compiles the pattern itself and reports the error
        return INVALID
    return _sequence(list(parsed))


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
    run = ""

    def flush() -> None:
        nonlocal run
        if len(run) >= _MIN_LENGTH:
            candidates.append(frozenset({run}))
        run = ""

    for op, av in items:
        if op is _c.LITERAL:
            run += chr(av)
            continue
        flush()
        found = _item(op, av)
        if found is not None:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=_strength)


def _item(op: Any, av: Any) -> Literals:
    if op is _c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            union |= found
        if len(union) > _MAX_LITERALS:
            return None
        return frozenset(union)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _sequence(list(av[2]))
    if op is _c.ATOMIC_GROUP:
        return _sequence(list(av))
    return None
