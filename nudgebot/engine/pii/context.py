"""Personal data that only its context makes personal: a cue word, or a street's shape.

``DOB``
    A date after a birth cue ("DOB", "date of birth", "born on", "birthday", "geboren am",
    "né le", "fecha de nacimiento", "data de nascimento"...): ``12/03/1985``, ``1985-03-12``,
    ``12 March 1985``, ``March 12, 1985``. Dates without such a cue (deliveries, invoices) stay.
``ADDRESS``
    A street address: a house number and a street word (``221B Baker Street``,
    ``15 rue de Rivoli``, ``Hauptstraße 5``, ``Calle Mayor 12``, ``Keizersgracht 123``) with the
    town and postcode that follow it, or whatever follows an address cue ("my address is",
    "lives at", "ship to", "deliver to"...) when it holds a number: capitalised words, numbers
    and postcodes up to the end of the clause.
``SSN``, ``ID``, ``PASSPORT``
    A number named by its cue: "SSN 123456789", "TFN 123 456 782", "My Number 1234 5678 9012",
    "Aadhaar 234123412346", "CPF 12345678909", "Steuer-ID 12345678901", "INSEE ...",
    "BSN", "SIN", "ID number", "driver's licence", "passport number C01X00T47"... A named
    number is redacted whatever its checksum says: the name is the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["find"]

Span = tuple[int, int, str]

_MONTHS = (
    r"(?:jan(?:uary|vier|uar|eiro)?|feb(?:ruary|ruar)?|f[ée]v(?:rier)?|mar(?:ch|s|zo|ço)?|"
    r"m[äa]rz|apr(?:il)?|avr(?:il)?|abr(?:il)?|may|mai|mayo|maio|jun(?:e|i|io|ho)?|juin|"
    r"jul(?:y|i|io|ho)?|juil(?:let)?|aug(?:ust)?|ao[ûu]t|ago(?:sto)?|sep(?:t(?:ember)?)?|"
    r"sept(?:embre)?|se[pt]iembre|setembro|oct(?:ober|obre)?|okt(?:ober)?|out(?:ubro)?|"
    r"nov(?:ember|embre|iembre|embro)?|dec(?:ember)?|d[ée]c(?:embre)?|dez(?:ember|embro)?|"
    r"dic(?:iembre)?)\.?"
)
_DATE = (
    r"(?:[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th|er|º)?\.?(?: of| de)? {_MONTHS},?(?: de)? [0-9]{{4}}"
    rf"|{_MONTHS} [0-9]{{1,2}}(?:st|nd|rd|th)?,? [0-9]{{4}})"
)
_DOB = re.compile(
    r"(?<!\w)(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on| in)?|birthday(?: is)?|"
    r"geboren(?: am)?|geburtsdatum|n[ée]e? le|date de naissance|fecha de nacimiento|"
    r"nacid[oa] el|data de nascimento|nascid[oa] em|data di nascita|nat[oa] il|生年月日)"
    # then up to three short words ("is", "ist der", "was on", "é", ":") before the date
    rf"(?:[^\w\n]{{0,3}}[^\W\d_]{{1,4}}){{0,3}}[^\w\n]{{0,3}}(?P<value>{_DATE})",
    re.IGNORECASE,
)

# Address pieces. A "word" of an address is capitalised (any script's capitals via [^\W\d_a-z]
# is too broad, so Latin capitals with accents), a number (with a letter: 221B, 12a, 3/4), a
# postcode, or one of a few lower-case street words and particles.
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*(?!\w)"
_NUMBER = r"[0-9]{1,5}(?:[a-zA-Z](?!\w)|/[0-9]{1,3}|-[0-9]{1,4})?(?![0-9])"
_POSTCODE = (
    r"[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}"
    r"|[0-9]{4} ?[A-Z]{2}(?!\w)|[0-9]{4,6}(?:-[0-9]{3,4})?"
    r"|[0-9]{3} ?[0-9]{2}|[0-9]{3}-[0-9]{4}"
)
_STREET_WORDS = (
    r"street|st|road|rd|lane|ln|avenue|ave|av|drive|dr|close|way|court|ct|place|pl|crescent|"
    r"terrace|boulevard|blvd|gardens|grove|square|sq|hill|parkway|row|mews|walk|highway|hwy"
)
_PARTICLES = (
    r"de|du|des|la|le|les|del|da|do|dos|das|di|della|van|von|der|den|am|an|im|the|of|"
    r"rue|avenue|boulevard|bd|chemin|allée|impasse|quai|place|calle|avenida|avda|paseo|plaza|"
    r"via|viale|piazza|corso|rua|travessa|flat|apt|apartment|unit|suite|no|nº|n°|bis|ter|"
    + _STREET_WORDS
)
_WORD = rf"(?:{_NUMBER}|{_CAP}|(?:{_PARTICLES})\.?(?!\w))"
_CONTINUATION = (
    rf"(?:,? (?:{_POSTCODE})(?!\w)(?: {_CAP}(?: {_CAP}){{0,2}})?"  # ", 10115 Berlin"
    rf"|, {_CAP}(?: {_CAP}){{0,2}}(?: (?:{_POSTCODE}))?(?!\w))"  # ", London NW1 6XE"
)
_CONTINUATIONS = rf"(?:{_CONTINUATION}){{0,3}}"

_STREET = re.compile(
    # 221B Baker Street / 12 High St / 742 Evergreen Terrace
    rf"(?<![\w.,/-])(?:{_NUMBER}),? (?:{_CAP} ){{1,3}}(?:{_STREET_WORDS.title()}|"
    rf"{_STREET_WORDS.upper()}|{_STREET_WORDS})(?:\.(?=,| [a-z0-9]))?(?!\w)"
    r"(?: (?:[NSEW]|[NS][EW])(?!\w))?"
    rf"{_CONTINUATIONS}"
    # 15 rue de Rivoli / 3 avenue des Champs / 10 Calle Mayor
    rf"|(?<![\w.,/-])(?:{_NUMBER}),? (?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|quai|"
    rf"place|calle|avenida|rua|via|viale|piazza|corso)(?: (?:d[eu]s?|de la|d'|l'|del|do|da|di|"
    rf"della))? ?{_CAP}(?: {_CAP}){{0,3}}{_CONTINUATIONS}"
    # Hauptstraße 5 / Berliner Str. 12 / Keizersgracht 123 / Calle Mayor 12 / Via Roma 1
    rf"|(?<![\w-])(?:(?:{_CAP} )?(?:Stra(?:ß|ss)e|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm)"
    rf"|[A-ZÀ-ÖØ-Þ][\w'-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|allee|platz|ring|damm|"
    rf"straat|laan|gracht|kade|plein|steeg|vej|gade|gatan|vägen)|(?:Calle|C/|Avenida|Avda\.|"
    rf"Av\.|Paseo|Plaza|Praça|Via|Viale|Piazza|Corso|Rua|Travessa|Carrer|Rue|Avenue)"
    rf"(?: (?:de(?:l| la| los| las)?|do|da|dos|das|di|della|du|des))? {_CAP}(?: {_CAP}){{0,2}})"
    rf",? (?:n[º°o]\.? ?)?{_NUMBER}(?!\w){_CONTINUATIONS}"
)
_ADDRESS_CUE = re.compile(
    r"(?<!\w)(?:(?:my|our|his|her|their|home|new|billing|shipping|delivery|postal) address"
    r"(?: is| to| as| at)?|address(?: is|:)|lives? at|living at|moved to|reside[sd]? at|"
    r"ship(?:ped)? (?:it )?to|deliver(?:ed)? (?:it )?to|send (?:it|them) to|post (?:it )?to|"
    r"wohn\w*(?: jetzt)?(?: in| am| an)?(?: der| dem)?|adresse(?: est)?|j'habite(?: au| à)?|"
    r"dirección(?: es)?|vivo en|endereço(?: é)?|morada(?: é)?|moro (?:na|no|em)|"
    r"entreg\w* (?:na|no|em|a|en)|envi\w* (?:a|para)|indirizzo(?: è)?|abito (?:in|a))"
    r"[^\w\n]{0,3}",
    re.IGNORECASE,
)
_CUED_ADDRESS = re.compile(rf"{_WORD}(?:,? {_WORD}){{1,11}}{_CONTINUATIONS}")

_FILLER = (
    r"(?:[^\w\n]{0,3}(?:(?:number|no|nr|num|n[º°]|is|was|it's|its|reads|of|card|id|ist|lautet|"
    r"est|es|é|è|do|de|del|di)\b"
    r"|は|番号|是|号码)){0,3}"
)
_CUED_NUMBERS: tuple[tuple[str, str, str], ...] = (
    # (cue, kind, value pattern)
    (r"ssn|social security(?: number| no)?|ss#", "SSN", r"[0-9]{3}[ .-]?[0-9]{2}[ .-]?[0-9]{4}"),
    (
        r"tfn|tax file(?: number)?|sin|social insurance(?: number)?|bsn|burgerservicenummer|"
        r"citizen service number|マイナンバー|個人番号|individual number|"
        r"aadhaa?r|uid|cpf|steuer-?id|steuer-?identifikationsnummer|steuernummer|"
        r"identifikationsnummer|idnr|tax id|tin|insee|nir|num[ée]ro de s[ée]curit[ée] sociale|"
        r"s[ée]cu(?:rit[ée] sociale)?|codice fiscale|nif|nie|dni|rfc|curp|pps|pesel|"
        r"personnummer|nric|cnic|rut|cédula|cedula",
        "ID",
        r"[0-9A-Z][0-9A-Z .-]{5,22}[0-9A-Z]",
    ),
    (r"my ?number(?: card)?", "ID", r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}"),  # Japan's, 12 digits
    (r"pan(?: card)?", "ID", r"[A-Z]{5}[0-9]{4}[A-Z]"),  # India's, in any case
    (
        r"(?:national |identity |id(?:entity)? )(?:card )?(?:number|no|#)|id(?:entity)? card|"
        r"id ?#|id number|driver'?s? licen[cs]e(?: number)?|driving licen[cs]e(?: number)?|"
        r"licen[cs]e (?:number|no)|personalausweis(?:nummer)?|ausweisnummer|"
        r"carte d'identit[ée]|documento de identidad",
        "ID",
        r"[0-9A-Z][0-9A-Z -]{3,22}[0-9A-Z]",
    ),
    (
        r"passport|passports|reisepass\w*|passnummer|passeport|pasaporte|passaporto|passaporte|パスポート|护照",
        "PASSPORT",
        r"[0-9A-Z][0-9A-Z -]{4,12}[0-9A-Z]",
    ),
)
_NAMED = tuple(
    (
        re.compile(
            rf"(?<!\w)(?:{cue})(?![A-Za-z]){_FILLER}[^\w\n]{{0,4}}(?P<value>{value})(?!\w)",
            re.IGNORECASE,
        ),
        kind,
    )
    for cue, kind, value in _CUED_NUMBERS
)
_TRAILING_WORD = re.compile(r"[ .-]+[A-Za-z]+$")
_LEADING_WORD = re.compile(r"^[A-Za-z]+[ .-]+")


def _find_dobs(text: str) -> Iterator[Span]:
    for match in _DOB.finditer(text):
        yield match.start("value"), match.end("value"), "DOB"


def _find_streets(text: str) -> Iterator[Span]:
    for match in _STREET.finditer(text):
        yield match.start(), match.end(), "ADDRESS"


def _find_cued_addresses(text: str) -> Iterator[Span]:
    for cue in _ADDRESS_CUE.finditer(text):
        match = _CUED_ADDRESS.match(text, cue.end())
        if match and any(char.isdigit() for char in match.group()):
            yield match.start(), match.end(), "ADDRESS"


def _find_named_numbers(text: str) -> Iterator[Span]:
    for pattern, kind in _NAMED:
        for match in pattern.finditer(text):
            value = match.group("value")
            # The value pattern may run on into the next word ("C01X00T47 expires"): drop
            # trailing words without digits.
            while (tail := _TRAILING_WORD.search(value)) and tail.start() > 0:
                value = value[: tail.start()]
            start = match.start("value")
            while (head := _LEADING_WORD.match(value)) and head.end() < len(value):
                value, start = value[head.end() :], start + head.end()
            if sum(char.isdigit() for char in value) >= 4:
                yield start, start + len(value), kind


def find(text: str) -> Iterator[Span]:
    """Yield the dates of birth, addresses and named numbers of a matching copy."""
    if not any(char.isdigit() for char in text):
        return
    yield from _find_dobs(text)
    yield from _find_streets(text)
    yield from _find_cued_addresses(text)
    yield from _find_named_numbers(text)
