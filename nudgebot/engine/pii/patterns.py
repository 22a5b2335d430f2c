"""Personal data that a pattern (and a checksum where there is one) decides: plain ``re``.

``EMAIL``
    ``local@domain.tld`` (Unicode letters allowed; the domain is dot-separated labels and a
    top-level domain of letters; the local part every letter, digit and ``_.%+'-`` before the
    ``@``), and the spelled-out variants ``ann [at] example [dot] com``, ``ann(at)example.com``,
    ``ann at example dot com`` (a plain " at " needs a spelled-out " dot ", so "look at
    example.com" stays).
``PHONE``
    Structural shapes that need no metadata (the library in :mod:`.numbers` finds the rest):
    international numbers written with ``+`` or ``00`` (8 to 15 digits after the prefix, the
    first not 0, any grouping, an optional trunk ``(0)``); national numbers starting with ``0``
    (10 or 11 digits, optionally with the area code in brackets, one kind of separator); North
    American numbers ``415-555-0100``, ``(415) 555-0100``, ``1-800-555-0199`` (separators
    required). A number glued to a word, or following ``#``, ``-``, ``/`` or a currency sign,
    is not one, so order numbers (``ORD-55120``, ``#48213``), dates, times and amounts stay.
``CARD``
    13 to 19 digits not starting with ``0``, unbroken or in groups separated by one or two
    spaces, a dash or a dot (every group but the last at least four digits long), when the
    Luhn check passes.
``SSN``
    US Social Security numbers ``123-45-6789``, ``123 45 6789``, ``123.45.6789`` (one kind of
    separator; area 000, 666 and 9xx, group 00 and serial 0000 are never issued and are left
    alone). Nine digits in a row are an SSN only when named (see :mod:`.context`).
``NINO``
    UK National Insurance numbers ``AB 12 34 56 C`` (spaces optional, any case, suffix letter
    A-D required) with an allocatable prefix.
``IP``
    Dotted IPv4 addresses (octets 0-255 without leading zeros) and IPv6 addresses (full,
    compressed with ``::``, or with an IPv4 tail), checked by :mod:`ipaddress`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from nudgebot.engine.pii.cues import ORDER_CUE, cue_before, inside_a_code

__all__ = ["find"]

Span = tuple[int, int, str]

# Patterns start with a character class or a literal where possible, which lets the regex engine
# skip ahead in C to the few places a match can start; the cheap "hint" patterns are necessary
# conditions that let a whole kind be skipped for most texts.

_DIGIT = re.compile(r"[0-9]")

# An e-mail address is found from its "@": the domain by this pattern, the local part by
# walking back over the characters it may hold (letters, digits and _.%+'-).
_EMAIL_DOMAIN = re.compile(
    r"@(?<=[\w%+'-]@)"  # something of a local part before it
    r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+"  # domain labels
    r"[^\W\d_]{2,63}(?![\w-])"  # top-level domain
)
_LOCAL_PUNCTUATION = frozenset("_.%+'-")
_AT_WORD = re.compile(r"\bat\b|\(at\)|\[at\]|\{at\}|<at>", re.IGNORECASE)
_BRACKET_AT = r"\s?[\[({<]\s?at\s?[\])}>]\s?"
_SPELLED_DOT = r"(?:\s?[\[({<]\s?dot\s?[\])}>]\s?|\s+dot\s+)"
_LABEL = r"[^\W_](?:[\w-]{0,62}[^\W_])?"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.%+'-])[^\W_][\w.%+'-]{{0,63}}(?:{_SPELLED_DOT}[^\W_][\w.%+'-]{{0,63}}){{0,3}}"
    rf"(?:{_BRACKET_AT}(?:{_LABEL}(?:{_SPELLED_DOT}|\.))+"  # local part, [at], then any dots
    rf"|\s+at\s+(?:{_LABEL}{_SPELLED_DOT})+)"  # " at ", then spelled-out dots only
    r"[^\W\d_]{2,24}(?![\w-])",
    re.IGNORECASE,
)

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

# Maximal runs of digit groups separated by one space, dash or dot, at least 13 characters
# long; cards are windows of a run.
_CARD_RUN = re.compile(r"[0-9](?<![0-9].)(?=[0-9 .-]{12})[0-9]*(?:(?:[.-]| {1,2})[0-9]+)*")
_CARD_GROUP = re.compile(r"[0-9]+")

# Matched from its first separator; the area is checked by look-behind, the rest in code.
_SSN = re.compile(r"[- .](?<=(?<![\w.-])[0-8][0-9]{2}[- .])[0-9]{2}[- .][0-9]{4}(?![\w-]|\.[0-9])")

# Cards need 13 digits in a row (single separators between), NINOs 6 and a letter.
_CARD_OR_NINO_HINT = re.compile(r"[0-9](?:[0-9 .-]{12}|[0-9 ]{5,8}[A-Da-d])")
_NINO = re.compile(  # either case; the unallocated prefixes are checked in code
    r"[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z](?<!\w.)[A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z]"
    r" ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?!\w)"
)
_NINO_UNALLOCATED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

_IP_HINT = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
_IPV4 = re.compile(r"[0-9](?<![\w.].)[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?!\w|\.[0-9])")
_IPV6_HINT = re.compile(r"[0-9A-Fa-f]:[0-9A-Fa-f]*:|::[0-9A-Fa-f]")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})?"
    r"(?![\w:]|\.[0-9])"
)

_NON_DIGITS = re.compile(r"[^0-9]+")


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2d, minus 9 when above 9


def luhn_ok(digits: str) -> bool:
    """Return whether a string of ASCII digits passes the Luhn check."""
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum((digits[-1::-2] + doubled).encode()) - 48 * len(digits)) % 10 == 0


def _phone_ok(candidate: str) -> bool:
    """Return whether a whole structural phone candidate is a phone number."""
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
# Finders
# --------------------------------------------------------------------------------------------


def _find_emails(text: str) -> Iterator[Span]:
    if "@" in text:
        for match in _EMAIL_DOMAIN.finditer(text):
            start = match.start()
            while start and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_PUNCTUATION):
                start -= 1
            while text[start] == ".":  # a sentence's full stop is not part of the address
                start += 1
            yield start, match.end(), "EMAIL"
    if _AT_WORD.search(text):
        for match in _SPELLED_EMAIL.finditer(text):
            yield match.start(), match.end(), "EMAIL"


def _find_phones(text: str) -> Iterator[Span]:
    # A candidate may carry a trailing number ("07700 900123 2 times"): try it whole, then
    # without its last groups. If nothing fits, look again one character further on, so a
    # leading number ("order 12 07700 900123") does not hide the phone behind it.
    pos = 0
    while match := _PHONE.search(text, pos):
        start, candidate = match.start(), match.group()
        pos = start + 1
        if len(candidate) < _SHORTEST_PHONE:
            continue
        if candidate[0] == "0":
            if inside_a_code(text, start):
                continue  # "1Z 999 AA1 01 2345 6784": the end of a tracking number
            if not any(c in candidate for c in " ()") and cue_before(text, start, ORDER_CUE):
                continue  # "order 0123-4567": an order number; "order 07700 900123": a phone
        if candidate[0] in "123456789":  # North American, matched exactly by the pattern
            yield start, match.end(), "PHONE"
            pos = match.end()
            continue
        ends = [len(candidate)]
        ends.extend(m.end() for m in reversed(list(_PHONE_GROUP_END.finditer(candidate))))
        for end in ends:
            if end >= _SHORTEST_PHONE and _phone_ok(candidate[:end]):
                yield start, start + end, "PHONE"
                pos = start + end
                break


def _find_cards(text: str) -> Iterator[Span]:
    # Every Luhn-valid window of whole groups is a finding; overlapping ones are merged later,
    # so a number glued to a card ("12 4111 1111 1111 1111") can never hide part of it.
    for run in _CARD_RUN.finditer(text):
        found = list(_CARD_GROUP.finditer(run.group()))
        groups = [group.group() for group in found]
        starts = [run.start() + group.start() for group in found]
        remaining = sum(len(group) for group in groups)  # digits from groups[first] on
        for first, group in enumerate(groups):
            if remaining < 13:
                break
            remaining -= len(group)
            if group[0] == "0":
                continue
            digits = ""
            for last in range(first, len(groups)):
                if last > first and (not 4 <= len(groups[last - 1]) <= 6 or len(groups[last]) > 6):
                    break  # grouped cards have groups of 4 to 6 digits (the last may be short)
                digits += groups[last]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_ok(digits):
                    yield starts[first], starts[last] + len(groups[last]), "CARD"


def _find_ssns(text: str) -> Iterator[Span]:
    for match in _SSN.finditer(text):
        start, end = match.start() - 3, match.end()
        candidate = text[start:end]
        if candidate[3] != candidate[6]:  # one kind of separator
            continue
        area, group, serial = candidate[:3], candidate[4:6], candidate[7:]
        if area not in ("000", "666") and group != "00" and serial != "0000":
            yield start, end, "SSN"


def _find_ninos(text: str) -> Iterator[Span]:
    for match in _NINO.finditer(text):
        if match.group()[:2].upper() not in _NINO_UNALLOCATED:
            yield match.start(), match.end(), "NINO"


def _find_ips(text: str) -> Iterator[Span]:
    if "." in text and _IP_HINT.search(text):
        for match in _IPV4.finditer(text):
            octets = match.group().split(".")
            if all(len(octet) == 1 or (octet[0] != "0" and int(octet) < 256) for octet in octets):
                yield match.start(), match.end(), "IP"
    if ":" in text and _IPV6_HINT.search(text):
        for match in _IPV6.finditer(text):
            candidate = match.group()
            if candidate.count(":") < 7 and "::" not in candidate:
                continue  # times (14:30:05) and MAC-like pairs are not IPv6
            if len(candidate) - candidate.count(":") - candidate.count(".") < 3:
                continue  # "::", "a::b": punctuation, not an address
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield match.start(), match.end(), "IP"


def find(text: str) -> Iterator[Span]:
    """Yield every finding of this module's kinds in a matching copy (overlaps allowed)."""
    yield from _find_emails(text)
    if not _DIGIT.search(text):
        return
    yield from _find_phones(text)
    yield from _find_ssns(text)
    yield from _find_ips(text)
    if _CARD_OR_NINO_HINT.search(text):
        yield from _find_cards(text)
        yield from _find_ninos(text)
