"""The Bolt app: one :class:`~slack_bolt.async_app.AsyncApp` for Socket Mode and HTTP alike.

:func:`build_app` wires the listeners of :mod:`.live` (message events: live nudges and DMs),
:mod:`.chat` (mentions and the assistant), :mod:`.command` (``/nudge``) and
:mod:`.interactive` (the shortcut, the nudge buttons, the App Home) around one
:class:`~nudgebot.adapters.slack.bot.SlackBot`. The app runs with
``process_before_response=True``: each listener acknowledges and returns at once, and the
work runs after as an asyncio task, so an ack never waits on a review.

The Web API client honours ``Retry-After`` on 429 (up to :data:`RATE_LIMIT_RETRIES` times),
retries a 500 or 503 after a short back-off (:data:`SERVER_ERROR_RETRIES` times) and a dropped
connection once (the SDK's retry handlers); ``SLACK_API_URL`` points it somewhere else than
Slack (a local fake in tests).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import chat, command, daily_tips, interactive, live, verdicts
from nudgebot.adapters.slack.bot import SlackBot
from nudgebot.adapters.slack.hygiene import WholeCharacters
from nudgebot.adapters.slack.origin import SameApp
from nudgebot.adapters.slack.people import Directory
from nudgebot.adapters.slack.state import SlackState, event_key
from nudgebot.coach import Coach
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.storage.retention import RetentionJob
from nudgebot.tips import TipLibrary

__all__ = ["NudgeApp", "SkipRedeliveries", "build_app", "make_client"]

logger = logging.getLogger("nudgebot.slack")

RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
"""Retries of a 500 or 503, after 0.25 s and 0.5 s (plus up to 1 s of jitter each)."""


class NudgeApp(AsyncApp):
    """The Bolt app, with the pieces its listeners share at hand as :attr:`bot`."""

    bot: SlackBot


class SkipRedeliveries(AsyncMiddleware):
    """Acknowledge an event seen before (same ``event_id``) without running any listener.

    Slack redelivers an event it thinks was not acknowledged in time (with ``X-Slack-Retry-Num``)
    and, rarely, delivers one twice; either way the agent must be nudged once. An event the
    app answered 503 (not recorded: :class:`~nudgebot.adapters.slack.live.NotRecorded`) is
    forgotten again, so its redelivery gets through.
    """

    def __init__(self, state: SlackState) -> None:
        self.state = state

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Stop a redelivered event here; let everything else through."""
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.state.first_time(event_key(event_id)):
            retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
            logger.info("skipped a redelivered event (retry %s)", retry)
            return BoltResponse(status=200, body="")
        return await next()


class _SameToken(logging.Filter):
    """Drop Bolt's warning that ``SLACK_BOT_TOKEN`` goes unused when a client is given.

    Bolt reads the variable itself even when handed a client; ours is built from that very
    token (through :class:`~nudgebot.config.Settings`), so the warning would only confuse.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that warning."""
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


class _NoBodies(logging.Filter):
    """Drop Bolt's log line for a request failing its signature check: it holds the whole body.

    nudgebot checks the signature itself before Bolt sees a request
    (:class:`~nudgebot.adapters.slack.gate.SlackGate`), so Bolt's check fails only in a race
    with the 5-minute window; its line (at INFO) would carry the body, customer text and all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that one."""
        return not str(record.msg).startswith("Invalid request signature")


QUIET_LOGGERS = ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification")
"""Bolt's request verification loggers, which log a failing request's body."""


def quiet_request_verification() -> None:
    """Filter Bolt's request verification loggers (:class:`_NoBodies`); safe to call again."""
    for name in QUIET_LOGGERS:
        bolt = logging.getLogger(name)
        if not any(isinstance(f, _NoBodies) for f in bolt.filters):
            bolt.addFilter(_NoBodies())


async def _on_error(error: Exception) -> BoltResponse:
    """Answer a listener's failure: 503 for a message not recorded (Slack delivers it again).

    Anything else is logged as its type and traceback, never its words (which could quote a
    message), and answered 500, as Bolt would.
    """
    if isinstance(error, live.NotRecorded):
        return BoltResponse(status=503, body="")
    trace = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    logger.error("a listener failed (%s)\n%s", type(error).__name__, trace)
    return BoltResponse(status=500, body="")


def make_client(settings: Settings, **client_kwargs: Any) -> AsyncWebClient:
    """Build the Web API client: the bot token, ``SLACK_API_URL`` if set, and the retry handlers."""
    kwargs: dict[str, Any] = {
        "token": settings.slack_bot_token,
        "retry_handlers": [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(
                max_retry_count=SERVER_ERROR_RETRIES,
                interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.25),
            ),
        ],
    }
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    kwargs.update(client_kwargs)
    return AsyncWebClient(**kwargs)


def build_app(
    settings: Settings,
    engine: ReviewEngine,
    *,
    state: SlackState | None = None,
    coach: Coach | None = None,
    tips: TipLibrary | None = None,
    client: AsyncWebClient | None = None,
    **client_kwargs: Any,
) -> NudgeApp:
    """Build the Slack app around ``engine``.

    ``state`` defaults to a :class:`SlackState` on ``settings.database_url`` watching
    ``settings.watch_channels``; without ``coach`` a question gets a short "send me a draft"
    answer; with ``tips`` the app posts the subscribed channels' daily tips while it runs
    (:class:`~nudgebot.adapters.slack.daily_tips.DailyTips`) and the App Home shows a tip.
    Message text older than ``settings.retention_days`` is purged while the app runs
    (:class:`~nudgebot.storage.retention.RetentionJob`). ``client_kwargs`` go to the
    :class:`AsyncWebClient` (unless ``client`` is given).
    """
    client = client or make_client(settings, **client_kwargs)
    if state is None:
        state = SlackState(
            database_url=settings.database_url,
            watch=settings.watch_channels,
            lease=settings.lease_seconds,
        )
    if state.policy is None:  # how the team's feedback quiets a rule (NUDGEBOT_QUIET_*)
        state.policy = settings.quiet_policy
    directory = Directory(client, agents=settings.agents, leads=settings.leads)
    bot = SlackBot(settings, engine, state, directory, coach=coach, tips=tips)
    bot.services.append(RetentionJob(state.open, settings.retention_days))
    bot.services.append(live.IntakeSweep(bot, client))  # work left by stopped instances
    if tips:  # post the subscribed channels' daily tips while the app runs
        bot.services.append(daily_tips.DailyTips(bot, client, tips))
    bolt_logger = logging.getLogger("slack_bolt.AsyncApp")
    quiet = _SameToken()
    bolt_logger.addFilter(quiet)
    try:
        app = NudgeApp(
            name="nudgebot",
            client=client,
            signing_secret=settings.slack_signing_secret or "",
            process_before_response=True,
        )
    finally:
        bolt_logger.removeFilter(quiet)
    quiet_request_verification()
    app.bot = bot
    app.use(SameApp(settings.slack_app_id, settings.slack_team_id))
    app.use(WholeCharacters())
    app.error(_on_error)
    app.use(SkipRedeliveries(state))
    live.register(app, bot)
    chat.register(app, bot)
    command.register(app, bot)
    interactive.register(app, bot)
    verdicts.register(app, bot)
    return app
