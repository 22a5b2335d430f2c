"""Daily tips in Slack: ``/nudge tips`` and the scheduler that posts them.

``/nudge tips`` (anyone) says what the channel gets; ``on [TIME] [ZONE] [weekdays|daily]``,
``off`` and ``now`` are for leads. ``on`` without a time zone takes the lead's Slack time zone
(then keeps the channel's); it starts with the next due time, never one already past.

:class:`DailyTips` runs :class:`~nudgebot.scheduler.TipScheduler` beside the app (started and
stopped with it), over the Slack subscriptions in the database, and posts each due tip with
``chat.postMessage``. Exactly once holds across instances and restarts: the day is claimed in
the database before the tip is posted (see :mod:`nudgebot.scheduler`).

Whose reviews tailor a channel's tip: a watched channel's own; for a team channel that is not
watched (where agents talk, not where they reply), every channel's reviews.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, sentence
from nudgebot.adapters.slack.state import SlackState
from nudgebot.models import StoredReview
from nudgebot.scheduler import (
    DEFAULT_GRACE,
    TIPS_USAGE,
    Delivery,
    TipScheduler,
    TipsCommand,
    deliver_tip,
    describe_schedule,
    local_today,
    parse_tips_args,
)
from nudgebot.storage import Store, TipSubscription
from nudgebot.tips import TipLibrary

__all__ = ["PLATFORM", "DailyTips", "SlackTipStore", "post_tip", "run_tips"]

logger = logging.getLogger("nudgebot.slack")

PLATFORM = "slack"
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[object]]
Respond = Callable[..., Awaitable[object]]


class SlackTipStore:
    """The store as the scheduler sees it: only Slack's subscriptions, tailoring by channel."""

    def __init__(self, store: Store, state: SlackState) -> None:
        self.store = store
        self.state = state
        self.watched: frozenset[str] = state.configured

    async def subscriptions(self) -> list[TipSubscription]:
        """Return the Slack channels subscribed to daily tips (and note the watched ones)."""
        self.watched = await self.state.watched() | self.state.configured
        return [sub for sub in await self.store.subscriptions() if sub.platform == PLATFORM]

    async def claim_delivery(self, channel: str, day: Any, tip_id: str) -> bool:
        """Claim ``channel``'s tip for ``day`` (see :meth:`Store.claim_delivery`)."""
        return await self.store.claim_delivery(channel, day, tip_id)

    async def deliveries(self, channel: str) -> list[tuple[Any, str]]:
        """Return the tips claimed for ``channel`` so far."""
        return await self.store.deliveries(channel)

    async def reviews(
        self, *, since: datetime, until: datetime, channels: list[str] | None = None
    ) -> list[StoredReview]:
        """Return the reviews that tailor a tip (see :func:`review_channels`)."""
        return await self.store.reviews(since=since, until=until, channels=channels)

    def review_channels(self, sub: TipSubscription) -> list[str] | None:
        """Return whose reviews tailor the tip: a watched channel's own; else all (None)."""
        return [sub.channel] if sub.channel in self.watched else None


async def post_tip(client: AsyncWebClient, channel: str, message: str) -> None:
    """Post a daily tip to ``channel``."""
    await client.chat_postMessage(channel=channel, **blocks.tip_message(message))


class DailyTips:
    """Post the Slack channels' daily tips while the app runs (a :class:`Service`).

    ``clock`` and ``sleep`` default to the system clock and :func:`asyncio.sleep`; tests pass
    fakes. ``interval`` is how often due tips are looked for (seconds).
    """

    def __init__(
        self,
        bot: SlackBot,
        client: AsyncWebClient,
        library: TipLibrary,
        *,
        grace: timedelta = DEFAULT_GRACE,
        interval: float = 60.0,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.bot = bot
        self.client = client
        self.library = library
        self.grace = grace
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.scheduler: TipScheduler[TipSubscription] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start looking for due tips in the background."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop after the current run (a tip being posted is finished first)."""
        task, self._task = self._task, None
        if task is None:
            return
        if self.scheduler is not None:
            self.scheduler.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_once(self, now: datetime) -> list[Delivery]:
        """Post the tips due at ``now`` (what the loop does once a minute)."""
        return await (await self._scheduler()).run_once(now)

    async def _run(self) -> None:
        scheduler = await self._scheduler()
        await scheduler.run_forever(clock=self.clock, sleep=self.sleep)

    async def _scheduler(self) -> TipScheduler[TipSubscription]:
        if self.scheduler is None:
            view = SlackTipStore(await self.bot.state.open(), self.bot.state)

            async def post(sub: TipSubscription, message: str) -> None:
                await post_tip(self.client, sub.channel, message)

            self.scheduler = TipScheduler(
                view,
                self.library,
                post,
                grace=self.grace,
                interval=self.interval,
                review_channels=view.review_channels,
            )
        return self.scheduler


# -- /nudge tips -----------------------------------------------------------------------------


async def run_tips(
    bot: SlackBot, client: AsyncWebClient, user: str, channel: str, text: str
) -> dict[str, Any]:
    """Answer ``/nudge tips <text>`` in ``channel`` for ``user``; return the reply."""
    try:
        command = parse_tips_args(text)
    except ValueError as error:
        return blocks.error_message(sentence(str(error)))
    store = await bot.state.open()
    current = next((s for s in await store.subscriptions() if s.channel == channel), None)
    if command.action == "help":
        return _note(TIPS_USAGE)
    if command.action == "status":
        if current is None:
            return _note(f"<#{channel}> gets no daily tips. {TIPS_USAGE}")
        return _note(f"<#{channel}> gets a coaching tip {describe_schedule(current)}.")
    if not await bot.directory.is_lead(user):
        return _note(
            "Sorry, only team leads can change this channel's daily tips. "
            "`/nudge tips` shows what is set."
        )
    if channel.startswith("D"):
        return _note("Run this in the team channel that should get the tips.")
    if command.action == "off":
        if not await store.unsubscribe(channel):
            return _note(f"<#{channel}> wasn't getting daily tips.")
        return _note(f"Daily tips are off for <#{channel}>.")
    if command.action == "on":
        return await _subscribe(bot, store, user, channel, command, current)
    return await _tip_now(bot, client, store, channel, current)


async def _subscribe(
    bot: SlackBot,
    store: Store,
    user: str,
    channel: str,
    command: TipsCommand,
    current: TipSubscription | None,
) -> dict[str, Any]:
    default_zone = await bot.directory.timezone(user) or "UTC"
    local_time, zone, weekdays = command.schedule(current, default_timezone=default_zone)
    sub = TipSubscription(channel, PLATFORM, local_time, zone, weekdays, created_by=user)
    await store.subscribe(sub)
    return _note(
        f"Daily tips are on for <#{channel}>: a coaching tip {describe_schedule(sub)}. "
        "`/nudge tips now` posts today's at once; `/nudge tips off` stops them."
    )


async def _tip_now(
    bot: SlackBot,
    client: AsyncWebClient,
    store: Store,
    channel: str,
    current: TipSubscription | None,
) -> dict[str, Any]:
    if bot.tips is None or not len(bot.tips):
        return _note("There are no tips to post: the tip library is empty.")
    sub = current or TipSubscription(channel, PLATFORM)
    view = SlackTipStore(store, bot.state)
    await view.subscriptions()  # (reads the watched channels)

    async def post(_: TipSubscription, message: str) -> None:
        await post_tip(client, channel, message)

    day = local_today(sub, bot.state.now().astimezone(UTC))
    done = await deliver_tip(
        view, bot.tips, sub, post, day=day, review_channels=view.review_channels
    )
    if done.status == "taken":
        return _note("Today's tip has already been posted here. The next one comes tomorrow.")
    if done.status == "failed":
        return blocks.error_message(
            "I couldn't post today's tip here. Make sure I'm in the channel "
            "(`/invite @nudgebot`); today's tip is used up, the next comes tomorrow."
        )
    return _note("Posted today's tip.")


def _note(text: str) -> dict[str, Any]:
    return {"text": text}
