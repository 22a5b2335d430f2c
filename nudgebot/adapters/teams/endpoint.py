"""The Teams SDK's HTTP side, served by our own ASGI app instead of the SDK's FastAPI server.

The SDK hands its request handler for ``/api/messages`` (JWT validation, then activity
routing) to an HTTP adapter; :class:`SdkRoutes` is that adapter, keeping the handler for
:class:`~.app.TeamsApp` to call with each request it reads (:func:`read_activity`) and answer
(:func:`send_json`). :func:`screen` stops the activities the SDK cannot read before they
reach it: 200 for a kind it does not know, 400 for a broken one, with a log line naming the
activity's type and the fields at fault, never their values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic import ValidationError

from nudgebot.adapters.teams import sdk

__all__ = [
    "MAX_BODY",
    "Receive",
    "Scope",
    "SdkRoutes",
    "Send",
    "read_activity",
    "read_body",
    "request_headers",
    "screen",
    "send_json",
]

logger = logging.getLogger("nudgebot.teams")

MAX_BODY = 1_048_576
"""Largest request body read, in bytes (Teams caps a message at about 28 KB)."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class SdkRoutes:
    """The SDK's HTTP adapter, kept to the one thing it is needed for: the route's handler.

    The SDK registers its request handler for ``/api/messages`` here; :class:`~.app.TeamsApp`
    calls it. No server of the SDK's own is ever started (it would bind 0.0.0.0).
    """

    def __init__(self) -> None:
        self.handlers: dict[str, sdk.HttpRouteHandler] = {}

    def register_route(
        self, method: sdk.HttpMethod, path: str, handler: sdk.HttpRouteHandler
    ) -> None:
        """Keep the SDK's handler for ``path``."""
        if method != "POST":
            raise ValueError(f"unsupported method {method}")
        self.handlers[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        """Refuse: the Teams app serves no static pages."""
        raise NotImplementedError("the Teams app serves no static pages")

    async def start(self, port: int) -> None:
        """Refuse: mount :class:`TeamsApp` in the server instead."""
        raise RuntimeError("mount TeamsApp in an ASGI server instead of starting the SDK's own")

    async def stop(self) -> None:
        """Nothing to stop."""


def screen(event: sdk.ActivityEvent) -> dict[str, Any] | None:
    """Answer an activity the SDK cannot read: 200 for an unknown kind, 400 for a broken one.

    None lets the activity through. The log names the activity's type and the fields at
    fault, never their values.
    """
    raw = event.body.model_dump(by_alias=True, exclude_none=True)
    try:
        sdk.ActivityTypeAdapter.validate_python(raw)
    except ValidationError as error:
        what = _label(raw)
        problems = error.errors()
        if any(problem["type"] == "union_tag_invalid" for problem in problems):
            logger.info("ignored an activity nudgebot does not handle (%s)", what)
            return {"status": 200}
        fields = sorted(
            {".".join(str(p) for p in problem["loc"][1:]) or "?" for problem in problems}
        )
        logger.warning("refused a malformed activity (%s; %s)", what, ", ".join(fields[:5]))
        return {"status": 400, "body": {"error": "malformed activity"}}
    return None


def _label(raw: dict[str, Any]) -> str:
    """Name an activity for a log line: its type (and invoke name), shortened and one line."""
    parts = [raw.get("type"), raw.get("name")]
    text = "/".join(str(part) for part in parts if isinstance(part, str) and part) or "no type"
    return "".join(char for char in text if char.isprintable())[:60]


async def read_body(receive: Receive) -> bytes | None:
    """Read a request body; None if it grows past :data:`MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def read_activity(receive: Receive) -> dict[str, Any] | tuple[int, str]:
    """Read a request's JSON activity, or say why not: ``(413 or 400, the reason)``."""
    body = await read_body(receive)
    if body is None:
        logger.info("refused a request larger than %d bytes", MAX_BODY)
        return 413, "the request is too large"
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        activity = None
    if not isinstance(activity, dict):
        logger.info("refused a request that is not a JSON activity (%d bytes)", len(body))
        return 400, "the body is not a JSON activity"
    return activity


def request_headers(scope: Scope) -> dict[str, str]:
    """Return a request's headers as the SDK reads them: lower-case names, text values."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers") or []
    }


async def send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a JSON answer (an empty body for None)."""
    data = b"" if body is None else json.dumps(body).encode()
    head = [(b"content-length", str(len(data)).encode()), *(headers or [])]
    if data:
        head.append((b"content-type", b"application/json; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data})
