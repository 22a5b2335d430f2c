"""What the Teams app keeps in the database: references, reviewed replies, feedback.

The Teams app (:func:`~nudgebot.adapters.teams.app.build_teams`) takes plain hooks; this
module backs them with the :class:`~nudgebot.storage.Store` every instance shares:

- :class:`StoredReferences` is a :class:`~.references.ReferenceStore` in the ``conversations``
  table, so the instance posting a daily tip need not be the one Teams told of the install.
- :meth:`TeamsMemory.record_review` stores a review of an agent's reply in a channel (the bot
  @mentioned on it) like Slack's live reviews, for the leads' reports and the tips' weak spots;
  drafts sent to the bot in its 1:1 chat or with an @mention are practice and are not stored
  (their cards get a ref the app makes).
- :meth:`TeamsMemory.feedback` stores Helpful / Not helpful on a stored review (then lets the
  team's feedback quiet a rule); Use suggestion marks the nudge acted on; other kinds (Dismiss,
  Teams' thumbs and their comments) are logged as counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from nudgebot.adapters.teams.hooks import Feedback, ReviewedDraft
from nudgebot.adapters.teams.references import ConversationRef
from nudgebot.storage import Store
from nudgebot.storage.conversations import Conversations

if TYPE_CHECKING:
    from nudgebot.adapters.teams.team_learning import TeamsLearning

__all__ = ["PLATFORM", "StoredReferences", "TeamsMemory"]

logger = logging.getLogger("nudgebot.teams")

PLATFORM = "teams"
OpenStore = Callable[[], Awaitable[Store]]


class StoredReferences:
    """Conversation references in the database (a :class:`~.references.ReferenceStore`).

    Saving a conversation again keeps what the older reference knew and the newer one does
    not (a time zone seen on a message, say).
    """

    def __init__(self, open_store: OpenStore) -> None:
        self.open_store = open_store

    async def _table(self) -> Conversations:
        return Conversations(await self.open_store(), PLATFORM)

    async def save(self, ref: ConversationRef) -> None:
        """Add or update the reference for ``ref.conversation_id``."""
        older = await self.get(ref.conversation_id)
        merged = older.updated(ref) if older is not None else ref
        await (await self._table()).save(merged.conversation_id, merged.to_dict())

    async def get(self, conversation_id: str) -> ConversationRef | None:
        """Return the reference for a conversation, or None (also for an unreadable one)."""
        data = await (await self._table()).get(conversation_id)
        return None if data is None else _ref(data)

    async def all(self) -> list[ConversationRef]:
        """Return every reference kept (unreadable ones are skipped and logged)."""
        found = [_ref(data) for data in await (await self._table()).all()]
        return [ref for ref in found if ref is not None]

    async def remove(self, conversation_id: str) -> None:
        """Forget a conversation."""
        await (await self._table()).remove(conversation_id)


def _ref(data: dict[str, object]) -> ConversationRef | None:
    try:
        return ConversationRef.from_dict(data)
    except ValueError:
        logger.warning("skipped a stored Teams conversation reference that could not be read")
        return None


class TeamsMemory:
    """The Teams app's ``record_review`` and ``feedback`` hooks, on the database.

    With ``learning``, a vote also lets the team's feedback quiet a rule (or bring one back),
    and "Use suggestion" counts the nudge as acted on.
    """

    def __init__(self, open_store: OpenStore, learning: TeamsLearning | None = None) -> None:
        self.open_store = open_store
        self.learning = learning

    async def record_review(self, item: ReviewedDraft) -> str | None:
        """Store a judged review of an agent's reply in a channel; return its id as the ref.

        Its conversation (``thread_key``) goes with it, for the customer's next message.
        """
        if item.surface not in ("reply", "live") or not item.review.judged:
            return None
        conversation = item.conversation
        store = await self.open_store()
        review_id = await store.add_review(
            item.review,
            platform=PLATFORM,
            team=conversation.tenant_id,
            channel=conversation.conversation_id,
            user=item.draft.author or item.user_aad_id or item.user_id,
            text=item.draft.text,
            customer=item.draft.customer,
            nudged=item.review.needs_nudge,  # the card with the suggestion was posted
            message_ts=item.draft.id,
            thread_key=item.thread_key,
        )
        return str(review_id)

    async def feedback(self, item: Feedback) -> None:
        """Store Helpful / Not helpful on the stored review ``item.ref``.

        With ``learning``, the vote may quiet a rule, and "Use suggestion" marks the nudge acted on.
        """
        if item.kind == "used" and self.learning is not None and item.ref.isdigit():
            await self.learning.used(int(item.ref))
            return
        if item.kind not in ("helpful", "not_helpful") or not item.ref.isdigit():
            logger.info("Teams feedback: %s (not stored)", item.kind)
            return
        store = await self.open_store()
        user = item.user_aad_id or item.user_id
        if not await store.add_feedback(int(item.ref), user, item.kind == "helpful"):
            logger.info("Teams feedback on an unknown review, or given twice: not stored")
            return
        if self.learning is not None:
            await self.learning.voted(int(item.ref))
