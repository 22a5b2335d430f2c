"""Numbers well-kept libraries decide: phones (``phonenumbers``), IBANs and ids (``stdnum``).

``PHONE``
    Every number :class:`phonenumbers.PhoneNumberMatcher` finds valid for the default region
    (``NUDGEBOT_PHONE_REGION``), and national-format numbers valid in one of the regions in
    :data:`REGIONS` (German ``030 12345678``, Indian ``098765 43210``, Brazilian
    ``(11) 91234-5678``...) when they look like a phone: a trunk ``0`` or a bracketed area
    code, a phone word before them ("call", "mobile", "Handy", "celular"...), or grouped digits
    of a mobile number. Numbers after an order word ("order", "ticket", "invoice"...) and
    dates are left alone.
``IBAN``
    Any case, compact or grouped by spaces, dashes or dots, when :mod:`stdnum.iban` accepts it
    (the country's length and format, and the ISO 13616 mod-97 check).
``ID``
    National identifiers whose shape and checksum are enough on their own: French INSEE/NIR,
    Indian Aadhaar (grouped 4-4-4) and PAN, Brazilian CPF (``123.456.789-09``), Spanish DNI and
    NIE, German Steuer-ID (grouped 2-3-3-3), Italian codice fiscale, Chinese resident id,
    Mexican CURP. Numbers that only a name makes an id (SSN without dashes, TFN, My Number,
    passports...) are found by :mod:`.context`.

Both libraries are imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any

from nudgebot.engine.pii.cues import ORDER_CUE, PHONE_CUE, cue_before, inside_a_code

__all__ = ["DEFAULT_REGION", "REGIONS", "find", "id_ok"]

Span = tuple[int, int, str]

#: The region national-format phone numbers are read in when none is configured.
DEFAULT_REGION = "GB"

#: Regions whose national formats are tried after the default one.
REGIONS: tuple[str, ...] = (
    "GB", "US", "DE", "FR", "ES", "IT", "NL", "BE", "IE", "PT", "AT", "CH", "PL", "SE",
    "IN", "BR", "MX", "AU", "NZ", "JP", "CN", "ZA", "CA",
)  # fmt: skip

_DIGIT = re.compile(r"[0-9]")
_SEVEN_DIGITS = re.compile(r"[0-9](?:[^0-9\n]{0,3}[0-9]){6}")
_NON_DIGITS = re.compile(r"[^0-9]+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")

# A run of digit groups separated by single characters; the first may be a bracketed area code.
_RUN = re.compile(
    r"(?<![\w+#$£€¥@/:.,-])(?<![0-9][.,])"
    r"(?:\([0-9]{1,5}\) ?[0-9]+|[0-9]+)(?:[ ./-][0-9]+)*(?!\w)"
)
_GLUED_BEFORE = re.compile(r"[\w#$£€¥@/:.,-]$")
_GLUED_AFTER = re.compile(r"\w|[.,/:-][0-9]")
_GROUP = re.compile(r"\([0-9]{1,5}\)|[0-9]+")
_DATE = re.compile(r"[0-9]{1,2}([./-])[0-9]{1,2}\1[0-9]{2,4}|[0-9]{4}([./-])[0-9]{1,2}\2[0-9]{1,2}")
_SHORTEST_NATIONAL, _LONGEST_NATIONAL = 9, 13
_MATCHER_TRIES = 200

_IBAN = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9].)[A-Za-z][0-9]{2}(?:[ .-]?[A-Za-z0-9]{1,4}){3,9}(?![A-Za-z0-9])"
)
_IBAN_SEPARATOR = re.compile(r"[ .-](?=[A-Za-z0-9]+$)")


@cache
def _validator(module: str) -> Callable[[str], bool]:
    """Return ``is_valid`` of a :mod:`stdnum` module, importing it on first use."""
    import importlib

    checker: Any = importlib.import_module(f"stdnum.{module}")
    is_valid: Callable[[str], bool] = checker.is_valid
    return is_valid


def id_ok(module: str, value: str) -> bool:
    """Return whether ``value`` passes the :mod:`stdnum` check ``module`` (e.g. ``"fr.nir"``)."""
    try:
        return bool(_validator(module)(value))
    except Exception:  # a library fault must never let a review fail
        return False


# Shapes that are ids on their own when their checksum passes: (pattern, stdnum module).
_IDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (  # INSEE / NIR: sex, year, month, department, commune, order, key
        re.compile(
            r"[12](?<![\w.-].)[ .]?[0-9]{2}[ .]?[0-9]{2}[ .]?(?:[0-9]{2}|2[ABab])[ .]?[0-9]{3}"
            r"[ .]?[0-9]{3}[ .]?[0-9]{2}(?![\w-]|[.][0-9])"
        ),
        "fr.nir",
    ),
    (
        re.compile(r"[2-9](?<![\w.-].)[0-9]{3}([ -])[0-9]{4}\1[0-9]{4}(?![\w-]|[.][0-9])"),
        "in_.aadhaar",
    ),
    (re.compile(r"[A-Z](?<!\w.)[A-Z]{2}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z](?!\w)"), "in_.pan"),
    (re.compile(r"[0-9](?<![\w.-].)[0-9]{2}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![\w-])"), "br.cpf"),
    (re.compile(r"[0-9](?<![\w.-].)[0-9]{7}-?[A-Za-z](?!\w)"), "es.dni"),
    (re.compile(r"[XYZxyz](?<!\w.)-?[0-9]{7}-?[A-Za-z](?!\w)"), "es.nie"),
    (
        re.compile(r"[0-9](?<![\w.-].)[0-9] [0-9]{3} [0-9]{3} [0-9]{3}(?![\w-]|[ .][0-9])"),
        "de.idnr",
    ),
    (
        re.compile(
            r"[A-Za-z](?<!\w.)[A-Za-z]{5}[0-9LMNP-V]{2}[A-Za-z][0-9LMNP-V]{2}[A-Za-z]"
            r"[0-9LMNP-V]{3}[A-Za-z](?!\w)"
        ),
        "it.codicefiscale",
    ),
    (re.compile(r"[1-9](?<![\w.-].)[0-9]{16}[0-9Xx](?!\w)"), "cn.ric"),
    (re.compile(r"[A-Z](?<!\w.)[A-Z]{3}[0-9]{6}[HM][A-Z]{5}[0-9A-Z][0-9](?!\w)"), "mx.curp"),
)


def _find_ids(text: str) -> Iterator[Span]:
    for pattern, module in _IDS:
        for match in pattern.finditer(text):
            if id_ok(module, _NON_ALNUM.sub("", match.group()).upper()):
                yield match.start(), match.end(), "ID"


def _iban_ok(compact: str) -> bool:
    """Return whether an upper-case IBAN passes the country's format and the mod-97 check.

    The national check digits inside some BBANs (Belgium's, for one) are not required: a
    number with a slip in them is still somebody's bank account.
    """
    try:
        from stdnum import iban

        iban.validate(compact, check_country=False)
    except Exception:  # InvalidFormat, InvalidChecksum... or a library fault
        return False
    return True


def _find_ibans(text: str) -> Iterator[Span]:
    pos = 0
    while match := _IBAN.search(text, pos):
        candidate = match.group()
        pos = match.start() + 1
        # A grouped IBAN may have swallowed the next word or number (or IBAN): drop trailing
        # groups until the check passes, and look for the next one right after it.
        while not _iban_ok(_NON_ALNUM.sub("", candidate).upper()):
            cut = _IBAN_SEPARATOR.search(candidate)
            if cut is None:
                break
            candidate = candidate[: cut.start()]
        else:
            yield match.start(), match.start() + len(candidate), "IBAN"
            pos = match.start() + len(candidate)


def _find_library_phones(text: str, region: str) -> Iterator[Span]:
    import phonenumbers

    # At most _MATCHER_TRIES candidates: the matcher is pure Python and a 40,000-character
    # draft of numbers would take it a second; the national finder below still sees them all.
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region, phonenumbers.Leniency.VALID, max_tries=_MATCHER_TRIES
    )
    for match in matcher:
        start = match.start
        if match.raw_string.count("(") > match.raw_string.count(")"):
            start += 1  # "(+33 1 23 45 67 89)": the bracket is the sentence's, not the number's
        if _GLUED_BEFORE.search(text, max(0, start - 1), start) or _GLUED_AFTER.match(
            text, match.end
        ):
            continue  # part of a longer token: a version (10.0.19045.3803), a reference
        if not _order_number(text, start, match.end):
            yield start, match.end, "PHONE"


def _order_number(text: str, start: int, end: int) -> bool:
    """Return whether the number at ``text[start:end]`` is named as an order, ticket...

    Only a number without spaces or brackets counts (``2024-000123``, ``0123-4567-89``): an
    order word does not make a number written like a phone (``07700 900123``, ``+44 ...``)
    any less of a phone.
    """
    number = text[start:end]
    unbroken = number[0].isdigit() and not any(char in number for char in " ()")
    return unbroken and cue_before(text, start, ORDER_CUE)


def _windows(run: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` windows of whole digit groups of a run, longest first.

    Every separator in a window is a single character and, after the area code (which may
    stand apart: ``(11) 91234-5678``, ``11 91234-5678``), all are the same, as in a phone
    number written by hand.
    """
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)][:8]
    for first in range(min(len(groups), 3)):
        if first and run[groups[first - 1][1] : groups[first][0]] != " ":
            continue  # "10.0.19045.3803": no window starts inside a dotted number
        for last in range(len(groups) - 1, first - 1, -1):
            if last + 1 < len(groups) and run[groups[last][1] : groups[last + 1][0]] != " ":
                continue
            separators = [run[groups[i][1] : groups[i + 1][0]] for i in range(first, last)]
            if all(len(s) <= 1 for s in separators) and len(set(separators[1:])) <= 1:
                yield groups[first][0], groups[last][1]


@lru_cache(maxsize=4096)  # bounded: a server sees new numbers all day
def _parsed_valid(digits: str, region: str) -> tuple[bool, bool]:
    """Return whether a national number is valid in ``region``, and whether it is a mobile."""
    import phonenumbers

    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return False, False
    if not phonenumbers.is_valid_number_for_region(number, region):
        return False, False
    kind = phonenumbers.number_type(number)
    return True, kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _national_ok(candidate: str, digits: str, cued: bool, region: str) -> bool:
    """Return whether a national-format candidate is a phone number in some region."""
    if not _SHORTEST_NATIONAL <= len(digits) <= _LONGEST_NATIONAL or _DATE.fullmatch(candidate):
        return False
    groups = _GROUP.findall(candidate)
    if any(len(group) < 2 for group in groups[1:]):
        return False  # "07700 900123 2": a phone number does not end on a lone digit
    shaped = candidate[0] in "0("
    valid, mobile = _parsed_valid(digits, region)
    if valid and (shaped or cued or (mobile and len(groups) > 1)):
        return True
    if not (shaped or cued):  # elsewhere only a trunk 0, an area code or a phone word will do
        return False
    return any(_parsed_valid(digits, place)[0] for place in REGIONS if place != region)


def _find_national_phones(text: str, region: str) -> Iterator[Span]:
    for run in _RUN.finditer(text):
        if _digit_count(run.group()) < _SHORTEST_NATIONAL:
            continue
        cued = cue_before(text, run.start(), PHONE_CUE) and not cue_before(
            text, run.start(), ORDER_CUE
        )
        if not cued and inside_a_code(text, run.start()):
            continue
        taken = 0
        for start, end in _windows(run.group()):
            if start < taken:
                continue
            candidate = run.group()[start:end]
            if _order_number(text, run.start() + start, run.start() + end):
                continue
            whole = start == 0 and end == len(run.group())
            if not (whole or cued or candidate[0] in "0("):
                continue  # part of a longer run of numbers (a tracking number) needs a cue
            if _national_ok(candidate, _NON_DIGITS.sub("", candidate), cued, region):
                yield run.start() + start, run.start() + end, "PHONE"
                taken = end


def _digit_count(text: str) -> int:
    return len(_NON_DIGITS.sub("", text))


def find(text: str, region: str = DEFAULT_REGION) -> Iterator[Span]:
    """Yield the phones, IBANs and national ids of a matching copy (overlaps allowed)."""
    if not _DIGIT.search(text):
        return
    yield from _find_ibans(text)
    yield from _find_ids(text)
    if _SEVEN_DIGITS.search(text):
        yield from _find_library_phones(text, region)
        yield from _find_national_phones(text, region)
