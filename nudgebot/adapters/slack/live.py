"""``message`` events: live nudges in watched channels, and drafts sent to the bot by DM.

Every message event is acknowledged at once. Edits, deletions, joins, bots (this one too) and
messages already handled are dropped; a direct message goes to :mod:`.chat`; a new message in a
watched channel, from an agent who wants nudges, is reviewed in the background, with the
customer's last message as context. When the reply needs a nudge, the agent alone gets an
ephemeral message in the thread; a good reply gets nothing.

Exactly once across instances: before reviewing, the message is claimed in the database
(``slack:live:<channel>:<ts>``), so of several instances sharing one database (or one that
restarted and got the event again) only the claimer reviews and nudges. Every judged review is
stored, first as not nudged, and marked nudged once the nudge was posted.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, home_team
from nudgebot.adapters.slack.chat import answer_dm
from nudgebot.adapters.slack.convert import (
    author_team,
    draft_from_message,
    mentions,
    skip_reason,
    thread_root,
)
from nudgebot.engine import DraftError

__all__ = ["nudge", "register"]

logger = logging.getLogger("nudgebot.slack")


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to ``message`` events (channels, private channels, DMs)."""

    async def on_message(
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        say: AsyncSay,
        ack: AsyncAck,
    ) -> None:
        await ack()
        reason = skip_reason(event, context.bot_user_id)
        if reason is not None:
            logger.debug("skipped a message event (%s)", reason)
            return
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
        if event.get("channel_type") == "im":
            if bot.state.first_time(f"im:{channel}:{ts}"):
                answer_dm(bot, event, say)
            return
        if (
            mentions(str(event.get("text") or ""), context.bot_user_id)  # app_mention's
            or not await bot.state.is_watched(channel)
            or not bot.state.first_time(f"live:{channel}:{ts}")
        ):
            return

        async def tell(message: dict[str, Any]) -> None:
            root = thread_root(event)
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=root, **message)

        work = nudge(bot, client, event, home_team(context))
        bot.spawn(work, what="a live review", notify=tell)

    app.event("message")(on_message)


async def nudge(
    bot: SlackBot, client: AsyncWebClient, event: dict[str, Any], home: str | None
) -> None:
    """Review an agent's message in a watched channel; nudge the agent if it needs one."""
    user, channel, ts = str(event["user"]), str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts")
    if not await bot.directory.is_agent(user, author_team(event), home):
        bot.state.remember_customer(channel, ts, thread_ts, str(event.get("text") or ""))
        return
    state = bot.state
    if not await state.wants_nudges(user) or not await state.claim(f"slack:live:{channel}:{ts}"):
        return
    customer = state.customer_before(channel, ts, thread_ts)
    if customer is None:  # not seen since start-up: ask Slack
        customer = await bot.directory.customer_message(channel, ts, thread_ts, home)
    draft = draft_from_message(event, customer=customer)
    try:
        review = await bot.review(draft)
    except DraftError:  # an empty or oversized message: nobody asked, so nothing to say
        return
    review_id = await state.record_review(
        review,
        user=user,
        channel=channel,
        team=home or author_team(event),
        text=draft.text,
        customer=customer,
        message_ts=ts,
    )
    if not review.needs_nudge or not await state.wants_nudges(user):
        return
    ref = "-" if review_id is None else str(review_id)  # "-": feedback not recorded
    message = blocks.nudge_message(review, draft.text, ref=ref)
    await client.chat_postEphemeral(
        channel=channel, user=user, thread_ts=thread_root(event), **message
    )
    if review_id is not None:
        await state.nudge_sent(review_id)
