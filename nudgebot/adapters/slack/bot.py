"""What every Slack listener shares: the engine, the state, the people, the background work.

Listeners acknowledge Slack at once and hand the slow part (a review, a model call, Web API
calls) to :meth:`SlackBot.spawn`, which runs it as an asyncio task. A task that fails is
logged (the exception type and traceback, never the message text) and its user gets a short
error message instead of silence.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_bolt.async_app import AsyncBoltContext

from nudgebot.adapters import background
from nudgebot.adapters.background import MAX_PENDING
from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.people import Directory
from nudgebot.adapters.slack.state import SlackState
from nudgebot.coach import Coach, looks_like_question
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.models import Draft, Review
from nudgebot.tips import TipLibrary

__all__ = ["Background", "Notify", "Service", "SlackBot", "home_team", "sentence"]

logger = logging.getLogger("nudgebot.slack")

Notify = Callable[[dict[str, Any]], Awaitable[object]]
"""Sends a message payload (``text`` and ``blocks``) to the user a piece of work is for."""

NO_COACH = (
    "I can't answer questions yet, but I can review a reply: paste your draft here and I'll "
    "suggest a warmer version."
)
FAILED = "Something went wrong on my side, so I couldn't finish that. Please try again."
REMEMBERED_NUDGES = 2_000
"""Live nudges kept in memory so a button press can keep their suggestion."""
BUSY = "I'm very busy right now and couldn't get to that. Please try again in a minute."


class Background(background.Background[dict[str, Any]]):
    """Slack's :class:`~nudgebot.adapters.background.Background`: Block Kit error messages."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        super().__init__(
            platform="slack",
            busy=blocks.error_message(BUSY),
            failed=blocks.error_message(FAILED),
            user_error=lambda text: blocks.error_message(sentence(text)),
            limit=limit,
            logger=logger,
        )


class Service(Protocol):
    """Something that runs beside the app while it serves (the daily tips)."""

    def start(self) -> None:
        """Start running in the background (called in the event loop)."""

    async def stop(self) -> None:
        """Stop, letting a step in progress finish."""


@dataclass
class SlackBot:
    """The pieces the listeners share (built by :func:`nudgebot.adapters.slack.app.build_app`)."""

    settings: Settings
    engine: ReviewEngine
    state: SlackState
    directory: Directory
    coach: Coach | None = None
    tips: TipLibrary | None = None
    tasks: Background = field(default_factory=Background)
    services: list[Service] = field(default_factory=list)
    _nudges: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict, repr=False)

    def remember_nudge(self, ref: str, message: dict[str, Any]) -> None:
        """Keep a posted nudge (the last :data:`REMEMBERED_NUDGES`) so its buttons can keep it.

        A nudge is ephemeral: Slack doesn't send its blocks back with a button press, so the
        updated message (everything but the button row) is rebuilt from here.
        """
        if ref == "-":  # not stored: no id of its own to find it by
            return
        self._nudges[ref] = message
        self._nudges.move_to_end(ref)
        while len(self._nudges) > REMEMBERED_NUDGES:
            self._nudges.popitem(last=False)

    def nudge(self, ref: str) -> dict[str, Any] | None:
        """Return the nudge posted with ``ref`` (None: not remembered, e.g. after a restart)."""
        return self._nudges.get(ref)

    def start(self) -> None:
        """Start the services (see :func:`nudgebot.adapters.slack.server.start`)."""
        for service in self.services:
            service.start()

    async def stop(self) -> None:
        """Stop the services; one failing to stop is logged and the others still stop."""
        for service in self.services:
            try:
                await service.stop()
            except Exception as error:
                logger.error("a service failed to stop (%s)", type(error).__name__)

    def spawn(self, work: Awaitable[object], *, what: str, notify: Notify | None = None) -> None:
        """Run ``work`` after the ack (see :class:`Background`)."""
        self.tasks.spawn(work, what=what, notify=notify)

    async def review(
        self, draft: Draft, *, live: bool = False, quiet: frozenset[str] = frozenset()
    ) -> Review:
        """Review a draft with whichever engine is configured (the model, else the rules).

        ``live``: a reply in a watched channel, nobody asked (a suggestion only with a nudge).
        ``quiet``: rules the team quieted, which don't make the live decision (their findings
        still show and count).
        """
        return await self.engine.review(draft, "auto", live=live, quiet=quiet)

    async def reply(self, text: str, draft: Draft) -> dict[str, Any]:
        """Answer what an agent wrote to the bot: coaching for a question, else a review."""
        if looks_like_question(text):
            return await self.coaching(text)
        review = await self.review(draft)
        return blocks.review_message(review, draft.text)

    async def coaching(self, question: str) -> dict[str, Any]:
        """Answer a question with the coach, or say how to ask when there is none."""
        if self.coach is None:
            return {"text": NO_COACH, "blocks": [_section(NO_COACH)]}
        try:
            answer = await self.coach.answer(question)
        except ValueError as error:  # an empty or overlong question
            return blocks.error_message(sentence(str(error)))
        return blocks.coaching_message(question, answer.text, [tip.text for tip in answer.tips])

    def todays_tip(self, now: float) -> str | None:
        """Return today's tip (the same all day, another the next day), or None."""
        if not self.tips:
            return None
        day = datetime.fromtimestamp(now, UTC).date().toordinal()
        return list(self.tips)[day % len(self.tips)].text


def home_team(context: AsyncBoltContext) -> str | None:
    """Return the app's own workspace (``auth.test``), whichever one an event came from."""
    result = context.authorize_result
    return result.team_id if result is not None else None


def sentence(text: str) -> str:
    """Return ``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "plain_text", "text": text}}
