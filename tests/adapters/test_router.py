"""The ASGI router that lets Slack and Teams share one server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from nudgebot.adapters.router import Router

Message = MutableMapping[str, Any]


def call(router: Router, scope: dict[str, Any], incoming: list[Message]) -> list[Message]:
    sent: list[Message] = []
    queue = list(incoming)

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(router(scope, receive, send))
    return sent


def http(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": []}


def test_health_not_found_and_mounted_apps() -> None:
    router = Router()
    seen: list[str] = []

    async def teams(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    router.mount("/api/messages", teams)
    assert call(router, http("GET", "/healthz"), [])[1]["body"] == b"ok"
    assert call(router, http("HEAD", "/healthz"), [])[0]["status"] == 200
    assert call(router, http("POST", "/healthz"), [])[0]["status"] == 404
    assert call(router, http("GET", "/elsewhere"), [])[0]["status"] == 404
    assert call(router, http("POST", "/api/messages"), [])[0]["status"] == 202
    assert seen == ["/api/messages"]


def test_lifespan_runs_the_shutdown_hooks_even_after_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = Router()
    ran: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def drain() -> None:
        ran.append("drain")

    router.on_shutdown += [broken, drain]
    with caplog.at_level(logging.ERROR):
        sent = call(
            router,
            {"type": "lifespan"},
            [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
        )
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert ran == ["drain"]
    assert "a shutdown step failed (RuntimeError)" in caplog.text


def test_websockets_are_refused() -> None:
    sent = call(Router(), {"type": "websocket", "path": "/"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1008}]
