"""Would a coach interrupt this reply? The live decision, made once per reply.

A finding's confidence says how likely its own point is right; whether to interrupt an agent is
a question about the whole reply. This module names what a reply-level model looks at:

- which rules found something (and at which level), their dimensions, and the dimensions with
  the reply's move;
- the move, the situation (the reading and a few more signals) and how far into the
  conversation the reply is;
- light lexical features: hashed word unigrams and bigrams of the draft (``d:`` and a bucket
  number, never the words themselves). The customer's words were tried too, and added nothing
  under cross-validation (docs/quality.md).

The weights are data (the ``[reply]`` table of ``prompts/calibration.toml``), fitted by
``bench/fit_decision.py``; here the decision is a dot product and a sigmoid.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

from nudgebot.engine.rules.checker import Context
from nudgebot.models import Finding

BUCKETS = 4096
"""How many hash buckets the word n-grams of each text fall into."""

_TOKEN = re.compile(r"https?://\S+|@\w+|\d+|[a-z]+(?:'[a-z]+)?|[?!]")
_CRC: dict[str, int] = {}
_CRC_SIZE = 50_000
"""Words seen before keep their checksum (bounded: the vocabulary of support replies is small)."""


def tokens(text: str) -> list[str]:
    """Return the words of ``text``, lower-cased; links, handles and numbers as one token each."""
    return [
        word if word[0] >= "a" and not word.startswith("http") else _stand_in(word)
        for word in _TOKEN.findall(text.lower().replace("\u2019", "'"))
    ]


def _stand_in(token: str) -> str:
    """Return what a link, a handle or a number counts as (other tokens stay as they are)."""
    if token.startswith("http"):
        return "<url>"
    if token[0] == "@":
        return "<at>"
    return "<num>" if token[0].isdigit() else token


def _crc(word: str) -> int:
    """Return the CRC-32 of ``word`` (cached)."""
    value = _CRC.get(word)
    if value is None:
        value = zlib.crc32(word.encode())
        if len(_CRC) < _CRC_SIZE:
            _CRC[word] = value
    return value


def buckets(text: str) -> set[int]:
    """Return the hash buckets of the word unigrams and bigrams of ``text``.

    A bigram's bucket is the CRC-32 of "first second" (continued from the first word's CRC),
    modulo :data:`BUCKETS`: stable across processes and versions of Python.
    """
    words = tokens(text)
    crcs = [_crc(word) for word in words]
    out = {crc % BUCKETS for crc in crcs}
    out.update(
        zlib.crc32(f" {word}".encode(), crc) % BUCKETS
        for crc, word in zip(crcs, words[1:], strict=False)
    )
    return out


def hashed(prefix: str, text: str) -> set[str]:
    """Return the hashed n-gram feature names of ``text`` (``prefix:bucket``)."""
    return {f"{prefix}:{bucket}" for bucket in buckets(text)}


def structure(findings: Iterable[Finding], context: Context, situations: Iterable[str]) -> set[str]:
    """Return the names of the reply's features other than its words.

    ``findings`` are the rules' findings (both levels); ``situations`` the signal names the
    decision may look at (:data:`nudgebot.engine.calibration.SITUATIONS`).
    """
    move = context.move
    names = {"bias", f"move={move}"}
    nudges = 0
    for finding in findings:
        if finding.level == "nudge":
            nudges += 1
            names.add(f"rule={finding.rule}")
            names.add(f"dimension={finding.dimension}")
            names.add(f"dimension*move={finding.dimension}*{move}")
        else:
            names.add(f"hint={finding.rule}")
    names.add(f"nudges={min(nudges, 3)}")
    signals = context.rulebook.signals
    for name in situations:
        if name in signals and context.signal(name):
            names.add(f"situation={name}")
            names.add(f"move*situation={move}*{name}")
    agents = sum(1 for turn in context.thread if turn.role == "agent")
    names.add(f"agent_turns={min(agents, 2)}")
    return names


def reply_features(
    findings: Iterable[Finding], context: Context, situations: Iterable[str]
) -> list[str]:
    """Return the names of every reply-level feature that holds, the draft's words too."""
    return sorted(structure(findings, context, situations) | hashed("d", context.text))
