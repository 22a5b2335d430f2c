"""Input hygiene: one normal form of text before the rules, the guard and redaction read it.

Two functions, for two needs:

:func:`normalize`
    The text the rules and the guard judge (and the model reads). Lone surrogates (U+D800 alone,
    which cannot be encoded and used to crash a review) become U+FFFD; bidi controls and
    zero-width characters are removed (they hide words from the rules and reorder what a
    reader sees); fullwidth and mathematical letters and digits (``ｓｏｒｒｙ``, ``𝐬𝐨𝐫𝐫𝐲``) become
    ASCII; Cyrillic and Greek look-alikes inside otherwise Latin words (``sоrry`` with a
    Cyrillic ``о``) become the Latin letters they imitate. Words wholly in another script are
    left alone, and so is everything else (accents, CJK, emoji). Apart from removed characters
    and surrogate pairs joined into one character, every character keeps its place, so quotes
    cut from the normalised text are the agent's words.

:func:`matching_copy`
    For pattern matching (redaction): NFKC, every decimal digit of any script as ASCII, every
    space as a plain space and every dash as ``-``, invisible characters dropped, together with
    the position in the original text of each character of the copy, so a match in the copy
    is mapped back to the exact original characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["matching_copy", "mend", "normalize", "without_surrogates"]

# Bidi embeddings, overrides and isolates, marks; zero-width spaces and joiners; BOM, soft
# hyphen, Mongolian vowel separator, invisible operators.
_INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u180e]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Fullwidth ASCII letters and digits, mathematical alphanumerics: NFKC makes them one ASCII char.
_WIDE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001d400-\U0001d7ff]")
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "ӏ": "l", "о": "o",
    "р": "p", "ԛ": "q", "ѕ": "s", "ս": "u", "ԝ": "w", "х": "x", "у": "y",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M",
    "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "Ү": "Y",
    # Greek
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_LOOKALIKE = re.compile("[" + "".join(_HOMOGLYPHS) + "]")
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z]")


def without_surrogates(text: str) -> str:
    r"""Return ``text`` with surrogate pairs joined and every lone surrogate as U+FFFD.

    JSON may carry ``\ud800`` escapes that decode to a half of a character: such text cannot
    be encoded as UTF-8 (a database or an HTTP client would fail on it).
    """
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_DEEPEST = 64  # platform payloads are shallow; anything deeper is left as it is


def mend(value: Any, depth: int = 0) -> Any:
    """Return JSON-like data with every string's lone surrogates replaced (a copy if needed).

    For a platform's payload before it is used: see :func:`without_surrogates`.
    """
    if isinstance(value, str):
        return without_surrogates(value)
    if depth >= _DEEPEST or not isinstance(value, dict | list) or not _holds_surrogate(value):
        return value
    if isinstance(value, dict):
        return {mend(key, depth + 1): mend(item, depth + 1) for key, item in value.items()}
    return [mend(item, depth + 1) for item in value]


def _holds_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if depth >= _DEEPEST:
        return False
    if isinstance(value, dict):
        return any(
            _holds_surrogate(key, depth + 1) or _holds_surrogate(item, depth + 1)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_holds_surrogate(item, depth + 1) for item in value)
    return False


def normalize(text: str) -> tuple[str, int]:
    """Return ``text`` in the form the rules and guard judge, and how many characters went.

    The count is of removed invisible characters (bidi controls, zero-width characters).
    """
    text = without_surrogates(text)
    text, removed = _INVISIBLE.subn("", text)
    if text.isascii():
        return text, removed
    if _WIDE.search(text):
        text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    if _LOOKALIKE.search(text):
        text = _WORD.sub(_fold_mixed_word, text)
    return text, removed


def _fold_mixed_word(match: re.Match[str]) -> str:
    """Fold the look-alike letters of a word that is otherwise Latin."""
    word = match.group()
    if not _LATIN.search(word) or not _LOOKALIKE.search(word):
        return word
    folded = word.translate(_HOMOGLYPH_TABLE)
    return folded if folded.isascii() else word


_SPACE_LIKE = frozenset("\u00a0\u1680\u202f\u205f\u3000").union(map(chr, range(0x2000, 0x200B)))
_DROPPED = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
).union(map(chr, range(0xD800, 0xE000)))
_DASH_LIKE = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


def matching_copy(text: str) -> tuple[str, list[int] | None]:
    """Return a copy of ``text`` for pattern matching, and where each of its characters came from.

    The list gives, for every character of the copy, the index in ``text`` of the character it
    came from (None when the copy is ``text`` itself). A character may become several (``½``
    is ``1⁄2``) or none (invisible ones). Matching is done on the copy; a span ``[start, end)``
    of the copy stands for ``text[origin[start] : origin[end - 1] + 1]``.
    """
    if text.isascii():
        return text, None
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            piece = char
        elif char in _SPACE_LIKE:
            piece = " "
        elif char in _DASH_LIKE:
            piece = "-"
        elif char in _DROPPED:
            continue
        elif char.isdecimal():
            piece = str(unicodedata.decimal(char))
        else:
            piece = unicodedata.normalize("NFKC", char)
            if len(piece) == 1 and piece.isdecimal() and not piece.isascii():
                piece = str(unicodedata.decimal(piece))
        out.append(piece)
        origin.extend([index] * len(piece))
    return "".join(out), origin
