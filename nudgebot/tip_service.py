"""Daily tips on any platform: the ``tips`` command and the service that posts due tips.

The platform adapters (Slack, Teams) give what differs: how to post a message to a channel,
how to name a channel in an answer, who is a lead, the caller's time zone. Everything else is
here, once:

- :func:`answer_tips` answers ``tips [on [TIME] [ZONE] [weekdays] | off | now | help]`` for a
  channel (status and help for anyone; on, off and now for leads only).
- :class:`PlatformTipStore` is the :class:`~nudgebot.storage.Store` as the scheduler sees it
  for one platform: only that platform's subscriptions, and whose reviews tailor a tip (a
  watched channel's own; for a team channel that is not watched, every channel's).
- :class:`TipService` runs :class:`~nudgebot.scheduler.TipScheduler` beside a serving app
  (started and stopped with it); exactly once holds across instances and restarts because the
  day is claimed in the database before the tip is posted, and a post that fails gives the
  claim back, so the day can be tried again (by the lead after inviting the bot, or by the
  scheduler a little later).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from nudgebot.metrics import METRICS
from nudgebot.models import StoredReview
from nudgebot.scheduler import (
    DEFAULT_GRACE,
    TIPS_USAGE,
    Delivery,
    TipScheduler,
    deliver_tip,
    describe_schedule,
    local_today,
    parse_tips_args,
)
from nudgebot.storage import Store, TipSubscription
from nudgebot.tips import TipLibrary

__all__ = ["PlatformTipStore", "TipService", "TipsAnswer", "TipsCall", "answer_tips"]

Post = Callable[[TipSubscription, str], Awaitable[object]]
Watched = Callable[[], Awaitable[Collection[str]]]
Outsiders = Callable[[str], Awaitable[bool]]
"""Whether people from outside the team can read a channel (Slack Connect...)."""


async def _nothing_watched() -> Collection[str]:
    return ()


class PlatformTipStore:
    """The store as the scheduler sees it for one ``platform``.

    ``watched`` returns the channels whose own reviews tailor their tips (the platform's
    watched channels); any other subscribed channel is tailored by every channel's reviews.
    ``outsiders`` says whether people from outside the team read a channel: there, and in a
    watched support channel (customers may read it), a tip names the weak spot without the
    team's figures, which stay in the leads' reports.
    """

    def __init__(
        self,
        store: Store,
        platform: str,
        watched: Watched = _nothing_watched,
        outsiders: Outsiders | None = None,
    ) -> None:
        self.store = store
        self.platform = platform
        self.watched_channels = watched
        self.outsiders = outsiders
        self._watched: frozenset[str] = frozenset()

    async def subscriptions(self) -> list[TipSubscription]:
        """Return the platform's subscribed channels (and note the watched ones)."""
        self._watched = frozenset(await self.watched_channels())
        return [sub for sub in await self.store.subscriptions() if sub.platform == self.platform]

    async def claim_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        """Claim ``channel``'s tip for ``day`` (see :meth:`Store.claim_delivery`)."""
        return await self.store.claim_delivery(channel, day, tip_id)

    async def release_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        """Give back a claim whose post failed (see :meth:`Store.release_delivery`)."""
        return await self.store.release_delivery(channel, day, tip_id)

    async def deliveries(self, channel: str) -> list[tuple[date, str]]:
        """Return the tips claimed for ``channel`` so far."""
        return await self.store.deliveries(channel)

    async def reviews(
        self, *, since: datetime, until: datetime, channels: list[str] | None = None
    ) -> list[StoredReview]:
        """Return the reviews that tailor a tip."""
        return await self.store.reviews(since=since, until=until, channels=channels)

    async def shows_figures(self, sub: TipSubscription) -> bool:
        """Whether ``sub``'s tip may give the team's figures.

        Not in a watched support channel, nor where people from outside the team read (when
        that can't be told, it counts as outsiders).
        """
        if sub.channel in frozenset(await self.watched_channels()):
            return False
        return self.outsiders is None or not await self.outsiders(sub.channel)

    def review_channels(self, sub: TipSubscription) -> list[str] | None:
        """Return whose reviews tailor the tip: a watched channel's own; else all (None)."""
        return [sub.channel] if sub.channel in self._watched else None


class TipService:
    """Post a platform's due tips while the app runs (a service: ``start`` / ``stop``).

    ``view`` returns the :class:`PlatformTipStore` (opening the database on first use);
    ``post`` posts a tip's message to a subscription's channel. ``clock`` and ``sleep``
    default to the system clock and :func:`asyncio.sleep`; tests pass fakes.
    """

    def __init__(
        self,
        view: Callable[[], Awaitable[PlatformTipStore]],
        library: TipLibrary,
        post: Post,
        *,
        grace: timedelta = DEFAULT_GRACE,
        interval: float = 60.0,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.view = view
        self.library = library
        self.post = post
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
        """Stop looking for due tips."""
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
            view = await self.view()
            self.scheduler = TipScheduler(
                view,
                self.library,
                self._post,
                grace=self.grace,
                interval=self.interval,
                review_channels=view.review_channels,
            )
        return self.scheduler

    async def _post(self, sub: TipSubscription, message: str) -> None:
        await self.post(sub, message)
        METRICS.tip_posted(sub.platform)


# -- the tips command --------------------------------------------------------------------------


@dataclass(frozen=True)
class TipsCall:
    """One ``tips`` command: who, where, and what the platform adapter knows of them."""

    text: str
    """What followed ``tips``."""
    user: str
    channel: str
    where: str
    """How answers name the channel: ``<#C123>`` in Slack, "this channel" in Teams."""
    is_lead: bool
    default_timezone: str
    """The caller's time zone, for ``on`` without one (an IANA name)."""
    can_post: bool
    """Whether tips can go to this conversation (False in a direct message)."""
    command: str = "/nudge tips"
    """How the command is typed on this platform, for the hints in answers."""
    invite: str = "invite me to this channel (`/invite @nudgebot`)"
    """How to add the bot to this conversation on this platform (completes "Please ...")."""


@dataclass(frozen=True)
class TipsAnswer:
    """The answer to show the caller; ``error`` when it is an error message."""

    text: str
    error: bool = False


async def answer_tips(
    call: TipsCall,
    view: PlatformTipStore,
    library: TipLibrary | None,
    post: Callable[[str], Awaitable[object]],
    *,
    now: datetime,
) -> TipsAnswer:
    """Answer a ``tips`` command; ``post`` posts a message to the call's channel (for ``now``)."""
    try:
        command = parse_tips_args(call.text)
    except ValueError as error:
        return TipsAnswer(str(error), error=True)
    usage = TIPS_USAGE.replace("/nudge tips", call.command)
    store = view.store
    current = next((s for s in await view.subscriptions() if s.channel == call.channel), None)
    if command.action == "help":
        return TipsAnswer(usage)
    if command.action == "status":
        if current is None:
            return TipsAnswer(f"{_capital(call.where)} gets no daily tips. {usage}")
        return TipsAnswer(
            f"{_capital(call.where)} gets a coaching tip {describe_schedule(current)}."
        )
    if not call.is_lead:
        return TipsAnswer(
            f"Sorry, only team leads can change the daily tips here. `{call.command}` shows "
            "what is set."
        )
    if not call.can_post:
        return TipsAnswer("Run this in the team channel that should get the tips.")
    if command.action == "off":
        if not await store.unsubscribe(call.channel):
            return TipsAnswer(f"{_capital(call.where)} wasn't getting daily tips.")
        return TipsAnswer(f"Daily tips are off for {call.where}.")
    if command.action == "on":
        local_time, zone, weekdays = command.schedule(
            current, default_timezone=call.default_timezone
        )
        sub = TipSubscription(
            call.channel, view.platform, local_time, zone, weekdays, created_by=call.user
        )
        await store.subscribe(sub)
        return TipsAnswer(
            f"Daily tips are on for {call.where}: a coaching tip {describe_schedule(sub)}. "
            f"`{call.command} now` posts today's at once; `{call.command} off` stops them."
        )
    if library is None or not len(library):
        return TipsAnswer("There are no tips to post: the tip library is empty.", error=True)
    sub = current or TipSubscription(call.channel, view.platform)

    async def post_here(_: TipSubscription, message: str) -> None:
        await post(message)
        METRICS.tip_posted(view.platform)

    day = local_today(sub, now.astimezone(UTC))
    done = await deliver_tip(
        view, library, sub, post_here, day=day, review_channels=view.review_channels
    )
    if done.status == "taken":
        return TipsAnswer("Today's tip has already been posted here. The next one comes tomorrow.")
    if done.status == "failed" and not done.released:
        return TipsAnswer(
            "I couldn't tell whether today's tip reached this channel: the connection failed "
            "while I was posting it. If it didn't arrive, the next one comes tomorrow.",
            error=True,
        )
    if done.status == "failed":
        return TipsAnswer(
            f"I couldn't post today's tip here. Please {call.invite}, then try "
            f"`{call.command} now` again.",
            error=True,
        )
    return TipsAnswer("Posted today's tip.")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
