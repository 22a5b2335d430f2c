"""Adaptive Card builders: pure functions from reviews and answers to Teams cards.

Every builder returns a plain ``dict``: an Adaptive Card, version 1.5 (Universal Actions:
its buttons are ``Action.Execute`` with a ``verb`` and ``data``, answered by the bot's
``adaptiveCard/action`` invoke). Nothing here imports the Teams SDK or does I/O.

Safety and limits, for every card:

- Our own words go in ``TextBlock`` elements, which Teams renders as markdown. Words from the
  agent, the customer or a model go in ``TextRun`` elements of a ``RichTextBlock``, which
  Teams shows as plain text: ``**``, ``[x](url)`` or ``<at>`` in a draft are shown as typed,
  never as formatting, links or mentions. The card's ``{{DATE(...)}}`` and ``{{TIME(...)}}``
  functions are defused in that text too.
- Teams refuses a bot message over about 28 KB. A review card is built within
  :data:`MAX_CARD_BYTES` of JSON (counted with every non-ASCII character escaped, which is
  never less than what is sent): a long draft is shown shortened, long findings and a long
  suggestion are cut with a visible note, and when even that is too big fewer findings are
  shown, then less of the suggestion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nudgebot.learning import Verdict
from nudgebot.models import Finding, Review
from nudgebot.wording import (
    LABELS,
    finding_message,
    fresh_tips,
    note_for_people,
    one_per_phrase,
    plural,
    quotes_itself,
    review_summary,
    scores_line,
    scores_verdict,
    strengths,
    suggestion_label,
    trim_quote,
    weight_words,
)

__all__ = [
    "CONTENT_TYPE",
    "JUDGE_VERBS",
    "LABELS",
    "MAX_CARD_BYTES",
    "VERBS",
    "VERB_AGREE",
    "VERB_DISAGREE",
    "VERB_DISMISS",
    "VERB_HELPFUL",
    "VERB_MISSED",
    "VERB_MUTE",
    "VERB_NOT_HELPFUL",
    "VERB_USE",
    "VERSION",
    "card_size",
    "coaching_card",
    "dismissed_card",
    "help_text",
    "review_card",
    "review_summary",
    "shorten",
    "text_card",
    "thanks_card",
    "used_card",
]

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
"""The ``contentType`` of an Adaptive Card attachment."""

VERB_USE = "nudge.use"
VERB_DISMISS = "nudge.dismiss"
VERB_HELPFUL = "nudge.helpful"
VERB_NOT_HELPFUL = "nudge.not_helpful"
VERBS = (VERB_USE, VERB_DISMISS, VERB_HELPFUL, VERB_NOT_HELPFUL)
"""The ``verb`` of each review-card button; their ``data`` holds ``ref`` and ``for``."""
VERB_MUTE = "nudge.mute"
"""A live nudge's "Mute nudges for an hour" (``data``: ``ref`` and ``for``)."""
VERB_AGREE = "nudge.agree"
VERB_DISAGREE = "nudge.disagree"
VERB_MISSED = "nudge.missed"
JUDGE_VERBS: dict[str, Verdict] = {
    VERB_AGREE: "agree",
    VERB_DISAGREE: "disagree",
    VERB_MISSED: "missed",
}
"""A lead's verdict buttons (verb: verdict); their ``data`` also holds ``rule`` and
``dimension`` (``rule`` is "" for a miss)."""

MAX_CARD_BYTES = 24_000
"""Our bound on a card's JSON; Teams caps a whole bot message at about 28 KB."""
MAX_FALLBACK = 300

_SHORTENED = "…(shortened)"
_TOO_LONG = "(shortened: the rest did not fit in one Teams card)"
_THANKS = "Thanks for the feedback! It helps me get better at this."


@dataclass(frozen=True)
class _Budget:
    """How much of a review one card shows; tried in order until the card fits."""

    draft: int
    nudges: int
    hints: int
    quote: int
    message: int
    suggestion: int
    carry: bool
    """Whether "Use suggestion" carries the suggestion in its data (to work after a restart)."""


_BUDGETS = (
    _Budget(600, 8, 8, 300, 600, 6_000, True),
    _Budget(400, 5, 5, 200, 400, 4_000, True),
    _Budget(300, 3, 3, 150, 300, 2_500, True),
    _Budget(200, 2, 0, 120, 240, 1_500, False),
    _Budget(120, 1, 0, 100, 200, 800, False),
    _Budget(80, 0, 0, 80, 120, 400, False),
)


# --------------------------------------------------------------------------------------------
# Text and size
# --------------------------------------------------------------------------------------------

_CARD_FUNCTION = re.compile(r"\{\{(?=\s*(?:DATE|TIME)\s*\()", re.I)
_JOINERS = "\u200d\ufe0e\ufe0f"


def card_size(card: dict[str, Any]) -> int:
    """Return the size of a card's JSON in bytes, every non-ASCII character escaped."""
    return len(json.dumps(card, ensure_ascii=True, separators=(",", ":")))


def shorten(text: str, limit: int, note: str = _SHORTENED) -> str:
    """Return ``text`` cut to ``limit`` characters with ``note`` at the end if it was cut.

    Text that fits comes back unchanged. A cut prefers a word end among the last 40
    characters and never ends on a joiner or variation selector (half an emoji sequence).
    """
    if len(text) <= limit:
        return text
    room = limit - len(note)
    if room <= 0:
        return note[: max(limit, 0)]
    head = text[:room]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > 0 and space >= len(head) - 40:
        head = head[:space]
    return head.rstrip().rstrip(_JOINERS).rstrip() + note


def _safe(text: str) -> str:
    """Defuse the card's date and time functions in text that is not ours."""
    return _CARD_FUNCTION.sub("{\u200b{", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Elements
# --------------------------------------------------------------------------------------------


def _ours(text: str, *, id: str | None = None, **style: Any) -> dict[str, Any]:
    """Return a TextBlock of our own words (Teams renders its markdown)."""
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True, **style}
    if id is not None:
        block["id"] = id
    return block


def _theirs(*runs: str | tuple[str, dict[str, Any]], id: str | None = None) -> dict[str, Any]:
    """Return a RichTextBlock of words not ours: shown as typed, never as markdown.

    Each run is a string, or ``(text, style)`` for a styled run; runs of our own words (a
    label such as "Try: ") may be mixed in.
    """
    inlines = []
    for run in runs:
        text, style = (run, {}) if isinstance(run, str) else run
        if text:
            inlines.append({"type": "TextRun", "text": _safe(text), **style})
    block: dict[str, Any] = {
        "type": "RichTextBlock",
        "inlines": inlines or [{"type": "TextRun", "text": "…"}],
    }
    if id is not None:
        block["id"] = id
    return block


def _execute(
    title: str, verb: str, data: dict[str, Any], style: str | None = None
) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style is not None:
        action["style"] = style
    return action


def _card(
    body: list[dict[str, Any]], fallback: str, actions: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "fallbackText": shorten(_one_line(fallback), MAX_FALLBACK, "…") or "nudgebot",
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = list(actions)
    return card


# --------------------------------------------------------------------------------------------
# Reviews
# --------------------------------------------------------------------------------------------


def _good_words(review: Review) -> str:
    listed = strengths(review)
    if listed is None:
        return "**Nothing here needs a nudge.** Send it with confidence."
    return f"**This reply reads well.** Nice work: {listed}."


_VERDICT_WORDS = {
    "agree": "✓ You agree with this finding.",
    "disagree": "✗ You disagree with this finding.",
    "missed": "You marked this reply as one I missed: it needed a nudge.",
}


def _verdict_row(
    data: dict[str, Any], finding: Finding | None, verdict: str | None
) -> list[dict[str, Any]]:
    """Return a lead's verdict buttons on a finding (or "Missed"), or the verdict given."""
    rule = finding.rule if finding is not None else ""
    words = _ours(_VERDICT_WORDS[verdict], isSubtle=True) if verdict else None
    if finding is None:
        buttons = [_execute("Missed: it needed a nudge", VERB_MISSED, {**data, "rule": ""})]
    else:
        about = {**data, "rule": rule, "dimension": finding.dimension}
        buttons = [
            _execute("Agree", VERB_AGREE, about),
            _execute("Disagree", VERB_DISAGREE, dict(about)),
        ]
    row: list[dict[str, Any]] = [{"type": "ActionSet", "actions": buttons}]
    return [words, *row] if words is not None else row


def _finding(
    finding: Finding,
    budget: _Budget,
    first: bool,
    judging: tuple[dict[str, Any], Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    label = f"**{LABELS[finding.dimension]}**"
    if finding.cost:
        label += f" · {weight_words(finding)}"
    items = [_ours(label)]
    words = trim_quote(finding.quote)
    if words and not quotes_itself(finding):
        quote = shorten(words, budget.quote, "…")
        items.append(_theirs((f"“{quote}”", {"italic": True})))
    if finding.message.strip():
        items.append(_theirs(shorten(finding_message(finding), budget.message, "…")))
    if finding.fix.strip():
        fix = shorten(finding.fix.strip(), budget.message, "…")
        items.append(_theirs(("Try: ", {"weight": "Bolder"}), fix))
    if judging is not None:
        data, verdicts = judging
        items += _verdict_row(data, finding, verdicts.get(finding.rule))
    return {"type": "Container", "items": items, "separator": not first, "spacing": "Medium"}


def _hints(hints: Sequence[Finding], budget: _Budget) -> dict[str, Any]:
    items = [_ours("**Small hints**")]
    for hint in hints:
        words = trim_quote(hint.quote)
        about = (
            f" (“{shorten(words, budget.quote, '…')}”)" if words and not quotes_itself(hint) else ""
        )
        message = shorten(finding_message(hint), budget.message, "…")
        items.append(
            _theirs(("• " + LABELS[hint.dimension] + ": ", {"weight": "Bolder"}), message + about)
        )
    return {"type": "Container", "id": "hints", "items": items, "spacing": "Medium"}


def _suggestion(review: Review, budget: _Budget) -> tuple[dict[str, Any], str]:
    """Return the suggestion's container and the suggestion as shown (maybe shortened)."""
    text = (review.suggestion or "").strip()
    shown = shorten(text, budget.suggestion, "…")
    items = [_ours(f"**{suggestion_label(review)}**"), _theirs(shown, id="suggestion-text")]
    if shown != text:
        items.append(_ours(_TOO_LONG, isSubtle=True, size="Small"))
    block = {"type": "Container", "id": "suggestion", "style": "emphasis", "items": items}
    return block, shown


def _feedback_row(data: dict[str, Any], given: bool | None) -> dict[str, Any]:
    if given is not None:
        return _ours(_THANKS, id="feedback", isSubtle=True)
    return {
        "type": "ActionSet",
        "id": "feedback",
        "actions": [
            _execute("👍 Helpful", VERB_HELPFUL, dict(data)),
            _execute("👎 Not helpful", VERB_NOT_HELPFUL, dict(data)),
        ],
    }


def review_card(
    review: Review,
    draft: str,
    *,
    ref: str,
    requester: str | None = None,
    feedback_given: bool | None = None,
    verdicts: Mapping[str, str] | None = None,
    live: bool = False,
) -> dict[str, Any]:
    """Return the card answering an agent who asked for a review.

    The draft (shortened), the five scores, what could land better (nudges one by one with
    the words quoted, the reason and a fix; hints grouped), the suggested reply, the note;
    then "Use suggestion" and "Dismiss", and Helpful / Not helpful. Every button's ``data``
    holds ``ref`` (to find the review again) and ``for`` (``requester``, the agent the
    review is for). ``feedback_given`` (True or False) shows a thank-you instead of the
    Helpful / Not helpful buttons, once the agent has answered them.

    ``verdicts`` (a lead's review of an agent's reply in a conversation: the verdicts given
    so far, by rule, "" for a miss) adds Agree / Disagree under each finding, and "Missed"
    when the bot would not have nudged; a verdict given shows in words above its buttons.
    ``live`` (a nudge nobody asked for) adds "Mute nudges for an hour".

    A draft the engine could not judge (another language, no words) gets the note instead of
    scores. The card stays within :data:`MAX_CARD_BYTES` however long the draft is.
    """
    card: dict[str, Any] = {}
    for budget in _BUDGETS:
        card = _review_card(review, draft, ref, requester, feedback_given, budget, verdicts, live)
        if card_size(card) <= MAX_CARD_BYTES:
            return card
    return card  # the last budget always fits: a few hundred characters of each text


def _review_card(
    review: Review,
    draft: str,
    ref: str,
    requester: str | None,
    feedback_given: bool | None,
    budget: _Budget,
    verdicts: Mapping[str, str] | None = None,
    live: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {"ref": ref}
    if requester:
        data["for"] = requester
    judging = (data, verdicts) if verdicts is not None and review.judged else None
    shown_draft = shorten(draft.strip(), budget.draft)
    body: list[dict[str, Any]] = []
    if not review.judged:
        body.append(_ours("I couldn't review this one", id="title", weight="Bolder", size="Medium"))
        body.append(_theirs((shown_draft, {"isSubtle": True, "italic": True}), id="draft"))
        body.append(_ours("I've left this draft alone: there's nothing here I can score fairly."))
    else:
        title = "A few things could land better" if review.points_raised else "Looking good"
        body.append(_ours(title, id="title", weight="Bolder", size="Medium"))
        body.append(_ours(scores_line(review), id="scores", isSubtle=True, spacing="None"))
        body.append(_ours(scores_verdict(review), id="verdict", isSubtle=True, spacing="None"))
        body.append(_theirs((shown_draft, {"isSubtle": True, "italic": True}), id="draft"))
        if not review.points_raised:
            body.append(_ours(_good_words(review)))
        findings = one_per_phrase(review.findings)
        nudges = [f for f in findings if f.level == "nudge"][: budget.nudges]
        hints = [f for f in findings if f.level != "nudge"][: budget.hints]
        if nudges:
            items = [_finding(f, budget, i == 0, judging) for i, f in enumerate(nudges)]
            body.append({"type": "Container", "id": "findings", "items": items})
        if judging is not None and not review.needs_nudge:
            missed = _verdict_row(data, None, judging[1].get(""))
            body.append({"type": "Container", "id": "missed", "items": missed})
        if hints:
            body.append(_hints(hints, budget))
        hidden = len(findings) - len(nudges) - len(hints)
        if hidden > 0:
            more = f"…and {plural(hidden, 'more thing')} I've left out to keep this short."
            body.append(_ours(more, isSubtle=True))
    actions: list[dict[str, Any]] = []
    if review.suggestion and review.suggestion.strip():
        block, shown = _suggestion(review, budget)
        body.append(block)
        use = {**data, "suggestion": shown} if budget.carry else dict(data)
        actions.append(_execute("Use suggestion", VERB_USE, use, style="positive"))
    actions.append(_execute("Dismiss", VERB_DISMISS, dict(data)))
    if live:
        actions.append(_execute("🔕 Mute nudges for an hour", VERB_MUTE, dict(data)))
    note = note_for_people(review.note)
    if note:
        body.append(_theirs((note, {"isSubtle": True, "size": "Small"}), id="note"))
    body.append(_feedback_row(data, feedback_given))
    return _card(body, review_summary(review), actions)


def used_card(suggestion: str) -> dict[str, Any]:
    """Return the card that replaces a review once its suggestion is used: the reply to paste."""
    text = suggestion.strip()
    card: dict[str, Any] = {}
    for limit in (6_000, 3_000, 1_500, 600):
        shown = shorten(text, limit, "…")
        items = [_theirs(shown, id="suggestion-text")]
        if shown != text:
            items.append(_ours(_TOO_LONG, isSubtle=True, size="Small"))
        body = [
            _ours("✓ Ready to use", id="title", weight="Bolder", size="Medium"),
            _ours("Here's the warmer version: copy it into your reply."),
            {"type": "Container", "id": "suggestion", "style": "emphasis", "items": items},
        ]
        card = _card(body, "Ready to use: the warmer version of your reply.")
        if card_size(card) <= MAX_CARD_BYTES:
            break
    return card


def dismissed_card() -> dict[str, Any]:
    """Return the card that replaces a dismissed review."""
    body = [_ours("Dismissed. Send me another draft whenever you like.", id="title", isSubtle=True)]
    return _card(body, "Dismissed.")


def thanks_card(helpful: bool) -> dict[str, Any]:
    """Return a thank-you for feedback, when the review it was about is no longer at hand."""
    verdict = "helpful" if helpful else "not helpful"
    body = [
        _ours(_THANKS, id="title"),
        _ours(f"You marked this review as {verdict}.", isSubtle=True, size="Small"),
    ]
    return _card(body, _THANKS)


# --------------------------------------------------------------------------------------------
# Coaching, help, plain words
# --------------------------------------------------------------------------------------------

COACHING_TIPS = 3
_PARAGRAPHS = 10
_PARAGRAPH_CHARS = 3_000


def coaching_card(
    question: str, answer: str, tips: Sequence[str] = (), note: str | None = None
) -> dict[str, Any]:
    """Return the answer to a coaching question: the question echoed, the answer, tips, note.

    The answer is split at blank lines (at most ten paragraphs, the last one with a note if
    more was cut), and up to three tips follow as bullets.
    """
    body: list[dict[str, Any]] = []
    asked = _one_line(question)
    if asked:
        body.append(
            _theirs(
                ("You asked: ", {"isSubtle": True}),
                (shorten(asked, 300, "…"), {"isSubtle": True, "italic": True}),
                id="question",
            )
        )
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", answer.strip()) if p.strip()]
    if not paragraphs:
        paragraphs = ["I don't have a good answer for that one yet."]
    if len(paragraphs) > _PARAGRAPHS:
        paragraphs = [*paragraphs[: _PARAGRAPHS - 1], paragraphs[_PARAGRAPHS - 1] + " " + _TOO_LONG]
    body += [_theirs(shorten(p, _PARAGRAPH_CHARS, "…")) for p in paragraphs]
    chosen = fresh_tips(answer, tips)[:COACHING_TIPS]  # not the ones the answer already lists
    if chosen:
        items = [_ours("**Tips to try**")]
        items += [_theirs("• " + shorten(tip, 600, "…")) for tip in chosen]
        body.append({"type": "Container", "id": "tips", "items": items})
    if note:
        body.append(_theirs((note, {"isSubtle": True, "size": "Small"}), id="note"))
    card = _card(body, paragraphs[0])
    while card_size(card) > MAX_CARD_BYTES and len(body) > 1:  # a huge answer: drop its tail
        body.pop()
        card = _card([*body, _ours(_TOO_LONG, isSubtle=True)], paragraphs[0])
    return card


def text_card(text: str, *, title: str | None = None) -> dict[str, Any]:
    """Return a small card showing words that are not ours (a hook's answer, say) as typed."""
    body: list[dict[str, Any]] = []
    if title:
        body.append(_ours(title, id="title", weight="Bolder"))
    body.append(_theirs(shorten(text.strip(), 6_000, "…")))
    return _card(body, title or text)


def help_text() -> str:
    """Return the answer to ``help``: what the bot does and how to ask (Teams markdown)."""
    return "\n\n".join(
        [
            "**How I can help**",
            "I'm your reply coach: I look at a reply for Respect, Empathy, Adaptable, Learn and "
            "Ownership, and suggest a warmer version when it could land better.",
            "- **Send me a draft** here and I'll review it before you send it.\n"
            '- **Ask me a question**, like "how do I say no kindly?", and I\'ll coach you.\n'
            "- In a channel or group chat, **@mention me** with your draft, or @mention me on a "
            "reply (quote it with *Reply*) to have that reply reviewed.",
            "**Commands**\n\n"
            "- `help`: this message\n"
            "- `review`: a look at how the team's replies have been landing\n"
            "- `tips`: the channel's daily coaching tip: `tips on 09:30`, `tips off`, `tips now` "
            "(leads), or `tips` to see what is set\n"
            "- `rules`: each rule's nudges, the team's votes and whether it nudges here; leads: "
            "`rules off <rule> [why]`, `rules on <rule>`, `rules auto <rule>` (the team's "
            "feedback decides)",
        ]
    )
