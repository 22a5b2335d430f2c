"""One conversation read from Slack, as a lead's scorecard and verdicts see it.

:func:`read_thread` reads a thread's messages (oldest first, a few pages at most);
:func:`agent_replies` pairs each agent reply with its draft, the turns before it as its thread.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.conversation_memory import MAX_TURNS
from nudgebot.adapters.slack.bot import SlackBot
from nudgebot.adapters.slack.convert import author_team, draft_from_message, message_turn
from nudgebot.models import Draft, Turn

__all__ = ["THREAD_PAGES", "agent_replies", "read_thread"]

THREAD_PAGES = 5
"""Pages of 200 messages read at most from one thread."""


async def read_thread(client: AsyncWebClient, channel: str, ts: str) -> list[dict[str, Any]]:
    """Return the messages of the thread ``ts`` in ``channel``, oldest first."""
    messages: list[dict[str, Any]] = []
    cursor = None
    for _ in range(THREAD_PAGES):
        answer = await client.conversations_replies(
            channel=channel, ts=ts, cursor=cursor, limit=200
        )
        messages.extend(answer.get("messages") or ())
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor or not answer.get("has_more"):
            break
    return messages


async def agent_replies(
    bot: SlackBot, channel: str, messages: list[dict[str, Any]], home: str | None
) -> list[tuple[str, Draft]]:
    """Pair each agent reply with its draft: the turns before it (the last few) as its thread."""
    pairs: list[tuple[str, Draft]] = []
    before: list[Turn] = []
    agents: dict[str, bool] = {}
    for message in messages:
        turn = message_turn(message, ())  # a customer's, unless its author is an agent
        if turn is None:
            continue
        user = str(message["user"])
        if user not in agents:
            agents[user] = await bot.directory.is_agent(user, author_team(message), home)
        if agents[user]:
            turn = Turn("agent", turn.text)
            thread = before[-MAX_TURNS:]
            pairs.append((user, draft_from_message({**message, "channel": channel}, thread=thread)))
        before.append(turn)
    return pairs
