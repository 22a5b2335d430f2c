"""Daily tips in Slack: ``/nudge tips`` and the service that posts them.

The work is platform-neutral (:mod:`nudgebot.tip_service`); this module gives it Slack's
parts: ``chat.postMessage`` to post, ``<#C123>`` to name a channel, the leads of
``NUDGEBOT_LEADS``, the caller's Slack time zone, and the watched channels (whose own replies
tailor their tips).
"""

from __future__ import annotations

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

__all__ = ["PLATFORM", "DailyTips", "post_tip", "run_tips", "tip_store"]

PLATFORM = "slack"


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


async def tip_store(bot: SlackBot) -> PlatformTipStore:
    """Return the store as the tips see it: Slack's subscriptions and watched channels."""

    async def watched() -> frozenset[str]:
        return await bot.state.watched() | bot.state.configured

    return PlatformTipStore(await bot.state.open(), PLATFORM, watched)


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
            return await tip_store(bot)

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

    answer = await answer_tips(call, await tip_store(bot), bot.tips, post, now=bot.state.now())
    if answer.error:
        return blocks.error_message(sentence(answer.text))
    return {"text": answer.text}
