"""Block Kit builders: pure functions from reviews and answers to Slack payloads.

Every builder returns a plain ``dict`` ready for the Web API: messages carry ``text`` (the
notification fallback) and ``blocks``; :func:`review_modal` and :func:`home_view` return views.
Nothing here imports a Slack SDK or does I/O, so the Bolt app only sends what these return.

Safety and limits, for every payload:

- Every piece of user or model text is escaped with :func:`~nudgebot.engine.guard.escape_mrkdwn`,
  keeping only the Slack markup tokens of the agent's own draft (``slack_tokens(draft)``): a
  suggestion can never ping ``<!channel>`` or mention someone the draft did not. Notes (which
  may quote ``<!channel>``) and text with no draft behind it are escaped with nothing kept.
- Slack's limits hold whatever the input: at most 50 blocks, 3,000 characters per section or
  context text, 150 per header, 75 per button label, 2,000 per button value, 24 for a modal
  title. Lengths are counted in UTF-16 code units (an emoji outside the BMP counts twice), which
  is never less than Slack's count however Slack counts. Long text is cut with a visible note,
  never inside an ``&amp;`` entity or a ``<...>`` token; long lists end with "and N more".

The suggested reply is shown in a triple-backtick code block: Slack shows it verbatim
there (no stray ``*`` or ``_`` turning into bold or italics and vanishing from the copy), keeps
its line breaks, and one drag or triple-click copies exactly the reply, with no ``>`` quote
markers. A suggestion that itself contains a fence falls back to a block quote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nudgebot.engine.guard import escape_mrkdwn, slack_tokens
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
    suggestion_state,
    trim_quote,
)

__all__ = [
    "ACTION_HELPFUL",
    "ACTION_MUTE",
    "ACTION_NOT_HELPFUL",
    "ACTION_TOGGLE_NUDGES",
    "BLOCK_FEEDBACK",
    "BLOCK_HOME_NUDGES",
    "LABELS",
    "coaching_message",
    "error_message",
    "help_message",
    "home_view",
    "nudge_message",
    "nudge_without_buttons",
    "review_message",
    "review_modal",
    "slack_len",
    "tip_message",
    "truncate",
]

ACTION_HELPFUL = "nudge_helpful"
ACTION_NOT_HELPFUL = "nudge_not_helpful"
ACTION_MUTE = "nudge_mute_hour"
ACTION_TOGGLE_NUDGES = "home_toggle_nudges"
"""The App Home button; its ``value`` is the setting to switch to: ``"on"`` or ``"off"``."""

BLOCK_FEEDBACK = "nudge_feedback"
"""``block_id`` of the nudge's buttons (Helpful / Not helpful / Mute)."""
BLOCK_HOME_NUDGES = "home_nudges"
"""``block_id`` of the App Home section holding the nudge toggle."""

# Slack's limits (https://api.slack.com/reference/block-kit), and our own tighter ones.
MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_TITLE = 24
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK = 300
"""Our bound on a message's ``text`` fallback (Slack allows 40,000; notifications show little)."""

NUDGE_FINDINGS = 3
"""Findings a live nudge shows; the rest are counted."""
REVIEW_FINDINGS = 10
"""Nudge-level findings a review shows one by one."""
REVIEW_HINTS = 10
"""Hints a review lists in its "small hints" group."""
COACHING_TIPS = 3
HOME_RECENT = 10
"""Recent scores listed by name on the App Home (the sparkline shows up to 30)."""
HOME_SPARKLINE = 30

_QUOTE_CHARS = 300
_MESSAGE_CHARS = 600
_HINT_CHARS = 280
_SHORTENED = "…(shortened)"
_TOO_LONG = "_…(shortened: the rest did not fit in one Slack message)_"
_SPARKS = "▁▂▃▄▅▆▇█"
_DATE_TOKEN = re.compile(r"<!date\^\d{1,12}\^[^<>|\n]{1,100}(?:\|[^<>\n]{1,100})?>")

# What a good draft does well, by dimension, to name it in a word of encouragement.


# --------------------------------------------------------------------------------------------
# Lengths and truncation
# --------------------------------------------------------------------------------------------


def slack_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units: the measure every limit here uses."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _head(text: str, units: int) -> str:
    """Return the longest start of ``text`` at most ``units`` UTF-16 code units long."""
    if text.isascii():
        return text[:units]
    count = 0
    for index, char in enumerate(text):
        count += 2 if ord(char) > 0xFFFF else 1
        if count > units:
            return text[:index]
    return text


def _safe_end(head: str) -> str:
    """Drop a ``<...>`` token or ``&...;`` entity that a cut left unfinished at the end."""
    while True:
        opened, closed = head.rfind("<"), head.rfind(">")
        if opened > closed:
            head = head[:opened]
            continue
        amp = head.rfind("&")
        if amp > closed and amp >= len(head) - 4 and ";" not in head[amp:]:
            head = head[:amp]
            continue
        return head


def truncate(text: str, limit: int = MAX_TEXT, note: str = _SHORTENED) -> str:
    """Return ``text`` cut to ``limit`` (UTF-16 code units) with ``note`` at the end if cut.

    Text that fits comes back unchanged. A cut prefers a word end among the last 40 characters
    and never ends inside an ``&amp;``-style entity or a ``<...>`` markup token, so escaped
    mrkdwn stays valid. When ``note`` alone does not fit, the note itself is cut.
    """
    if slack_len(text) <= limit:
        return text
    room = limit - slack_len(note)
    if room <= 0:
        return _head(note, max(limit, 0))
    head = _head(text, room)
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > 0 and space >= len(head) - 40:
        head = head[:space]
    return _safe_end(head).rstrip() + note


# --------------------------------------------------------------------------------------------
# Block parts
# --------------------------------------------------------------------------------------------


def _esc(text: str, keep: Sequence[str] = ()) -> str:
    """Escape user or model text for mrkdwn, keeping only the markup tokens in ``keep``."""
    return escape_mrkdwn(text, keep=keep)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit, "…"), "emoji": True}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text, MAX_HEADER)}


def _section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text.strip() or "…")},
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def _context(*texts: str) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": truncate(text.strip())}
        for text in texts[:MAX_CONTEXT_ELEMENTS]
        if text.strip()
    ]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": "…"}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


def _blockquote(text: str) -> str:
    """Return mrkdwn text as a block quote: every non-empty line starts with ``>``."""
    # Split on "\n" only: str.splitlines() also breaks at \r, \x1c... which may sit inside a
    # Slack token kept from the draft, and a token cut in two would reach Slack as markup.
    return "\n".join(">" + line for line in text.split("\n") if line.strip())


def _ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Return the findings nudges first, hints after, each group in the engine's order."""
    return sorted(findings, key=lambda finding: finding.level != "nudge")


def _nudge_priority(finding: Finding) -> tuple[bool, bool, int]:
    """Sort key for a live nudge: nudges before hints, quoted words first, costliest first."""
    return (finding.level != "nudge", not finding.quote.strip(), -finding.cost)


def _quote_text(finding: Finding, keep: Sequence[str]) -> str:
    """Return the finding's quote, escaped and cut short, as mrkdwn block-quote lines.

    Empty when there is no quote (something missing), or when the message already quotes it.
    """
    words = trim_quote(finding.quote)
    if not words or quotes_itself(finding):
        return ""
    return _blockquote(truncate(_esc(words, keep), _QUOTE_CHARS, "…"))


def _finding_section(finding: Finding, keep: Sequence[str], *, fix: bool) -> dict[str, Any]:
    """Return one finding: its dimension, the words quoted, the message (and the fix)."""
    lines = [f"*{LABELS[finding.dimension]}*"]
    quote = _quote_text(finding, keep)
    if quote:
        lines.append(quote)
    if finding.message.strip():
        lines.append(truncate(_esc(finding_message(finding), keep), _MESSAGE_CHARS, "…"))
    if fix and finding.fix.strip():
        lines.append("_Try:_ " + truncate(_esc(finding.fix.strip(), keep), _MESSAGE_CHARS, "…"))
    return _section("\n".join(lines))


def _hints_section(hints: Sequence[Finding], keep: Sequence[str]) -> dict[str, Any]:
    """Return the small hints, grouped as one bulleted list."""
    bullets = []
    for hint in hints:
        words = trim_quote(hint.quote)
        about = f" (“{_esc(words, keep)}”)" if words and not quotes_itself(hint) else ""
        line = f"*{LABELS[hint.dimension]}*: {_esc(finding_message(hint), keep)}{about}"
        bullets.append("• " + truncate(line, _HINT_CHARS, "…"))
    return _section("*Small hints*\n" + "\n".join(bullets))


def _more(hidden: int, what: str = "thing") -> str:
    return f"…and {plural(hidden, 'more ' + what)} I've left out to keep this short."


def _suggestion_section(suggestion: str, keep: Sequence[str], label: str) -> dict[str, Any]:
    """Return the suggested reply to copy: in a code block (a quote if it holds a fence)."""
    body = _esc(suggestion.strip(), keep)
    head = f"*{label}*\n"
    if "```" not in body:
        source, before, after = body, "```\n", "\n```"
    else:
        source, before, after = _blockquote(body), "", ""
    room = MAX_TEXT - slack_len(head + before + after) - 1 - slack_len(_TOO_LONG)
    cut = truncate(source, room, "…")
    text = head + before + cut + after
    if cut != source:
        text += "\n" + _TOO_LONG
    return _section(text)


def _fallback(text: str) -> str:
    """Return a notification fallback: one line, short (``text`` is already escaped)."""
    return truncate(" ".join(text.split()), MAX_FALLBACK, "…") or "nudgebot"


def _capped(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep a message within Slack's block limit (the builders stay far below it)."""
    return blocks[:MAX_BLOCKS]


# --------------------------------------------------------------------------------------------
# Reviews
# --------------------------------------------------------------------------------------------


def nudge_message(review: Review, draft: str, *, ref: str) -> dict[str, Any]:
    """Return the ephemeral nudge posted to an agent in a watched channel's thread.

    A short, kind header; up to three findings (dimension, the quoted words, the message) with
    the rest counted; the suggested reply ready to copy; and Helpful / Not helpful / Mute
    buttons whose ``value`` is ``ref``, the opaque id the app uses to find the review again.

    Raises:
        ValueError: ``ref`` is empty or longer than Slack's 2,000-character button value.

    """
    if not ref or slack_len(ref) > MAX_BUTTON_VALUE:
        raise ValueError(f"ref must be 1-{MAX_BUTTON_VALUE} characters, got {len(ref)}")
    keep = slack_tokens(draft)
    findings = one_per_phrase(sorted(review.findings, key=_nudge_priority))
    shown, hidden = findings[:NUDGE_FINDINGS], len(findings) - NUDGE_FINDINGS
    blocks: list[dict[str, Any]] = [_header("This reply could land better")]
    blocks += [_finding_section(finding, keep, fix=False) for finding in shown]
    if hidden > 0:
        blocks.append(_context(_more(hidden) + " DM me the reply for the full review."))
    if review.suggestion and review.suggestion.strip():
        blocks.append(_suggestion_section(review.suggestion, keep, suggestion_label(review)))
    note = note_for_people(review.note)
    if note:
        blocks.append(_context(_esc(note)))
    blocks.append(
        {
            "type": "actions",
            "block_id": BLOCK_FEEDBACK,
            "elements": [
                _button(":thumbsup: Helpful", ACTION_HELPFUL, ref),
                _button(":thumbsdown: Not helpful", ACTION_NOT_HELPFUL, ref),
                _button(":no_bell: Mute nudges for an hour", ACTION_MUTE, ref),
            ],
        }
    )
    dimensions = list(dict.fromkeys(LABELS[f.dimension] for f in findings))
    about = f" ({', '.join(dimensions)})" if dimensions else ""
    ready = f": a warmer version ({suggestion_state(review).lower()})" if review.suggestion else ""
    return {
        "text": _fallback(f"This reply could land better{about}{ready}."),
        "blocks": _capped(blocks),
    }


def nudge_without_buttons(message: Mapping[str, Any], note: str) -> dict[str, Any]:
    """Return a nudge with its Helpful / Not helpful / Mute row replaced by ``note``.

    Everything else (the findings, the suggestion ready to copy) stays as it was: a button
    press changes only the button row, into a short context line ("Thanks — noted.").
    """
    kept = [
        _context(note) if block.get("block_id") == BLOCK_FEEDBACK else block
        for block in message.get("blocks") or ()
        if isinstance(block, Mapping)
    ]
    return {"text": str(message.get("text") or note), "blocks": [dict(b) for b in kept]}


def review_message(review: Review, draft: str) -> dict[str, Any]:
    """Return the answer to an agent who asked for a review (DM, @mention, /nudge, assistant).

    The five scores on one line, every finding (nudges one by one, hints grouped, a long list
    ends with "and N more"), the suggested reply ready to copy, and the note as a small context
    line. A draft that needs no nudge gets a short word naming what works; a draft the engine
    could not judge (another language, no words) gets the note instead of scores.
    """
    blocks = _review_blocks(review, draft)
    return {"text": _fallback(review_summary(review)), "blocks": _capped(blocks)}


def review_modal(review: Review, draft: str) -> dict[str, Any]:
    """Return a modal view with the content of :func:`review_message` (the message shortcut)."""
    return {
        "type": "modal",
        "title": _plain("Warm up this reply", MAX_TITLE),
        "close": _plain("Close", MAX_TITLE),
        "blocks": _capped(_review_blocks(review, draft)),
    }


def _good_words(review: Review) -> str:
    """Return a word of encouragement naming up to three things the draft does well."""
    listed = strengths(review)
    if listed is None:
        return ":sparkles: *Nothing here needs a nudge.* Send it with confidence."
    return f":sparkles: *This reply reads well.* Nice work: {listed}."


def _review_blocks(review: Review, draft: str) -> list[dict[str, Any]]:
    """Return the blocks shared by :func:`review_message` and :func:`review_modal`."""
    keep = slack_tokens(draft)
    if not review.judged:
        blocks = [
            _header("I couldn't review this one"),
            _section("I've left this draft alone: there's nothing here I can score fairly."),
        ]
        note = note_for_people(review.note)
        if note:
            blocks.append(_context(_esc(note)))
        return blocks
    title = "A few things could land better" if review.points_raised else "Looking good"
    blocks = [_header(title), _context(scores_line(review), scores_verdict(review))]
    if not review.points_raised:
        blocks.append(_section(_good_words(review)))
    findings = one_per_phrase(_ordered(review.findings))
    nudges = [f for f in findings if f.level == "nudge"]
    hints = [f for f in findings if f.level != "nudge"]
    shown_nudges, shown_hints = nudges[:REVIEW_FINDINGS], hints[:REVIEW_HINTS]
    blocks += [_finding_section(finding, keep, fix=True) for finding in shown_nudges]
    if shown_hints:
        blocks.append(_hints_section(shown_hints, keep))
    hidden = len(findings) - len(shown_nudges) - len(shown_hints)
    if hidden > 0:
        blocks.append(_context(_more(hidden)))
    if review.suggestion and review.suggestion.strip():
        blocks.append(_divider())
        blocks.append(_suggestion_section(review.suggestion, keep, suggestion_label(review)))
    note = note_for_people(review.note)
    if note:
        blocks.append(_context(_esc(note)))
    return blocks


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


# --------------------------------------------------------------------------------------------
# Coaching, help and errors
# --------------------------------------------------------------------------------------------


def coaching_message(question: str, answer: str, tips: Sequence[str] = ()) -> dict[str, Any]:
    """Return the answer to a coaching question, with up to three tips as bullets.

    A long answer is split over several sections at paragraph ends (and cut, with a note,
    past ten of them); the question is echoed as a small context line.
    """
    blocks: list[dict[str, Any]] = []
    asked = " ".join(question.split())
    if asked:
        blocks.append(_context("_You asked:_ " + truncate(_esc(asked), _QUOTE_CHARS, "…")))
    body = _esc(answer.strip())
    parts = _paragraphs(body) if body else ["I don't have a good answer for that one yet."]
    blocks += [_section(part) for part in parts]
    chosen = fresh_tips(answer, tips)[:COACHING_TIPS]  # not the ones the answer already lists
    if chosen:
        bullets = "\n".join("• " + truncate(_esc(tip), _MESSAGE_CHARS, "…") for tip in chosen)
        blocks.append(_section("*Tips to try*\n" + bullets))
    return {"text": _fallback(body or parts[0]), "blocks": _capped(blocks)}


def _paragraphs(text: str, most: int = 10) -> list[str]:
    """Split mrkdwn text into at most ``most`` section-sized parts, at paragraph ends."""
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if slack_len(joined) <= MAX_TEXT:
            current = joined
            continue
        if current:
            parts.append(current)
        current = paragraph
        while slack_len(current) > MAX_TEXT:
            head = truncate(current, MAX_TEXT, "")
            if not head:  # one unbreakable run: cut it with a note
                head, current = truncate(current), ""
            parts.append(head)
            current = current[len(head) :].lstrip()
    if current:
        parts.append(current)
    if len(parts) > most:
        room = MAX_TEXT - slack_len(_TOO_LONG) - 1
        parts = [*parts[: most - 1], truncate(parts[most - 1], room, "…") + "\n" + _TOO_LONG]
    return parts


def tip_message(message: str) -> dict[str, Any]:
    """Return a daily tip as posted to a team channel (``message`` from the scheduler)."""
    body = _esc(" ".join(message.split()))
    blocks = [
        _section(":bulb: " + truncate(body, _MESSAGE_CHARS, "…")),
        _context("A daily tip from nudgebot · `/nudge tips` to change when they come"),
    ]
    return {"text": _fallback(body), "blocks": blocks}


def help_message() -> dict[str, Any]:
    """Return the answer to ``/nudge help``: the commands and the other ways to ask."""
    commands = "\n".join(
        [
            "*Commands*",
            "• `/nudge &lt;your draft&gt;`: I review a draft before you send it (only you see it)",
            "• `/nudge on` / `/nudge off`: turn live nudges on or off, just for you",
            "• `/nudge tips`: what daily tips this channel gets; team leads: "
            "`/nudge tips on [09:30] [Europe/London] [weekdays]`, `off`, or `now`",
            "• `/nudge rules`: each rule's live nudges, votes and state in this team (a rule "
            "the team often finds not helpful stops nudging live on its own)",
            "• `/nudge forget`: delete what I've stored about you (your replies' words, "
            "your settings and feedback)",
            "• `/nudge help`: this message",
        ]
    )
    leads = "\n".join(
        [
            "*For team leads*",
            "• `/nudge watch` / `/nudge unwatch`: in a channel: start or stop offering nudges "
            "on replies there",
            "• `/nudge review [#channel | @agent | @group] [7d | 30d | since 2026-11-01] "
            "[csv]`: how the team's replies have been landing (only you see it)",
            "• `/nudge review &lt;message link&gt;`: a scorecard of one conversation, where "
            "you can agree or disagree with each finding and mark a reply I missed",
            "• `/nudge rules off &lt;rule&gt; [why]`: stop a rule nudging live in this team; "
            "`on` keeps it nudging whatever the feedback, `auto` lets the feedback decide",
        ]
    )
    ways = "\n".join(
        [
            "*Other ways to ask*",
            "• Send me a draft in a direct message",
            "• @mention me in a thread with your draft",
            "• On any message, open *More actions* and choose *Warm up this reply*",
        ]
    )
    blocks = [
        _header("How I can help"),
        _section(
            "I'm your reply coach: I look at a reply for Respect, Empathy, Adaptable, Learn "
            "and Ownership, and suggest a warmer version when it could land better."
        ),
        _section(commands),
        _section(ways),
        _section(leads),
    ]
    text = (
        "How I can help: /nudge &lt;draft&gt; reviews a draft; /nudge on or off for live "
        "nudges; /nudge tips; /nudge forget; leads: /nudge watch, /nudge review; /nudge help."
    )
    return {"text": _fallback(text), "blocks": blocks}


def error_message(text: str) -> dict[str, Any]:
    """Return a short, friendly error, e.g. "I couldn't review that: the draft is empty"."""
    said = " ".join(text.split())
    body = _esc(said) if said else "Something went wrong on my side. Please try again."
    blocks = [
        _section(":thinking_face: " + truncate(body, _MESSAGE_CHARS, "…")),
        _context("Type `/nudge help` to see what I can do."),
    ]
    return {"text": _fallback(body), "blocks": blocks}


# --------------------------------------------------------------------------------------------
# App Home
# --------------------------------------------------------------------------------------------


def home_view(
    *,
    recent: Sequence[tuple[str, int]],
    streak: int,
    live_nudges: bool,
    muted_until: str | None,
    tip: str | None,
) -> dict[str, Any]:
    """Return the App Home ``home`` view of one agent.

    Args:
        recent: the agent's recent reviews as ``(label, overall score 0-100)``, oldest first
            (a sparkline of up to 30 and a list of the latest 10, newest first).
        streak: how many of the agent's latest reviewed replies in a row needed no nudge.
        live_nudges: whether live nudges are on for the agent.
        muted_until: when a mute ends, as display text (escaped), or a Slack date token
            ``<!date^...>`` (shown in the reader's time zone); None when not muted.
        tip: today's coaching tip, or None.

    The nudge toggle is a button with ``action_id`` :data:`ACTION_TOGGLE_NUDGES` whose value
    is the setting to switch to (``"on"`` or ``"off"``).

    """
    blocks: list[dict[str, Any]] = [_header("Your reply coach")]
    blocks.append(_section(_recent_text(recent)))
    blocks.append(_section(_streak_text(streak)))
    blocks.append(_nudges_section(live_nudges, muted_until))
    if tip and tip.strip():
        blocks.append(_section("*Today's tip*\n" + truncate(_esc(tip.strip()))))
    blocks.append(_context("Send me a draft here in Messages, @mention me, or type `/nudge help`."))
    return {"type": "home", "blocks": _capped(blocks)}


def _recent_text(recent: Sequence[tuple[str, int]]) -> str:
    """Return the recent scores: a sparkline and the latest few, newest first."""
    if not recent:
        return "*Recent replies*\nNothing reviewed yet. Send me a draft and I'll take a look."
    scores = [max(0, min(100, score)) for _, score in recent]
    spark = "".join(_SPARKS[min(7, score * 8 // 101)] for score in scores[-HOME_SPARKLINE:])
    average = round(sum(scores) / len(scores))
    lines = [
        "*Recent replies*",
        f"`{spark}`  average {average} over the last {plural(len(scores), 'reply', 'replies')}",
    ]
    latest = list(zip(recent, scores, strict=True))[-HOME_RECENT:][::-1]
    for (label, _), score in latest:
        name = truncate(_esc(" ".join(label.split())), 120, "…") or "a reply"
        lines.append(f"• {score} · {name}")
    return "\n".join(lines)


def _streak_text(streak: int) -> str:
    """Return the streak line (replies in a row that needed no nudge)."""
    if streak <= 0:
        return "*Streak*\nEvery reply is a fresh start: your next one can begin a streak."
    replies = plural(streak, "reply", "replies")
    return f"*Streak* :fire:\n{replies} in a row landed well without a nudge. Keep it up!"


def _nudges_section(live_nudges: bool, muted_until: str | None) -> dict[str, Any]:
    """Return the nudge setting with its toggle button."""
    if live_nudges:
        state = "*Live nudges: on.* When a reply could land better, I'll suggest a warmer "
        state += "version that only you can see."
        if muted_until and muted_until.strip():
            when = muted_until.strip()
            shown = when if _DATE_TOKEN.fullmatch(when) else _esc(when)
            state += f"\n:no_bell: Paused until {truncate(shown, 200, '…')}."
        button = _button("Turn off", ACTION_TOGGLE_NUDGES, "off")
    else:
        state = "*Live nudges: off.* You can still send me drafts any time."
        button = _button("Turn on", ACTION_TOGGLE_NUDGES, "on", style="primary")
    block = _section(state, block_id=BLOCK_HOME_NUDGES)
    block["accessory"] = button
    return block
