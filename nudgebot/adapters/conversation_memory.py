"""The recent turns of each conversation, kept in memory as context for the next reply.

Both platforms remember what they see of a conversation (a Slack thread or channel, a Teams
conversation) so a reply is reviewed with the turns before it (:attr:`nudgebot.models.Draft.thread`)
without asking the platform again. Everything is bounded, because a busy workspace never stops
talking:

- each conversation keeps its last :data:`MAX_TURNS` turns, each clipped to
  :data:`TURN_CHARS` characters;
- at most ``conversations`` conversations and ``total_chars`` characters are kept; past
  either, the least recently used conversations are forgotten first;
- a conversation not touched for ``ttl`` seconds is forgotten.

A turn has an *order* key (Slack: the message's ``ts`` as a pair of integers; Teams: its time
in milliseconds): turns are kept sorted by it, the same key twice is one turn (a redelivered
event, or a message both seen live and read back from the platform), and a reply is given the
turns strictly before its own key.

A conversation is *complete* once its start was seen (``starts=True``) or the platform's own
copy was merged in (:meth:`ConversationMemory.merge`); otherwise only some of its turns were
seen (the process started in the middle of it), and the caller may want to ask the platform.
Kept in this process only: nothing here is written anywhere, and it is gone on restart.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nudgebot.models import MAX_TURN_CHARS, Turn
from nudgebot.models import MAX_TURNS as _ENGINE_TURNS

__all__ = [
    "CONVERSATIONS",
    "MAX_TURNS",
    "TOTAL_CHARS",
    "TTL",
    "TURN_CHARS",
    "ConversationMemory",
    "Order",
    "Recalled",
    "clip",
]

Order = tuple[int, int]
"""Where a turn sits in its conversation (compared as a tuple: earlier is smaller)."""

MAX_TURNS = _ENGINE_TURNS
"""Turns kept per conversation, and given to a review at most (as many as the engine reads)."""
TURN_CHARS = MAX_TURN_CHARS
"""Characters kept of one turn (a longer message is cut, with an ellipsis; as the engine)."""
CONVERSATIONS = 5_000
"""Conversations kept at most (the least recently used are forgotten first)."""
TOTAL_CHARS = 4_000_000
"""Characters kept at most over every conversation (about 4-8 MB of text)."""
TTL = 24 * 3600.0
"""Seconds a conversation nobody touched is kept."""


def clip(text: str, limit: int = TURN_CHARS) -> str:
    """Return ``text`` trimmed, and cut to ``limit`` characters (ending with "…") if longer."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Recalled:
    """What is remembered of a conversation before a reply."""

    turns: tuple[Turn, ...]
    """The turns before the reply, oldest first (at most :data:`MAX_TURNS`)."""
    complete: bool
    """Whether the conversation was seen from its start (or read back from the platform)."""

    @property
    def has_customer(self) -> bool:
        """Whether a customer turn is among the turns."""
        return any(turn.role == "customer" for turn in self.turns)


@dataclass
class _Conversation:
    touched: float
    complete: bool = False
    turns: dict[Order, Turn] = field(default_factory=dict)
    chars: int = 0


class ConversationMemory:
    """Recent turns per conversation, bounded (see the module docs); not thread-safe.

    ``clock`` returns seconds (``time.monotonic`` by default); tests pass their own.
    """

    def __init__(
        self,
        *,
        turns: int = MAX_TURNS,
        turn_chars: int = TURN_CHARS,
        conversations: int = CONVERSATIONS,
        total_chars: int = TOTAL_CHARS,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(turns, turn_chars, conversations, total_chars) <= 0 or ttl <= 0:
            raise ValueError("every bound of a ConversationMemory must be greater than 0")
        self.max_turns = turns
        self.turn_chars = turn_chars
        self.max_conversations = conversations
        self.max_chars = total_chars
        self.ttl = ttl
        self._clock = clock
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        """How many conversations are kept."""
        return len(self._conversations)

    @property
    def chars(self) -> int:
        """How many characters of text are kept, over every conversation."""
        return self._chars

    def add(self, key: str, order: Order, turn: Turn, *, starts: bool = False) -> None:
        """Remember one turn of conversation ``key``; ``starts``: it opens the conversation."""
        conversation = self._touch(key)
        if starts:
            conversation.complete = True
        self._put(conversation, order, turn)
        self._trim(key)

    def merge(self, key: str, turns: Iterable[tuple[Order, Turn]]) -> None:
        """Merge the platform's copy of a conversation's turns; it is complete from now on."""
        conversation = self._touch(key)
        conversation.complete = True
        for order, turn in turns:
            self._put(conversation, order, turn)
        self._trim(key)

    def before(self, key: str, order: Order) -> Recalled:
        """Return the remembered turns of ``key`` before ``order`` (none if nothing is known)."""
        conversation = self._conversations.get(key)
        if conversation is None:
            return Recalled((), False)
        now = self._clock()
        if now - conversation.touched > self.ttl:
            self._drop(key)
            return Recalled((), False)
        conversation.touched = now
        self._conversations.move_to_end(key)
        earlier = [conversation.turns[o] for o in sorted(conversation.turns) if o < order]
        return Recalled(tuple(earlier[-self.max_turns :]), conversation.complete)

    def forget(self, key: str) -> None:
        """Forget conversation ``key`` (nothing happens if it is not kept)."""
        self._drop(key)

    # -- bounds ------------------------------------------------------------------------------

    def _touch(self, key: str) -> _Conversation:
        now = self._clock()
        conversation = self._conversations.get(key)
        if conversation is not None and now - conversation.touched > self.ttl:
            self._drop(key)
            conversation = None
        if conversation is None:
            conversation = _Conversation(touched=now)
            self._conversations[key] = conversation
        conversation.touched = now
        self._conversations.move_to_end(key)
        return conversation

    def _put(self, conversation: _Conversation, order: Order, turn: Turn) -> None:
        text = clip(turn.text, self.turn_chars)
        if not text:
            return
        old = conversation.turns.get(order)
        if old is not None:
            self._count(conversation, -len(old.text))
        conversation.turns[order] = Turn(turn.role, text)
        self._count(conversation, len(text))
        while len(conversation.turns) > self.max_turns:
            oldest = min(conversation.turns)
            self._count(conversation, -len(conversation.turns.pop(oldest).text))

    def _count(self, conversation: _Conversation, chars: int) -> None:
        conversation.chars += chars
        self._chars += chars

    def _trim(self, keep: str) -> None:
        """Forget expired conversations, then the least recently used past the bounds."""
        now = self._clock()
        while self._conversations:
            key, oldest = next(iter(self._conversations.items()))
            over = len(self._conversations) > self.max_conversations or self._chars > self.max_chars
            if key == keep or not (over or now - oldest.touched > self.ttl):
                break
            self._drop(key)

    def _drop(self, key: str) -> None:
        conversation = self._conversations.pop(key, None)
        if conversation is not None:
            self._chars -= conversation.chars
