"""Personal data scrubbing: stable placeholders before text leaves for an LLM, originals after.

A :class:`Redactor` replaces personal data in one or more texts (the agent's draft, the
customer's message, the thread) by placeholders such as ``[EMAIL_1]`` or ``[CARD_2]`` and, once
the model has answered, :meth:`Redactor.restore` puts the original text back.

What is found, and how, is in :mod:`nudgebot.engine.pii`: e-mail addresses and their spelled-out
variants (``EMAIL``); phone numbers in international and national formats, read with
``phonenumbers`` in the configured default region and the national formats of many others
(``PHONE``); cards by Luhn, with any separators (``CARD``); IBANs in any case and grouping,
checked by ``python-stdnum`` (``IBAN``); US Social Security numbers (``SSN``) and UK National
Insurance numbers (``NINO``); national identifiers by their checksum (INSEE/NIR, Aadhaar, PAN,
CPF, DNI/NIE, Steuer-ID, codice fiscale...) or by the word that names them (TFN, My Number,
"ID number"...) (``ID``); passport numbers after the word passport (``PASSPORT``); dates of
birth after a birth cue (``DOB``); street addresses (``ADDRESS``); IPv4 and IPv6 addresses
(``IP``).

Matching is done on a normalised copy of the text (NFKC, digits of every script as ASCII,
every space and dash plain: :func:`nudgebot.engine.normalize.matching_copy`), so fullwidth,
Arabic-Indic or Devanagari digits and no-break spaces hide nothing; what is replaced is always
the exact original characters.

Identity. The same value gets the same placeholder in every text a Redactor sees, compared
after light normalisation: e-mail addresses, dates and addresses case-insensitively; phone,
card and SSN numbers by their digits (a leading ``00`` counts as ``+``, a trunk ``(0)`` is
ignored); IBANs and ids upper-cased without separators; IP addresses as written. When one value
appears in two spellings (``Ann@Example.com`` and ``ann@example.com``) both become the same
placeholder, which restores to the spelling seen first: the model can then talk about one
address, and the answer shows the customer's first spelling. Only in that case does
``restore(redact(text))`` differ from ``text``.

Text that already looks like a placeholder (a user who typed ``[EMAIL_1]``) is never confused
with one: a Redactor remembers every placeholder-shaped token of the texts it redacts and never
issues those; if a later text contains a placeholder this Redactor has already issued, that
token is itself replaced by a fresh placeholder that restores to it. :meth:`Redactor.restore`
replaces only the placeholders the Redactor issued, exactly as written, in a single pass.

When two findings overlap they are merged into one redaction (the kind of the longer one), so a
value is never left half-redacted. Importing this module is cheap: ``phonenumbers`` and
``stdnum`` are imported the first time a text has enough digits to need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nudgebot.engine.normalize import matching_copy
from nudgebot.engine.pii import context, numbers, patterns

__all__ = ["DEFAULT_REGION", "KINDS", "Redaction", "Redactor", "find_personal_data", "redact_text"]

#: The kinds of personal data found, in order of precedence when two equal findings overlap.
KINDS: tuple[str, ...] = (
    "EMAIL", "IBAN", "CARD", "SSN", "NINO", "ID", "PASSPORT", "PHONE", "DOB", "ADDRESS", "IP",
)  # fmt: skip

#: The region national phone numbers are read in unless the Redactor is given another.
DEFAULT_REGION = numbers.DEFAULT_REGION

_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Redaction:
    """One replaced value: its kind, its placeholder and the exact text it stands for."""

    kind: str
    placeholder: str
    original: str


# Anything shaped like a placeholder: "[" upper-case word "_" number "]".
_TOKEN = re.compile(r"\[([A-Z][A-Z0-9]*)_[0-9]+\]")

_NON_DIGITS = re.compile(r"[^0-9]+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_SPACES = re.compile(r"\s+")


def find_personal_data(text: str, region: str = DEFAULT_REGION) -> list[tuple[int, int, str]]:
    """Return the non-overlapping ``(start, end, kind)`` spans of personal data in ``text``.

    These are exactly the spans a :class:`Redactor` replaces; for measuring and tooling.
    """
    return _find_spans(text, region)


def _find_spans(text: str, region: str) -> list[tuple[int, int, str]]:
    """Return the non-overlapping ``(start, end, kind)`` findings of ``text``, in order."""
    copy, origin = matching_copy(text)
    found = [*patterns.find(copy), *numbers.find(copy, region), *context.find(copy)]
    if origin is not None:
        found = [(origin[start], origin[end - 1] + 1, kind) for start, end, kind in found]
    if len(found) < 2:
        return found
    found.sort()
    merged = [found[0]]
    for start, end, kind in found[1:]:
        last_start, last_end, last_kind = merged[-1]
        if start < last_end:
            best = min((last_end - last_start, last_kind), (end - start, kind), key=_rank)[1]
            merged[-1] = (last_start, max(last_end, end), best)
        else:
            merged.append((start, end, kind))
    return merged


def _rank(finding: tuple[int, str]) -> tuple[int, int]:
    """Order findings longest first, then by the precedence of their kind."""
    length, kind = finding
    return -length, _PRIORITY[kind]


def _identity(kind: str, original: str) -> str:
    """Return the form of ``original`` under which two spellings count as one value."""
    plain = matching_copy(original)[0]
    if kind in ("EMAIL", "DOB", "ADDRESS"):
        return _SPACES.sub(" ", plain).casefold()
    if kind == "PHONE":
        digits = _NON_DIGITS.sub("", plain.replace("(0)", ""))
        if plain.startswith("+"):
            return "+" + digits
        return "+" + digits[2:] if plain.startswith("00") else digits
    if kind in ("CARD", "SSN"):
        return _NON_DIGITS.sub("", plain)
    if kind in ("IBAN", "NINO", "ID", "PASSPORT"):
        return _NON_ALNUM.sub("", plain).upper()
    return plain


# --------------------------------------------------------------------------------------------
# The Redactor
# --------------------------------------------------------------------------------------------


class Redactor:
    """Replaces personal data by stable placeholders and puts it back into a model's answer.

    One Redactor serves one exchange with a model: redact every text that goes into the prompt
    with it (so they share placeholders), then restore the answer with it.
    """

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region
        """The region national-format phone numbers are read in first (ISO 3166, e.g. GB)."""
        self._by_identity: dict[tuple[str, str], Redaction] = {}
        self._by_placeholder: dict[str, Redaction] = {}
        self._counters: dict[str, int] = {}
        self._seen: set[str] = set()  # placeholder-shaped tokens of the texts redacted

    @property
    def redactions(self) -> tuple[Redaction, ...]:
        """Every value replaced so far, in the order the placeholders were issued."""
        return tuple(self._by_placeholder.values())

    def redact(self, text: str) -> str:
        """Return ``text`` with its personal data replaced by placeholders.

        May be called for several texts; a value found in more than one gets one placeholder.
        """
        tokens = list(_TOKEN.finditer(text)) if "[" in text else []
        self._seen.update(token.group() for token in tokens)
        spans = _find_spans(text, self.region)
        if tokens and self._by_placeholder:
            spans = self._with_clashes(spans, tokens)
        if not spans:
            return text
        parts: list[str] = []
        position = 0
        for start, end, kind in spans:
            parts.append(text[position:start])
            parts.append(self._placeholder(kind, text[start:end]))
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """Return ``text`` with every placeholder this Redactor issued replaced by its original.

        Only exact placeholders are replaced, in one pass; anything else, including
        placeholder-shaped text this Redactor did not issue, is left as it is.
        """
        if "[" not in text or not self._by_placeholder:
            return text
        by_placeholder = self._by_placeholder

        def original(match: re.Match[str]) -> str:
            redaction = by_placeholder.get(match.group())
            return match.group() if redaction is None else redaction.original

        return _TOKEN.sub(original, text)

    def unknown_placeholders(self, text: str) -> list[str]:
        """Return the placeholder-shaped tokens of ``text`` this Redactor neither issued nor saw.

        A token counts as seen when it occurred in a text given to :meth:`redact`. Each token
        is listed once, in order of first appearance; a model that answers with one has made it
        up.
        """
        if "[" not in text:
            return []
        unknown: dict[str, None] = {}
        for match in _TOKEN.finditer(text):
            token = match.group()
            if token not in self._by_placeholder and token not in self._seen:
                unknown[token] = None
        return list(unknown)

    def _with_clashes(
        self, spans: list[tuple[int, int, str]], tokens: list[re.Match[str]]
    ) -> list[tuple[int, int, str]]:
        """Add to ``spans`` the typed tokens that equal a placeholder already issued.

        Such a token would be restored to the wrong text, so it is replaced too (by a fresh
        placeholder that restores to it), unless it lies inside a finding, which covers it.
        The new spans have an empty kind.
        """
        clashes: list[tuple[int, int, str]] = []
        index = 0
        for token in tokens:
            if token.group() not in self._by_placeholder:
                continue
            while index < len(spans) and spans[index][1] <= token.start():
                index += 1
            if index == len(spans) or token.end() <= spans[index][0]:
                clashes.append((token.start(), token.end(), ""))
        return sorted(spans + clashes) if clashes else spans

    def _placeholder(self, kind: str, original: str) -> str:
        """Return the placeholder for ``original``, issuing a new one on first sight.

        ``kind`` is empty for a typed token that clashes with an issued placeholder; it gets a
        fresh placeholder of the token's own kind.
        """
        if kind:
            identity = (kind, _identity(kind, original))
        else:
            kind = original[1 : original.rindex("_")]
            identity = ("", original)
        redaction = self._by_identity.get(identity)
        if redaction is None:
            number = self._counters.get(kind, 0)
            while True:
                number += 1
                placeholder = f"[{kind}_{number}]"
                if placeholder not in self._seen:
                    break
            self._counters[kind] = number
            redaction = Redaction(kind, placeholder, original)
            self._by_identity[identity] = redaction
            self._by_placeholder[placeholder] = redaction
        return redaction.placeholder


def redact_text(text: str, region: str = DEFAULT_REGION) -> tuple[str, Redactor]:
    """Redact one text with a new :class:`Redactor`; return the text and the Redactor."""
    redactor = Redactor(region)
    return redactor.redact(text), redactor
