"""What the Teams app tells the team-learning core (:mod:`nudgebot.storage.learning`).

:class:`TeamsLearning` is the one object the Teams app holds for it; a team is a tenant:

- :meth:`~TeamsLearning.quiet`: the rules a tenant quieted, for live reviews (cached 10 s).
- :meth:`~TeamsLearning.voted`: after an agent's Helpful / Not helpful (may quiet a rule, or
  bring one back; the cache forgets that tenant when it did).
- :meth:`~TeamsLearning.used` ("Use suggestion") and :meth:`~TeamsLearning.edited` (Teams'
  ``messageUpdate`` / ``editMessage`` for a nudged message, within 15 minutes): acted on.
- :meth:`~TeamsLearning.customer_said`: a customer's message in a conversation, read by the
  engine as calm, a problem or upset: the outcome of the nudged replies before it.
- :meth:`~TeamsLearning.rules`: the ``rules`` command (anyone lists; leads change a rule).
- :meth:`~TeamsLearning.judge`: a lead's verdict on a finding of a reviewed reply.
- :meth:`~TeamsLearning.mute` ("Mute nudges for an hour" on a live nudge; muted after) and
  :meth:`~TeamsLearning.nudges_on` (whether an agent gets live nudges now).

A failure here never costs an agent their review or card: the app calls these through its
``_safely`` guard.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from nudgebot.adapters.teams.hooks import CommandAnswer, CommandCall
from nudgebot.adapters.teams.rules_card import rules_card
from nudgebot.engine import ReviewEngine
from nudgebot.learning import (
    Judgement,
    QuietPolicy,
    RuleChange,
    RulesCommandError,
    parse_rules_command,
)
from nudgebot.reports import rule_labels
from nudgebot.storage import Store
from nudgebot.storage.learning import Learning, QuietRules

__all__ = ["LEADS_ONLY_RULES", "MUTE_FOR", "TeamsLearning"]

logger = logging.getLogger("nudgebot.teams")

LEADS_ONLY_RULES = (
    "Only team leads can change how a rule nudges. `rules` shows each rule's figures and state."
)
OpenStore = Callable[[], Awaitable[Store]]
MUTE_FOR = timedelta(hours=1)


class TeamsLearning:
    """The Teams app's link to what the team's reactions teach, on the shared database."""

    def __init__(
        self,
        open_store: OpenStore,
        engine: ReviewEngine,
        *,
        leads: tuple[str, ...] = (),
        policy: QuietPolicy | None = None,
    ) -> None:
        self.open_store = open_store
        self.engine = engine
        self.leads = frozenset(leads)
        self.policy = policy or QuietPolicy()
        self._learning: Learning | None = None
        self._quiet: QuietRules | None = None

    async def learning(self) -> Learning:
        """Return the core's :class:`~nudgebot.storage.learning.Learning` on the store."""
        store = await self.open_store()
        if self._learning is None or self._learning.store is not store:
            self._learning = Learning(store, self.policy)
            self._quiet = QuietRules(self._learning)
        return self._learning

    async def quiet(self, tenant: str | None) -> frozenset[str]:
        """Return the rules that must not nudge live in ``tenant`` now."""
        await self.learning()
        assert self._quiet is not None
        return await self._quiet.of(tenant)

    def forget(self, tenant: str | None) -> None:
        """Drop the cached quieted rules of ``tenant`` (after a change made here)."""
        if self._quiet is not None:
            self._quiet.forget(tenant)

    async def voted(self, review_id: int) -> list[RuleChange]:
        """After a Helpful / Not helpful on ``review_id``: let the feedback quiet its rules."""
        changes = await (await self.learning()).feedback_given(review_id)
        for team in {c.team for c in changes}:
            self.forget(team)
        if changes:
            logger.info("the team's feedback changed %d rule(s)", len(changes))
        return changes

    async def used(self, review_id: int) -> bool:
        """Record that the agent used the suggestion of ``review_id``'s nudge."""
        return await (await self.learning()).used(review_id)

    async def edited(self, *, channel: str, message_id: str) -> bool:
        """Record an edit of message ``message_id`` (acted on, if nudged 15 minutes ago or less)."""
        return await (await self.learning()).acted(
            channel=channel, message_ts=message_id, how="edited"
        )

    async def customer_said(
        self, *, channel: str, thread_key: str, text: str, at: datetime | None = None
    ) -> int:
        """Record a customer's message in ``thread_key``: how heated it reads (the outcome).

        ``at`` is when it was sent (default: now); nudged replies reviewed before it get it.
        """
        heat = self.engine.heat(text)
        return await (await self.learning()).customer_replied(
            channel=channel, thread_key=thread_key, heat=heat, at=at
        )

    async def mute(self, user: str) -> datetime:
        """Mute ``user``'s live nudges for :data:`MUTE_FOR`; their latest nudges: muted after."""
        learning = await self.learning()
        until = learning.store.now() + MUTE_FOR
        await learning.store.mute(user, until)
        await learning.muted(user)
        return until

    async def nudges_on(self, user: str) -> bool:
        """Whether ``user`` gets live nudges now (not turned off, not muted)."""
        settings = await (await self.learning()).store.user_settings(user)
        return settings.live and settings.muted_until is None

    async def judge(self, judgement: Judgement) -> None:
        """Record a lead's verdict on a finding (or a miss)."""
        await (await self.learning()).judge(judgement)

    def is_lead(self, call: CommandCall) -> bool:
        """Whether the caller is a lead (by Entra object id, or by Teams id)."""
        return bool({call.user_aad_id, call.user_id} & self.leads)

    async def rules(self, call: CommandCall) -> CommandAnswer:
        """Answer ``rules [list]`` and (leads) ``rules off|on|auto <rule> [why]``."""
        rulebook = self.engine.rulebook.rules
        known = [rule.id for rule in rulebook]
        try:
            command = parse_rules_command(call.text, known)
        except RulesCommandError as error:
            return str(error)
        tenant = call.conversation.tenant_id
        learning = await self.learning()
        if command.action != "list":
            if not self.is_lead(call):
                return LEADS_ONLY_RULES
            assert command.rule is not None
            by = call.user_aad_id or call.user_id
            state = await learning.set_mode(
                tenant, command.rule, command.action, by=by, why=command.why
            )
            self.forget(tenant)
            live = "nudges live" if state.live else "no longer nudges live"
            return (
                f"Done: `{command.rule}` is now **{state.label}** in this team, so it {live}. "
                "Its findings still count in scores and still show when an agent asks."
            )
        now = learning.store.now()
        figures = await learning.rule_figures(
            since=now - self.policy.window, until=now, team=tenant
        )
        states = await learning.states(tenant)
        return rules_card(
            figures,
            states,
            labels=rule_labels(rulebook),
            policy=self.policy,
            lead=self.is_lead(call),
        )
