"""TeamsApp as a bare ASGI app: lifespan, other scopes, and oversized requests."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest

from nudgebot.adapters.teams.app import MAX_BODY, build_teams
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine

pytestmark = pytest.mark.anyio


class Wire:
    """ASGI receive and send, scripted."""

    def __init__(self, *incoming: dict[str, Any]) -> None:
        self.incoming = list(incoming)
        self.sent: list[MutableMapping[str, Any]] = []

    async def receive(self) -> MutableMapping[str, Any]:
        return self.incoming.pop(0)

    async def send(self, message: MutableMapping[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


def teams() -> Any:
    return build_teams(Settings(engine="rules", teams_dev_no_auth=True), ReviewEngine())


async def test_served_alone_it_answers_the_lifespan() -> None:
    app = teams()
    wire = Wire({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    await app({"type": "lifespan"}, wire.receive, wire.send)
    assert [m["type"] for m in wire.sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


async def test_a_websocket_is_refused() -> None:
    wire = Wire({"type": "websocket.connect"})
    await teams()({"type": "websocket", "path": "/api/messages"}, wire.receive, wire.send)
    assert wire.sent == [{"type": "websocket.close", "code": 1008}]


async def test_an_oversized_request_is_refused_unread() -> None:
    chunk = b"x" * (MAX_BODY // 2 + 1)
    wire = Wire(
        {"type": "http.request", "body": chunk, "more_body": True},
        {"type": "http.request", "body": chunk, "more_body": True},
        {"type": "http.request", "body": b"never read", "more_body": False},
    )
    scope = {"type": "http", "method": "POST", "path": "/api/messages", "headers": []}
    await teams()(scope, wire.receive, wire.send)
    assert wire.status == 413
    assert len(wire.incoming) == 1
