"""Serving the app: a tiny ASGI router for HTTP (uvicorn), and Socket Mode.

:class:`Router` sends ``POST /slack/events`` to Bolt's ASGI handler, answers ``GET /healthz``
with ``ok``, and can mount more apps on other paths (Teams' ``/api/messages`` later), so one
server hosts every platform. At shutdown it waits a little for work still running after acks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler

from nudgebot.adapters.slack.app import NudgeApp

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

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]
Hook = Callable[[], Awaitable[None]]

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DRAIN_SECONDS = 10.0


class Router:
    """An ASGI app routing exact paths to mounted apps, with a health check and lifespan hooks.

    ``on_startup`` hooks run (in order) when the server starts, ``on_shutdown`` hooks when it
    stops; a failing shutdown hook is logged and the others still run.
    """

    def __init__(self, health_path: str = HEALTH_PATH) -> None:
        self.health_path = health_path
        self.routes: dict[str, ASGIApp] = {}
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []

    def mount(self, path: str, app: ASGIApp) -> None:
        """Send requests for exactly ``path`` to ``app``."""
        self.routes[path] = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "websocket":  # nothing here speaks WebSocket: refuse (403)
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        path = scope.get("path", "")
        if path == self.health_path and scope.get("method") in ("GET", "HEAD"):
            await _plain(send, 200, b"ok")
            return
        app = self.routes.get(path)
        if app is None:
            await _plain(send, 404, b"not found")
            return
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.on_startup:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.on_shutdown:
                    try:
                        await hook()
                    except Exception as error:
                        logger.error("a shutdown step failed (%s)", type(error).__name__)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def asgi_app(app: NudgeApp) -> Router:
    """Return a :class:`Router` serving ``app`` at ``/slack/events``, draining work at shutdown."""
    router = Router()
    handler = AsyncSlackRequestHandler(app, path=EVENTS_PATH)
    router.mount(EVENTS_PATH, handler)

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
        logger.warning("stopped with %d piece(s) of work unfinished", app.bot.tasks.pending)
    await app.bot.engine.aclose()
    await close_session(app)
    await app.bot.state.close()


def http_server(
    router: ASGIApp, host: str = "127.0.0.1", port: int = 3000, *, log_level: str = "info"
) -> uvicorn.Server:
    """Return a uvicorn server for ``router``: ``.run()`` it, or ``await .serve(sockets=...)``."""
    config = uvicorn.Config(
        router, host=host, port=port, log_level=log_level, lifespan="on", access_log=False
    )
    return uvicorn.Server(config)


async def serve_socket_mode(app: NudgeApp, app_token: str) -> None:
    """Connect to Slack over Socket Mode and serve until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await start(app)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        logger.info("connected to Slack in Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await stop(app)


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
