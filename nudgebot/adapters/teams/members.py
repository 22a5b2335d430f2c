"""Agents' display names for the leads' review, from the members of Teams conversations.

Stored reviews name an agent by Microsoft Entra object id; a lead wants a name. Teams tells a
bot who is in a conversation, a page at a time (``GET /v3/conversations/{id}/pagedMembers``
through the Teams SDK: :meth:`~.app.TeamsApp.members`), so at report time
:class:`MemberNames` asks the conversations the bot was added to in the lead's tenant (one per
team: a channel's members are the team's), page by page until every agent of the report is
named. What it read is kept for :data:`MEMBERS_TTL` seconds, and a later report that wants
someone not read yet goes on from the page where the last one stopped. The bot's 1:1 chats
are asked nothing: their stored references already carry the agent's name, used for anyone
the teams did not name. No database column is needed, and a renamed agent shows under the
new name within minutes.

A conversation that cannot be asked (the bot was removed, Teams is down) is skipped, logged by
error type only, and not asked again for :data:`FAILURE_TTL` seconds; names not found are left
to the caller (the card says "agent 1").

No Teams SDK import here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from nudgebot.adapters.teams.references import ConversationRef, ReferenceStore

__all__ = [
    "FAILURE_TTL",
    "MAX_CONVERSATIONS",
    "MAX_PAGES",
    "MEMBERS_TTL",
    "NAMES_TIMEOUT",
    "Member",
    "MemberNames",
    "MembersOf",
    "MembersPage",
]

logger = logging.getLogger("nudgebot.teams")

MEMBERS_TTL = 600.0
"""How long what was read of a conversation's members is kept, in seconds."""
FAILURE_TTL = 60.0
"""How long a conversation that could not be asked is left alone, in seconds."""
MAX_CONVERSATIONS = 10
"""At most this many conversations are asked for one report."""
MAX_PAGES = 20
"""At most this many pages are read of one conversation (500 members each)."""
NAMES_TIMEOUT = 8.0
"""A report waits at most this long for names, in seconds (then shows what it has)."""


@dataclass(frozen=True)
class Member:
    """A member of a Teams conversation: Teams id (``29:...``), Entra object id, name."""

    id: str
    aad_object_id: str | None
    name: str | None


@dataclass(frozen=True)
class MembersPage:
    """One page of a conversation's members; ``continuation`` asks for the next (None: last)."""

    members: list[Member]
    continuation: str | None = None


MembersOf = Callable[[ConversationRef, str | None], Awaitable[MembersPage]]
"""Returns a page of a conversation's members, from a continuation token (None: the first);
raises when it can't (:meth:`~.app.TeamsApp.members`)."""


@dataclass
class _Read:
    """What was read of one conversation's members, until when it is kept."""

    until: float
    members: list[Member] = field(default_factory=list)
    pages: int = 0
    continuation: str | None = None
    done: bool = False


class MemberNames:
    """Display names by Entra object id (and Teams id), from conversations' members, cached.

    ``members_of`` asks Teams for a page (the app's :meth:`~.app.TeamsApp.members`);
    ``references`` are the conversations the bot knows; ``clock`` (monotonic seconds) is
    injectable for tests.
    """

    def __init__(
        self,
        members_of: MembersOf,
        references: ReferenceStore,
        *,
        ttl: float = MEMBERS_TTL,
        failure_ttl: float = FAILURE_TTL,
        max_conversations: int = MAX_CONVERSATIONS,
        max_pages: int = MAX_PAGES,
        timeout: float = NAMES_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.members_of = members_of
        self.references = references
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.max_conversations = max_conversations
        self.max_pages = max_pages
        self.timeout = timeout
        self.clock = clock
        self._read: dict[str, _Read] = {}

    async def names(self, wanted: Collection[str], *, tenant_id: str | None) -> dict[str, str]:
        """Return ``{id: display name}`` for the ids in ``wanted`` that could be named.

        ``wanted`` holds Entra object ids (any case) or Teams ids; only the conversations of
        ``tenant_id`` are asked (all, when it is None). Teams' members come first, then the
        names kept with the bot's 1:1 chats. Never raises for Teams' sake.
        """
        index = {ident.lower(): ident for ident in wanted}
        found: dict[str, str] = {}
        if not index:
            return found
        refs = [
            ref
            for ref in await self.references.all()
            if tenant_id is None or ref.tenant_id in (None, tenant_id)
        ]
        try:
            async with asyncio.timeout(self.timeout):
                for ref in self._shared(refs):
                    if len(found) == len(index):
                        break
                    await self._read_until_named(ref, index, found)
        except TimeoutError:
            logger.warning("Teams took too long to list members: some agents are not named")
        for ref in refs:
            if ref.kind == "personal":
                _add(found, index, ref.user_aad_id, ref.user_name)
                _add(found, index, ref.user_id, ref.user_name)
        return found

    def _shared(self, refs: list[ConversationRef]) -> list[ConversationRef]:
        """Return the conversations to ask: one per team, then group chats, capped."""
        chosen: list[ConversationRef] = []
        seen: set[str] = set()
        for ref in sorted(refs, key=lambda r: r.kind != "channel"):  # teams first
            if ref.kind == "personal":
                continue
            key = ref.team_id or ref.conversation_id
            if key in seen:
                continue
            seen.add(key)
            chosen.append(ref)
        return chosen[: self.max_conversations]

    async def _read_until_named(
        self, ref: ConversationRef, index: dict[str, str], found: dict[str, str]
    ) -> None:
        """Name whom this conversation names: from what was read, then from further pages."""
        now = self.clock()
        read = self._read.get(ref.conversation_id)
        if read is None or read.until <= now:
            read = self._read[ref.conversation_id] = _Read(until=now + self.ttl)
        for member in read.members:
            _name(found, index, member)
        while len(found) < len(index) and not read.done and read.pages < self.max_pages:
            try:
                page = await self.members_of(ref, read.continuation)
            except Exception as error:  # Teams refused or is unreachable: name fewer agents
                logger.warning(
                    "could not list a Teams conversation's members (%s)", type(error).__name__
                )
                read.until = min(read.until, now + self.failure_ttl)  # then read it afresh
                read.done = True
                return
            read.pages += 1
            read.members += page.members
            read.continuation = page.continuation
            read.done = page.continuation is None
            for member in page.members:
                _name(found, index, member)


def _name(found: dict[str, str], index: dict[str, str], member: Member) -> None:
    _add(found, index, member.aad_object_id, member.name)
    _add(found, index, member.id, member.name)


def _add(found: dict[str, str], index: dict[str, str], ident: str | None, name: str | None) -> None:
    """Name ``ident`` (if wanted and not yet named) as ``name`` (if it says something)."""
    key = index.get(ident.lower()) if ident else None
    if key is not None and key not in found and name and name.strip():
        found[key] = name.strip()
