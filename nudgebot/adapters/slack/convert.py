"""Slack payloads to the core's language: pure functions, no I/O.

Message text goes to the engine as Slack sent it: the engine, the guard and the Block Kit
builders all understand Slack's markup (``<@U123>``, ``<https://x|label>``) and its three
escaped entities, so nothing here rewrites it; only the bot's own mention is taken out of a
message addressed to it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from nudgebot.adapters.conversation_memory import MAX_TURNS, Order, clip
from nudgebot.models import Draft, Turn

__all__ = [
    "HUMAN_SUBTYPES",
    "MAIN",
    "author_team",
    "draft_from_message",
    "edited_by_author",
    "is_human",
    "mentions",
    "message_turn",
    "skip_reason",
    "slack_error",
    "slack_time",
    "split_command",
    "strip_mention",
    "thread_key",
    "thread_root",
    "ts_key",
    "turns_before",
]

HUMAN_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
"""Message subtypes that are still a person writing something new (not edits, joins, bots)."""

Event = Mapping[str, Any]


def is_human(message: Event) -> bool:
    """Whether a message (event or history entry) was written by a person, not a bot or Slack."""
    if message.get("bot_id") or message.get("bot_profile") or not message.get("user"):
        return False
    subtype = message.get("subtype")
    return subtype is None or subtype in HUMAN_SUBTYPES


def skip_reason(event: Event, bot_user_id: str | None) -> str | None:
    """Why a ``message`` event is not a new human message worth reading (None if it is).

    Edits, deletions, joins and other subtypes, any bot (this one included) and the bot's own
    user are skipped. The reason is a short tag fit for a debug log (no message text).
    """
    subtype = event.get("subtype")
    if event.get("bot_id") or event.get("bot_profile") or subtype == "bot_message":
        return "bot"
    if subtype is not None and subtype not in HUMAN_SUBTYPES:
        return f"subtype:{subtype}"
    user = event.get("user")
    if not user:
        return "no user"
    if bot_user_id and user == bot_user_id:
        return "self"
    return None


def author_team(message: Event) -> str | None:
    """Return the workspace of a message's author (``user_team``, else ``team``), if known."""
    team = message.get("user_team") or message.get("team")
    return str(team) if team else None


def thread_root(event: Event) -> str:
    """Return the ``ts`` of the thread a message belongs to (its own ``ts`` if top-level)."""
    return str(event.get("thread_ts") or event["ts"])


MAIN = "main"
"""The thread key of a channel's top-level messages (see :func:`thread_key`)."""


def thread_key(event: Event) -> str:
    """Name the conversation a message belongs to in its channel: its thread, or the channel.

    A reply in a thread belongs to the thread (its root's ``ts``); a top-level message to the
    channel's main conversation (:data:`MAIN`), where the customer's next top-level message
    answers it (as :func:`nudgebot.adapters.slack.thread.conversation_key` sees it). It is how
    the customer's next message finds the nudged reply it followed (``reviews.thread_key``).
    """
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    return str(thread_ts) if thread_ts and thread_ts != ts else MAIN


def edited_by_author(event: Event) -> tuple[str, str] | None:
    """Return ``(channel, ts)`` of the message a ``message_changed`` event shows its author edited.

    None for any other change Slack reports the same way: a link unfurled, a thread's reply
    count, language metadata (no new words), or an edit by someone else (an admin). The
    event's ``message`` is the message as it now is (``edited``: who and when), and
    ``previous_message`` as it was.
    """
    if event.get("subtype") != "message_changed":
        return None
    message = event.get("message")
    previous = event.get("previous_message")
    if not isinstance(message, Mapping) or not event.get("channel") or not message.get("ts"):
        return None
    edited = message.get("edited")
    author = message.get("user")
    if not isinstance(edited, Mapping) or not author or edited.get("user") != author:
        return None
    if isinstance(previous, Mapping) and previous.get("text") == message.get("text"):
        return None  # the words are the same: not the agent reworking the reply
    return str(event["channel"]), str(message["ts"])


def ts_key(ts: str) -> tuple[int, int]:
    """Return a Slack timestamp (``"1700000000.000100"``) as a sortable pair of integers."""
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros.ljust(6, "0")[:6] or 0)


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def mentions(text: str, user_id: str | None) -> bool:
    """Whether ``text`` mentions ``user_id`` (``<@U123>`` or ``<@U123|name>``)."""
    if not user_id or "<@" not in text:
        return False
    return any(match.group(1) == user_id for match in _MENTION.finditer(text))


def strip_mention(text: str, user_id: str | None) -> str:
    """Remove every mention of ``user_id`` from ``text`` and trim what is left."""
    if not user_id or "<@" not in text:
        return text.strip()
    stripped = _MENTION.sub(lambda m: "" if m.group(1) == user_id else m.group(0), text)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


def draft_from_message(
    message: Event,
    *,
    text: str | None = None,
    customer: str | None = None,
    thread: Sequence[Turn] = (),
) -> Draft:
    """Return the :class:`Draft` a Slack message holds (``text`` overrides its text).

    ``thread`` is the conversation before the message, oldest first; ``customer`` (the
    customer's last message) defaults to the thread's last customer turn.
    """
    if customer is None:
        customer = next((turn.text for turn in reversed(thread) if turn.role == "customer"), None)
    return Draft(
        text=str(message.get("text") or "") if text is None else text,
        customer=customer,
        channel=message.get("channel"),
        author=message.get("user"),
        id=message.get("ts"),
        thread=tuple(thread),
    )


def message_turn(message: Event, agents: Collection[str]) -> Turn | None:
    """Return a message (event or history entry) as a turn of its conversation.

    A person in ``agents`` (user ids) speaks as the agent, anyone else as the customer. None
    for what is not a person writing (bots, this one too; joins, edits) or has no words.
    """
    text = clip(str(message.get("text") or ""))
    if not text or not is_human(message):
        return None
    return Turn("agent" if message.get("user") in agents else "customer", text)


def turns_before(
    messages: Iterable[Event], ts: str, agents: Collection[str], *, limit: int = MAX_TURNS
) -> list[tuple[Order, Turn]]:
    """Return the turns written before ``ts``, oldest first: the last ``limit`` of them.

    ``messages`` are Slack's (``conversations.replies`` oldest first, ``conversations.history``
    newest first: either will do); each turn comes with its ``ts`` as an :data:`Order`.
    """
    latest = ts_key(ts)
    found: dict[Order, Turn] = {}
    for message in messages:
        if not message.get("ts"):
            continue
        order = ts_key(str(message["ts"]))
        turn = message_turn(message, agents) if order < latest else None
        if turn is not None:
            found[order] = turn
    return [(order, found[order]) for order in sorted(found)][-limit:] if limit > 0 else []


def split_command(
    text: str, names: Collection[str], takes_text: Collection[str]
) -> tuple[str | None, str]:
    """Split ``/nudge`` text into a subcommand and its text; ``(None, text)`` for a draft.

    The first word is a subcommand only when it is one of ``names`` and either stands alone or
    is in ``takes_text``: "on" alone turns nudges on, but "On Monday we shipped it" is a draft.
    Empty text is ``("help", "")``.
    """
    stripped = text.strip()
    if not stripped:
        return "help", ""
    first, *more = stripped.split(maxsplit=1)
    rest = more[0] if more else ""
    name = first.lower()
    if name in names and (not rest or name in takes_text):
        return name, rest
    return None, stripped


def slack_error(error: Exception) -> str:
    """Return Slack's error code from a refused Web API call ("unknown" if none)."""
    response = getattr(error, "response", None)
    try:
        return str(response.get("error") or "unknown") if response is not None else "unknown"
    except (AttributeError, TypeError):
        return "unknown"


def slack_time(epoch: float) -> str:
    """Return a Slack date token showing ``epoch``'s time in the reader's time zone."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return f"<!date^{int(epoch)}^{{time}}|{moment:%H:%M} UTC>"
