"""Tests for nudgebot.engine.redaction: personal data out before the LLM, back in after."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudgebot.engine.redaction import (
    KINDS,
    Redaction,
    Redactor,
    find_personal_data,
    redact_text,
)

# --------------------------------------------------------------------------------------------
# Each kind: found, replaced by [KIND_1], restored exactly
# --------------------------------------------------------------------------------------------

POSITIVES = [
    ("EMAIL", "ann.lee@example.co.uk"),
    ("EMAIL", "o'brien+billing@mail.example.com"),
    ("EMAIL", "José.García@correo.example.es"),
    ("PHONE", "+44 20 7946 0958"),
    ("PHONE", "+1 (415) 555-0100"),
    ("PHONE", "07700 900123"),
    ("PHONE", "(020) 7946 0958"),
    ("PHONE", "415-555-0100"),
    ("PHONE", "415.555.0100"),
    ("PHONE", "(415) 555-0100"),
    ("PHONE", "1-800-555-0199"),
    ("PHONE", "+44 (0)20 7946 0958"),
    ("PHONE", "0044 20 7946 0958"),
    ("PHONE", "+447700900123"),
    ("PHONE", "07700900123"),
    ("PHONE", "+33 1 23 45 67 89"),
    ("CARD", "4111 1111 1111 1111"),
    ("CARD", "4111-1111-1111-1111"),
    ("CARD", "4111111111111111"),
    ("CARD", "5555 5555 5555 4444"),
    ("CARD", "3782 822463 10005"),  # Amex, 4-6-5
    ("CARD", "6011000990139424"),
    ("CARD", "4222222222222"),  # 13 digits
    ("CARD", "4111 1111 1111 1111 003"),  # 19 digits, 4-4-4-4-3
    ("IBAN", "GB82 WEST 1234 5698 7654 32"),
    ("IBAN", "GB82WEST12345698765432"),
    ("IBAN", "DE89 3704 0044 0532 0130 00"),
    ("IBAN", "FR14 2004 1010 0505 0001 3M02 606"),
    ("IBAN", "NO9386011117947"),  # the shortest, 15 characters
    ("IBAN", "NL91 ABNA 0417 1643 00"),
    ("IBAN", "BE68539007547034"),
    ("SSN", "123-45-6789"),
    ("SSN", "078-05-1120"),
    ("NINO", "AB 12 34 56 C"),
    ("NINO", "AB123456C"),
    ("NINO", "jg 10 37 59 a"),
    ("IP", "192.168.0.12"),
    ("IP", "10.0.0.1"),
    ("IP", "255.255.255.255"),
    ("IP", "8.8.8.8"),
    ("IP", "2001:db8:85a3::8a2e:370:7334"),
    ("IP", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("PHONE", "030 12345678"),  # German, national format
    ("PHONE", "0151 23456789"),
    ("PHONE", "098765 43210"),  # Indian, with the trunk 0
    ("PHONE", "(11) 91234-5678"),  # Brazilian
    ("PHONE", "06 12 34 56 78"),  # French
    ("CARD", "4111.1111.1111.1111"),
    ("CARD", "4111\u00a01111\u00a01111\u00a01111"),  # no-break spaces
    ("CARD", "４１１１ １１１１ １１１１ １１１１"),  # fullwidth digits
    ("IBAN", "gb82 west 1234 5698 7654 32"),  # lower case
    ("IBAN", "DE89-3704-0044-0532-0130-00"),
    ("SSN", "123 45 6789"),
    ("ID", "1 85 05 78 006 084 91"),  # INSEE / NIR, with its key
    ("ID", "ABCPD1234E"),  # Indian PAN
    ("ID", "123.456.789-09"),  # Brazilian CPF
    ("ID", "12345678Z"),  # Spanish DNI
    ("ID", "RCCMNL83S18D969H"),  # Italian codice fiscale
    ("EMAIL", "ann [at] example [dot] com"),
    ("EMAIL", "ann(at)example.com"),
    ("ADDRESS", "221B Baker Street"),
    ("ADDRESS", "Hauptstraße 5, 10115 Berlin"),
]


@pytest.mark.parametrize(("kind", "value"), POSITIVES)
@pytest.mark.parametrize("template", ["{}", "Hi, it's {}.", "({}) thanks", "über {}, 谢谢 🙂"])
def test_each_kind_is_replaced_and_restored_exactly(kind: str, value: str, template: str) -> None:
    text = template.format(value)
    redacted, redactor = redact_text(text)
    assert redacted == template.format(f"[{kind}_1]")
    assert redactor.redactions == (Redaction(kind, f"[{kind}_1]", value),)
    assert redactor.restore(redacted) == text


def test_placeholders_are_numbered_per_kind_and_value() -> None:
    text = (
        "Mail ann@example.com or bob@example.com, call 07700 900123 or +44 20 7946 0958, "
        "card 4111 1111 1111 1111, server 10.0.0.1."
    )
    redacted, redactor = redact_text(text)
    assert redacted == (
        "Mail [EMAIL_1] or [EMAIL_2], call [PHONE_1] or [PHONE_2], card [CARD_1], server [IP_1]."
    )
    assert [r.placeholder for r in redactor.redactions] == [
        "[EMAIL_1]",
        "[EMAIL_2]",
        "[PHONE_1]",
        "[PHONE_2]",
        "[CARD_1]",
        "[IP_1]",
    ]
    assert {r.kind for r in redactor.redactions} <= set(KINDS)


# --------------------------------------------------------------------------------------------
# What must not be redacted
# --------------------------------------------------------------------------------------------

NEGATIVES = [
    # failing checksums
    "4111 1111 1111 1112",
    "4111111111111112",
    "1234 5678 9012 3456",
    "5555-5555-5555-4445",
    "0000 0000 0000 0000",  # Luhn-valid, but no card number starts with 0
    "GB82 WEST 1234 5698 7654 33",
    "GB83WEST12345698765432",
    "DE89370400440532013001",
    "NL92ABNA0417164300",
    "FR14 2004 1010 0505 0001 3M02 607",
    # SSN numbers never issued
    "000-12-3456",
    "666-12-3456",
    "912-34-5678",
    "123-00-4567",
    "123-45-0000",
    # NINO prefixes never allocated, and a wrong or missing suffix
    "QQ 12 34 56 C",
    "GB 12 34 56 A",
    "DA 12 34 56 A",
    "AO 12 34 56 A",
    "AB 12 34 56 E",
    "AB 12 34 56",
    # not IPv4 addresses
    "256.1.1.1",
    "1.2.3.4.5",
    "v1.2.3.4",
    # order numbers, references, codes
    "ORD-55120",
    "#48213",
    "order 48213",
    "ticket 2024-000123",
    "Invoice INV-2026-0042",
    "order #4821-3399-1020",
    "PO 4500012345",
    "tracking 1Z999AA10123456784",
    "SKU AB-1234-XY",
    # dates and times
    "2026-11-01",
    "01/11/2026",
    "01.11.2026",
    "on 2026-11-01 at 14:30",
    "on 01.11.2026 10.30",
    "14:30",
    "2:30 pm",
    "10.30am",
    "9:00-17:30",
    # money and amounts
    "$1,299.00",
    "£45.50",
    "€1.234,56",
    "USD 129.99",
    "1,000,000",
    "2.5%",
    # short numbers
    "3 items",
    "3-5 working days",
    "ext. 204",
    "Room 101",
    "call me at 5 pm",
    "+10 points",
    "+1 234 567",
    "version 2.4.1",
    "12 34 56 78",
    "41 11 11 11 11 11 11 11",  # Luhn-valid digits, but no card is grouped in pairs
    "+1234567",
    # not e-mail addresses
    "@here",
    "<@U07HR2KQ1>",
    "ann@localhost",
    "look at example.com",  # a plain " at " needs a spelled-out " dot "
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_left_alone(text: str) -> None:
    redacted, redactor = redact_text(f"About {text}, thanks.")
    assert redacted == f"About {text}, thanks."
    assert redactor.redactions == ()


def test_a_realistic_draft_without_personal_data_is_unchanged() -> None:
    draft = (
        "Hi Sam, thanks for your patience and sorry for the wait. I've checked order ORD-55120 "
        "(ticket #48213): the replacement left our warehouse on 2026-11-01 at 14:30. You were "
        "charged $129.99 and I've refunded the £4.50 delivery fee, which shows in 3-5 working "
        "days. If it isn't with you by Friday 6 November, reply here and I'll chase it myself."
    )
    assert redact_text(draft)[0] == draft


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("SSN", "my ssn is 123456789 thanks", "123456789"),
        ("ID", "My TFN is 123 456 782.", "123 456 782"),
        ("ID", "My Number 1234 5678 9018 for the form", "1234 5678 9018"),
        ("ID", "aadhaar 491837652305", "491837652305"),
        ("ID", "Meine Steuer-ID ist 36574261809.", "36574261809"),
        ("PASSPORT", "passport no. C01X00T47 expires soon", "C01X00T47"),
        ("DOB", "DOB 12/03/1985 for the check", "12/03/1985"),
        ("DOB", "I was born on 3 March 1979.", "3 March 1979"),
        (
            "ADDRESS",
            "My address is 14 Elm Road, Bristol BS1 5TR, thanks",
            "14 Elm Road, Bristol BS1 5TR",
        ),
        ("EMAIL", "email me at ann at example dot com", "ann at example dot com"),
        ("PHONE", "my number is 98765 43210", "98765 43210"),
        ("PHONE", "Llámame al 55 1234 5678 por favor", "55 1234 5678"),
        ("PHONE", "please disconnect my idea number 9868210681", "9868210681"),
        (
            "EMAIL",
            "write to john dot smith at example dot com",
            "john dot smith at example dot com",
        ),
        ("CARD", "Refund the card 4012  8888  8888  1881 please.", "4012  8888  8888  1881"),
    ],
)
def test_what_its_context_names_is_replaced(kind: str, text: str, value: str) -> None:
    redacted, redactor = redact_text(text)
    assert redacted == text.replace(value, f"[{kind}_1]")
    assert redactor.restore(redacted) == text


@pytest.mark.parametrize(
    "text",
    [
        "Your delivery address has been updated.",  # an address cue with no address
        "It should arrive by 3 March 2026.",  # a date, but not of birth
        "order 0123456789 is on its way",  # an unbroken number after an order word
        "You've been a customer since 2019.",  # "sin" inside a word is no cue
        "Windows 10.0.19045.3803 is supported.",
        "tracking number 9400 1000 0000 0000 0000 00",
        "Amazon order 112-4567890-1234567 was cancelled.",  # Luhn-valid digits, not a card's groups
        "UPS tracking 1Z 999 AA1 01 2345 6784.",  # its tail is not a phone
        "The router's serial 0123-4567-89 is out of warranty.",
    ],
)
def test_context_look_alikes_are_left_alone(text: str) -> None:
    assert find_personal_data(text) == []


@pytest.mark.parametrize("before", ["at 10.30am", "call at 3pm", "from 9:15AM"])
def test_a_phone_after_a_time_of_day_is_a_phone(before: str) -> None:
    text = f"{before} 07700 900123 please"
    assert [kind for _, _, kind in find_personal_data(text)] == ["PHONE"]


def test_the_default_region_decides_national_numbers_without_a_trunk_prefix() -> None:
    text = "Sure, 98765 43210 works."
    assert redact_text(text)[0] == text  # not a GB number, and nothing says it is a phone
    assert redact_text(text, region="IN")[0] == "Sure, [PHONE_1] works."
    assert Redactor("IN").redact(text) == "Sure, [PHONE_1] works."


def test_digits_of_any_script_and_any_separator_are_matched_but_the_original_is_restored() -> None:
    text = "Call ٠٥٠ ١٢٣ ٤٥٦٧ or my mobile ९८७६५ ४३२१०, card ４１１１-１１１１-１１１１-１１１１."
    redacted, redactor = redact_text(text)
    assert redacted == "Call [PHONE_1] or my mobile [PHONE_2], card [CARD_1]."
    assert redactor.restore(redacted) == text
    same = Redactor()
    assert same.redact("card ４１１１ １１１１ １１１１ １１１１") == same.redact(
        "card 4111 1111 1111 1111"
    )


# --------------------------------------------------------------------------------------------
# The personal-data corpus: how much reaches the model, how much is redacted for nothing
# --------------------------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def _load(name: str) -> list[dict[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    found, start = [], text.find(value)
    while start >= 0:
        found.append((start, start + len(value)))
        start = text.find(value, start + 1)
    assert found, f"{value!r} is not in {text!r}"
    return found


def _survives(text: str, value: str) -> bool:
    """Whether any visible character of any occurrence of ``value`` is left unredacted."""
    spans = find_personal_data(text)
    return any(
        not text[i].isspace() and not any(a <= i < b for a, b, _ in spans)
        for start, end in _occurrences(text, value)
        for i in range(start, end)
    )


def _touched(text: str, value: str) -> bool:
    """Whether any redaction overlaps ``value``."""
    spans = find_personal_data(text)
    return any(
        a < end and start < b for start, end in _occurrences(text, value) for a, b, _ in spans
    )


def test_the_personal_data_corpus_stays_off_the_wire() -> None:
    items = _load("personal_data.jsonl")
    assert len(items) >= 150
    assert len({item["country"] for item in items}) >= 12
    survived = [item for item in items if _survives(item["text"], item["value"])]
    share = len(survived) / len(items)
    print(f"\npersonal data reaching the model: {len(survived)}/{len(items)} = {share:.1%}")
    for item in survived:
        print(f"  survived: {item['country']} {item['kind']}")
    assert share <= 0.05


def test_look_alikes_in_the_corpus_are_rarely_redacted() -> None:
    items = _load("look_alikes.jsonl")
    assert len(items) >= 60
    over = [item for item in items if _touched(item["text"], item["value"])]
    share = len(over) / len(items)
    print(f"\nlook-alikes redacted: {len(over)}/{len(items)} = {share:.1%}")
    for item in over:
        print(f"  over-redacted: {item['kind']}: {item['value']}")
    assert share <= 0.05


def test_every_corpus_text_round_trips() -> None:
    for item in _load("personal_data.jsonl") + _load("look_alikes.jsonl"):
        redacted, redactor = redact_text(item["text"])
        assert redactor.restore(redacted) == item["text"]


# --------------------------------------------------------------------------------------------
# Edges of the patterns
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 07700 900123 2 times", "call [PHONE_1] 2 times"),
        ("order 12 07700 900123", "order 12 [PHONE_1]"),
        ("ref 0 07700 900123", "ref 0 [PHONE_1]"),
        ("tel:+447700900123", "tel:[PHONE_1]"),
        ("short +12345678, ok", "short [PHONE_1], ok"),
        ("card 4111 1111 1111 1111 exp 12/27", "card [CARD_1] exp 12/27"),
        ("card 4111 1111 1111 1111 123", "card [CARD_1] 123"),
        ("IBAN GB82 WEST 1234 5698 7654 32 ASAP", "IBAN [IBAN_1] ASAP"),
        ("IBAN BE68 5390 0754 7034 THEN", "IBAN [IBAN_1] THEN"),
        ("mail ann@example.com.", "mail [EMAIL_1]."),
        ("mail .ann@example.com", "mail .[EMAIL_1]"),
        ("<mailto:ann@example.com>", "<mailto:[EMAIL_1]>"),
        ("from 10.0.0.1.", "from [IP_1]."),
    ],
)
def test_neighbouring_text_stays_out_of_the_placeholder(text: str, expected: str) -> None:
    redacted, redactor = redact_text(text)
    assert redacted == expected
    assert redactor.restore(redacted) == text


def test_a_number_glued_to_a_card_never_leaves_part_of_it_visible() -> None:
    for prefix in ["12 ", "1234 ", "4012 8888 8888 1881 ", "0 "]:
        text = f"ref {prefix}4111 1111 1111 1111 thanks"
        redacted, redactor = redact_text(text)
        assert "4111" not in redacted
        assert "1111" not in redacted
        assert redactor.restore(redacted) == text


# --------------------------------------------------------------------------------------------
# Stable placeholders across texts, and spellings
# --------------------------------------------------------------------------------------------


def test_customer_message_and_draft_share_placeholders() -> None:
    redactor = Redactor()
    customer = redactor.redact("I'm ann@example.com, my card 4111 1111 1111 1111 was charged.")
    draft = redactor.redact("Ann, we e-mailed ann@example.com and refunded 4111 1111 1111 1111.")
    other = redactor.redact("Copying bob@example.com.")
    assert customer == "I'm [EMAIL_1], my card [CARD_1] was charged."
    assert draft == "Ann, we e-mailed [EMAIL_1] and refunded [CARD_1]."
    assert other == "Copying [EMAIL_2]."
    assert len(redactor.redactions) == 3


def test_two_spellings_of_one_value_share_a_placeholder_and_restore_to_the_first() -> None:
    redactor = Redactor()
    first = redactor.redact(
        "Ann@Example.com, 4111-1111-1111-1111, +44 20 7946 0958, GB82WEST12345698765432"
    )
    second = redactor.redact(
        "ann@example.com, 4111 1111 1111 1111, 0044 20 7946 0958, GB82 WEST 1234 5698 7654 32"
    )
    assert first == second == "[EMAIL_1], [CARD_1], [PHONE_1], [IBAN_1]"
    assert redactor.restore(second) == (
        "Ann@Example.com, 4111-1111-1111-1111, +44 20 7946 0958, GB82WEST12345698765432"
    )


def test_restore_keeps_text_that_is_not_an_exact_placeholder() -> None:
    redacted, redactor = redact_text("mail ann@example.com")
    assert redacted == "mail [EMAIL_1]"
    answer = "[EMAIL_1] / [email_1] / [EMAIL 1] / EMAIL_1 / [EMAIL_2] / [[EMAIL_1]] / [EMAIL_01]"
    assert redactor.restore(answer) == (
        "ann@example.com / [email_1] / [EMAIL 1] / EMAIL_1 / [EMAIL_2] / [ann@example.com] / "
        "[EMAIL_01]"
    )


def test_restore_without_redactions_returns_the_text() -> None:
    assert Redactor().restore("Thanks [EMAIL_1]!") == "Thanks [EMAIL_1]!"


# --------------------------------------------------------------------------------------------
# Placeholders the user typed
# --------------------------------------------------------------------------------------------


def test_a_typed_placeholder_is_never_issued() -> None:
    redactor = Redactor()
    redacted = redactor.redact("Template says [EMAIL_1] and [EMAIL_3]; mine is ann@example.com")
    assert redacted == "Template says [EMAIL_1] and [EMAIL_3]; mine is [EMAIL_2]"
    later = redactor.redact("also bob@example.com and cy@example.com")
    assert later == "also [EMAIL_4] and [EMAIL_5]"
    answer = "Keep [EMAIL_1] and [EMAIL_3]; write to [EMAIL_2]."
    assert redactor.restore(answer) == "Keep [EMAIL_1] and [EMAIL_3]; write to ann@example.com."
    assert redactor.unknown_placeholders(answer) == []


def test_a_typed_placeholder_in_a_later_text_is_escaped() -> None:
    redactor = Redactor()
    customer = redactor.redact("I'm ann@example.com")
    draft = redactor.redact("Dear [EMAIL_1], we wrote to ann@example.com")
    assert customer == "I'm [EMAIL_1]"
    typed = next(r for r in redactor.redactions if r.original == "[EMAIL_1]")
    assert typed.placeholder != "[EMAIL_1]"
    assert draft == f"Dear {typed.placeholder}, we wrote to [EMAIL_1]"
    assert redactor.restore(draft) == "Dear [EMAIL_1], we wrote to ann@example.com"
    assert redactor.restore("[EMAIL_1]") == "ann@example.com"
    assert redactor.restore(typed.placeholder) == "[EMAIL_1]"  # one pass, no chaining


def test_unknown_placeholders_are_the_ones_the_model_made_up() -> None:
    redactor = Redactor()
    redactor.redact("Call 07700 900123, see [NOTE_1]")
    answer = "Call [PHONE_1] or [PHONE_2] about [NOTE_1], [ORDER_7] and [PHONE_2] again; [phone_3]"
    assert redactor.unknown_placeholders(answer) == ["[PHONE_2]", "[ORDER_7]"]
    assert redactor.unknown_placeholders("no placeholders") == []


# --------------------------------------------------------------------------------------------
# Other text passes through
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Danke für Ihre Geduld 🙏 — wir melden uns bis Freitag.",
        "我们会尽快处理您的订单，谢谢！",
        "Привет! Заказ уже в пути 🚚",
        "شكرا لتواصلك معنا",
        "👍🏽👨‍👩‍👧 🇬🇧",
        "",
    ],
)
def test_non_english_text_and_emoji_pass_through(text: str) -> None:
    redacted, redactor = redact_text(text)
    assert redacted == text
    assert redactor.restore(redacted) == text


def test_personal_data_inside_non_english_text_is_found() -> None:
    text = "请联系 lilei@example.cn 或致电 +86 10 6552 9988 🙂 Grüße an 07700 900123"
    redacted, redactor = redact_text(text)
    assert redacted == "请联系 [EMAIL_1] 或致电 [PHONE_1] 🙂 Grüße an [PHONE_2]"
    assert redactor.restore(redacted) == text


def test_a_long_text_works() -> None:
    paragraph = (
        "Ticket #48213 from ann.lee@example.co.uk (07700 900123) on 2026-11-01: card "
        "4111 1111 1111 1111 was charged £45.50 twice; refund to GB82 WEST 1234 5698 7654 32. "
        "Logged from 192.168.0.12 — 谢谢 🙏. "
    )
    text = (paragraph * (40_000 // len(paragraph) + 1))[:40_000]
    assert len(text) == 40_000
    redacted, redactor = redact_text(text)
    assert "ann.lee@example.co.uk" not in redacted
    assert "4111 1111 1111 1111" not in redacted
    assert "07700 900123" not in redacted
    assert redacted.count("[EMAIL_1]") == text.count("ann.lee@example.co.uk")
    assert {r.placeholder for r in redactor.redactions} >= {"[EMAIL_1]", "[PHONE_1]", "[CARD_1]"}
    assert redactor.restore(redacted) == text


@pytest.mark.parametrize("unit", ["1 ", "1111 ", "1-", "1.2.3.4.", "[EMAIL_1] ", "+", "@a."])
def test_degenerate_long_texts_round_trip(unit: str) -> None:
    text = unit * (40_000 // len(unit))
    redactor = Redactor()
    redactor.redact("ann@example.com")
    assert redactor.restore(redactor.redact(text)) == text


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str(-total % 10)


def iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=count, max_size=count)


emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z][a-z0-9._+-]{0,10}[a-z0-9]", fullmatch=True).filter(
        lambda local: ".." not in local
    ),
    st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True),
    st.sampled_from(["com", "co.uk", "org", "de", "io"]),
)
phones = st.one_of(
    st.builds("+44 20 {} {}".format, digits(4), digits(4)),
    st.builds("+1 ({}) {}-{}".format, st.integers(200, 999), st.integers(200, 999), digits(4)),
    st.builds("07{} {}".format, digits(3), digits(6)),
    st.builds("(0161) {} {}".format, digits(3), digits(4)),
    st.builds("{}-{}-{}".format, st.integers(200, 999), st.integers(200, 999), digits(4)),
)
cards = st.builds(
    lambda body: " ".join((body + luhn_check_digit(body))[i : i + 4] for i in range(0, 16, 4)),
    st.builds("{}{}".format, st.sampled_from("3456"), digits(14)),
)
ibans = st.one_of(
    st.builds(lambda bank, account: iban("GB", bank + account), st.just("WEST"), digits(14)),
    st.builds(lambda account: iban("DE", account), digits(18)),
)
ssns = st.builds(
    "{:03d}-{:02d}-{:04d}".format,
    st.integers(1, 899).filter(lambda area: area != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)
ninos = st.builds(
    "{}{} {} {} {} {}".format,
    st.sampled_from("ABCEHJKLMPRSTWXY"),
    st.sampled_from("ABCEHJLMPRSWXYZ"),
    digits(2),
    digits(2),
    digits(2),
    st.sampled_from("ABCD"),
)
ips = st.builds("{}.{}.{}.{}".format, *[st.integers(0, 255)] * 4)
pii = st.one_of(emails, phones, cards, ibans, ssns, ninos, ips)

WORDS = [
    "thanks", "order", "ORD-55120", "#48213", "2026-11-01", "14:30", "£45.50", "$1,299.00",
    "3", "items", "Straße", "谢谢", "🙏", "[EMAIL_1]", "[PHONE_2]", "ok", "10.30am", "Hi",
]  # fmt: skip
words = st.sampled_from(WORDS)
separators = st.sampled_from([" ", ", ", "\n", " and ", ": "])


@st.composite
def drafts(draw: st.DrawFn, noise: bool) -> tuple[str, list[str]]:
    """A text of words and personal data (and, with ``noise``, random text)."""
    parts = st.one_of(words, pii, st.text(max_size=12)) if noise else st.one_of(words, pii)
    pieces = draw(st.lists(parts, max_size=14))
    values = [piece for piece in pieces if piece not in WORDS]
    text = ""
    for piece in pieces:
        text += piece + draw(separators)
    return text, values


@given(drafts(noise=True))
def test_restore_inverts_redact(draft: tuple[str, list[str]]) -> None:
    text, _ = draft
    redacted, redactor = redact_text(text)
    assert redactor.restore(redacted) == text


@given(drafts(noise=False), drafts(noise=False))
def test_no_generated_value_survives_and_both_texts_round_trip(
    first: tuple[str, list[str]], second: tuple[str, list[str]]
) -> None:
    redactor = Redactor()
    redacted = [redactor.redact(first[0]), redactor.redact(second[0])]
    for value in first[1] + second[1]:
        assert all(value not in text for text in redacted), value
    assert [redactor.restore(text) for text in redacted] == [first[0], second[0]]
    assert redactor.unknown_placeholders(" ".join(redacted)) == []


@settings(max_examples=300)
@given(st.text())
def test_restore_inverts_redact_on_any_text(text: str) -> None:
    redacted, redactor = redact_text(text)
    assert redactor.restore(redacted) == text


# --------------------------------------------------------------------------------------------
# The module itself
# --------------------------------------------------------------------------------------------


def test_redaction_is_a_frozen_value() -> None:
    redaction = Redaction("EMAIL", "[EMAIL_1]", "ann@example.com")
    with pytest.raises(dataclasses.FrozenInstanceError):
        redaction.original = "x"  # type: ignore[misc]


def test_the_module_imports_quickly_and_loads_the_libraries_on_first_use() -> None:
    # phonenumbers and stdnum cost tens of milliseconds to import: only a text with enough
    # digits to hold a phone number or an id pays for them, once.
    script = (
        "import sys, time\n"
        "started = time.perf_counter()\n"
        "from nudgebot.engine.redaction import redact_text\n"
        "took = time.perf_counter() - started\n"
        "libraries = {'phonenumbers', 'stdnum'}\n"
        "heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & libraries)\n"
        "before = heavy()\n"
        "redact_text('mail ann@example.com at 14:30')\n"
        "short = heavy()\n"
        "redact_text('call 030 12345678, IBAN DE89 3704 0044 0532 0130 00')\n"
        "print(before, short, heavy(), took)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[:3] == ["[]", "[]", "['phonenumbers',"]
    assert out[3] == "'stdnum']"
