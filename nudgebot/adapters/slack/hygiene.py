r"""Text from Slack made safe to keep: no half characters anywhere in a request's payload.

Slack's JSON may carry a lone surrogate escape (``\ud800``); decoded, it is half a character
that no database or HTTP client can encode, and the review of that message used to crash when
it was stored. :class:`WholeCharacters` mends every string of a payload before any listener
sees it (see :func:`nudgebot.engine.normalize.mend`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from nudgebot.engine.normalize import mend

__all__ = ["WholeCharacters"]


class WholeCharacters(AsyncMiddleware):
    """Mend the payload's strings (see :func:`~nudgebot.engine.normalize.mend`) first."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Replace the request's body by its mended copy (the same object when it is whole)."""
        req.body = mend(req.body)
        return await next()
