"""Agents asking the bot: a direct message, an @mention, and Slack's assistant surface.

Text that reads like a question ("how do I say no kindly?") gets coaching; anything else is a
draft and gets a review with a suggested reply. Direct messages are answered in the DM, a
mention in its thread (with the thread's conversation before it as context), the assistant in
its thread, with a "reviewing..." status while the answer is made.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncAssistant, AsyncBoltContext, AsyncSay
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import (
    AsyncSetSuggestedPrompts,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, home_team
from nudgebot.adapters.slack.convert import (
    author_team,
    draft_from_message,
    slack_error,
    strip_mention,
    thread_root,
)
from nudgebot.adapters.slack.thread import thread_before
from nudgebot.models import Turn

__all__ = ["GREETING", "PROMPTS", "answer_dm", "register"]

logger = logging.getLogger("nudgebot.slack")

GREETING = (
    "Hi! Paste a reply you're about to send and I'll suggest a warmer version, or ask me "
    "anything about handling a tricky customer."
)
PROMPTS = [
    {
        "title": "Review my draft",
        "message": "Please review this draft: Your order has shipped, it'll get there when it "
        "gets there.",
    },
    {"title": "How do I say no kindly?", "message": "How do I say no kindly to a customer?"},
    {
        "title": "Calm an upset customer",
        "message": "How should I reply to a customer who is really upset about a late order?",
    },
]
LEAD_IN = "Here's what I think:"


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to @mentions and to the assistant's thread events (DMs come via :mod:`.live`)."""

    async def on_mention(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, ack: AsyncAck
    ) -> None:
        await ack()
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event.get("user"))
        if not bot.state.first_time(f"mention:{channel}:{ts}"):
            return
        root = thread_root(event)

        async def tell(message: dict[str, Any]) -> None:
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=root, **message)

        work = _answer_mention(bot, client, event, context.bot_user_id, home_team(context))
        bot.spawn(work, what="an answer to a mention", notify=tell)

    app.event("app_mention")(on_mention)
    app.assistant(_assistant(bot))


def answer_dm(bot: SlackBot, event: dict[str, Any], say: AsyncSay) -> None:
    """Answer a direct message in the background: coaching for a question, else a review."""

    async def tell(message: dict[str, Any]) -> None:
        await say(**message)

    async def work() -> None:
        text = str(event.get("text") or "").strip()
        if not text:
            await say(**blocks.help_message())
            return
        await say(**await bot.reply(text, draft_from_message(event)))

    bot.spawn(work(), what="an answer to a direct message", notify=tell)


async def _answer_mention(
    bot: SlackBot,
    client: AsyncWebClient,
    event: dict[str, Any],
    bot_user_id: str | None,
    home: str | None,
) -> None:
    channel, ts, root = str(event["channel"]), str(event["ts"]), thread_root(event)
    text = strip_mention(str(event.get("text") or ""), bot_user_id)
    if not text:
        message = blocks.help_message()
    else:
        thread: tuple[Turn, ...] = ()
        if event.get("thread_ts"):
            keep = await bot.state.is_watched(channel)
            thread = await thread_before(bot, channel, ts, root, home, keep=keep)
        draft = draft_from_message(event, text=text, thread=thread)
        message = await bot.reply(text, draft)
    # Only the agent who asked sees the answer: coaching is private, and the channel may be a
    # Slack Connect channel the customer is in.
    user = str(event.get("user"))
    await client.chat_postEphemeral(channel=channel, user=user, thread_ts=root, **message)


def _assistant(bot: SlackBot) -> AsyncAssistant:
    """Build the assistant surface: suggested prompts on a new thread, answers to each message."""
    assistant = AsyncAssistant()

    async def started(say: AsyncSay, set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
        async def work() -> None:
            await say(GREETING)
            await set_suggested_prompts(prompts=PROMPTS, title="Try one of these:")

        bot.spawn(work(), what="greeting an assistant thread")

    async def user_message(
        payload: dict[str, Any],
        client: AsyncWebClient,
        say: AsyncSay,
        set_status: AsyncSetStatus,
        context: AsyncBoltContext,
    ) -> None:
        async def tell(message: dict[str, Any]) -> None:
            await say(**message)

        async def work() -> None:
            text = str(payload.get("text") or "").strip()
            if not text:
                await say(**blocks.help_message())
                return
            try:
                await set_status("is reviewing…")
            except SlackApiError:  # the status is a nicety: answer anyway
                logger.debug("could not set the assistant status")
            message = await bot.reply(text, draft_from_message(payload))
            await _stream(client, payload, context, message, say)

        bot.spawn(work(), what="an answer in an assistant thread", notify=tell)

    assistant.thread_started(started)
    assistant.user_message(user_message)
    return assistant


async def _stream(
    client: AsyncWebClient,
    payload: dict[str, Any],
    context: AsyncBoltContext,
    message: dict[str, Any],
    say: AsyncSay,
) -> None:
    """Post an assistant answer with Slack's chat streaming, or as one message if refused.

    The engine and the coach return whole answers, not tokens, so the stream carries a short
    lead-in and ends with the Block Kit answer (``chat.stopStream`` with ``blocks``); a coach
    that streams tokens would append them here. A workspace where streaming is not available
    gets the answer with ``say`` instead.
    """
    try:
        stream = await client.chat_stream(
            channel=str(payload["channel"]),
            thread_ts=thread_root(payload),
            recipient_team_id=author_team(payload) or context.team_id,
            recipient_user_id=payload.get("user"),
        )
        await stream.append(markdown_text=LEAD_IN)
        await stream.stop(blocks=message["blocks"])
    except SlackApiError as error:
        logger.info("streaming refused (%s): posting the answer in one message", slack_error(error))
        await say(**message)
