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
    empty = [{"type": "http.request", "body": b"", "more_body": False}]
    assert call(router, http("POST", "/api/messages"), empty)[0]["status"] == 202
    assert seen == ["/api/messages"]


def test_readyz_answers_from_the_readiness_checks_and_healthz_does_not_ask_them() -> None:
    router = Router()
    problems: list[str | None] = [None]
    asked: list[int] = []

    async def database() -> str | None:
        asked.append(1)
        return problems[0]

    router.readiness.append(database)
    assert call(router, http("GET", "/readyz"), [])[1]["body"] == b"ready"
    problems[0] = "the database is unavailable (StorageError)"
    down = call(router, http("GET", "/readyz"), [])
    assert down[0]["status"] == 503
    assert down[1]["body"] == b"not ready: the database is unavailable (StorageError)"
    assert call(router, http("GET", "/healthz"), [])[1]["body"] == b"ok"  # liveness only
    assert len(asked) == 2


def test_a_readiness_check_that_hangs_is_not_ready_within_its_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nudgebot.adapters import router as module

    monkeypatch.setattr(module, "READY_SECONDS", 0.1)
    router = Router()

    async def hangs() -> str | None:
        await asyncio.sleep(10)
        return None

    router.readiness.append(hangs)
    sent = call(router, http("GET", "/readyz"), [])
    assert sent[0]["status"] == 503 and b"longer than 0.1 s" in sent[1]["body"]


def mounted() -> tuple[Router, list[bytes]]:
    router = Router()
    bodies: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        bodies.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    router.mount("/slack/events", app)
    return router, bodies


def test_a_body_declared_past_the_limit_is_refused_413_without_reading_any_of_it() -> None:
    router, bodies = mounted()
    scope = http("POST", "/slack/events")
    scope["headers"] = [(b"content-length", b"20971520")]
    read: list[int] = []

    async def receive() -> Message:  # never to be called
        read.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(router(scope, receive, send))
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
    assert read == [] and bodies == []


def test_a_streamed_body_is_counted_and_cut_at_the_limit() -> None:
    router, bodies = mounted()
    chunk = b"x" * 65536
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": chunk, "more_body": True}  # without end

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(router(http("POST", "/slack/events"), receive, send))
    assert sent[0]["status"] == 413 and bodies == []
    assert reads == 1_048_576 // 65536 + 1  # stopped at the first chunk past 1 MiB


def test_a_body_too_slow_to_arrive_gets_408(monkeypatch: pytest.MonkeyPatch) -> None:
    from nudgebot.adapters import http_limits

    router, bodies = mounted()

    async def read_slowly(scope: Any, receive: Any) -> Any:
        return await original(scope, receive, seconds=0.1)

    original = http_limits.read_body
    monkeypatch.setattr("nudgebot.adapters.router.read_body", read_slowly)

    async def receive() -> Message:
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b"{", "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(router(http("POST", "/slack/events"), receive, send))
    assert sent[0]["status"] == 408 and bodies == []


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
