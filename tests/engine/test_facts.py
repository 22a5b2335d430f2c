"""Tests for nudgebot.engine.facts: what a rewrite must keep verbatim."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudgebot.engine.facts import Fact, extract_facts, missing_facts, protected_spans


def texts(text: str) -> list[str]:
    return [fact.text for fact in extract_facts(text)]


def covered(text: str, fact: str) -> bool:
    """True when the first occurrence of ``fact`` lies inside one extracted fact."""
    start = text.index(fact)
    return any(f.start <= start and start + len(fact) <= f.end for f in extract_facts(text))


def kinds(text: str) -> dict[str, str]:
    return {fact.text: fact.kind for fact in extract_facts(text)}


# --------------------------------------------------------------------------------------------
# Each kind
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fact", "kind"),
    [
        ("Steps are on the <https://wiki.example.com/vpn|VPN page> now.", None, "link"),
        ("Thanks <@U07HR2KQ1>, I've checked.", "<@U07HR2KQ1>", "mention"),
        ("Ask in <#C123ABC|it-help> please.", "<#C123ABC|it-help>", "channel"),
        ("Looping in <!subteam^S1|@payroll> now.", "<!subteam^S1|@payroll>", "mention"),
        ("I'll post in #it-help once it's stable.", "#it-help", "channel"),
        ("Log in at https://app.example.com/login.", "https://app.example.com/login", "url"),
        ("Submit it at example.com/meter or reply.", "example.com/meter", "url"),
        ("Send it to claims@parcels.example.com.", "claims@parcels.example.com", "email"),
        ("I'll text you on 07700 900123 later.", "07700 900123", "phone"),
        ("Call me on 0161 496 0742 if so.", "0161 496 0742", "phone"),
        ("Our US line is +1 (555) 123-4567.", "+1 (555) 123-4567", "phone"),
        ("I've refunded £25 today.", "£25", "money"),
        ("That's €1,600 for all four of you.", "€1,600", "money"),
        ("The fee is $180.", "$180", "money"),
        ("We owe you 25 EUR.", "25 EUR", "money"),
        ("It's £6.99 a month.", "£6.99 a month", "money"),
        ("Use the code for 20% off.", "20%", "percent"),
        ("It will arrive on 3 October.", "3 October", "date"),
        ("The next slot is Thursday 14 August.", "Thursday 14 August", "date"),
        ("I've cancelled the 22–24 November dates.", "22–24 November", "date"),
        ("The statement dated 2024-11-01 is attached.", "2024-11-01", "date"),
        ("It was posted on 14/07 by courier.", "14/07", "date"),
        ("Prices go up every April.", "April", "date"),
        ("I'll call you on Friday.", "Friday", "date"),
        ("We close at 5pm today.", "5pm", "time"),
        ("It's ready at 4:30pm.", "4:30pm", "time"),
        ("It was delivered at 13:12.", "13:12", "time"),
        ("The slot is 8am–12pm.", "8am–12pm", "time"),
        ("Breakfast is served 7–10:30am.", "7–10:30am", "time"),
        ("The return window is 30 days.", "30 days", "duration"),
        ("Allow 3–5 working days for it.", "3–5 working days", "duration"),
        ("Your plan renews after 12 months.", "12 months", "duration"),
        ("I can give you a free 30-day trial.", "30-day", "duration"),
        ("I'll have it done within one working day.", "one working day", "duration"),
        ("The refund for 55120 is on its way.", "55120", "id"),
        ("I've opened ticket #88213 for you.", "ticket #88213", "id"),
        ("I've logged it as job HB-4471 today.", "job HB-4471", "id"),
        ("Your new reference is QX7P2L.", "QX7P2L", "id"),
        ("SPRING20 has expired.", "SPRING20", "id"),
        ("I've sent the size 10 today.", "size 10", "id"),
        ("Your bag from flight 218 is here.", "flight 218", "id"),
        ("Run `sudo vpnctl renew` in Terminal.", "`sudo vpnctl renew`", "code"),
        ("Open *Credential Vault* and sign in.", "*Credential Vault*", "emphasis"),
        ("Open _Settings_ and sign in.", "_Settings_", "emphasis"),
        ("It's in a workspace called 'Recovered' now.", "'Recovered'", "quote"),
        ("Hi Priya, thanks for checking.", "Priya", "name"),
        ("Dear Ms Lindqvist,\n\nSorry about that.", "Ms Lindqvist", "name"),
        ("Dear Mr and Mrs Kowalski,\n\nSorry.", "Mr and Mrs Kowalski", "name"),
        ("I've raised it with Gareth Pryce today.", "Gareth Pryce", "name"),
        ("Go to Settings > Mobile Data > Roaming.", "Settings > Mobile Data > Roaming", "name"),
        ("Best,\nJoanna\nLedgerleaf Support", "Ledgerleaf Support", "name"),
    ],
)
def test_each_kind(text: str, fact: str | None, kind: str) -> None:
    facts = extract_facts(text)
    if fact is None:
        fact = text[text.index("<") : text.index(">") + 1]
    match = [f for f in facts if f.text == fact]
    assert match, f"{fact!r} not among {[f.text for f in facts]}"
    assert match[0].kind == kind


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("I can swap your Kestrel Trail 2 boots for the right size.", "Kestrel Trail 2"),
        ("Sorry the Marlow 3-seater didn't fit.", "Marlow 3-seater"),
        ("I've sent a replacement Brackenridge cable-knit jumper by courier.", "Brackenridge"),
        ("I've sent a replacement Brackenridge cable-knit jumper by courier.", "cable-knit jumper"),
        ("I'll share the Q3 forecast file with you.", "Q3 forecast"),
        ("I can move you to our Everyday card, which is free.", "Everyday card"),
        ("Go to Contacts > Export, choose CSV and hit Download.", "Contacts > Export"),
        ("Go to Contacts > Export, choose CSV and hit Download.", "CSV"),
        ("Only when the column is formatted as DD/MM/YYYY.", "DD/MM/YYYY"),
        ("Done, jkerr is unlocked 👍", "jkerr"),
        ("I'll take your case to the Faro route team.", "Faro"),
        ("Dinner is at the Nordlys Inn by the airport.", "Nordlys Inn"),
        ("The 18:15 to Tromsø will have left.", "Tromsø"),
        ("I've checked workspace acme-ops for you.", "acme-ops"),
        ("The lost night (£210) isn't covered.", "£210"),
        ("After 15 years with us, I'm sorry.", "15 years"),
        ("Call me at 7pm on Monday 12 May.", "Monday 12 May"),
        ("See you next monday!", "monday"),
        ("It's ready at noon.", "noon"),
        ("IT Service Desk", "IT Service Desk"),
    ],
)
def test_facts_in_context(text: str, fact: str) -> None:
    assert covered(text, fact), texts(text)


# --------------------------------------------------------------------------------------------
# Names and sentence-initial capitals
# --------------------------------------------------------------------------------------------


def test_sentence_initial_words_are_not_names() -> None:
    text = (
        "The refund is on its way. Our team has it. Unfortunately it takes a while. "
        "Delivery drivers can't wait. Prices rise. Thanks for waiting!"
    )
    assert texts(text) == []


def test_after_leading_mentions_a_sentence_starts() -> None:
    assert texts("@4417 Help is here. Reach out via the link. ^JK") == ["@4417", "JK"]
    assert texts("@4417 @5530 Airtime credit, as before.") == ["@4417", "@5530"]
    assert "Priya" in texts("@4417 Priya, I've checked your order.")  # addressed: a name
    assert "Ruth" in texts("@4417 Ruth will approve it. I've asked Ruth already.")


def test_a_link_ends_where_it_ends_whatever_follows() -> None:
    text = "Our team can help: https://t.co/XrXpASGB7O Have you spoken to them?"
    assert texts(text) == ["https://t.co/XrXpASGB7O"]


def test_greeting_and_sign_off_names_are_kept() -> None:
    text = "Hi Sam,\n\nSorry about the delay.\n\nThanks,\nOwen"
    assert texts(text) == ["Sam", "Owen"]


def test_sentence_initial_name_with_evidence() -> None:
    assert "Keisha" in texts("Keisha's laptop comes from procurement.")
    assert "Priya" in texts("Priya, I've checked your order.")
    assert "SPRING20" in texts("SPRING20 works fine on our end.")
    assert texts("Hi! King Street closes at 4:30pm.")[0] == "King Street"


def test_sentence_initial_name_seen_elsewhere() -> None:
    facts = texts("Ruth will approve it. I've asked Ruth already.")
    assert facts == ["Ruth", "Ruth"]


def test_i_and_contractions_are_not_names() -> None:
    assert texts("Thanks — I'm sorry, I've checked and I'll call.") == []


def test_shouting_is_not_a_fact() -> None:
    assert texts("YOUR PHONE CAN ONLY BE UNLOCKED ONCE IT IS PAID OFF!!!") == []
    assert "CSV" in texts("Choose CSV and hit save.")


def test_numbered_list_markers_are_not_facts() -> None:
    assert texts("Options:\n1. Free collection\n2. Exchange it") == []


# --------------------------------------------------------------------------------------------
# Overlaps, Slack markup, merging
# --------------------------------------------------------------------------------------------


def test_overlapping_candidates_merge_into_one_fact() -> None:
    text = "See the <https://intranet.example.com/hr-2fa|HR portal 2FA page> first."
    facts = extract_facts(text)
    assert [f.kind for f in facts] == ["link"]
    assert facts[0].text == "<https://intranet.example.com/hr-2fa|HR portal 2FA page>"


def test_quoted_name_with_number_is_one_fact() -> None:
    text = "I've opened a restore request for 'Client Billing 2024' (ticket #88213)."
    assert texts(text) == ["'Client Billing 2024'", "ticket #88213"]


def test_bold_date_is_one_fact() -> None:
    assert texts("Go-live is *Tuesday 3 June*.") == ["*Tuesday 3 June*"]


def test_time_and_day_of_one_appointment_join() -> None:
    assert texts("I'll call you on Thursday at 10am.") == ["Thursday at 10am"]


def test_email_inside_slack_mailto_link() -> None:
    text = "Write to <mailto:help@example.com|help@example.com> today."
    assert texts(text) == ["<mailto:help@example.com|help@example.com>"]


def test_facts_are_sorted_non_overlapping_and_exact() -> None:
    text = (
        "Dear Mr Tan,\n\nI've refunded the £145 to your card ending 2290; you'll see it within "
        "3–5 working days. Call 0161 496 0742 or see https://example.com/help.\n\nSofia Brandt"
    )
    facts = extract_facts(text)
    assert [f.text for f in facts] == [
        "Mr Tan",
        "£145",
        "ending 2290",
        "3–5 working days",
        "0161 496 0742",
        "https://example.com/help",
        "Sofia Brandt",
    ]
    for before, after in pairwise(facts):
        assert before.end <= after.start
    for fact in facts:
        assert text[fact.start : fact.end] == fact.text


# --------------------------------------------------------------------------------------------
# missing_facts and protected_spans
# --------------------------------------------------------------------------------------------


def test_missing_facts_lists_what_a_suggestion_dropped() -> None:
    draft = "Hi Priya, your order 77402 ships on 3 October for £25."
    kept = "Hi Priya — good news: your order 77402 ships on 3 October for £25."
    assert missing_facts(draft, kept) == []
    dropped = "Hi there — your order ships on 4 October for £25."
    assert missing_facts(draft, dropped) == ["Priya", "order 77402", "3 October"]


def test_missing_facts_lists_each_text_once() -> None:
    assert missing_facts("£104 now, and £104 later.", "") == ["£104"]


def test_protected_spans_match_facts() -> None:
    text = "Ping me at 5pm about SH-20417."
    assert protected_spans(text) == [(f.start, f.end) for f in extract_facts(text)]
    assert [text[s:e] for s, e in protected_spans(text)] == ["5pm", "SH-20417"]


def test_fact_is_frozen() -> None:
    fact = Fact("money", "£5", 0, 2)
    with pytest.raises(AttributeError):
        fact.text = "£6"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Robustness: empty text, emoji, other languages and scripts never raise
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n",
        "👍",
        "🙏🙏🙏 🎉",
        "Done 👍 Priya",
        "Gracias, Sofía. Tu pedido 4417 llega el 3 de octubre.",
        "Merci Élodie, votre colis arrive jeudi à 14h.",
        "ご注文ありがとうございます。注文番号は55120です。",
        "Спасибо, Иван! Заказ №88213 отправлен.",
        "شكرا لك، طلبك رقم 77402 في الطريق",
        "İstanbul'daki mağazamız 09:00'da açılır.",  # İ grows when lower-cased
        "<@",
        "*",
        "'",
        "`",
        "Mr.",
        "£",
        "#",
        "a" * 5000,
    ],
)
def test_never_raises(text: str) -> None:
    facts = extract_facts(text)
    for fact in facts:
        assert text[fact.start : fact.end] == fact.text
    missing_facts(text, "")
    protected_spans(text)


def test_other_scripts_keep_digits() -> None:
    assert "55120" in " ".join(texts("ご注文番号は 55120 です。"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_property_spans_in_bounds_and_disjoint(text: str) -> None:
    facts = extract_facts(text)
    previous_end = 0
    for fact in facts:
        assert 0 <= fact.start < fact.end <= len(text)
        assert fact.start >= previous_end
        assert text[fact.start : fact.end] == fact.text
        previous_end = fact.end


_ALPHABET = st.sampled_from(
    [
        *"aAbBzZ019 \n\t.,:;!?'\"‘’“”-–—*_`<>@#|/£$€%&()^",
        *("Mr", "Ms", "Monday", "May", "3pm", "£25", "I'm", "The", "&gt;", "https://x.io", "🙂"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_property_on_fact_like_text(text: str) -> None:
    facts = extract_facts(text)
    spans = protected_spans(text)
    assert spans == [(f.start, f.end) for f in facts]
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    assert missing_facts(text, text) == []
