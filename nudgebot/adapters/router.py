"""One HTTP server for every platform: a tiny ASGI router, and uvicorn to serve it.

:class:`Router` sends each exact path to the app mounted there (Slack's ``/slack/events``,
Teams' ``/api/messages``), answers ``GET /healthz`` with ``ok`` while the process serves (a
liveness check: it asks nothing else), ``GET /readyz`` with ``ready`` only when every
readiness check passes (the database answers) and 503 with the reason when one does not, and
``GET /metrics`` with the counters of :mod:`nudgebot.metrics` (Prometheus text;
``metrics=False`` turns it off), and runs start-up and shutdown hooks on the ASGI lifespan
events, so the platforms share one server, one event loop and one database.

A mounted app gets its request body read already, within the bounds of
:mod:`nudgebot.adapters.http_limits` (413 past 1 MiB, unread; 408 when too slow), and uvicorn
runs with that module's header deadline, keep-alive timeout and connection limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from nudgebot.adapters.http_limits import Refusal, read_body, replay, server_limits
from nudgebot.metrics import CONTENT_TYPE, METRICS

__all__ = ["HEALTH_PATH", "METRICS_PATH", "READY_PATH", "READY_SECONDS", "Router", "http_server"]

logger = logging.getLogger("nudgebot.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]
Hook = Callable[[], Awaitable[None]]

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
READY_SECONDS = 2.0
"""How long the readiness checks may take together before the answer is "not ready"."""
Check = Callable[[], Awaitable[str | None]]
"""A readiness check: None when ready, else a sentence saying what is not."""


class Router:
    """An ASGI app routing exact paths to mounted apps, with a health check and lifespan hooks.

    ``on_startup`` hooks run (in order) when the server starts, ``on_shutdown`` hooks when it
    stops; a failing shutdown hook is logged and the others still run. ``readiness`` checks
    answer ``GET /readyz``. ``metrics`` serves ``GET /metrics`` (the process's
    :data:`nudgebot.metrics.METRICS`).
    """

    def __init__(self, health_path: str = HEALTH_PATH, *, metrics: bool = True) -> None:
        self.health_path = health_path
        self.metrics = metrics
        self.routes: dict[str, ASGIApp] = {}
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []
        self.readiness: list[Check] = []

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
        if path == READY_PATH and scope.get("method") in ("GET", "HEAD"):
            problem = await self.ready()
            if problem is None:
                await _plain(send, 200, b"ready")
            else:
                await _plain(send, 503, f"not ready: {problem}".encode())
            return
        if path == METRICS_PATH and self.metrics and scope.get("method") in ("GET", "HEAD"):
            await _plain(send, 200, METRICS.render(), CONTENT_TYPE.encode())
            return
        app = self.routes.get(path)
        if app is None:
            await _plain(send, 404, b"not found")
            return
        if scope["type"] == "http":
            body = await read_body(scope, receive)
            if isinstance(body, Refusal):
                logger.info("refused a request to %s (%d)", path, body.status)
                await _plain(send, body.status, body.reason.encode(), close=True)
                return
            receive = replay(body, receive)
        await app(scope, receive, send)

    async def ready(self) -> str | None:
        """Run the readiness checks: None when all pass, else what is not ready."""
        try:
            async with asyncio.timeout(READY_SECONDS):
                for check in self.readiness:
                    problem = await check()
                    if problem is not None:
                        return problem
        except TimeoutError:
            return f"a readiness check took longer than {READY_SECONDS:g} s"
        return None

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


async def _plain(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"text/plain; charset=utf-8",
    *,
    close: bool = False,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if close:  # the rest of the request was not read: don't read it as the next one
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_PROPAGATE: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        name: {"handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    },
}
"""uvicorn's loggers without handlers of their own: their records go to the root logger's."""


def http_server(
    router: ASGIApp, host: str = "127.0.0.1", port: int = 3000, *, log_level: str = "info"
) -> uvicorn.Server:
    """Return a uvicorn server for ``router``: ``.run()`` it, or ``await .serve(sockets=...)``.

    Once :func:`nudgebot.logs.setup_logging` has run, uvicorn's own log lines go through its
    handler (the same format) instead of uvicorn's default configuration. The server has the
    limits of :func:`nudgebot.adapters.http_limits.server_limits`.
    """
    from uvicorn.config import LOGGING_CONFIG

    from nudgebot.logs import installed

    config = uvicorn.Config(
        router,
        host=host,
        port=port,
        log_level=log_level,
        log_config=_PROPAGATE if installed() else LOGGING_CONFIG,
        lifespan="on",
        access_log=False,
        **server_limits(),
    )
    return uvicorn.Server(config)
