"""What the model is told around a draft: the thread, the reply's move, the channel, the hints.

Each is rendered compactly and within a bound, because every token is paid for on every
review: the thread keeps its latest turns (oldest first), each cut to a few hundred
characters; the rules' hints carry each quote once and only the findings the rules are sure
enough of (:data:`HINT_MIN_CONFIDENCE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nudgebot.engine.facts import extract_facts
from nudgebot.models import Draft, Finding, Turn

__all__ = [
    "HINT_MIN_CONFIDENCE",
    "MAX_TURNS",
    "NO_THREAD",
    "UNKNOWN",
    "channel_kind",
    "hint_lines",
    "mask_facts",
    "move_name",
    "render_thread",
    "thread_of",
]

MAX_TURNS = 6
"""The most turns of the thread the model sees (the latest ones)."""
TURN_CHARS = 300
"""The longest a turn is shown, except the last one."""
LAST_TURN_CHARS = 600
"""The longest the last turn (the message the draft answers) is shown."""
THREAD_CHARS = 1_500
"""The longest the whole rendered thread may be; the oldest turns go first."""
HINT_MIN_CONFIDENCE = 0.5
"""A rules finding with a confidence below this is not passed to the model as a hint."""
UNKNOWN = "unknown"
NO_THREAD = "(not given)"

_EMAIL = frozenset({"email", "e-mail", "mail"})


def thread_of(draft: Draft) -> tuple[Turn, ...]:
    """Return the conversation before ``draft``, oldest first, its customer message included.

    That is :attr:`Draft.turns`, plus :attr:`Draft.customer` as the last turn when a thread
    is given without it.
    """
    turns = draft.turns
    customer = draft.customer
    if customer and draft.thread and all(turn.text != customer for turn in draft.thread):
        turns = (*turns, Turn("customer", customer))
    return turns


_MASKS = {
    "name": "[name]",
    "id": "[id]",
    "money": "[amount]",
    "percent": "[amount]",
    "date": "[date]",
    "time": "[time]",
    "duration": "[how long]",
    "url": "[link]",
    "link": "[link]",
    "email": "[email address]",
    "phone": "[phone number]",
    "mention": "[mention]",
    "channel": "[channel]",
}


def mask_facts(text: str) -> str:
    """Return ``text`` with each of its facts replaced by what it is: "[name]", "[id]"...

    Earlier agent replies reach the model this way: on a channel's stream of top-level
    messages they may answer another customer, whose names, order numbers and amounts are
    none of this review's business. What the reply did ("I've refunded [amount] for [id]")
    is kept.
    """
    facts = extract_facts(text)
    if not facts:
        return text
    out, pos = [], 0
    for fact in facts:
        out += [text[pos : fact.start], _MASKS.get(fact.kind, "[…]")]
        pos = fact.end
    out.append(text[pos:])
    return "".join(out)


def render_thread(turns: Sequence[Turn]) -> str:
    """Render a thread as ``customer: ...`` / ``agent: ...`` lines, oldest first, bounded.

    At most :data:`MAX_TURNS` of the latest turns, each on one line and cut to
    :data:`TURN_CHARS` (:data:`LAST_TURN_CHARS` for the last), and :data:`THREAD_CHARS` in
    all; a first line says how many earlier messages were left out.
    """
    if not turns:
        return NO_THREAD
    shown = list(turns[-MAX_TURNS:])
    lines = [
        f"{turn.role}: {_cut(turn.text, LAST_TURN_CHARS if i == len(shown) - 1 else TURN_CHARS)}"
        for i, turn in enumerate(shown)
    ]
    while len(lines) > 1 and sum(len(line) + 1 for line in lines) > THREAD_CHARS:
        lines.pop(0)
    left_out = len(turns) - len(lines)
    if left_out:
        plural = "message" if left_out == 1 else "messages"
        lines.insert(0, f"({left_out} earlier {plural} left out)")
    return "\n".join(lines)


def channel_kind(channel: str | None) -> str:
    """Say where the reply goes: ``e-mail``, ``chat`` (Slack, Teams) or ``unknown``.

    :attr:`Draft.channel` is a chat channel's id on Slack and Teams; a file of cases may name
    the medium itself (``email``, ``chat``).
    """
    if not channel or not channel.strip():
        return UNKNOWN
    name = channel.strip().lower()
    return "e-mail" if name in _EMAIL else "chat"


def move_name(move: str | None) -> str:
    """Return the reply's move for the prompt, ``unknown`` when it was not read."""
    return move.strip() if move and move.strip() else UNKNOWN


def hint_lines(findings: Iterable[Finding], limit: int) -> list[str]:
    """Return at most ``limit`` hint lines for the model from the rules' findings.

    A finding rated below :data:`HINT_MIN_CONFIDENCE` is left out (None: not rated, kept).
    Each quote is given once: findings on the same words share one line, naming their
    dimensions ("learn, respect: “Not our problem” denies the problem; sounds dismissive."),
    and a quote the message already holds is not repeated in front of it.
    """
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for finding in findings:
        if finding.confidence is not None and finding.confidence < HINT_MIN_CONFIDENCE:
            continue
        quote = finding.quote.strip()
        key = quote or f"\x00{len(groups)}"  # findings without a quote stay apart
        if key not in groups:
            if len(groups) >= limit:
                continue
            groups[key] = ([], [])
        dimensions, messages = groups[key]
        if finding.dimension not in dimensions:
            dimensions.append(finding.dimension)
        message = finding.message.strip()
        if messages and quote:
            message = _without_leading_quote(message, quote)
        if message and message not in messages:
            messages.append(message)
    lines = []
    for key, (dimensions, messages) in groups.items():
        text = "; ".join(m.rstrip(".") for m in messages[:-1]) + ("; " if len(messages) > 1 else "")
        text += messages[-1] if messages else ""
        quote = "" if key.startswith("\x00") else key
        if quote and not _quotes(messages[0] if messages else "", quote):
            text = f'"{quote}" {text}'
        lines.append(f"{', '.join(dimensions)}: {text}")
    return lines


_OPENING = "\"“‘'"
_CLOSING = "\"”’'"


def _quotes(message: str, quote: str) -> bool:
    """Tell whether ``message`` already holds ``quote`` (in any case)."""
    return quote.lower() in message.lower()


def _without_leading_quote(message: str, quote: str) -> str:
    """Return "sounds dismissive." for "“Not our problem” sounds dismissive." (else as is)."""
    if message[:1] in _OPENING and message[1 : 1 + len(quote)].lower() == quote.lower():
        rest = message[1 + len(quote) :]
        if rest[:1] in _CLOSING:
            rest = rest[1:].strip()
            if rest and rest[0].isalpha():
                return rest
    return message


def _cut(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut at a word end within ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"
