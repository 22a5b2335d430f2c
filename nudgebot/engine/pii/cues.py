"""Cue words: what the few words before a number say it is (a phone, an order, an id...)."""

from __future__ import annotations

import re

__all__ = ["ORDER_CUE", "PHONE_CUE", "cue_before", "inside_a_code"]

_WINDOW = 40

#: Words that introduce a phone number, in several languages, up to three words before it.
#: ("number" alone too: callers check :data:`ORDER_CUE` first, so "order number" is not one.)
PHONE_CUE = re.compile(
    r"(?:(?<!\w)(?:phone|tel|telephone|mobile|cell|cellphone|call|ring|text|sms|whats ?app|"
    r"number|"
    r"reach (?:me|us|her|him)|contact|handy\w*|telefon\w*|festnetz|anruf\w*|ruf\w*|"
    r"t[ée]l[ée]phone|portable|joindre|appel\w*|celular|m[óo]vil|tel[ée]fono|telefone|"
    r"ll[aá]m\w*|lig\w*|cham\w*|cellulare|chiam\w*|numero|número|bel\w*|nummer|"
    r"नंबर|फ़ोन|फोन|رقم\w*|هاتف\w*)|電話|携帯|手机|电话|号码)"
    r"[^\w\n]{0,3}(?:[\w']+[^\w\n]{1,3}){0,3}$",
    re.IGNORECASE,
)

#: Words that introduce an order, ticket or other business reference: not personal data.
ORDER_CUE = re.compile(
    r"(?<!\w)(?:order|ticket|ref|reference|invoice|inv|case|po|tracking|sku|booking|confirmation|"
    r"parcel|shipment|package|item|serial|version|transaction|txn|receipt|model|part|"
    r"batch|lot|account code|product|article|bestellung|commande|pedido|ordine)"
    r"[^\w\n]{0,3}(?:(?:no|nr|number|num|id|code|is)\b[^\w\n]{0,3}){0,2}$",
    re.IGNORECASE,
)


def cue_before(text: str, start: int, cue: re.Pattern[str], window: int = _WINDOW) -> bool:
    """Return whether ``cue`` ends right before ``start`` (within ``window`` characters)."""
    return cue.search(text, max(0, start - window), start) is not None


# A word mixing letters and digits right before a number (one space between); a time of day
# ("3pm", "10.30am") mixes them too and is no code.
_CODE_BEFORE = re.compile(
    r"(?<![\w.:-])(?![0-9]{1,2}(?:am|pm|AM|PM) $)"
    r"(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]+ $"
)


def inside_a_code(text: str, start: int) -> bool:
    """Return whether the number at ``start`` continues a code of letters and digits.

    ``1Z 999 AA1 01 2345 6784`` (a UPS tracking number): the word before the number mixes
    letters and digits, so the digits after it are the rest of that code, not a phone.
    """
    return _CODE_BEFORE.search(text, max(0, start - 24), start) is not None
