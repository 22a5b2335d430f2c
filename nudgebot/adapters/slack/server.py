"""Serving the Slack app: over HTTP, or over Socket Mode.

Over HTTP the app is mounted at ``/slack/events`` in the shared
:class:`~nudgebot.adapters.router.Router`. At shutdown (SIGTERM or Ctrl-C: uvicorn stops taking
requests, then runs the router's shutdown hooks) it waits up to :data:`DRAIN_SECONDS` for the
work still running after acks, so nudges in flight are posted and recorded; work still running
then is cancelled, with one log line, before the database closes, and given back to the
database: the next instance (or a running one) resumes it (see :mod:`.live`). ``nudgebot
serve --http`` then ends by the signal it got, as uvicorn does: exit status 143 (-15 to
Python's ``subprocess``) for SIGTERM, 130 for Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_sdk.errors import SlackApiError

from nudgebot.adapters.router import HEALTH_PATH, Router, http_server
from nudgebot.adapters.slack.app import NudgeApp
from nudgebot.adapters.slack.convert import slack_error
from nudgebot.adapters.slack.gate import SlackGate

__all__ = [
    "EVENTS_PATH",
    "HEALTH_PATH",
    "Router",
    "asgi_app",
    "http_server",
    "serve_socket_mode",
    "start",
    "stop",
]

logger = logging.getLogger("nudgebot.slack")

EVENTS_PATH = "/slack/events"
DRAIN_SECONDS = 10.0
FIRST_WAIT = 1.0
"""Seconds before the second try to reach Slack in Socket Mode (then doubling)."""
LONGEST_WAIT = 60.0
"""The longest wait between two tries to reach Slack in Socket Mode."""


def asgi_app(app: NudgeApp, router: Router | None = None) -> Router:
    """Mount ``app`` at ``/slack/events`` in ``router`` (a new one by default); return it.

    Requests pass the signature check (:class:`~nudgebot.adapters.slack.gate.SlackGate`)
    before Bolt reads them; ``GET /readyz`` asks the app's database. The app starts (its HTTP
    session, database, services) with the server and drains its work at shutdown.
    """
    router = router or Router()
    handler = AsyncSlackRequestHandler(app, path=EVENTS_PATH)
    secret = app.bot.settings.slack_signing_secret or ""
    router.mount(EVENTS_PATH, SlackGate(handler, secret))
    router.readiness.append(app.bot.state.ready)

    router.on_startup.append(lambda: start(app))
    router.on_shutdown.append(lambda: stop(app))
    return router


async def start(app: NudgeApp) -> None:
    """Get ``app`` ready to serve: its HTTP session, its database, its daily tips."""
    open_session(app)
    await app.bot.state.open()
    app.bot.start()


async def stop(app: NudgeApp) -> None:
    """Stop the daily tips, let running work finish (a while), then close everything."""
    await app.bot.stop()
    if not await app.bot.tasks.join(DRAIN_SECONDS):
        cancelled = await app.bot.tasks.cancel()
        logger.warning(
            "stopped with %d piece(s) of work unfinished: cancelled (live reviews not finished "
            "are given back, for the next instance to resume)",
            cancelled,
        )
    await app.bot.engine.aclose()
    await close_session(app)
    await app.bot.state.close()


async def serve_socket_mode(
    app: NudgeApp,
    app_token: str,
    *,
    first_wait: float = FIRST_WAIT,
    longest_wait: float = LONGEST_WAIT,
) -> None:
    """Connect to Slack over Socket Mode and serve until cancelled.

    While Slack can't be reached, one log line per try says so and when the next one is
    (waits doubling from ``first_wait`` to ``longest_wait`` seconds); the Socket Mode client's
    own reconnection messages are logged on one line each, without a traceback.
    """
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token, logger=SOCKET_LOGGER)
    await start(app)
    try:
        await _open_socket(handler, app_token, first_wait, longest_wait)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        logger.info("connected to Slack in Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await stop(app)


async def _open_socket(handler: Any, app_token: str, first: float, longest: float) -> None:
    """Get a Socket Mode URL from Slack (``apps.connections.open``), backing off until then."""
    from slack_sdk.web.async_client import AsyncWebClient

    # A client of its own without the app's retry handlers: each try is one request, failing
    # fast, and the waits between tries are ours.
    opener = AsyncWebClient(
        base_url=handler.client.web_client.base_url, timeout=10, retry_handlers=[]
    )
    wait = first
    while True:
        try:
            answer = await opener.apps_connections_open(app_token=app_token)
            handler.client.wss_uri = answer["url"]
            return
        except Exception as error:
            reason = type(error).__name__
            if isinstance(error, SlackApiError):
                reason = slack_error(error)
            logger.warning(
                "could not open a Socket Mode connection to Slack (%s); trying again in %.0f s",
                reason,
                wait,
            )
            await asyncio.sleep(wait)
            wait = min(wait * 2, longest)


class _OneLine(logging.Filter):
    """Drop the traceback from a record: the message says what failed, once per line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


SOCKET_LOGGER = logging.getLogger("nudgebot.slack.socket")
"""The Socket Mode client's logger: its "Failed to connect ... Retrying" lines, untracebacked."""
SOCKET_LOGGER.addFilter(_OneLine())


def open_session(app: NudgeApp) -> None:
    """Give the app's Web API client one HTTP session for all its calls (call in the loop).

    Without one, slack_sdk opens a new session, so a new TCP (and TLS) connection, for every
    call; the per-request clients Bolt makes share the app client's session.
    """
    import aiohttp

    if app.client.session is None:
        app.client.session = aiohttp.ClientSession()


async def close_session(app: NudgeApp) -> None:
    """Close the session :func:`open_session` opened."""
    session = app.client.session
    if session is not None:
        app.client.session = None
        await session.close()
