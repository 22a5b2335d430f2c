"""``message`` events: live nudges in watched channels, and drafts sent to the bot by DM.

Every message event is acknowledged at once. Edits, deletions, joins, bots (this one too) and
messages already handled are dropped; a direct message goes to :mod:`.chat`; a new message in a
watched channel, from an agent who wants nudges, is reviewed in the background, with the
conversation before it as context (:mod:`.thread`: the turns remembered from earlier events,
else read from Slack once). When the reply needs a nudge, the agent alone gets an
ephemeral message in the thread; a good reply gets nothing.

Exactly once across instances: before reviewing, the message is claimed in the database
(``slack:live:<channel>:<ts>``), so of several instances sharing one database (or one that
restarted and got the event again) only the claimer reviews and nudges. Every judged review is
stored, first as not nudged, and marked nudged once the nudge was posted.

When something fails after the ack, the agent (who asked for nothing) is not bothered and one
log line says what happened, without the message's text:

- the database, after the store's own retries (:mod:`nudgebot.storage.store`): if the message
  cannot be claimed it is not reviewed (nudging without the claim could nudge twice); if the
  review cannot be stored, the nudge still goes out (the claim is ours), without feedback
  buttons that record; if it cannot be marked sent, the nudge went out anyway;
- Slack, past the Web API client's retries (429 after ``Retry-After``, 5xx, connection errors):
  the nudge is not posted and its review stays stored as not nudged.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncSay
from slack_sdk.errors import SlackApiError
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
from nudgebot.adapters.slack.state import SlackState
from nudgebot.adapters.slack.thread import remember, thread_before
from nudgebot.engine import DraftError
from nudgebot.metrics import METRICS
from nudgebot.storage import StorageError

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
    agent = await bot.directory.is_agent(user, author_team(event), home)
    remember(bot, event, agent=agent)  # a turn of the conversation, whoever wrote it
    if not agent:
        return
    state = bot.state
    try:
        if not await state.wants_nudges(user):
            return
        claimed = await state.claim(f"slack:live:{channel}:{ts}")
    except StorageError as error:
        # Exactly once rests on the claim: without it another instance may nudge for this
        # message too, so this one does not (the store has already retried for a while).
        logger.warning("a live message in %s was not reviewed: %s", channel, _unclaimed(error))
        return
    if not claimed:
        return
    thread = await thread_before(bot, channel, ts, thread_ts, home)
    draft = draft_from_message(event, thread=thread)
    try:
        review = await bot.review(draft)
    except DraftError:  # an empty or oversized message: nobody asked, so nothing to say
        return
    try:
        review_id = await state.record_review(
            review,
            user=user,
            channel=channel,
            team=home or author_team(event),
            text=draft.text,
            customer=draft.customer,
            message_ts=ts,
        )
    except StorageError as error:  # the claim is ours, so the nudge can still go out once
        logger.warning(
            "a live review in %s could not be stored (%s); nudging without it",
            channel,
            type(error).__name__,
        )
        review_id = None
    if not review.needs_nudge or not await _still_wants(state, user):
        return
    ref = "-" if review_id is None else str(review_id)  # "-": feedback not recorded
    message = blocks.nudge_message(review, draft.text, ref=ref)
    bot.remember_nudge(ref, message)
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_root(event), **message
        )
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        # Past the client's retries (429 after Retry-After, 5xx, connection errors). The
        # review stays stored as not nudged; telling the agent would fail the same way.
        logger.warning(
            "a live nudge in %s could not be posted (%s); review %s recorded as not sent",
            channel,
            _slack_failure(error),
            ref,
        )
        return
    METRICS.nudge_sent("slack")
    if review_id is not None:
        try:
            await state.nudge_sent(review_id)
        except StorageError as error:
            logger.warning(
                "a live nudge in %s was posted but review %s was not marked sent (%s)",
                channel,
                ref,
                type(error).__name__,
            )


async def _still_wants(state: SlackState, user: str) -> bool:
    """Whether ``user`` still wants the nudge (a mute set meanwhile); True if unknown.

    They wanted it a moment ago, before the review: a database that fails now should not
    cost them the nudge.
    """
    try:
        return await state.wants_nudges(user)
    except StorageError:
        return True


def _unclaimed(error: StorageError) -> str:
    if error.transient:
        return "the database was unavailable, so it could not be claimed (StorageError)"
    return "claiming it failed (StorageError)"


def _slack_failure(error: Exception) -> str:
    """Say what went wrong with a Web API call, without the message it carried."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if isinstance(response.data, dict) else None
        return f"SlackApiError: HTTP {response.status_code}" + (f", {code}" if code else "")
    return type(error).__name__
