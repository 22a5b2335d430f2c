"""``message`` events: live nudges in watched channels, and drafts sent to the bot by DM.

Edits, deletions, joins, bots (this one too) and messages already handled are acknowledged and
dropped; a direct message goes to :mod:`.chat`; a new message in a watched channel is recorded
in the database *before* it is acknowledged (:mod:`nudgebot.storage.intake`) and then worked
from there in the background: a message from an agent who wants nudges is reviewed, with the
conversation before it as context (:mod:`.thread`: the turns remembered from earlier events,
else read from Slack once), and when the reply needs a nudge the agent alone gets an
ephemeral message in the thread; a good reply gets nothing.

Durable and exactly once, across instances and restarts:

- If the message cannot be recorded (the database is down or too slow for Slack's 3 seconds),
  the listener raises :class:`NotRecorded` and Slack gets a 503, so it delivers the event
  again (up to 3 times over about 5 minutes); a delivery of a message recorded before is
  acknowledged and dropped.
- The record is this instance's claim on the work, with a lease it renews while working
  (:class:`IntakeSweep`). An instance that was killed or stopped leaves its work to be taken
  by a running instance's sweep once the lease runs out, or by the next one at start; work
  given back (a stop past the drain, a failure) is taken at once.
- The review is stored together with the claim's move to "posting" (only by the claim's
  owner), the nudge is posted, then marked sent. Work found still "posting" is the one case in
  doubt (the instance stopped between storing the review and marking the nudge): it is not
  posted again, and its review stays stored as not nudged.
- When too much work is waiting already (:attr:`SlackBot.tasks`), a new message is recorded as
  shed: never reviewed, counted in reports, and the agent is not messaged about it.

When something fails after the ack, the agent (who asked for nothing) is not bothered and one
log line says what happened, without the message's text: the database (the work is given back
and tried again, up to :data:`~nudgebot.storage.intake.MAX_ATTEMPTS` times), or Slack past the
Web API client's retries (429 after ``Retry-After``, 5xx, connection errors: the nudge is not
posted and its review stays stored as not nudged).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
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
    edited_by_author,
    mentions,
    skip_reason,
    thread_key,
    thread_root,
)
from nudgebot.adapters.slack.state import SlackState, event_key
from nudgebot.adapters.slack.thread import remember, thread_before
from nudgebot.engine import DraftError
from nudgebot.metrics import METRICS
from nudgebot.storage import StorageError
from nudgebot.storage.intake import MAX_ATTEMPTS, Intake, Work

__all__ = ["RECORD_SECONDS", "IntakeSweep", "NotRecorded", "nudge", "register", "resume"]

logger = logging.getLogger("nudgebot.slack")

RECORD_SECONDS = 2.0
"""How long recording an event may take before Slack is answered 503 (it wants an ack in 3 s)."""
WHAT = "a live review"
YIELD_SECONDS = 0.005
"""How long live work waits after its ack before it starts (see :func:`nudge`)."""


class NotRecorded(Exception):
    """A live message could not be recorded: answer Slack non-2xx so it delivers it again."""


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to ``message`` events (channels, private channels, DMs)."""

    async def on_message(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        say: AsyncSay,
        ack: AsyncAck,
    ) -> None:
        edit = edited_by_author(event)
        if edit is not None:  # perhaps an agent reworking a nudged reply
            await ack()
            bot.spawn(_edited(bot, *edit), what="recording an edit")
            return
        reason = skip_reason(event, context.bot_user_id)
        if reason is not None:
            await ack()
            logger.debug("skipped a message event (%s)", reason)
            return
        channel, ts = str(event["channel"]), str(event["ts"])
        if event.get("channel_type") == "im":
            await ack()
            if bot.state.first_time(f"im:{channel}:{ts}"):
                answer_dm(bot, event, say)
            return
        if mentions(
            str(event.get("text") or ""), context.bot_user_id
        ) or not await bot.state.is_watched(channel):  # app_mention's, or not watched
            await ack()
            return
        key = f"slack:live:{channel}:{ts}"
        home = home_team(context)
        shed = bot.tasks.full

        def work() -> bool:
            job = lambda: nudge(bot, client, event, home, key=key)  # noqa: E731
            return _start(bot, key, job, force=True)

        try:
            new = await _record(
                bot, key, channel, {"event": event, "home": home}, shed=shed, late=work
            )
        except NotRecorded:
            if body.get("event_id"):  # so that Slack's next delivery is not skipped as seen
                bot.state.forget_seen(event_key(str(body["event_id"])))
            raise
        await ack()
        if not new:  # delivered again: recorded already, and worked on (or to be) from there
            logger.debug("a live message was recorded before")
        elif shed:
            bot.tasks.note_shed(WHAT)
        else:
            work()

    app.event("message")(on_message)


async def _record(
    bot: SlackBot,
    key: str,
    channel: str,
    payload: dict[str, Any],
    *,
    shed: bool,
    late: Callable[[], object],
) -> bool:
    """Record a live message's work before the ack; raise :class:`NotRecorded` if it can't be.

    Waits :data:`RECORD_SECONDS` at most. A write still under way then is not cancelled (a
    statement cut off mid-way costs its connection): Slack gets 503 and delivers the event
    again, and if the write does go through, ``late`` starts the work (the redelivery finds
    it recorded and is acknowledged).
    """
    try:
        intake = await bot.state.intake()
        writing = asyncio.ensure_future(
            intake.record(key, channel=channel, payload=json.dumps(payload), shed=shed)
        )
        done, _ = await asyncio.wait({writing}, timeout=RECORD_SECONDS)
        if not done:
            writing.add_done_callback(lambda task: _recorded_late(task, shed, late))
            raise TimeoutError
        return writing.result()
    except (StorageError, TimeoutError) as error:
        logger.warning(
            "a live message in %s could not be recorded (%s); answering 503 so Slack "
            "delivers it again",
            channel,
            type(error).__name__,
        )
        raise NotRecorded from None


def _recorded_late(task: asyncio.Future[bool], shed: bool, late: Callable[[], object]) -> None:
    if task.cancelled() or task.exception() is not None or not task.result() or shed:
        return
    late()


Job = Callable[[], Awaitable[None]]


def _start(bot: SlackBot, key: str, work: Job, *, force: bool = False) -> bool:
    """Work on ``key`` in the background unless this instance already is; True if started.

    ``force``: past :attr:`SlackBot.tasks`' limit too (the listener checked it before
    recording the work as accepted).
    """
    state = bot.state
    if key in state.working:
        return False
    state.working.add(key)

    async def run() -> None:
        try:
            await _guarded(bot, key, work)
        finally:
            state.working.discard(key)

    if not bot.tasks.spawn(run(), what=WHAT, force=force):
        state.working.discard(key)
        return False
    return True


async def _guarded(bot: SlackBot, key: str, work: Job) -> None:
    """Run a piece of live work; give it back if it is stopped or fails before it ends.

    Work given back is taken again by the next sweep, up to
    :data:`~nudgebot.storage.intake.MAX_ATTEMPTS` times; then it ends as ``failed``.
    """
    intake = await bot.state.intake()
    try:
        await work()
    except asyncio.CancelledError:
        await _give_back(intake.release(key), "stopped")
        raise
    except StorageError as error:
        logger.warning(
            "a live review was interrupted by the database (%s); it will be tried again",
            type(error).__name__,
        )
        await _give_up_or_back(intake, key)
    except Exception:
        await _give_up_or_back(intake, key)
        raise  # Background logs it (type and traceback, no text)


async def _give_up_or_back(intake: Intake, key: str) -> None:
    found = await _found(intake, key)
    if found is not None and found.attempts >= MAX_ATTEMPTS:
        logger.warning(
            "a live review failed %d times: given up, counted as not reviewed", found.attempts
        )
        await _give_back(intake.finish(key, "failed"), "failed")
    else:
        await _give_back(intake.release(key), "failed")


async def _found(intake: Intake, key: str) -> Work | None:
    try:
        found: Work | None = await intake.find(key)
    except StorageError:
        return None
    return found


async def _give_back(step: Awaitable[None], why: str) -> None:
    """Give work back to the database; if that fails too, its lease runs out instead."""
    try:
        await step
    except (StorageError, asyncio.CancelledError) as error:
        logger.warning(
            "live work %s could not be given back (%s); it is taken again when its lease runs out",
            why,
            type(error).__name__,
        )


async def resume(bot: SlackBot, client: AsyncWebClient, work: Work) -> None:
    """Carry on with live work taken from the database (another instance's, or given back)."""
    intake = await bot.state.intake()
    if work.state == "posting" or work.payload is None:
        # Its instance stopped between storing the review and marking the nudge: the nudge
        # may have gone out. Not posted again (at most once); the review stays not nudged.
        logger.warning(
            "a live nudge (review %s) may or may not have been posted before its instance "
            "stopped; not posting it again",
            work.review_id if work.review_id is not None else "-",
        )
        await intake.finish(work.key)
        return
    recorded = json.loads(work.payload)
    await nudge(bot, client, recorded["event"], recorded.get("home"), key=work.key)


async def nudge(
    bot: SlackBot, client: AsyncWebClient, event: dict[str, Any], home: str | None, *, key: str
) -> None:
    """Review an agent's message in a watched channel; nudge the agent if it needs one.

    ``key`` is the message's work in the database (:mod:`nudgebot.storage.intake`), which
    this instance owns: it ends there as done, or moves on with the review.
    """
    user, channel, ts = str(event["user"]), str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts")
    state = bot.state
    intake = await state.intake()
    # Let the ack go out, and the requests right behind it in, before a review may hold the
    # CPU (a 40,000-character draft takes a second or two of it; everything else waits).
    await asyncio.sleep(YIELD_SECONDS)
    agent = await bot.directory.is_agent(user, author_team(event), home)
    remember(bot, event, agent=agent)  # a turn of the conversation, whoever wrote it
    if not agent:  # the customer: their message is the outcome of the nudged replies before it
        await _customer_replied(bot, event)
        await intake.finish(key)
        return
    if not await state.wants_nudges(user):
        await intake.finish(key)
        return
    thread = await thread_before(bot, channel, ts, thread_ts, home)
    draft = draft_from_message(event, thread=thread)
    team = home or author_team(event)
    quiet = await state.quiet_rules(team)  # the rules this team's feedback or leads quieted
    try:
        review = await bot.review(draft, live=True, quiet=quiet)
    except DraftError:  # an empty or oversized message: nobody asked, so nothing to say
        await intake.finish(key)
        return
    if not review.judged:
        await intake.finish(key)
        return
    post = review.needs_nudge and await _still_wants(state, user)
    review_id = await intake.store_review(
        key,
        review,
        nudge=post,
        platform="slack",
        user=user,
        channel=channel,
        team=team,
        text=draft.text,
        customer=draft.customer,
        message_ts=ts,
        thread_key=thread_key(event),
        at=state.now(),
    )
    if review_id is None:  # its lease ran out and another instance took it over
        logger.warning("a live review in %s was taken over by another instance", channel)
        return
    if not post:
        return
    ref = str(review_id)
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
            review_id,
        )
        await intake.finish(key)
        return
    METRICS.nudge_sent("slack")
    try:
        await intake.sent(key, review_id)
    except StorageError as error:
        logger.warning(
            "a live nudge in %s was posted but review %s was not marked sent (%s)",
            channel,
            review_id,
            type(error).__name__,
        )


async def _edited(bot: SlackBot, channel: str, ts: str) -> None:
    """Count an author's edit of a nudged message as acting on the nudge (within 15 minutes).

    The core checks that the message was nudged and the edit came in time
    (:meth:`~nudgebot.storage.learning.Learning.acted`); only watched channels are asked.
    """
    if not await bot.state.is_watched(channel):
        logger.debug("skipped an edit (not a watched channel)")
        return
    learning = await bot.state.learning()
    counted = await learning.acted(channel=channel, message_ts=ts, how="edited")
    logger.debug(
        "an edit in %s: %s",
        channel,
        "a nudged reply, counted as acted on" if counted else "not a nudged reply, or too late",
    )


async def _customer_replied(bot: SlackBot, event: dict[str, Any]) -> None:
    """Record how the customer's message reads (calm, a problem, upset) after nudged replies."""
    text = str(event.get("text") or "")
    if not text.strip():
        return
    learning = await bot.state.learning()
    await learning.customer_replied(
        channel=str(event["channel"]),
        thread_key=thread_key(event),
        heat=bot.engine.heat(text),
    )


class IntakeSweep:
    """Takes live work whose lease ran out, and renews this instance's leases, every while.

    Runs as one of the bot's services (:meth:`SlackBot.start`): at once when it starts (work
    the last instance left), then every third of the lease. It takes no more than half the
    room left in :attr:`SlackBot.tasks`, so new messages are not shed for old ones.
    """

    def __init__(self, bot: SlackBot, client: AsyncWebClient, interval: float | None = None):
        self.bot = bot
        self.client = client
        self.interval = interval if interval is not None else max(bot.state.lease / 3, 0.2)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Start sweeping (in the running event loop)."""
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop sweeping once the sweep under way ends (work already taken carries on)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:  # a database that hangs: stop it where it is
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except StorageError as error:
                logger.warning("the live work sweep failed (%s)", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def sweep(self) -> int:
        """Renew this instance's leases, take the work that lapsed; return how much was taken."""
        state, tasks = self.bot.state, self.bot.tasks
        intake = await state.intake()
        if state.working:
            await intake.renew(set(state.working))
        room = (tasks.limit - tasks.pending) // 2
        if room <= 0:
            return 0
        taken = 0
        for work in await intake.due(min(room, 500)):
            if work.key in state.working:
                continue
            found = await intake.take(work.key)
            if found is None:  # another instance was quicker
                continue
            if _start(self.bot, found.key, _resuming(self.bot, self.client, found)):
                taken += 1
            else:
                await intake.release(found.key)
        if taken:
            logger.info("took %d piece(s) of live work left unfinished", taken)
        return taken


def _resuming(bot: SlackBot, client: AsyncWebClient, work: Work) -> Job:
    return lambda: resume(bot, client, work)


async def _still_wants(state: SlackState, user: str) -> bool:
    """Whether ``user`` still wants the nudge (a mute set meanwhile); True if unknown.

    They wanted it a moment ago, before the review: a database that fails now should not
    cost them the nudge.
    """
    try:
        return await state.wants_nudges(user)
    except StorageError:
        return True


def _slack_failure(error: Exception) -> str:
    """Say what went wrong with a Web API call, without the message it carried."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if isinstance(response.data, dict) else None
        return f"SlackApiError: HTTP {response.status_code}" + (f", {code}" if code else "")
    return type(error).__name__
