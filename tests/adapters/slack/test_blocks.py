"""Tests for nudgebot.adapters.slack.blocks: Block Kit payloads that Slack accepts and can't abuse.

``assert_valid_blocks`` is a small Block Kit validator for the block types the builders use
(header, section, context, divider, actions, buttons) and Slack's limits; ``assert_safe`` checks
that no markup reaches Slack except the draft's own tokens. Both run over every payload here,
including payloads built from random reviews (hypothesis).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.blocks import (
    ACTION_HELPFUL,
    ACTION_MUTE,
    ACTION_NOT_HELPFUL,
    ACTION_TOGGLE_NUDGES,
    coaching_message,
    error_message,
    help_message,
    home_view,
    nudge_message,
    review_message,
    review_modal,
    truncate,
)
from nudgebot.adapters.slack.command import HANDLERS
from nudgebot.engine.guard import escape_mrkdwn, slack_tokens
from nudgebot.models import DIMENSIONS, Finding, Review, Scores

# --------------------------------------------------------------------------------------------
# The validator
# --------------------------------------------------------------------------------------------

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_TITLE = 24
MAX_FALLBACK = 3000

BLOCK_KEYS = {
    "header": {"type", "text", "block_id"},
    "section": {"type", "text", "block_id", "accessory", "fields"},
    "context": {"type", "elements", "block_id"},
    "divider": {"type", "block_id"},
    "actions": {"type", "elements", "block_id"},
}


def units(text: str) -> int:
    """Length in UTF-16 code units (never less than Slack's count, however Slack counts)."""
    return len(text.encode("utf-16-le")) // 2


def check_text(obj: Any, *, kinds: set[str], limit: int, where: str) -> None:
    assert isinstance(obj, dict), where
    assert obj.get("type") in kinds, (where, obj.get("type"))
    assert set(obj) <= {"type", "text", "emoji", "verbatim"}, (where, set(obj))
    if obj["type"] == "mrkdwn":
        assert "emoji" not in obj, where
    text = obj.get("text")
    assert isinstance(text, str), where
    assert text.strip(), f"{where}: empty text"
    assert units(text) <= limit, f"{where}: {units(text)} > {limit}"


def check_button(button: Any, where: str, action_ids: set[str]) -> None:
    assert isinstance(button, dict), where
    assert set(button) <= {"type", "text", "action_id", "value", "style", "url", "confirm"}
    assert button.get("type") == "button", where
    check_text(button.get("text"), kinds={"plain_text"}, limit=MAX_BUTTON_TEXT, where=where)
    action_id = button.get("action_id")
    assert isinstance(action_id, str), where
    assert 0 < len(action_id) <= 255, where
    assert action_id not in action_ids, f"{where}: duplicate action_id {action_id}"
    action_ids.add(action_id)
    if "value" in button:
        value = button["value"]
        assert isinstance(value, str), where
        assert 0 < units(value) <= MAX_BUTTON_VALUE, f"{where}: value length {units(value)}"
    if "style" in button:
        assert button["style"] in {"primary", "danger"}, where


def check_blocks(items: Any, *, limit: int = MAX_BLOCKS) -> None:
    assert isinstance(items, list), "blocks must be a list"
    assert 0 < len(items) <= limit, f"{len(items)} blocks"
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, block in enumerate(items):
        where = f"block {index}"
        assert isinstance(block, dict), where
        kind = block.get("type")
        assert kind in BLOCK_KEYS, f"{where}: unknown block type {kind!r}"
        assert set(block) <= BLOCK_KEYS[kind], f"{where}: unexpected keys {set(block)}"
        if "block_id" in block:
            block_id = block["block_id"]
            assert isinstance(block_id, str), where
            assert 0 < len(block_id) <= 255, where
            assert block_id not in block_ids, f"{where}: duplicate block_id"
            block_ids.add(block_id)
        if kind == "header":
            check_text(block.get("text"), kinds={"plain_text"}, limit=MAX_HEADER, where=where)
        elif kind == "section":
            assert "text" in block or "fields" in block, f"{where}: section with no text"
            if "text" in block:
                check_text(
                    block["text"], kinds={"mrkdwn", "plain_text"}, limit=MAX_TEXT, where=where
                )
            for field in block.get("fields", []):
                check_text(field, kinds={"mrkdwn", "plain_text"}, limit=2000, where=where)
            assert len(block.get("fields", [])) <= 10, where
            if "accessory" in block:
                check_button(block["accessory"], where, action_ids)
        elif kind == "context":
            elements = block.get("elements")
            assert isinstance(elements, list), where
            assert 0 < len(elements) <= 10, f"{where}: {len(elements)} context elements"
            for element in elements:
                check_text(element, kinds={"mrkdwn", "plain_text"}, limit=MAX_TEXT, where=where)
        elif kind == "actions":
            elements = block.get("elements")
            assert isinstance(elements, list), where
            assert 0 < len(elements) <= 25, where
            for element in elements:
                check_button(element, where, action_ids)


def assert_valid_blocks(payload: dict[str, Any]) -> None:
    """Check a message payload or a view against Block Kit's rules and Slack's limits."""
    assert isinstance(payload, dict)
    kind = payload.get("type")
    if kind is None:  # a message
        assert set(payload) <= {"text", "blocks"}, set(payload)
        text = payload.get("text")
        assert isinstance(text, str), "a message needs its text fallback"
        assert text.strip(), "empty text fallback"
        assert units(text) <= MAX_FALLBACK, f"fallback is {units(text)} long"
        check_blocks(payload.get("blocks"))
    elif kind == "modal":
        assert set(payload) <= {"type", "title", "close", "submit", "blocks"}, set(payload)
        check_text(payload.get("title"), kinds={"plain_text"}, limit=MAX_TITLE, where="title")
        check_text(payload.get("close"), kinds={"plain_text"}, limit=MAX_TITLE, where="close")
        check_blocks(payload.get("blocks"))  # Slack allows 100; we keep to 50
    elif kind == "home":
        assert set(payload) <= {"type", "blocks"}, set(payload)
        check_blocks(payload.get("blocks"))
    else:
        raise AssertionError(f"unknown payload type {kind!r}")


def texts_of(payload: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (type, text) of every text object in a payload (and the fallback as mrkdwn)."""
    if "text" in payload and isinstance(payload["text"], str):
        yield "mrkdwn", payload["text"]

    def walk(node: Any) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"} and isinstance(node.get("text"), str):
                yield node["type"], node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for key in ("blocks", "title", "close"):
        if key in payload:
            yield from walk(payload[key])


_TOKEN = re.compile(r"<[^<>\s][^<>\n]*>")
_QUOTE_MARK = re.compile(r"(?m)^>")
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def assert_safe(payload: dict[str, Any], draft: str = "", *, extra: tuple[str, ...] = ()) -> None:
    """No markup reaches Slack but the draft's own tokens (and ``extra``); entities are whole."""
    allowed = set(slack_tokens(draft)) | set(extra)
    for kind, text in texts_of(payload):
        rest = _TOKEN.sub(lambda m: "" if m.group() in allowed else m.group(), text)
        if kind == "mrkdwn":
            rest = _QUOTE_MARK.sub("", rest)
        assert "<" not in rest and ">" not in rest, f"unescaped markup in {text[:200]!r}"
        assert not _BARE_AMP.search(rest), f"bare & in {text[:200]!r}"


def all_text(payload: dict[str, Any]) -> str:
    return "\n".join(text for _, text in texts_of(payload))


def sections(payload: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]


def check(payload: dict[str, Any], draft: str = "") -> dict[str, Any]:
    assert_valid_blocks(payload)
    assert_safe(payload, draft)
    return payload


# The validator must be able to fail.


def _message(*items: dict[str, Any], text: str = "hi") -> dict[str, Any]:
    return {"text": text, "blocks": list(items)}


def _sec(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    "payload",
    [
        _message(_sec("x" * 3001)),
        _message(*[_sec("x")] * 51),
        _message(_sec("😀" * 1501)),  # 3,002 UTF-16 units
        _message(_sec("")),
        _message(_sec("ok"), text=""),
        _message(),
        {"blocks": [_sec("no fallback")]},
        _message({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}),
        _message({"type": "header", "text": {"type": "mrkdwn", "text": "mrkdwn header"}}),
        _message({"type": "section", "txt": {"type": "mrkdwn", "text": "typo"}}),
        _message({"type": "sektion", "text": {"type": "mrkdwn", "text": "typo"}}),
        _message({"type": "context", "elements": []}),
        _message({"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}),
        _message(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "x" * 76},
                        "action_id": "a",
                        "value": "v",
                    }
                ],
            }
        ),
        _message(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "ok"},
                        "action_id": "a",
                        "value": "v" * 2001,
                    }
                ],
            }
        ),
        _message(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": t}, "action_id": "a"}
                    for t in "ab"
                ],
            }
        ),
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "A title far too long for a modal"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [_sec("x")],
        },
        {"type": "home", "blocks": [_sec("x")], "text": "views have no fallback"},
    ],
)
def test_the_validator_rejects_invalid_payloads(payload: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        assert_valid_blocks(payload)


@pytest.mark.parametrize(
    "text", ["<!channel> hi", "ping <@U999>", "a <https://evil.example|link>", "a & b", "x > y"]
)
def test_the_safety_check_rejects_raw_markup(text: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe(_message(_sec(text)))


def test_the_safety_check_allows_the_drafts_tokens_and_quote_marks() -> None:
    assert_safe(_message(_sec(">quoted <@U1> &amp; &lt;b&gt;")), draft="hi <@U1>")


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

DRAFT = "Not our problem, contact the courier. <@U123> might know."
SUGGESTION = (
    "I'm sorry your parcel hasn't arrived, that's really frustrating. <@U123> and I will "
    "contact the courier for you and update you by [by when]."
)


def finding(
    dimension: str = "empathy",
    quote: str = "Not our problem",
    message: str = "This reads as brushing the customer off.",
    fix: str = "Acknowledge the problem before anything else.",
    level: str = "nudge",
    cost: int = 20,
) -> Finding:
    return Finding(
        dimension=dimension,  # type: ignore[arg-type]
        rule=f"{dimension}.test",
        quote=quote,
        message=message,
        fix=fix,
        cost=cost,
        level=level,  # type: ignore[arg-type]
    )


def make_review(
    *,
    findings: tuple[Finding, ...] = (
        finding(),
        finding("ownership", "contact the courier", "This hands the job back to the customer."),
    ),
    suggestion: str | None = SUGGESTION,
    needs_nudge: bool = True,
    note: str | None = None,
    judged: bool = True,
    scores: Scores | None = None,
) -> Review:
    return Review(
        needs_nudge=needs_nudge,
        scores=scores or Scores(respect=90, empathy=35, adaptable=80, learn=100, ownership=60),
        findings=findings,
        suggestion=suggestion,
        engine="rules",
        note=note,
        judged=judged,
    )


GOOD = make_review(
    findings=(),
    suggestion=None,
    needs_nudge=False,
    scores=Scores(respect=100, empathy=95, adaptable=70, learn=85, ownership=100),
)


# --------------------------------------------------------------------------------------------
# nudge_message
# --------------------------------------------------------------------------------------------


def test_nudge_has_a_kind_header_findings_a_copyable_suggestion_and_buttons() -> None:
    payload = check(nudge_message(make_review(), DRAFT, ref="rev-42"), DRAFT)
    first = payload["blocks"][0]
    assert first["type"] == "header"
    assert first["text"]["text"] == "This reply could land better"
    texts = sections(payload)
    assert "*Empathy*\n>Not our problem\nThis reads as brushing the customer off." in texts
    assert any(t.startswith("*Ownership*\n>contact the courier") for t in texts)
    suggestion = escape_mrkdwn(SUGGESTION, keep=slack_tokens(DRAFT))
    assert any(f"```\n{suggestion}\n```" in t for t in texts)
    actions = payload["blocks"][-1]
    assert actions["type"] == "actions"
    assert [b["action_id"] for b in actions["elements"]] == [
        ACTION_HELPFUL,
        ACTION_NOT_HELPFUL,
        ACTION_MUTE,
    ]
    assert [b["value"] for b in actions["elements"]] == ["rev-42"] * 3
    labels = [b["text"]["text"] for b in actions["elements"]]
    assert "Helpful" in labels[0] and "Not helpful" in labels[1] and "hour" in labels[2]
    assert payload["text"].startswith("This reply could land better")
    assert len(payload["text"]) <= 300
    # Scores are for the agent who asks, not for a live nudge: a coach, not a grader.
    assert "Respect 90" not in all_text(payload)


def test_nudge_keeps_the_drafts_mention_and_escapes_any_new_one() -> None:
    review = make_review(suggestion="Hi <!channel>, <@U123> and <@U999> are on it. <#C1|x> & co")
    payload = check(nudge_message(review, DRAFT, ref="r"), DRAFT)
    text = all_text(payload)
    assert "<@U123>" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "&lt;@U999&gt;" in text and "<@U999>" not in text
    assert "&lt;#C1|x&gt; &amp; co" in text


def test_nudge_shows_at_most_three_findings_and_counts_the_rest() -> None:
    many = tuple(finding(DIMENSIONS[i % 5], f"quote {i}", f"message {i}") for i in range(60))
    payload = check(nudge_message(make_review(findings=many), DRAFT, ref="r"), DRAFT)
    found = [t for t in sections(payload) if t.startswith("*") and "\n>quote" in t]
    assert len(found) == 3
    assert "and 57 more things" in all_text(payload)


def test_nudge_prefers_nudges_with_quoted_words() -> None:
    review = make_review(
        findings=(
            finding("learn", "", "Nothing says how this won't happen again.", cost=30),
            finding("respect", "Calm down", "Hint: a little abrupt.", level="hint", cost=50),
            finding("empathy", "Not our problem", "Brushes them off.", cost=10),
        )
    )
    texts = sections(check(nudge_message(review, DRAFT, ref="r"), DRAFT))
    order = [t.split("\n")[0] for t in texts if t.startswith("*") and not t.startswith("*A ")]
    assert order == ["*Empathy*", "*Learn*", "*Respect*"]


def test_nudge_does_not_repeat_a_quote_the_message_already_quotes() -> None:
    review = make_review(findings=(finding(message="“Not our problem” sounds dismissive."),))
    texts = sections(check(nudge_message(review, DRAFT, ref="r"), DRAFT))
    assert "*Empathy*\n“Not our problem” sounds dismissive." in texts
    hint = finding("respect", "Calm down", "“Calm down” can sound curt.", level="hint")
    plain = finding("adaptable", "policy", "Leans on policy.", level="hint")
    message = check(review_message(make_review(findings=(hint, plain)), DRAFT), DRAFT)
    assert "• *Respect*: “Calm down” can sound curt.\n" in all_text(message)
    assert "• *Adaptable*: Leans on policy. (“policy”)" in all_text(message)


def test_nudge_without_a_suggestion_still_has_findings_and_buttons() -> None:
    payload = check(nudge_message(make_review(suggestion=None), DRAFT, ref="r"), DRAFT)
    assert "```" not in all_text(payload)
    assert payload["blocks"][-1]["type"] == "actions"
    assert "ready to copy" not in payload["text"]


@pytest.mark.parametrize("ref", ["", "x" * 2001, "😀" * 1001])
def test_nudge_refuses_a_ref_slack_would_reject(ref: str) -> None:
    with pytest.raises(ValueError):
        nudge_message(make_review(), DRAFT, ref=ref)


def test_nudge_accepts_the_longest_ref() -> None:
    ref = "r" * 2000
    payload = check(nudge_message(make_review(), DRAFT, ref=ref), DRAFT)
    assert {b["value"] for b in payload["blocks"][-1]["elements"]} == {ref}


def test_nudge_note_is_escaped_with_nothing_kept() -> None:
    draft = "Heads up <!channel>: the site is down."
    review = make_review(suggestion="Heads up <!channel>: sorry, the site is down.", note="")
    noted = make_review(
        suggestion=review.suggestion, note="The model wrote <!channel> & <@U9>; I removed it."
    )
    payload = check(nudge_message(noted, draft, ref="r"), draft)
    contexts = [
        e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"]
    ]
    assert "The model wrote &lt;!channel&gt; &amp; &lt;@U9&gt;. I removed it." in contexts
    # The draft's own broadcast stays working in the suggestion (it was the agent's choice).
    assert any("Heads up <!channel>: sorry" in t for t in sections(payload))
    # An empty note shows nothing.
    empty = check(nudge_message(review, draft, ref="r"), draft)
    assert all(b["type"] != "context" for b in empty["blocks"])


# --------------------------------------------------------------------------------------------
# review_message and review_modal
# --------------------------------------------------------------------------------------------


def test_review_shows_the_scores_every_finding_and_the_suggestion() -> None:
    review = make_review(
        findings=(
            finding(),
            finding("ownership", "contact the courier", "This hands the job back."),
            finding("respect", "", "No greeting.", level="hint"),
            finding("adaptable", "policy", "Leans on policy.", level="hint"),
        ),
        note="Reviewed by the rules: the model timed out.",
    )
    payload = check(review_message(review, DRAFT), DRAFT)
    text = all_text(payload)
    assert "Respect 90 · Empathy 35 · Adaptable 80 · Learn 100 · Ownership 60" in text
    texts = sections(payload)
    assert any(t.startswith("*Empathy*\n>Not our problem") and "_Try:_ " in t for t in texts)
    assert any(t.startswith("*Ownership*") for t in texts)
    hints = [t for t in texts if t.startswith("*Small hints*")]
    assert len(hints) == 1
    assert "• *Respect*: No greeting." in hints[0]
    assert "• *Adaptable*: Leans on policy. (“policy”)" in hints[0]
    assert "```" in text
    last = payload["blocks"][-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == "Reviewed by the rules: the model timed out."
    assert "Respect 90" in payload["text"]


def test_a_good_draft_gets_a_short_word_naming_what_works() -> None:
    payload = check(review_message(GOOD, "Thanks Sam!"), "Thanks Sam!")
    text = all_text(payload)
    assert "reads well" in text
    assert "courteous" in text and "owns what happens next" in text  # the two at 100
    assert "flexible" not in text  # adaptable is 70: not named
    assert "could land better" not in text
    assert "```" not in text
    assert payload["text"].startswith("This reply reads well")


def test_a_good_draft_with_hints_lists_them() -> None:
    review = make_review(
        findings=(finding("respect", "", "Maybe add their name.", level="hint"),),
        needs_nudge=False,
        suggestion="Thanks Sam, it's on its way!",
    )
    payload = check(review_message(review, "Thanks, it's on its way!"))
    text = all_text(payload)
    assert "*Small hints*\n• *Respect*: Maybe add their name." in text
    assert "If you'd like" in text


def test_an_unjudged_draft_gets_the_note_and_no_scores() -> None:
    review = make_review(
        findings=(),
        suggestion=None,
        needs_nudge=False,
        judged=False,
        note="This looks like German; I can only coach English replies for now.",
    )
    payload = check(review_message(review, "Vielen Dank für Ihre Geduld."))
    text = all_text(payload)
    assert "couldn't review" in text
    assert "I can only coach English replies" in text
    assert "Respect" not in text and "reads well" not in text


def test_review_caps_sixty_findings_with_and_n_more() -> None:
    nudges = tuple(finding(DIMENSIONS[i % 5], f"q{i}", f"m{i}") for i in range(40))
    hints = tuple(finding(DIMENSIONS[i % 5], "", f"h{i}", level="hint") for i in range(20))
    payload = check(review_message(make_review(findings=nudges + hints), DRAFT), DRAFT)
    assert len(payload["blocks"]) <= 25
    assert "and 40 more things" in all_text(payload)  # 10 nudges and 10 hints shown


def test_review_modal_has_the_same_content_as_the_message() -> None:
    review = make_review(note="A note")
    modal = check(review_modal(review, DRAFT), DRAFT)
    assert modal["type"] == "modal"
    assert modal["title"]["text"] == "Warm up this reply"
    assert modal["close"]["text"] == "Close"
    assert "submit" not in modal
    assert modal["blocks"] == review_message(review, DRAFT)["blocks"]


# --------------------------------------------------------------------------------------------
# Long text, emoji, other languages, awkward suggestions
# --------------------------------------------------------------------------------------------


def test_a_40000_character_draft_and_suggestion_are_cut_with_a_visible_note() -> None:
    draft = ("Not our problem. " + "We checked the order <@U123> & it left. " * 1000)[:40_000]
    long_findings = (finding(quote=draft, message=draft, fix=draft),) * 5
    review = make_review(findings=long_findings, suggestion=draft, note=draft)
    for payload in (
        nudge_message(review, draft, ref="r"),
        review_message(review, draft),
        review_modal(review, draft),
    ):
        check(payload, draft)
        suggestion = next(t for t in sections(payload) if "```" in t)
        assert suggestion.count("```") == 2  # the code block is closed
        assert "shortened" in suggestion
        assert "<@U123>" in suggestion  # a token is never cut in half
        assert "&amp;" in suggestion
    assert "&am…" not in all_text(review_message(review, draft))


def test_emoji_and_other_languages_pass_through_untouched() -> None:
    suggestion = "Lo siento mucho 😔 — 申し訳ありません。Спасибо! 👩‍💻 :tada: café"
    draft = "Désolé 😅, 対応します。"
    review = make_review(
        findings=(finding(quote="対応します", message="Ça pourrait être plus chaleureux 🙂"),),
        suggestion=suggestion,
    )
    for payload in (nudge_message(review, draft, ref="r"), review_message(review, draft)):
        check(payload, draft)
        text = all_text(payload)
        assert f"```\n{suggestion}\n```" in text
        assert ">対応します" in text
        assert "Ça pourrait être plus chaleureux 🙂" in text


def test_emoji_count_double_against_slack_limits() -> None:
    review = make_review(suggestion="😀" * 20_000)
    payload = check(nudge_message(review, "hi", ref="r"))
    suggestion = next(t for t in sections(payload) if "```" in t)
    assert units(suggestion) <= 3000 < len(suggestion) * 2


def test_a_suggestion_holding_a_code_fence_is_shown_as_a_quote() -> None:
    suggestion = "Please run:\n```\nreset --all\n```\nand tell me how it goes."
    payload = check(review_message(make_review(suggestion=suggestion), DRAFT), DRAFT)
    shown = next(t for t in sections(payload) if "Ready to copy" in t)
    assert shown.endswith(">Please run:\n>```\n>reset --all\n>```\n>and tell me how it goes.")


def test_markdown_characters_in_a_suggestion_stay_literal_in_the_code_block() -> None:
    suggestion = "Use code *SAVE10* at_check_out ~ today"
    payload = check(nudge_message(make_review(suggestion=suggestion), DRAFT, ref="r"), DRAFT)
    assert f"```\n{suggestion}\n```" in all_text(payload)


# --------------------------------------------------------------------------------------------
# coaching_message, help_message, error_message
# --------------------------------------------------------------------------------------------


def test_coaching_answer_with_up_to_three_tips() -> None:
    payload = check(
        coaching_message(
            "How do I tell a customer we can't refund?",
            "Lead with what you *can* do, and say why the refund isn't possible <!here>.",
            ["Say sorry once.", "Offer an alternative & a time.", "Own the next step.", "Four"],
        )
    )
    text = all_text(payload)
    assert "_You asked:_ How do I tell a customer we can't refund?" in text
    assert "Lead with what you *can* do" in text
    assert "&lt;!here&gt;" in text
    assert "• Say sorry once.\n• Offer an alternative &amp; a time.\n• Own the next step." in text
    assert "Four" not in text
    assert payload["text"].startswith("Lead with what you")


def test_a_long_coaching_answer_is_split_over_sections_and_cut() -> None:
    paragraph = "Acknowledge the feeling first, then explain. " * 20
    answer = "\n\n".join([paragraph] * 200) + "\n\n" + "x" * 9000
    payload = check(coaching_message("q", answer, ["tip"]))
    texts = sections(payload)
    assert 2 <= len(texts) <= 12
    assert "did not fit" in texts[-2]
    assert texts[-1].startswith("*Tips to try*")
    unbroken = check(coaching_message("", "y" * 7000))
    assert len(sections(unbroken)) == 3


def test_coaching_with_no_answer_still_says_something() -> None:
    payload = check(coaching_message("", "   "))
    assert sections(payload)
    assert payload["text"].strip()


def test_help_lists_every_command_and_the_other_ways_to_ask() -> None:
    payload = check(help_message())
    text = all_text(payload)
    for command in (
        "/nudge &lt;your draft&gt;",
        "/nudge help",
        "/nudge on",
        "/nudge off",
        "/nudge watch",
        "/nudge unwatch",
        "/nudge review",
        "/nudge tips",
    ):
        assert command in text, command
    for name in HANDLERS:  # every subcommand the dispatcher knows is explained
        assert name == "check" or f"/nudge {name}" in text, name
    assert "Coming soon" not in text
    assert "direct message" in text and "@mention" in text and "Warm up this reply" in text


def test_error_message_is_short_friendly_and_escaped() -> None:
    payload = check(error_message("I couldn't review that: the draft is empty <!channel>."))
    text = all_text(payload)
    assert "I couldn't review that: the draft is empty &lt;!channel&gt;." in text
    assert "/nudge help" in text
    assert len(payload["blocks"]) <= 3
    assert check(error_message(""))["text"].strip()
    assert units(check(error_message("x" * 50_000))["text"]) <= 300


# --------------------------------------------------------------------------------------------
# home_view
# --------------------------------------------------------------------------------------------


def home(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "recent": [("Mon 09:12", 72), ("Mon 14:30", 88), ("Tue 10:01", 95)],
        "streak": 4,
        "live_nudges": True,
        "muted_until": None,
        "tip": "Name the feeling before the fix.",
    }
    arguments.update(overrides)
    view: dict[str, Any] = home_view(**arguments)
    return check(view)


def toggle(view: dict[str, Any]) -> dict[str, Any]:
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert len(buttons) == 1
    button: dict[str, Any] = buttons[0]
    return button


def test_home_shows_recent_scores_streak_setting_and_tip() -> None:
    view = home()
    assert view["type"] == "home"
    text = all_text(view)
    assert "`▆▇█`" in text  # 72, 88, 95 on a 0-100 scale
    assert "average 85 over the last 3 replies" in text
    assert text.index("95 · Tue 10:01") < text.index("72 · Mon 09:12")  # newest first
    assert "4 replies in a row" in text
    assert "Live nudges: on" in text
    assert "Name the feeling before the fix." in text
    button = toggle(view)
    assert button["action_id"] == ACTION_TOGGLE_NUDGES
    assert button["value"] == "off"


def test_home_toggle_turns_nudges_on_when_off() -> None:
    view = home(live_nudges=False)
    assert "Live nudges: off" in all_text(view)
    assert toggle(view)["value"] == "on"


def test_home_mute_shows_a_date_token_and_escapes_anything_else() -> None:
    token = "<!date^1700000000^{time}|3:30 PM>"
    view = home_view(recent=[], streak=0, live_nudges=True, muted_until=token, tip=None)
    assert_valid_blocks(view)
    assert_safe(view, extra=(token,))
    assert f"Paused until {token}" in all_text(view)
    other = home(muted_until="<!channel> 15:30")
    assert "Paused until &lt;!channel&gt; 15:30" in all_text(other)


def test_home_with_nothing_yet() -> None:
    text = all_text(home(recent=[], streak=0, tip=None))
    assert "Nothing reviewed yet" in text
    assert "fresh start" in text
    assert "tip" not in text.lower().replace("`/nudge help`", "")


def test_home_with_a_long_history_and_odd_labels() -> None:
    recent = [(f"<@U1> reply {i} 😀 " * 20, (i * 37) % 140 - 20) for i in range(500)]
    view = home(recent=recent, streak=1, tip="&" * 5000)
    text = all_text(view)
    assert "1 reply in a row" in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(lines) == 10


# --------------------------------------------------------------------------------------------
# truncate
# --------------------------------------------------------------------------------------------


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("hello", 5) == "hello"


def test_truncate_cuts_at_a_word_with_a_note() -> None:
    cut = truncate("one two three four five", 15, "…")
    assert cut == "one two three…"
    assert truncate("x" * 100, 20) == "x" * 8 + "…(shortened)"


def test_truncate_never_ends_inside_an_entity_or_a_token() -> None:
    assert truncate("abcdef &amp;&lt;", 11, "…") == "abcdef…"
    assert truncate("a <@U12345|someone nice>", 15, "…") == "a…"


def test_truncate_counts_utf16_units() -> None:
    assert truncate("😀" * 10, 10, "") == "😀" * 5
    assert truncate("", 0) == ""
    assert truncate("too long", 3, "…(shortened)") == "…(s"


@given(st.text(), st.integers(0, 200), st.sampled_from(["", "…", "…(shortened)"]))
def test_truncate_fits_and_keeps_a_prefix(text: str, limit: int, note: str) -> None:
    cut = truncate(text, limit, note)
    assert units(cut) <= limit
    if units(text) <= limit:
        assert cut == text
    elif units(note) < limit:
        assert cut.endswith(note)
        assert text.startswith(cut[: len(cut) - len(note)])


# --------------------------------------------------------------------------------------------
# Random reviews
# --------------------------------------------------------------------------------------------

SPECIAL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C42|general>",
    "<https://example.com/a?b=1&c=2|a link>",
    "<!subteam^S1>",
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "`",
    "```",
    "*",
    "_",
    "~",
    "\n",
    "\n\n",
    "> ",
    "😀",
    "👩‍💻",
    "é",
    "日本語",
    "Спасибо",
    " ",
]
fragment = st.one_of(st.text(max_size=12), st.sampled_from(SPECIAL))
text = st.lists(fragment, max_size=20).map("".join)
maybe_long = st.one_of(
    text,
    text,
    st.builds(lambda t, n: ((t or "x") * n)[:45_000], text, st.integers(1, 4000)),
)
findings = st.builds(
    Finding,
    dimension=st.sampled_from(DIMENSIONS),
    rule=st.text(max_size=10),
    quote=maybe_long,
    message=text,
    fix=text,
    cost=st.integers(0, 60),
    level=st.sampled_from(["nudge", "hint"]),
)
reviews = st.builds(
    Review,
    needs_nudge=st.booleans(),
    scores=st.builds(Scores, *[st.integers(0, 100)] * 5),
    findings=st.lists(findings, max_size=60).map(tuple),
    suggestion=st.none() | maybe_long,
    engine=st.sampled_from(["rules", "llm"]),
    note=st.none() | maybe_long,
    judged=st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(review=reviews, draft=maybe_long, ref=st.text(min_size=1, max_size=200))
def test_random_reviews_make_valid_safe_payloads(review: Review, draft: str, ref: str) -> None:
    nudge = check(nudge_message(review, draft, ref=ref), draft)
    message = check(review_message(review, draft), draft)
    check(review_modal(review, draft), draft)
    assert len(nudge["blocks"]) <= 12
    assert units(nudge["text"]) <= 300 and units(message["text"]) <= 300
    if review.suggestion and review.suggestion.strip():
        shown = escape_mrkdwn(review.suggestion.strip(), keep=slack_tokens(draft))
        if units(shown) < 2500 and "```" not in shown:
            assert f"```\n{shown}\n```" in all_text(nudge)
            # An unjudged review shows its note only (the engine never suggests then).
            assert (f"```\n{shown}\n```" in all_text(message)) == review.judged


@settings(max_examples=60, deadline=None)
@given(question=maybe_long, answer=maybe_long, tips=st.lists(maybe_long, max_size=6))
def test_random_coaching_and_errors_make_valid_safe_payloads(
    question: str, answer: str, tips: list[str]
) -> None:
    check(coaching_message(question, answer, tips))
    check(error_message(answer))


@settings(max_examples=60, deadline=None)
@given(
    recent=st.lists(st.tuples(maybe_long, st.integers(-50, 150)), max_size=60),
    streak=st.integers(-1, 10_000),
    live=st.booleans(),
    muted=st.none() | text,
    tip=st.none() | maybe_long,
)
def test_random_homes_are_valid_and_safe(
    recent: list[tuple[str, int]], streak: int, live: bool, muted: str | None, tip: str | None
) -> None:
    check(home_view(recent=recent, streak=streak, live_nudges=live, muted_until=muted, tip=tip))


def test_the_module_imports_no_slack_sdk() -> None:
    source = Path(blocks.__file__).read_text(encoding="utf-8")
    assert "import slack" not in source and "from slack" not in source
