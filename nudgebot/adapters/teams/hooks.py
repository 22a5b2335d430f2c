"""What the Teams app hands to the rest of nudgebot: commands, feedback and reviews.

:func:`~nudgebot.adapters.teams.app.build_teams` takes these as plain async callables, so the
leads' review, the tips and storage plug in without the app knowing them:

- ``on_review(call)`` and ``on_tips(call)`` answer the ``review`` and ``tips`` bot commands
  with a :class:`CommandCall`; they return Teams markdown text or an Adaptive Card (a ``dict``).
  The defaults say politely that the command is not set up yet.
- ``feedback(item)`` records a :class:`Feedback` (the card's buttons, Teams' own thumbs);
  the default, :class:`MemoryFeedback`, keeps them in memory.
- ``on_rules(call)`` answers the ``rules`` command (the team's rules, their figures and state).
- ``record_review(item)`` stores a :class:`ReviewedDraft` and returns its id, which becomes
  the card's ``ref`` (and so the ``ref`` of its feedback); the default keeps nothing.

No Teams SDK import here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from nudgebot.adapters.teams.references import ConversationRef
from nudgebot.models import Draft, Review

__all__ = [
    "NOT_SET_UP",
    "CommandAnswer",
    "CommandCall",
    "CommandHook",
    "Feedback",
    "FeedbackHook",
    "FeedbackKind",
    "ImageAnswer",
    "MemoryFeedback",
    "ReviewRecorder",
    "ReviewedDraft",
    "Surface",
    "not_set_up",
    "record_nothing",
]

NOT_SET_UP = "That command isn't set up yet. For now, send me a draft and I'll review it."


@dataclass(frozen=True)
class ImageAnswer:
    """A command's answer in Teams markdown ``text`` with a PNG shown under it (a chart).

    With ``card``, the Adaptive Card is sent instead of the text, and the image follows in a
    message of its own (Teams caps a message at about 28 KB: keep the PNG well under 20 KB).
    """

    text: str
    image: bytes
    name: str
    """The image's title, shown by Teams (``Team score by day (last 7 days)``)."""
    card: dict[str, Any] | None = None


CommandAnswer = str | dict[str, Any] | ImageAnswer
"""A command's answer: Teams markdown text, an Adaptive Card, or text (or a card) with an
image."""

Surface = Literal["personal", "mention", "reply", "live"]
"""How a review was asked for: in the bot's 1:1 chat, by @mention with the draft, or by
@mention on a reply in a thread (the quoted reply is reviewed); ``live``: not asked, an
agent's message in a conversation the bot reads (see ``TeamsBot.agents``)."""

FeedbackKind = Literal["helpful", "not_helpful", "used", "dismissed", "like", "dislike"]
"""The card's buttons (Helpful, Not helpful, Use suggestion, Dismiss), then Teams' own
thumbs up and down under a message."""


@dataclass(frozen=True)
class CommandCall:
    """A bot command (``review`` or ``tips``) and who sent it from where."""

    command: str
    text: str
    """What followed the command word ("" when nothing did)."""
    user_id: str
    """The sender's Teams id (``29:...``)."""
    user_aad_id: str | None
    """The sender's Microsoft Entra object id, the stable id to check a lead against."""
    user_name: str | None
    conversation: ConversationRef
    """Where the command was sent (a channel, a group chat or the bot's 1:1 chat)."""


CommandHook = Callable[[CommandCall], Awaitable[CommandAnswer]]


async def not_set_up(call: CommandCall) -> CommandAnswer:
    """Answer a command nothing is wired to yet."""
    return NOT_SET_UP


@dataclass(frozen=True)
class Feedback:
    """An agent's verdict on something the bot sent.

    ``ref`` is the review's ref (from ``record_review``, else one the app made) for the card's
    buttons, or the id of the bot's message for Teams' own thumbs. ``comment`` is what the
    agent typed in Teams' feedback form: their words, so store it with care and never log it.
    """

    ref: str
    kind: FeedbackKind
    user_id: str
    user_aad_id: str | None
    conversation_id: str
    comment: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


FeedbackHook = Callable[[Feedback], Awaitable[None]]


class MemoryFeedback:
    """The default feedback recorder: keeps every :class:`Feedback` in :attr:`records`."""

    def __init__(self) -> None:
        self.records: list[Feedback] = []

    async def __call__(self, item: Feedback) -> None:
        """Record one piece of feedback."""
        self.records.append(item)


@dataclass(frozen=True)
class ReviewedDraft:
    """A draft the Teams app reviewed, and where and for whom (to store for the reports)."""

    draft: Draft
    review: Review
    surface: Surface
    user_id: str
    """Who asked for the review (Teams id)."""
    user_aad_id: str | None
    conversation: ConversationRef
    thread_key: str | None = None
    """The conversation the reply is part of (a channel thread's full id, with its
    ``;messageid=``), for the customer's next message there."""


ReviewRecorder = Callable[[ReviewedDraft], Awaitable[str | None]]
"""Stores a reviewed draft; returns its id (the card's ``ref``), or None to let the app make one."""


async def record_nothing(item: ReviewedDraft) -> str | None:
    """Store nothing (the default recorder)."""
    return None
