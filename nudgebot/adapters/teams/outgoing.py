"""Messages to Teams: :class:`~.bot.Reply` to activity, and sending with retries.

:func:`outgoing` builds the message activity (a card attachment with its notification
summary, Teams' AI-generated label, its feedback buttons); :func:`retrying` calls Teams again
after a 429, a 5xx or a dropped connection, honouring ``Retry-After``; :class:`TeamsSendError`
is what a refused proactive message raises.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from nudgebot.adapters.teams import sdk
from nudgebot.adapters.teams.bot import Reply
from nudgebot.adapters.teams.cards import CONTENT_TYPE

__all__ = [
    "MAX_RETRY_WAIT",
    "RETRIES",
    "TeamsSendError",
    "outgoing",
    "retrying",
    "send_error",
    "typing",
]

logger = logging.getLogger("nudgebot.teams")

RETRIES = 2
"""Tries again after a 429, a 5xx or a dropped connection (Retry-After honoured)..."""
MAX_RETRY_WAIT = 5.0
"""...unless Teams asks for a longer wait than this, in seconds."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class TeamsSendError(RuntimeError):
    """Teams refused a message or could not be reached; ``status`` is its HTTP status, if any.

    403 or 404 usually means the bot was removed from the conversation: forget its reference.
    """

    def __init__(self, status: int | None, what: str) -> None:
        super().__init__(f"{what} failed" + (f" with HTTP {status}" if status else ""))
        self.status = status


def outgoing(reply: Reply) -> sdk.MessageActivityInput:
    """Build the message activity for a :class:`~.bot.Reply`."""
    fields: dict[str, Any] = {}
    if reply.text is not None:
        fields.update(text=reply.text, textFormat="markdown")
    attachments: list[dict[str, Any]] = []
    if reply.card is not None:
        attachments.append({"contentType": CONTENT_TYPE, "content": reply.card})
        fallback = reply.card.get("fallbackText")
        if isinstance(fallback, str) and fallback:
            fields["summary"] = fallback  # shown in notifications (an extra field for the SDK)
    if reply.image is not None:  # an inline image: the bytes in the message, nothing hosted
        data = base64.b64encode(reply.image).decode("ascii")
        attachments.append(
            {
                "contentType": "image/png",
                "contentUrl": f"data:image/png;base64,{data}",
                "name": reply.image_name,
            }
        )
    if attachments:
        fields["attachments"] = attachments
    message = sdk.MessageActivityInput.model_validate(fields)
    if reply.ai_generated:
        message.add_ai_generated()
    if reply.feedback_loop:
        message.add_feedback()
    return message


async def typing(ctx: sdk.ActivityContext[Any]) -> None:
    """Show "typing..." while the answer is made; a refusal here is not worth failing over."""
    try:
        await ctx.send(sdk.TypingActivityInput())
    except Exception as error:
        logger.info("could not show the typing indicator (%s)", type(error).__name__)


async def retrying(send: Callable[[], Awaitable[T]], what: str) -> T:
    """Call Teams, trying again after a 429, a 5xx or a dropped connection.

    ``Retry-After`` is honoured; without it the wait doubles from half a second (with
    jitter). A wait longer than :data:`MAX_RETRY_WAIT` is not waited out: the error is raised.
    """
    for attempt in range(RETRIES + 1):
        try:
            return await send()
        except (httpx.HTTPStatusError, httpx.TransportError) as error:
            status = (
                error.response.status_code if isinstance(error, httpx.HTTPStatusError) else None
            )
            if attempt == RETRIES or (status is not None and status not in RETRY_STATUSES):
                raise
            wait = _retry_after(error)
            if wait is None:
                wait = 0.5 * 2**attempt * random.uniform(0.5, 1.0)
            if wait > MAX_RETRY_WAIT:
                raise
            shown = f"HTTP {status}" if status else type(error).__name__
            logger.info("%s: Teams answered %s, trying again in %.1f s", what, shown, wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(error: Exception) -> float | None:
    response = (
        getattr(error, "response", None) if isinstance(error, httpx.HTTPStatusError) else None
    )
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def send_error(error: Exception, what: str) -> TeamsSendError:
    """Log a failed call to Teams (its type and status only) and return the error to raise."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    logger.warning(
        "%s failed (%s%s)", what, type(error).__name__, f", HTTP {status}" if status else ""
    )
    return TeamsSendError(status if isinstance(status, int) else None, what)
