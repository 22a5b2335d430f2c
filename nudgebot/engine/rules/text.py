"""Text preparation for the rules: one normalised copy to match on, and sentence spans.

The matching copy has exactly the same length as the original, so every offset found in it
points at the same characters in the draft and quotes can be cut from the draft itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nudgebot.engine.normalize import normalize

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD.items() if isinstance(v, str))
_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)
_SLACK_TOKEN = re.compile(r"<[^<>\s][^<>]*>")
_BLOCKQUOTE = re.compile(r"^(?:&gt;|>)[^\n]*", re.M)
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "e.g.", "i.e.", "etc.", "vs.", "no.", "approx.")
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n\s*")


def clean(text: str) -> tuple[str, int]:
    """Return ``text`` normalised for review, and how many invisible characters went.

    See :func:`nudgebot.engine.normalize.normalize`: bidi and zero-width controls removed,
    fullwidth letters and look-alike letters folded, lone surrogates replaced.
    """
    return normalize(text)


def mask(text: str) -> str:
    """Return the text with curly quotes and dashes made plain and non-prose blanked out.

    Code spans, Slack markup (``<@U123>``, ``<https://x|text>``) and quoted lines become spaces
    so no rule matches words that the agent did not write as prose. The length is unchanged.
    """
    for char, plain in _FOLD_PAIRS:
        if char in text:
            text = text.replace(char, plain)
    return _blank(_blank(_blank(text, _CODE_BLOCK), _SLACK_TOKEN), _BLOCKQUOTE)


def fold(text: str) -> str:
    """Return the lower-cased matching copy of :func:`mask`, the same length as ``text``."""
    return lower(mask(text))


def lower(masked: str) -> str:
    """Lower-case without changing the length (so offsets stay valid)."""
    if masked.isascii() or len(masked.lower()) == len(masked):
        return masked.lower()
    # a few characters change length when lower-cased (e.g. "İ"); keep offsets exact
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in masked)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


@dataclass(frozen=True)
class Sentence:
    """A sentence (or line) of a draft as offsets into it."""

    start: int
    end: int


def sentences(folded: str) -> list[Sentence]:
    """Split the matching copy into sentences and lines, skipping blank ones."""
    spans: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(folded):
        end = match.end()
        piece = folded[start:end]
        if piece.rstrip().endswith(_ABBREVIATIONS) and "\n" not in match.group(0):
            continue
        _add(spans, folded, start, end)
        start = end
    _add(spans, folded, start, len(folded))
    return spans


def _add(spans: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Sentence(start, end))


def sentence_at(spans: list[Sentence], offset: int) -> Sentence:
    """Return the sentence holding ``offset`` (the nearest one when it falls between two)."""
    return spans[sentence_index(spans, offset)]


def sentence_index(spans: list[Sentence], offset: int) -> int:
    """Return the position in ``spans`` of the sentence holding ``offset``."""
    lo, hi = 0, len(spans) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if spans[mid].start <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def word_count(text: str) -> int:
    """Count words (runs of letters or digits)."""
    return len(_WORD.findall(text))


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def rough_word_count(text: str) -> int:
    """Count whitespace-separated tokens that start with a letter, digit or emoji (fast)."""
    return len(_TOKEN.findall(text))


_TOKEN = re.compile(r"(?:[^\W_]|[^\x00-\x7f])\S*")


_STEP_ENDING = re.compile(r"(?:ing|ed|es|s|e)$")


def step_stem(words: str) -> str:
    """Return a step's words by their stems: "restarting the router" and "restarted" meet.

    Each word loses an ending ("-ing", "-ed", "-es", "-s", "-e") and then a doubled last
    letter ("resetting" -> "reset"), so the forms of one verb compare equal.
    """
    stems = []
    for word in words.lower().split():
        stem = _STEP_ENDING.sub("", word) if len(word) > 4 else word
        if len(stem) > 3 and stem[-1] == stem[-2]:
            stem = stem[:-1]
        stems.append(stem)
    return " ".join(stems)
