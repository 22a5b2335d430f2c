"""Bounds on what one HTTP request may cost: its size, how long it takes to arrive, how many.

Every platform's payload is small (a Slack event, a Teams activity: kilobytes), so a request
body is read with :func:`read_body`, which refuses a body past :data:`MAX_BODY` with 413 from
its ``Content-Length`` before reading any of it, counts while it streams in (chunked, or a
``Content-Length`` that lies) and stops reading at the limit, and gives up with 408 on a body
that takes more than :data:`BODY_SECONDS` to arrive. At most :data:`MAX_BODY` bytes of a
request are ever held.

uvicorn gets the rest (see :func:`server_limits`): a connection whose request headers take
more than :data:`HEADER_SECONDS` is closed (:class:`HeaderDeadline`: uvicorn itself has no
such timeout, so slow-header connections would pile up), idle keep-alive connections close
after :data:`KEEP_ALIVE_SECONDS`, and past :data:`MAX_CONNECTIONS` connections or requests at
once, new requests get 503 at once instead of queuing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BODY_SECONDS",
    "HEADER_SECONDS",
    "KEEP_ALIVE_SECONDS",
    "MAX_BODY",
    "MAX_CONNECTIONS",
    "HeaderDeadline",
    "Refusal",
    "read_body",
    "replay",
    "server_limits",
]

MAX_BODY = 1_048_576
"""Bytes a request body may hold (1 MiB; Slack's payloads are a few kilobytes)."""
BODY_SECONDS = 10.0
"""Seconds a request body may take to arrive, once its headers have."""
HEADER_SECONDS = 5.0
"""Seconds a request's headers may take to arrive, from the connection or its first byte."""
KEEP_ALIVE_SECONDS = 5
"""Seconds an idle keep-alive connection is kept open."""
MAX_CONNECTIONS = 1000
"""Connections (or requests in progress) at once; past it, new requests get 503."""
MAX_HEADER_BYTES = 16_384
"""The most bytes of request line and headers h11 buffers (httptools has its own limit)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


@dataclass(frozen=True)
class Refusal:
    """A request refused before its body was read whole: the status and a sentence."""

    status: int
    reason: str


TOO_LARGE = Refusal(413, f"The request is larger than {MAX_BODY} bytes.")
TOO_SLOW = Refusal(408, f"The request took longer than {BODY_SECONDS:g} seconds to arrive.")
BAD_LENGTH = Refusal(400, "The request's Content-Length is not a number.")


async def read_body(
    scope: Scope, receive: Receive, *, limit: int = MAX_BODY, seconds: float = BODY_SECONDS
) -> bytes | Refusal:
    """Read an HTTP request's body, up to ``limit`` bytes within ``seconds``; or refuse it."""
    length = _content_length(scope)
    if length is None:
        return BAD_LENGTH
    if length > limit:
        return TOO_LARGE  # nothing read
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return TOO_LARGE  # stop reading here
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        return TOO_SLOW
    return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    """Return the ``Content-Length`` header's value (0 if absent); None if not a number."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = bytes(value).strip()
            if not text.isdigit():
                return None
            return int(text)
    return 0


def replay(body: bytes, receive: Receive) -> Receive:
    """Return a ``receive`` giving ``body`` whole, then what ``receive`` gives (disconnect)."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


try:  # uvicorn[standard] brings httptools; without it uvicorn uses h11 and no deadline here
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover
    _Base = None  # type: ignore[assignment,misc]


if _Base is not None:

    class HeaderDeadline(_Base):
        """uvicorn's httptools protocol, closing a connection whose headers are too slow.

        The deadline (:data:`HEADER_SECONDS`) starts when the connection opens and again at
        each new request's first byte, and ends when its headers are complete.
        """

        header_seconds = HEADER_SECONDS
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            """Start the deadline for the first request's headers."""
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            """Start the deadline for this request's headers."""
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            """End the deadline: the headers are in."""
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            """Forget the deadline with the connection."""
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(self.header_seconds, self._too_slow)

        def _disarm(self) -> None:
            timer = self._header_timer
            if timer is not None:
                timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

else:  # pragma: no cover
    HeaderDeadline = None  # type: ignore[assignment,misc]


def server_limits() -> dict[str, Any]:
    """Return the ``uvicorn.Config`` keyword arguments for the limits above."""
    limits: dict[str, Any] = {
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
    if HeaderDeadline is not None:
        limits["http"] = HeaderDeadline
    return limits
