"""Tests for nudgebot.engine.normalize: one normal form before the rules, guard and redaction."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nudgebot.engine import ReviewEngine
from nudgebot.engine.normalize import matching_copy, normalize, without_surrogates
from nudgebot.models import Draft, Turn


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        ("Not our pro\u200bblem", "Not our problem", 1),  # zero-width space
        ("Not our \u202eproblem\u202c", "Not our problem", 2),  # bidi override and pop
        ("\u2066Not\u2069 our\u200e problem\u00ad", "Not our problem", 4),
        ("Ｎｏｔ ｏｕｒ ｐｒｏｂｌｅｍ", "Not our problem", 0),  # fullwidth letters
        ("𝐍𝐨𝐭 our problem", "Not our problem", 0),  # mathematical bold
        ("Nоt оur prоblem", "Not our problem", 0),  # Cyrillic о in Latin words
        ("Νot our ρroblem", "Not our problem", 0),  # Greek Ν and ρ
        ("pr\ud800oblem", "pr\ufffdoblem", 0),  # a lone surrogate
        ("\ud83d\ude00 sorry", "😀 sorry", 0),  # a pair that was never joined
    ],
)
def test_normal_form(text: str, expected: str, removed: int) -> None:
    assert normalize(text) == (expected, removed)


@pytest.mark.parametrize(
    "text",
    [
        "Привет! Заказ уже в пути",  # Cyrillic words stay Cyrillic
        "Καλημέρα σας",
        "我们会尽快处理您的订单，谢谢！",  # fullwidth punctuation of CJK text stays
        "Grüße, José — naïve café",
        "👨‍👩‍👧 family",
        "",
    ],
)
def test_other_scripts_and_accents_are_left_alone(text: str) -> None:
    kept = text.replace("\u200d", "")  # zero-width joiners go, as before
    assert normalize(text)[0] == kept


@given(st.text(st.characters(codec=None, categories=None)))
def test_any_text_comes_out_encodable_and_stable(text: str) -> None:
    normal, _ = normalize(text)
    normal.encode("utf-8")  # never half a character
    assert normalize(normal) == (normal, 0)
    without_surrogates(text).encode("utf-8")


@given(st.text(st.characters(codec=None, categories=None)))
def test_the_matching_copy_maps_back_to_the_original(text: str) -> None:
    copy, origin = matching_copy(text)
    if origin is None:
        assert copy == text
        return
    assert len(origin) == len(copy)
    assert origin == sorted(origin)
    assert all(0 <= index < len(text) for index in origin)


def test_the_matching_copy_has_ascii_digits_plain_spaces_and_dashes() -> None:
    text = "٠٥٠\u00a0١٢٣–४५६\u202f７８９\u200b0"
    copy, origin = matching_copy(text)
    assert copy == "050 123-456 7890"
    assert origin is not None and text[origin[4]] == "١"


# -- in the engine ------------------------------------------------------------------------------

ENGINE = ReviewEngine.from_prompts(None)


@pytest.mark.parametrize(
    "disguised",
    [
        "Not our pr\u202eoblem, contact the c\u200bourier.",
        "Ｎｏｔ ｏｕｒ ｐｒｏｂｌｅｍ, contact the courier.",
        "Nоt оur prоblem, cоntact the cоurier.",
    ],
)
def test_disguised_words_are_judged_like_plain_ones(disguised: str) -> None:
    plain = ENGINE.review_rules(Draft(text="Not our problem, contact the courier."))
    review = ENGINE.review_rules(Draft(text=disguised))
    assert [f.rule for f in review.findings] == [f.rule for f in plain.findings]
    assert review.needs_nudge


def test_quotes_are_the_words_of_the_prepared_draft() -> None:
    prepared, _ = ENGINE.prepare(Draft(text="Nоt оur prоblem, contact the courier."))
    review = ENGINE.review_rules(Draft(text="Nоt оur prоblem, contact the courier."))
    for finding in review.findings:
        assert finding.quote in prepared.text
        if finding.start is not None and finding.end is not None:
            assert prepared.text[finding.start : finding.end] == finding.quote


def test_a_lone_surrogate_anywhere_in_a_draft_is_reviewed_not_a_crash() -> None:
    draft = Draft(
        text="Not our problem\ud800, contact the courier.",
        customer="Where is it\udfff",
        thread=(Turn("customer", "Hello \ud800"), Turn("agent", "Hi")),
    )
    prepared, _ = ENGINE.prepare(draft)
    assert "\ud800" not in prepared.text + (prepared.customer or "") + prepared.thread[0].text
    review = ENGINE.review_rules(draft)
    json.dumps(review.to_dict(), ensure_ascii=False).encode("utf-8")


def test_mend_replaces_half_characters_anywhere_in_a_payload_and_copies_only_then() -> None:
    from nudgebot.engine.normalize import mend

    payload = {"event": {"text": "a\ud800b", "blocks": [{"text": "\udfff"}], "n": 3}, "k\ud800": 1}
    assert mend(payload) == {
        "event": {"text": "a\ufffdb", "blocks": [{"text": "\ufffd"}], "n": 3},
        "k\ufffd": 1,
    }
    whole = {"event": {"text": "fine", "blocks": [1, None, True]}}
    assert mend(whole) is whole
    deep: list[object] = ["\ud800"]
    for _ in range(100):
        deep = [deep]
    mend(deep)  # deeper than any payload: left as it is, and no RecursionError
