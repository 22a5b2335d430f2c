"""What the model is told around a draft: the thread, the reply's move, the channel, the hints.

Each is rendered compactly and within a bound, because every token is paid for on every
review: the thread keeps its latest turns (oldest first), each cut to a few hundred
characters; the rules' hints carry each quote once and only the findings the rules are sure
enough of (:data:`HINT_MIN_CONFIDENCE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nudgebot.models import Draft, Finding, Turn

__all__ = [
    "HINT_MIN_CONFIDENCE",
    "MAX_TURNS",
    "NO_THREAD",
    "UNKNOWN",
    "channel_kind",
    "hint_lines",
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

    A finding rated below :data:`HINT_MIN_CONFIDENCE` is left out (None: not rated, kept);
    each quote is given once, and not at all when the message already holds it.
    """
    lines: list[str] = []
    quoted: set[str] = set()
    for finding in findings:
        if len(lines) >= limit:
            break
        if finding.confidence is not None and finding.confidence < HINT_MIN_CONFIDENCE:
            continue
        quote = finding.quote.strip()
        if quote and quote not in quoted and quote.lower() not in finding.message.lower():
            lines.append(f'{finding.dimension}: "{quote}" {finding.message}')
        else:
            lines.append(f"{finding.dimension}: {finding.message}")
        if quote:
            quoted.add(quote)
    return list(dict.fromkeys(lines))


def _cut(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut at a word end within ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"
