"""The conversation before a Slack reply: remembered from events, else read from Slack once.

Every human message seen in a watched channel is remembered as a turn
(:attr:`SlackState.conversations`, bounded: see :mod:`nudgebot.adapters.conversation_memory`):
a reply in a thread under its thread (``C123:<thread ts>``); a top-level message both as the
start of its own thread and in its channel's stream of top-level messages (``C123``), which is
the conversation a top-level reply answers.

:func:`thread_before` gives a reply the turns before it. A thread seen from its start (or read
from Slack before) needs no Web API call; so does a channel stream holding a customer's
message. Otherwise Slack is asked once (``conversations.replies`` or
``conversations.history``, the most tightly rate-limited methods, hence the memory); if that
fails, what is remembered is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nudgebot.adapters.slack.bot import SlackBot
from nudgebot.adapters.slack.convert import message_turn, ts_key
from nudgebot.models import Turn

__all__ = ["conversation_key", "remember", "thread_before"]


def _in_thread(ts: str, thread_ts: str | None) -> bool:
    return bool(thread_ts) and thread_ts != ts


def conversation_key(channel: str, ts: str, thread_ts: str | None) -> str:
    """Return the memory key of the conversation a message at ``ts`` answers."""
    return f"{channel}:{thread_ts}" if thread_ts and _in_thread(ts, thread_ts) else channel


def remember(bot: SlackBot, message: Mapping[str, Any], *, agent: bool) -> None:
    """Remember a message seen in a watched channel as a turn (``agent``: who wrote it)."""
    author = str(message.get("user") or "")
    turn = message_turn(message, {author} if agent else ())
    if turn is None:
        return
    channel, ts = str(message["channel"]), str(message["ts"])
    thread_ts = message.get("thread_ts")
    memory = bot.state.conversations
    if _in_thread(ts, thread_ts):
        memory.add(f"{channel}:{thread_ts}", ts_key(ts), turn)
    else:
        memory.add(f"{channel}:{ts}", ts_key(ts), turn, starts=True)
        memory.add(channel, ts_key(ts), turn)


async def thread_before(
    bot: SlackBot,
    channel: str,
    ts: str,
    thread_ts: str | None,
    home: str | None,
    *,
    keep: bool = True,
) -> tuple[Turn, ...]:
    """Return the turns before the message at ``ts`` (oldest first, bounded).

    ``keep``: merge what Slack returns into the memory (only for watched channels, whose
    later messages are remembered as they come; elsewhere the copy would go stale).
    """
    key = conversation_key(channel, ts, thread_ts)
    memory = bot.state.conversations
    recalled = memory.before(key, ts_key(ts))
    if recalled.complete or (not _in_thread(ts, thread_ts) and recalled.has_customer):
        return recalled.turns
    fetched = await bot.directory.conversation_before(channel, ts, thread_ts, home)
    if fetched is None:  # Slack refused or could not be reached (logged): what is known
        return recalled.turns
    if not keep:
        return tuple(turn for _, turn in fetched[-memory.max_turns :])
    memory.merge(key, fetched)
    return memory.before(key, ts_key(ts)).turns
