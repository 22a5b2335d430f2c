"""Daily tips in Slack: ``/nudge tips`` and the service that posts them.

The work is platform-neutral (:mod:`nudgebot.tip_service`); this module gives it Slack's
parts: ``chat.postMessage`` to post, ``<#C123>`` to name a channel, the leads of
``NUDGEBOT_LEADS``, the caller's Slack time zone, and the watched channels (whose own replies
tailor their tips).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, sentence
from nudgebot.adapters.slack.convert import slack_error
from nudgebot.scheduler import DEFAULT_GRACE, PostRefused
from nudgebot.storage import TipSubscription
from nudgebot.tip_service import PlatformTipStore, TipsCall, TipService, answer_tips
from nudgebot.tips import TipLibrary

__all__ = ["PLATFORM", "DailyTips", "is_shared_outside", "post_tip", "run_tips", "tip_store"]

PLATFORM = "slack"

logger = logging.getLogger("nudgebot.slack")


async def post_tip(client: AsyncWebClient, channel: str, message: str) -> None:
    """Post a daily tip to ``channel``.

    Raises:
        PostRefused: Slack answered that it did not post it (the bot is not in the channel,
            a permission is missing): nothing arrived, the day may be tried again.

    """
    try:
        await client.chat_postMessage(channel=channel, **blocks.tip_message(message))
    except SlackApiError as error:
        if getattr(error.response, "status_code", None) == 200:  # Slack's own "ok": false
            raise PostRefused(slack_error(error)) from error
        raise


async def tip_store(bot: SlackBot, client: AsyncWebClient | None = None) -> PlatformTipStore:
    """Return the store as the tips see it: Slack's subscriptions and watched channels.

    With ``client``, a channel shared with other organisations (Slack Connect) is told apart,
    so its tips keep the team's figures to themselves.
    """

    async def watched() -> frozenset[str]:
        return await bot.state.watched() | bot.state.configured

    async def outsiders(channel: str) -> bool:
        assert client is not None
        return await is_shared_outside(client, channel)

    return PlatformTipStore(
        await bot.state.open(), PLATFORM, watched, outsiders if client is not None else None
    )


async def is_shared_outside(client: AsyncWebClient, channel: str) -> bool:
    """Whether people from outside the workspace can read ``channel`` (Slack Connect).

    ``conversations.info``'s ``is_ext_shared`` / ``is_shared`` / ``is_pending_ext_shared``;
    when Slack won't say, the answer is yes (the safe side: no figures).
    """
    try:
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as error:
        logger.info("could not look up a tip channel: %s", slack_error(error))
        return True
    return any(info.get(key) for key in ("is_ext_shared", "is_shared", "is_pending_ext_shared"))


class DailyTips(TipService):
    """Post the Slack channels' daily tips while the app runs (see :class:`TipService`)."""

    def __init__(
        self,
        bot: SlackBot,
        client: AsyncWebClient,
        library: TipLibrary,
        *,
        grace: timedelta = DEFAULT_GRACE,
        interval: float = 60.0,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        async def view() -> PlatformTipStore:
            return await tip_store(bot, client)

        async def post(sub: TipSubscription, message: str) -> None:
            await post_tip(client, sub.channel, message)

        super().__init__(
            view, library, post, grace=grace, interval=interval, clock=clock, sleep=sleep
        )


async def run_tips(
    bot: SlackBot, client: AsyncWebClient, user: str, channel: str, text: str
) -> dict[str, Any]:
    """Answer ``/nudge tips <text>`` in ``channel`` for ``user``; return the reply."""
    call = TipsCall(
        text=text,
        user=user,
        channel=channel,
        where=f"<#{channel}>",
        is_lead=await bot.directory.is_lead(user),
        default_timezone=await bot.directory.timezone(user) or "UTC",
        can_post=not channel.startswith("D"),
    )

    async def post(message: str) -> None:
        await post_tip(client, channel, message)

    view = await tip_store(bot, client)
    answer = await answer_tips(call, view, bot.tips, post, now=bot.state.now())
    if answer.error:
        return blocks.error_message(sentence(answer.text))
    return {"text": answer.text}
