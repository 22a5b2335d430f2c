"""Would a coach interrupt this reply? The live decision, made once per reply.

A finding's confidence says how likely its own point is right; whether to interrupt an agent is
a question about the whole reply. This module names what a reply-level model looks at:

- which rules found something (and at which level), their dimensions, and the dimensions with
  the reply's move;
- the move, the situation (the reading and a few more signals) and how far into the
  conversation the reply is;
- light lexical features: hashed word unigrams and bigrams of the draft and of the customer's
  last message (``d:`` and ``c:`` followed by a bucket number, never the words themselves).

The weights are data (the ``[reply]`` table of ``prompts/calibration.toml``), fitted by
``bench/fit_decision.py``; here the decision is a dot product and a sigmoid.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from itertools import pairwise

from nudgebot.engine.rules.checker import Context
from nudgebot.models import Finding

BUCKETS = 4096
"""How many hash buckets the word n-grams of each text fall into."""

_TOKEN = re.compile(r"https?://\S+|@\w+|\d+|[a-z]+(?:'[a-z]+)?|[?!]")


def tokens(text: str) -> list[str]:
    """Return the words of ``text``, lower-cased; links, handles and numbers as one token each."""
    out = []
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if token.startswith("http"):
            out.append("<url>")
        elif token.startswith("@"):
            out.append("<at>")
        elif token[0].isdigit():
            out.append("<num>")
        else:
            out.append(token)
    return out


def hashed(prefix: str, text: str) -> set[str]:
    """Return the hashed unigram and bigram feature names of ``text`` (``prefix:bucket``)."""
    words = tokens(text)
    grams = words + [f"{a} {b}" for a, b in pairwise(words)]
    return {f"{prefix}:{zlib.crc32(g.encode()) % BUCKETS}" for g in grams}


def reply_features(
    findings: Iterable[Finding], context: Context, situations: Iterable[str]
) -> list[str]:
    """Return the names of the reply-level features that hold for this review.

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
    names |= hashed("d", context.text)
    names |= hashed("c", context.customer)
    return sorted(names)
