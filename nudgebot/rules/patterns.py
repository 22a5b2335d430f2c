"""Pattern lists from rule files compiled into one regular expression each.

Patterns are regular expressions over lower-cased text (unless a rule says otherwise).
``{name}`` inserts a fragment from the shared vocabulary (``_signals.toml``); word
boundaries are added where a pattern starts or ends with a word character, so
``"soon"`` does not match "soonest". Named groups such as ``(?P<party>...)`` may be used in
several patterns of one list: :func:`group` finds whichever matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_MACRO = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")
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
    start = "" if raw.startswith(_NO_START_BOUNDARY) else r"(?<![\w'])"
    open_end = raw.endswith(_NO_END_BOUNDARY) or raw.endswith(r"\W") or _LOOKAHEAD_END.search(raw)
    end = "" if open_end else r"(?![\w])"
    return f"{start}(?:{expanded}){end}"


def compile_patterns(patterns: Sequence[str], vocab: Mapping[str, str]) -> re.Pattern[str]:
    """Compile a pattern list into one alternation; group ``_pN`` marks which one matched."""
    parts = []
    for index, raw in enumerate(patterns):
        expanded = expand(raw, vocab)
        expanded = _NAMED_GROUP.sub(rf"(?P<\1__{index}>", expanded)
        parts.append(f"(?P<_p{index}>{_bounded(raw, expanded)})")
    source = "|".join(parts) if parts else r"(?!x)x"
    try:
        return re.compile(source)
    except re.error as error:
        for raw in patterns:
            try:
                re.compile(expand(raw, vocab))
            except re.error as inner:
                raise PatternError(f"pattern {raw!r} does not compile: {inner}") from None
        raise PatternError(f"patterns do not compile together: {error}") from None


def which(match: re.Match[str]) -> int:
    """Return the index of the pattern that produced ``match``."""
    name = match.lastgroup or "_p0"
    return int(name[2:]) if name.startswith("_p") else 0


def group(match: re.Match[str], name: str) -> str | None:
    """Return the text of the named group ``name`` from whichever pattern matched."""
    for key, value in match.groupdict().items():
        if value is not None and key.split("__", 1)[0] == name:
            return value
    return None
