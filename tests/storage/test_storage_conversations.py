"""Conversation references in the database, shared by every instance (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from nudgebot.storage import Store
from nudgebot.storage.conversations import Conversations
from tests.storage.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_references_are_saved_replaced_listed_and_removed(
    store: Store, clock: FakeClock
) -> None:
    teams = Conversations(store, "teams")
    other = Conversations(store, "elsewhere")
    first = {"conversation_id": "19:a@thread.tacv2", "service_url": "https://smba.test/"}
    await teams.save("19:a@thread.tacv2", first)
    clock.advance(minutes=1)
    await teams.save("a:1", {"conversation_id": "a:1", "kind": "personal", "tz": "Europe/Paris"})
    assert await teams.get("19:a@thread.tacv2") == first
    assert await other.get("19:a@thread.tacv2") is None  # another platform's
    assert [ref["conversation_id"] for ref in await teams.all()] == ["19:a@thread.tacv2", "a:1"]
    clock.advance(minutes=1)
    changed = {**first, "team_name": "Support — Ünïcode ✓"}
    await teams.save("19:a@thread.tacv2", changed)
    assert await teams.get("19:a@thread.tacv2") == changed
    assert await other.all() == []
    assert await teams.remove("a:1") and not await teams.remove("a:1")
    assert [ref["conversation_id"] for ref in await teams.all()] == ["19:a@thread.tacv2"]


async def test_references_outlive_the_store_that_saved_them(db_url: str) -> None:
    async with await Store.open(db_url) as store:
        await Conversations(store, "teams").save("c1", {"conversation_id": "c1"})
    async with await Store.open(db_url) as store:  # a restart, or another instance
        assert await Conversations(store, "teams").get("c1") == {"conversation_id": "c1"}
