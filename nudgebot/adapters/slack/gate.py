"""The signature check on Slack's requests, on the raw bytes, before anything reads them.

:class:`SlackGate` stands in front of Bolt's ASGI handler at ``/slack/events``. It takes the
body the router read (bounded: see :mod:`nudgebot.adapters.http_limits`) and checks Slack's
signature (HMAC-SHA256 of ``v0:<timestamp>:<body>`` with the signing secret, the timestamp
within 5 minutes) before any of it is decoded or parsed: an unsigned request, however
malformed (not JSON, not UTF-8, nested ten thousand deep), gets 401 and one log line naming
what was wrong with the signature, never the body. Bolt, behind it, checks again; its own log
line for a failed check (which holds the body) is filtered out
(:func:`~nudgebot.adapters.slack.app.quiet_request_verification`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nudgebot.adapters.http_limits import Refusal, read_body, replay

__all__ = ["MAX_SKEW_SECONDS", "SlackGate", "signature_problem"]

logger = logging.getLogger("nudgebot.slack")

MAX_SKEW_SECONDS = 300
"""How far a request's timestamp may be from now (Slack's own rule: 5 minutes)."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def signature_problem(
    secret: str, body: bytes, timestamp: bytes | None, signature: bytes | None, now: float
) -> str | None:
    """Check Slack's signature on ``body``: None when it holds, else what is wrong (no body)."""
    if not timestamp or not signature:
        return "it is not signed"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "its timestamp is not a number"
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return "its timestamp is more than 5 minutes from now"
    base = b"v0:" + timestamp + b":" + body
    expected = b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature.strip()):
        return "its signature does not match"
    return None


class SlackGate:
    """An ASGI app passing to ``app`` only the requests Slack signed (see the module docs)."""

    def __init__(
        self, app: ASGIApp, signing_secret: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.secret = signing_secret
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a request's signature; pass it on with its body, or answer 401."""
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body = await read_body(scope, receive)
        if isinstance(body, Refusal):
            await _answer(send, body.status, body.reason)
            return
        headers = dict(scope.get("headers", ()))
        problem = signature_problem(
            self.secret,
            body,
            headers.get(b"x-slack-request-timestamp"),
            headers.get(b"x-slack-signature"),
            self.clock(),
        )
        if problem is not None:
            logger.info("refused a request to /slack/events (401): %s", problem)
            await _answer(send, 401, "The request is not signed by Slack.")
            return
        await self.app(scope, replay(body, receive), send)


async def _answer(send: Send, status: int, sentence: str) -> None:
    body = sentence.encode()
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
