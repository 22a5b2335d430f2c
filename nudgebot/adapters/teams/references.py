"""Conversation references: where the bot can post later (daily tips, messages to an agent).

The app saves a :class:`ConversationRef` when it is installed in a team, a group chat or an
agent's personal scope, and on the first message of a personal chat it has no reference for;
it forgets one when it is removed. :meth:`ConversationRef.to_dict` and
:meth:`ConversationRef.from_dict` give the JSON a database keeps. :class:`ReferenceStore` is
all the app asks of a store; :class:`MemoryReferences` keeps references in memory.

No Teams SDK import here: storage code can use this module on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, Protocol

__all__ = ["KINDS", "ConversationRef", "Kind", "MemoryReferences", "ReferenceStore"]

Kind = Literal["personal", "groupChat", "channel"]
"""Teams' conversation types: a 1:1 chat with the bot, a group chat, a channel of a team."""
KINDS: tuple[Kind, ...] = ("personal", "groupChat", "channel")


@dataclass(frozen=True)
class ConversationRef:
    """Everything needed to post into a Teams conversation later, as plain strings.

    ``conversation_id`` is the conversation itself, never a thread in it (no ``;messageid=``):
    for a team it is a channel (the General channel when the bot was added to the team), and
    a message sent there starts a new post. ``service_url`` is the Bot Connector endpoint
    Teams gave with the conversation; messages to it must go there.
    """

    conversation_id: str
    service_url: str
    kind: Kind
    tenant_id: str | None = None
    bot_id: str | None = None
    bot_name: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    channel_name: str | None = None
    user_id: str | None = None
    """The agent's Teams id (``29:...``), for a personal chat."""
    user_aad_id: str | None = None
    """The agent's Microsoft Entra object id, for a personal chat."""
    user_name: str | None = None
    timezone: str | None = None
    """The IANA time zone Teams reported for the conversation's user, when it did."""

    def __post_init__(self) -> None:
        if not self.conversation_id or not self.service_url:
            raise ValueError("a conversation reference needs a conversation id and a service URL")
        if self.kind not in KINDS:
            raise ValueError(f"unknown conversation kind {self.kind!r}")

    def to_dict(self) -> dict[str, str]:
        """Return the reference as JSON-ready data (fields that are not set are left out)."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConversationRef:
        """Rebuild a reference from :meth:`to_dict` data; unknown keys are ignored.

        Raises:
            ValueError: the data lacks the conversation id or service URL, or has an unknown
                ``kind``.

        """
        known = {f.name for f in fields(cls)}
        values = {key: str(value) for key, value in data.items() if key in known and value}
        try:
            return cls(**values)  # type: ignore[arg-type]  # kind is checked in __post_init__
        except TypeError as error:
            raise ValueError(f"not a conversation reference: {error}") from None

    def updated(self, newer: ConversationRef) -> ConversationRef:
        """Return ``newer``, with what it does not know filled in from this older reference."""
        gaps = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(newer, f.name) is None and getattr(self, f.name) is not None
        }
        return replace(newer, **gaps) if gaps else newer


class ReferenceStore(Protocol):
    """Where the app keeps conversation references (back it with a database)."""

    async def save(self, ref: ConversationRef) -> None:
        """Add or replace the reference for ``ref.conversation_id``."""
        ...

    async def get(self, conversation_id: str) -> ConversationRef | None:
        """Return the reference for a conversation, or None."""
        ...

    async def all(self) -> list[ConversationRef]:
        """Return every reference kept."""
        ...

    async def remove(self, conversation_id: str) -> None:
        """Forget a conversation (the bot was removed from it); unknown ids are ignored."""
        ...


class MemoryReferences:
    """A :class:`ReferenceStore` in memory: for tests and a single process without a database.

    Saving a conversation again keeps what the older reference knew and the newer one does
    not (a time zone seen on a message, say).
    """

    def __init__(self, refs: list[ConversationRef] | None = None) -> None:
        self._refs: dict[str, ConversationRef] = {}
        for ref in refs or []:
            self._refs[ref.conversation_id] = ref

    async def save(self, ref: ConversationRef) -> None:
        """Add or update the reference for ``ref.conversation_id``."""
        older = self._refs.get(ref.conversation_id)
        self._refs[ref.conversation_id] = older.updated(ref) if older else ref

    async def get(self, conversation_id: str) -> ConversationRef | None:
        """Return the reference for a conversation, or None."""
        return self._refs.get(conversation_id)

    async def all(self) -> list[ConversationRef]:
        """Return every reference, oldest first."""
        return list(self._refs.values())

    async def remove(self, conversation_id: str) -> None:
        """Forget a conversation."""
        self._refs.pop(conversation_id, None)

    def __len__(self) -> int:
        return len(self._refs)
