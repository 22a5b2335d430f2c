"""Who is who in Slack: agents, leads and customers, and the conversation before a reply.

Agents are the user ids and user groups (``S...``) of ``NUDGEBOT_AGENTS``; when that is unset,
every member of the app's home workspace is an agent and people from other workspaces (Slack
Connect) are customers. Leads are the user ids and groups of ``NUDGEBOT_LEADS``. Group members
come from ``usergroups.users.list`` and are cached for a few minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.conversation_memory import Order
from nudgebot.adapters.slack.convert import author_team, is_human, slack_error, turns_before
from nudgebot.models import Turn

__all__ = ["Access", "Directory"]

logger = logging.getLogger(__name__)

GROUP_TTL = 300.0
FAILURE_TTL = 30.0
CACHE_SIZE = 10_000
HISTORY_LIMIT = 10
REPLIES_LIMIT = 200
MEMBER_PAGES = 20
"""Pages of 1,000 members read at most to find a lead in a private channel."""

Access = Literal["yes", "no", "unknown", "no-permission"]


def _split(ids: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Split configured ids into user ids and user-group ids (``S...``)."""
    users = frozenset(i for i in ids if not i.startswith("S"))
    groups = tuple(dict.fromkeys(i for i in ids if i.startswith("S")))
    return users, groups


class Directory:
    """Answers "is this person an agent / a lead?" from the settings and Slack's user groups.

    Lookups are cached for ``ttl`` seconds (``clock`` is ``time.monotonic`` by default); a
    lookup Slack refuses (a missing scope, an unknown group) counts as "no members" and is
    logged, so a misconfiguration never stops the app.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        agents: Iterable[str] = (),
        leads: Iterable[str] = (),
        ttl: float = GROUP_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._agent_ids = tuple(agents)
        self._agents, self._agent_groups = _split(self._agent_ids)
        self._leads, self._lead_groups = _split(leads)
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, asyncio.Future[Any]]] = {}

    async def is_agent(self, user: str, team: str | None, home_team: str | None) -> bool:
        """Whether ``user`` (writing from workspace ``team``) is a support agent."""
        if self._agent_ids:
            return user in self._agents or await self._in_groups(user, self._agent_groups)
        if team is None:
            team = await self._team_of(user)
        return team is not None and team == home_team

    async def is_lead(self, user: str) -> bool:
        """Whether ``user`` is a team lead (may watch and unwatch channels)."""
        return user in self._leads or await self._in_groups(user, self._lead_groups)

    async def conversation_before(
        self, channel: str, ts: str, thread_ts: str | None, home_team: str | None
    ) -> list[tuple[Order, Turn]] | None:
        """Read the conversation before ``ts`` from Slack: its last turns, oldest first.

        One Web API call: in a thread, the thread's messages (``conversations.replies``, up
        to :data:`REPLIES_LIMIT`); for a top-level message, the :data:`HISTORY_LIMIT` messages
        before it (``conversations.history``). Each person is an agent or a customer as
        :meth:`is_agent` says; bots are left out. None when Slack refuses or cannot be
        reached (logged without any message text): the caller keeps what it knows.
        """
        try:
            if thread_ts and thread_ts != ts:
                answer = await self.client.conversations_replies(
                    channel=channel, ts=thread_ts, latest=ts, inclusive=False, limit=REPLIES_LIMIT
                )
            else:
                answer = await self.client.conversations_history(
                    channel=channel, latest=ts, inclusive=False, limit=HISTORY_LIMIT
                )
        except SlackApiError as error:
            logger.warning("could not read the conversation for context: %s", slack_error(error))
            return None
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("could not read the conversation for context (%s)", type(error).__name__)
            return None
        messages = list(answer.get("messages") or ())
        people = {str(m["user"]): author_team(m) for m in messages if is_human(m)}
        agents = {
            user for user, team in people.items() if await self.is_agent(user, team, home_team)
        }
        return turns_before(messages, ts, agents)

    # -- lookups -----------------------------------------------------------------------------

    async def _in_groups(self, user: str, groups: Iterable[str]) -> bool:
        for group in groups:
            if user in await self._members(group):
                return True
        return False

    async def _members(self, group: str) -> frozenset[str]:
        async def fetch() -> frozenset[str]:
            answer = await self.client.usergroups_users_list(usergroup=group)
            return frozenset(answer.get("users") or ())

        members: frozenset[str] = await self._cached(f"group:{group}", fetch, frozenset())
        return members

    async def timezone(self, user: str) -> str | None:
        """Return ``user``'s Slack time zone (an IANA name such as ``Europe/London``), if known."""
        zone = (await self._user(user)).get("tz")
        return str(zone) if zone else None

    async def group_members(self, group: str) -> frozenset[str]:
        """Return the members of a user group (none if Slack refuses to say)."""
        return await self._members(group)

    async def can_see(self, user: str, channel: str) -> Access:
        """Whether ``user`` may read ``channel``, as far as the bot can tell.

        ``"yes"`` for a public channel of the workspace or one ``user`` is a member of;
        ``"no"`` for a private channel, group DM or DM ``user`` is not in; ``"unknown"`` when
        the bot cannot see the channel itself (not invited, deleted, another workspace);
        ``"no-permission"`` when the app lacks the scope to look (``channels:read`` ...).
        """
        try:
            info = (await self.client.conversations_info(channel=channel)).get("channel") or {}
        except SlackApiError as error:
            logger.info("could not look up a channel: %s", slack_error(error))
            return "no-permission" if slack_error(error) == "missing_scope" else "unknown"
        private = bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim"))
        if not private:
            return "yes"
        cursor = None
        try:
            for _ in range(MEMBER_PAGES):
                answer = await self.client.conversations_members(
                    channel=channel, cursor=cursor, limit=1000
                )
                if user in (answer.get("members") or ()):
                    return "yes"
                cursor = (answer.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as error:
            logger.info("could not list a channel's members: %s", slack_error(error))
            return "no-permission" if slack_error(error) == "missing_scope" else "unknown"
        return "no"

    async def _team_of(self, user: str) -> str | None:
        team = (await self._user(user)).get("team_id")
        return str(team) if team else None

    async def _user(self, user: str) -> dict[str, Any]:
        async def fetch() -> dict[str, Any]:
            answer = await self.client.users_info(user=user)
            return dict(answer.get("user") or {})

        info: dict[str, Any] = await self._cached(f"user:{user}", fetch, {})
        return info

    async def _cached(self, key: str, fetch: Callable[[], Awaitable[Any]], failed: Any) -> Any:
        """Return ``fetch()``'s value, shared by concurrent callers and kept for ``ttl``.

        A lookup Slack refuses gives ``failed``, and is not asked again for a short while.
        """
        now = self._clock()
        entry = self._cache.get(key)
        if entry is None or entry[0] <= now:
            if len(self._cache) >= CACHE_SIZE:  # forget what has expired (users come and go)
                self._cache = {k: e for k, e in self._cache.items() if e[0] > now}
            entry = (now + self.ttl, asyncio.ensure_future(fetch()))
            self._cache[key] = entry
        try:
            return await asyncio.shield(entry[1])
        except SlackApiError as error:
            if self._cache.get(key) is entry:  # the first caller to see it logs it
                self._cache[key] = (self._clock() + min(self.ttl, FAILURE_TTL), entry[1])
                kind = key.partition(":")[0]
                logger.warning("could not look up a %s: %s", kind, slack_error(error))
            return failed
