"""Finders of personal data, used by :mod:`nudgebot.engine.redaction`.

Each finder takes the *matching copy* of a text (:func:`nudgebot.engine.normalize.matching_copy`:
NFKC, ASCII digits, plain spaces and dashes) and yields ``(start, end, kind)`` spans of it.

- ``patterns``: shapes that plain ``re`` decides with a checksum where there is one (e-mail
  addresses and their spelled-out variants, cards by Luhn, US SSNs, UK NINOs, IPv4, IPv6);
- ``numbers``: numbers a well-kept library decides: phone numbers (``phonenumbers``), IBANs and
  national identifiers with their checksums (``python-stdnum``), both imported on first use;
- ``context``: what only a cue word makes personal: dates of birth, street addresses,
  passports and identity numbers named as such.
"""
