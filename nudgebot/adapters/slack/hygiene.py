r"""Text from Slack made safe to keep: no half characters anywhere in a request's payload.

Slack's JSON may carry a lone surrogate escape (``\ud800``); decoded, it is half a character
that no database or HTTP client can encode, and the review of that message used to crash when
it was stored. :class:`WholeCharacters` mends every string of a payload before any listener
sees it (see :func:`nudgebot.engine.normalize.without_surrogates`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from nudgebot.engine.normalize import without_surrogates

__all__ = ["WholeCharacters", "mend"]

_DEEPEST = 64  # Slack's payloads are shallow; deeper data is left as it is


def mend(value: Any, depth: int = 0) -> Any:
    """Return ``value`` (JSON-like data) with every string's lone surrogates replaced."""
    if isinstance(value, str):
        return without_surrogates(value)
    if depth >= _DEEPEST:
        return value
    if isinstance(value, dict):
        return {mend(key, depth + 1): mend(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [mend(item, depth + 1) for item in value]
    return value


class WholeCharacters(AsyncMiddleware):
    """Mend the payload's strings (see :func:`mend`) before any listener runs."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Replace the request's body by its mended copy when it holds a surrogate."""
        if _has_surrogate(req.body):
            req.body = mend(req.body)
        return await next()


def _has_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return without_surrogates(value) is not value
    if depth >= _DEEPEST:
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return any(_has_surrogate(item, depth + 1) for item in value)
    return False
