"""Conversation references in the database: where the bot can post later, on any instance.

A platform adapter hands over a reference as a JSON-ready ``dict`` (Teams:
:meth:`~nudgebot.adapters.teams.references.ConversationRef.to_dict`); it is kept by
conversation id, replaced when saved again, and read back by any instance sharing the
database (the one posting a daily tip may not be the one that was installed).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from nudgebot.storage.schema import conversations
from nudgebot.storage.store import Store

__all__ = ["Conversations"]


class Conversations:
    """The conversation references of one ``platform`` in ``store``."""

    def __init__(self, store: Store, platform: str) -> None:
        self.store = store
        self.platform = platform

    async def save(self, conversation_id: str, reference: dict[str, Any]) -> None:
        """Add or replace the reference of ``conversation_id``."""
        values = {
            "conversation_id": conversation_id,
            "platform": self.platform,
            "reference": json.dumps(reference, sort_keys=True),
            "at": self.store.now(),
        }
        statement = self.store._insert(conversations).values(values)
        changes = {"reference": values["reference"], "at": values["at"]}
        await self.store._count(
            statement.on_conflict_do_update(index_elements=["conversation_id"], set_=changes)
        )

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        """Return the reference of ``conversation_id`` (None if there is none)."""
        query = select(conversations.c.reference).where(
            conversations.c.conversation_id == conversation_id,
            conversations.c.platform == self.platform,
        )
        async with self.store._begin(write=False) as connection:
            found = (await connection.execute(query)).scalar_one_or_none()
        return None if found is None else _load(found)

    async def all(self) -> list[dict[str, Any]]:
        """Return every reference of the platform, oldest first."""
        query = (
            select(conversations.c.reference)
            .where(conversations.c.platform == self.platform)
            .order_by(conversations.c.at, conversations.c.conversation_id)
        )
        async with self.store._begin(write=False) as connection:
            rows = (await connection.execute(query)).scalars().all()
        return [_load(row) for row in rows]

    async def remove(self, conversation_id: str) -> bool:
        """Forget ``conversation_id``; False if it was not kept."""
        statement = delete(conversations).where(
            conversations.c.conversation_id == conversation_id,
            conversations.c.platform == self.platform,
        )
        return await self.store._count(statement) > 0


def _load(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return data if isinstance(data, dict) else {}
