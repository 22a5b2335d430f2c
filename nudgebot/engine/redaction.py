"""Personal data scrubbing: stable placeholders before text leaves for an LLM, originals after.

A :class:`Redactor` replaces personal data in one or more texts (the agent's draft, the
customer's message) by placeholders such as ``[EMAIL_1]`` or ``[CARD_2]`` and, once the model
has answered, :meth:`Redactor.restore` puts the original text back. The kinds it finds:

``EMAIL``
    ``local@domain.tld``: the domain is dot-separated labels and a top-level domain of letters;
    the local part is every letter, digit and ``_.%+'-`` before the ``@`` (Unicode letters
    allowed in both).
``PHONE``
    International numbers written with ``+`` or ``00`` (8 to 15 digits after the prefix, the
    first not 0, any grouping, an optional trunk ``(0)``); national numbers starting with ``0``
    (10 or 11 digits, optionally with the area code in brackets, one kind of separator); North
    American numbers ``415-555-0100``, ``(415) 555-0100``, ``1-800-555-0199`` (separators
    required). A phone number glued to a word, or following ``#``, ``-``, ``/`` or a currency
    sign, is not one, so order numbers (``ORD-55120``, ``#48213``), dates, times, amounts and
    short numbers stay.
``CARD``
    13 to 19 digits not starting with ``0``, unbroken or in groups separated by single spaces or
    dashes (every group but the last at least four digits long), and only when the Luhn check
    passes.
``IBAN``
    Upper-case country code, two check digits and an alphanumeric BBAN, compact or in groups of
    four, 15 to 34 characters, and only when the ISO 13616 mod-97 check passes.
``SSN``
    US Social Security numbers ``123-45-6789`` (dashes required; area 000, 666 and 9xx, group
    00 and serial 0000 are never issued and are left alone).
``NINO``
    UK National Insurance numbers ``AB 12 34 56 C`` (spaces optional, any case, suffix letter
    A-D required) with an allocatable prefix: neither letter D, F, I, Q, U or V, the second not
    O, and not BG, GB, KN, NK, NT, TN or ZZ.
``IP``
    Dotted IPv4 addresses ``192.168.0.12`` (octets 0-255 without leading zeros).

Identity. The same value gets the same placeholder in every text a Redactor sees, compared
after light normalisation: e-mail addresses case-insensitively; phone, card and SSN numbers by
their digits (a leading ``00`` counts as ``+``, a trunk ``(0)`` is ignored); IBANs and NINOs
upper-cased without spaces; IP addresses as written. When one value appears in two spellings
(``Ann@Example.com`` and ``ann@example.com``) both become the same placeholder, which restores to
the spelling seen first: the model can then talk about one address, and the answer shows the
customer's first spelling. Only in that case does ``restore(redact(text))`` differ from ``text``.

Text that already looks like a placeholder (a user who typed ``[EMAIL_1]``) is never confused
with one: a Redactor remembers every placeholder-shaped token of the texts it redacts and never
issues those; if a later text contains a placeholder this Redactor has already issued, that
token is itself replaced by a fresh placeholder that restores to it. :meth:`Redactor.restore`
replaces only the placeholders the Redactor issued, exactly as written, in a single pass.

When two findings overlap they are merged into one redaction (the kind of the longer one), so a
value is never left half-redacted. Everything is plain ``re`` with patterns compiled at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["KINDS", "Redaction", "Redactor", "redact_text"]

#: The kinds of personal data found, in order of precedence when two equal findings overlap.
KINDS: tuple[str, ...] = ("EMAIL", "IBAN", "CARD", "SSN", "NINO", "PHONE", "IP")

_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Redaction:
    """One replaced value: its kind, its placeholder and the exact text it stands for."""

    kind: str
    placeholder: str
    original: str


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

# Patterns are written to start with a character class or a literal where possible, which
# lets the regex engine skip ahead in C to the few places a match can start; the cheap "hint"
# patterns are necessary conditions that let a whole kind be skipped for most texts.

# Anything shaped like a placeholder: "[" upper-case word "_" number "]".
_TOKEN = re.compile(r"\[([A-Z][A-Z0-9]*)_[0-9]+\]")

_DIGIT = re.compile(r"[0-9]")  # every kind but EMAIL needs one

# An e-mail address is found from its "@": the domain by this pattern, the local part by
# walking back over the characters it may hold (letters, digits and _.%+'-).
_EMAIL_DOMAIN = re.compile(
    r"@(?<=[\w%+'-]@)"  # something of a local part before it
    r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+"  # domain labels
    r"[^\W\d_]{2,63}(?![\w-])"  # top-level domain
)
_LOCAL_PUNCTUATION = frozenset("_.%+'-")

# A phone candidate. Its first character is matched first and the branches look back at it.
# A candidate starting with "+", "(" or "0" has up to seven digit groups with single
# separators, and _phone_ok() decides how much of it is a number; one starting with 1-9 is a
# North American number, matched exactly.
_GROUPS = r"(?:[ .-][0-9]{1,12}){0,6}(?!\w|[.,][0-9])"
_PHONE_BRANCHES = (
    # international: +44 20 7946 0958, +44 (0)20 7946 0958, +1 (415) 555-0100
    r"(?<=\+)[0-9]{1,3}[ .-]?(?:\(0\)[ .-]?)?(?:\([0-9]{1,5}\)[ .-]?)?[0-9]{1,12}" + _GROUPS,
    # bracketed area code: (020) 7946 0958, (415) 555-0100
    r"(?<=\()[0-9]{1,5}\)[ .-]?[0-9]{1,12}" + _GROUPS,
    # national, or international after 00: 07700 900123, 0044 20 7946 0958
    r"(?<=0)[0-9]{0,11}" + _GROUPS,
    # North American, one kind of separator: 1-800-555-0199, 415-555-0100, 415.555.0100
    r"(?<=1)[ .-][2-9][0-9]{2}(?P<s1>[ .-])[2-9][0-9]{2}(?P=s1)[0-9]{4}(?!\w)",
    r"(?<=[2-9])[0-9]{2}(?P<s2>[ .-])[2-9][0-9]{2}(?P=s2)[0-9]{4}(?!\w)",
)
_PHONE = re.compile(
    r"[+(0-9](?<![\w+#/$£€¥-].)(?<![0-9][.,].)(?=[0-9 .()-]{8})"
    + f"(?:{'|'.join(_PHONE_BRANCHES)})"
)
_SHORTEST_PHONE = 9  # "+" and eight digits
_PHONE_GROUP_END = re.compile(r"[0-9](?=[ .-][0-9])")
_NANP_BRACKETED = re.compile(r"\([2-9][0-9]{2}\)[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}")
_NATIONAL = re.compile(r"0[0-9]*(?:([ .-])[0-9]+(?:\1[0-9]+)*)?")
_NATIONAL_BRACKETED = re.compile(r"\(0[0-9]*\)[ .-]?[0-9]+(?:([ .-])[0-9]+(?:\1[0-9]+)*)?")

# Maximal runs of digit groups separated by one space or dash, at least 13 characters long;
# cards are windows of a run.
_CARD_RUN = re.compile(r"[0-9](?<![0-9].)(?=[0-9 -]{12})[0-9]*(?:[ -][0-9]+)*")

_IBAN = re.compile(
    r"[A-Z][A-Z](?<![A-Z0-9]..)[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])"
)

# Matched from its first dash; the area is checked by look-behind, the reserved numbers in code.
_SSN = re.compile(r"-(?<=(?<![\w-])[0-8][0-9]{2}-)[0-9]{2}-[0-9]{4}(?![\w-])")

# Cards need 13 digits in a row (single spaces or dashes between), NINOs 6 and a letter.
_CARD_OR_NINO_HINT = re.compile(r"[0-9](?:[0-9 -]{12}|[0-9 ]{5,8}[A-Da-d])")
_NINO = re.compile(  # either case; the unallocated prefixes are checked in code
    r"[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z](?<!\w.)[A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z]"
    r" ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?!\w)"
)
_NINO_UNALLOCATED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

_IP_HINT = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
_IPV4 = re.compile(r"[0-9](?<![\w.].)[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?!\w|\.[0-9])")

_NON_DIGITS = re.compile(r"[^0-9]+")
_SPACES = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2d, minus 9 when above 9


def _luhn_ok(digits: str) -> bool:
    """Return whether a string of ASCII digits passes the Luhn check."""
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum((digits[-1::-2] + doubled).encode()) - 48 * len(digits)) % 10 == 0


def _iban_ok(compact: str) -> bool:
    """Return whether an upper-case IBAN without spaces passes the ISO 13616 mod-97 check."""
    if not 15 <= len(compact) <= 34 or compact[2:4] in ("00", "01", "99"):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phone_ok(candidate: str) -> bool:
    """Return whether a whole phone candidate is a phone number."""
    if candidate[0] == "+" or candidate.startswith("00"):
        digits = _NON_DIGITS.sub("", candidate.replace("(0)", ""))
        if candidate[0] == "0":
            digits = digits[2:]
        return 8 <= len(digits) <= 15 and digits[0] != "0"  # no country code starts with 0
    if candidate[0] == "(":
        if _NANP_BRACKETED.fullmatch(candidate):
            return True
        return (
            bool(_NATIONAL_BRACKETED.fullmatch(candidate)) and 10 <= _digit_count(candidate) <= 11
        )
    if candidate[0] == "0":
        return bool(_NATIONAL.fullmatch(candidate)) and 10 <= _digit_count(candidate) <= 11
    return False  # North American numbers need no check


def _digit_count(text: str) -> int:
    """Return the number of ASCII digits in ``text``."""
    return len(_NON_DIGITS.sub("", text))


# --------------------------------------------------------------------------------------------
# Finders: each yields (start, end) spans of one kind
# --------------------------------------------------------------------------------------------


def _find_emails(text: str) -> Iterator[tuple[int, int]]:
    if "@" not in text:
        return
    for match in _EMAIL_DOMAIN.finditer(text):
        start = match.start()
        while start and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_PUNCTUATION):
            start -= 1
        while text[start] == ".":  # a sentence's full stop is not part of the address
            start += 1
        yield start, match.end()


def _find_phones(text: str) -> Iterator[tuple[int, int]]:
    # A candidate may carry a trailing number ("07700 900123 2 times"): try it whole, then
    # without its last groups. If nothing fits, look again one character further on, so a
    # leading number ("order 12 07700 900123") does not hide the phone behind it.
    pos = 0
    while match := _PHONE.search(text, pos):
        start, candidate = match.start(), match.group()
        pos = start + 1
        if len(candidate) < _SHORTEST_PHONE:
            continue
        if candidate[0] in "123456789":  # North American, matched exactly by the pattern
            yield match.span()
            pos = match.end()
            continue
        ends = [len(candidate)]
        ends.extend(m.end() for m in reversed(list(_PHONE_GROUP_END.finditer(candidate))))
        for end in ends:
            if end >= _SHORTEST_PHONE and _phone_ok(candidate[:end]):
                yield start, start + end
                pos = start + end
                break


def _find_cards(text: str) -> Iterator[tuple[int, int]]:
    # Every Luhn-valid window of whole groups is a finding; overlapping ones are merged later,
    # so a number glued to a card ("12 4111 1111 1111 1111") can never hide part of it.
    for run in _CARD_RUN.finditer(text):
        groups = run.group().replace("-", " ").split(" ")
        starts = [run.start()]
        for group in groups[:-1]:
            starts.append(starts[-1] + len(group) + 1)
        remaining = len(run.group()) - len(groups) + 1  # digits from groups[first] on
        for first, group in enumerate(groups):
            if remaining < 13:
                break
            remaining -= len(group)
            if group[0] == "0":
                continue
            digits = ""
            for last in range(first, len(groups)):
                if last > first and len(groups[last - 1]) < 4:
                    break
                digits += groups[last]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _luhn_ok(digits):
                    yield starts[first], starts[last] + len(groups[last])


def _find_ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        candidate = match.group()
        # An IBAN that ends on a whole group may have swallowed the next upper-case word or
        # number: drop trailing groups until the check passes.
        while not _iban_ok(candidate.replace(" ", "")):
            if " " not in candidate:
                break
            candidate = candidate[: candidate.rindex(" ")]
        else:
            yield match.start(), match.start() + len(candidate)


def _find_ssns(text: str) -> Iterator[tuple[int, int]]:
    if "-" not in text:
        return
    for match in _SSN.finditer(text):
        start, end = match.start() - 3, match.end()
        area, group, serial = text[start : start + 3], text[end - 7 : end - 5], text[end - 4 : end]
        if area not in ("000", "666") and group != "00" and serial != "0000":
            yield start, end


def _find_ninos(text: str) -> Iterator[tuple[int, int]]:
    for match in _NINO.finditer(text):
        if match.group()[:2].upper() not in _NINO_UNALLOCATED:
            yield match.span()


def _find_ips(text: str) -> Iterator[tuple[int, int]]:
    if "." in text and _IP_HINT.search(text):
        for match in _IPV4.finditer(text):
            octets = match.group().split(".")
            if all(len(octet) == 1 or (octet[0] != "0" and int(octet) < 256) for octet in octets):
                yield match.span()


def _find_spans(text: str) -> list[tuple[int, int, str]]:
    """Return the non-overlapping ``(start, end, kind)`` findings of ``text``, in order."""
    found = [(start, end, "EMAIL") for start, end in _find_emails(text)]
    if _DIGIT.search(text):  # every other kind has digits
        finders = [("PHONE", _find_phones), ("IBAN", _find_ibans), ("SSN", _find_ssns)]
        finders.append(("IP", _find_ips))
        if _CARD_OR_NINO_HINT.search(text):
            finders += [("CARD", _find_cards), ("NINO", _find_ninos)]
        found += [(start, end, kind) for kind, finder in finders for start, end in finder(text)]
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
    if kind == "EMAIL":
        return original.casefold()
    if kind == "PHONE":
        digits = _NON_DIGITS.sub("", original.replace("(0)", ""))
        if original.startswith("+"):
            return "+" + digits
        return "+" + digits[2:] if original.startswith("00") else digits
    if kind in ("CARD", "SSN"):
        return _NON_DIGITS.sub("", original)
    if kind in ("IBAN", "NINO"):
        return _SPACES.sub("", original).upper()
    return original


# --------------------------------------------------------------------------------------------
# The Redactor
# --------------------------------------------------------------------------------------------


class Redactor:
    """Replaces personal data by stable placeholders and puts it back into a model's answer.

    One Redactor serves one exchange with a model: redact every text that goes into the prompt
    with it (so they share placeholders), then restore the answer with it.
    """

    def __init__(self) -> None:
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
        spans = _find_spans(text)
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


def redact_text(text: str) -> tuple[str, Redactor]:
    """Redact one text with a new :class:`Redactor`; return the text and the Redactor."""
    redactor = Redactor()
    return redactor.redact(text), redactor
