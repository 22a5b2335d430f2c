"""What the team's reactions teach, in the database: per-rule figures, rule states, verdicts.

:class:`Learning` wraps a :class:`~nudgebot.storage.Store` (as :class:`~.intake.Intake` does)::

    learning = Learning(store, QuietPolicy())
    quiet = await learning.quiet_rules("T123")          # rules not to nudge live in T123
    await learning.feedback_given(review_id)             # after a vote: may quiet a rule
    await learning.acted(channel="C1", message_ts="1.0", how="edited")
    figures = await learning.rule_figures(team="T123", since=..., until=...)

A team is a workspace (Slack) or a tenant (Teams); "" stands for reviews with none. The figures
come from the ``reviews`` rows whose nudge was sent, split by the rules that made their live
decision (``live_rules``), with their feedback. Queries group by that column in SQL, so a
period of 100,000 reviews comes back as a few hundred rows.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from nudgebot.learning import (
    ACT_WINDOW,
    Agreement,
    Judgement,
    Mode,
    OutcomeCounts,
    QuietPolicy,
    RuleChange,
    RuleFigures,
    RuleOutcome,
    RuleState,
    Verdict,
    change,
    labelled_case,
)
from nudgebot.models import dimension_in
from nudgebot.storage.learning_privacy import forget_statements, purge_statements
from nudgebot.storage.schema import feedback, judgements, reviews, rule_changes, rule_states
from nudgebot.storage.store import Store

__all__ = ["QUIET_TTL", "THREAD_DAYS", "Learning", "QuietRules"]

THREAD_DAYS = 7
"""A customer's message counts as the next one after a nudged reply up to this many days later."""

r = reviews.c
fb = feedback.c
j = judgements.c


def _team(team: str | None) -> str:
    return team or ""


def _nudged_within(at: datetime, window: timedelta) -> list[ColumnElement[bool]]:
    """Conditions for the reviews whose nudge was sent at most ``window`` before ``at``."""
    return [r.nudged.is_(True), r.at <= at, r.at >= at - window]


def _team_filter(team: str | None) -> ColumnElement[bool]:
    return r.team.is_(None) if not team else r.team == team


class Learning:
    """The team-learning queries of ``store``, under ``policy``."""

    def __init__(self, store: Store, policy: QuietPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or QuietPolicy()

    # -- what each rule's nudges earned ---------------------------------------------------

    async def rule_figures(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        channels: Collection[str] | None = None,
        all_teams: bool = False,
    ) -> list[RuleFigures]:
        """Return, per rule that made a live decision, what its sent nudges earned.

        ``team`` narrows to one workspace or tenant (None: reviews without one, unless
        ``all_teams``). A nudge with several live rules counts for each. The first half of
        :meth:`rule_report` (the same query).
        """
        report = await self.rule_report(
            since=since, until=until, team=team, all_teams=all_teams, channels=channels
        )
        return report[0]

    async def rule_report(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        channels: Collection[str] | None = None,
        all_teams: bool = False,
    ) -> tuple[list[RuleFigures], list[RuleOutcome]]:
        """Return :meth:`rule_figures` and :meth:`outcomes` of the period with one query.

        One pass over the period's sent nudges, grouped by their live rules, whether they
        were acted on, and the customer's heat before and after; the votes come from a
        ``feedback`` subquery of the period (a vote is never older than its nudge). A rule's
        dimension is read from its id (``ownership.deflection``, ``llm.empathy``); ids that
        don't say it are looked up in the findings.
        """
        votes = (
            select(
                fb.review_id,
                func.sum(case((fb.helpful, 1), else_=0)).label("helpful"),
                func.sum(case((fb.helpful, 0), else_=1)).label("not_helpful"),
            )
            .where(fb.at >= since)
            .group_by(fb.review_id)
            .subquery()
        )
        where: list[ColumnElement[bool]] = [
            r.at >= since,
            r.at < until,
            r.nudged.is_(True),
            r.live_rules.is_not(None),
        ]
        if not all_teams:
            where.append(_team_filter(team))
        if channels:
            where.append(r.channel.in_(list(channels)))
        acted = case((r.acted_at.is_not(None), 1), else_=0)
        query = (
            select(
                r.live_rules,
                acted,
                r.heat_before,
                r.heat_after,
                func.count(),
                func.coalesce(func.sum(votes.c.helpful), 0),
                func.coalesce(func.sum(votes.c.not_helpful), 0),
                func.sum(case((r.muted_after.is_(True), 1), else_=0)),
            )
            .select_from(reviews.outerjoin(votes, votes.c.review_id == r.id))
            .where(*where)
            .group_by(r.live_rules, acted, r.heat_before, r.heat_after)
        )
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        moves: dict[str, list[int]] = {}  # calmer, same, angrier: acted on, then not
        column = {"calmer": 0, "same": 1, "angrier": 2}
        for live, was_acted, before, after, count, helpful, not_helpful, muted in await self._all(
            query
        ):
            moved = change(before, after)
            slot = None if moved is None else column[moved] + (0 if was_acted else 3)
            rules = live.split()
            for rule in dict.fromkeys(rules) if len(rules) > 1 else rules:
                row = totals[rule]
                row[0] += count
                row[1] += helpful
                row[2] += not_helpful
                row[3] += count if was_acted else 0
                row[4] += muted or 0
                if slot is not None:
                    if rule not in moves:
                        moves[rule] = [0] * 6
                    moves[rule][slot] += count
        dimension_of = await self._dimensions(totals, where)
        figures = sorted(
            (
                RuleFigures(rule, dimension_of[rule], *(int(n) for n in row))
                for rule, row in totals.items()
            ),
            key=lambda f: (-f.live_nudges, f.rule),
        )
        outcomes = [
            RuleOutcome(rule, OutcomeCounts(*moves[rule][:3]), OutcomeCounts(*moves[rule][3:]))
            for rule in sorted(moves)
        ]
        return figures, outcomes

    async def _dimensions(
        self, rules: Collection[str], where: Sequence[ColumnElement[bool]]
    ) -> dict[str, str]:
        """Return each rule's dimension: from its id, else from the findings of its nudges."""
        known: dict[str, str] = {}
        unknown = []
        for rule in rules:
            named = dimension_in(rule)
            if named is not None:
                known[rule] = named
            else:
                unknown.append(rule)
        for rule in unknown:
            query = (
                select(r.rules, r.dimensions).where(*where, r.live_rules.contains(rule)).limit(20)
            )
            for ids, dims in await self._all(query):
                found = dict(zip(ids.split(), dims.split(), strict=False))
                if rule in found:
                    known[rule] = found[rule]
                    break
            known.setdefault(rule, rule.split(".")[-1])
        return known

    # -- rule states per team -------------------------------------------------------------

    async def states(self, team: str | None) -> dict[str, RuleState]:
        """Return the recorded state of each rule in ``team`` (rules absent: auto, live)."""
        s = rule_states.c
        rows = await self._all(
            select(s.rule, s.mode, s.quiet, s.by, s.at, s.why).where(s.team == _team(team))
        )
        return {row[0]: RuleState(*row) for row in rows}

    async def states_of_all_teams(self) -> dict[str, dict[str, RuleState]]:
        """Return the recorded state of each rule, by team ("" for reviews without one)."""
        s = rule_states.c
        rows = await self._all(select(s.team, s.rule, s.mode, s.quiet, s.by, s.at, s.why))
        found: dict[str, dict[str, RuleState]] = defaultdict(dict)
        for team, *state in rows:
            found[team][state[0]] = RuleState(*state)
        return dict(found)

    async def set_mode(
        self, team: str | None, rule: str, mode: Mode, *, by: str, why: str | None = None
    ) -> RuleState:
        """Set ``rule``'s mode in ``team`` (a lead's change), recorded with who, when and why.

        Back to ``auto``, the feedback decides again at once (its verdict is recorded too).
        """
        now = self.store.now()
        quiet = False
        if mode == "auto":
            quiet = await self._feedback_quiets(team, rule, now)
        state = RuleState(rule, mode, quiet, by, now, why)
        await self._write_state(team, state)
        return state

    async def quiet_rules(self, team: str | None) -> frozenset[str]:
        """Return the rules that must not nudge live in ``team`` now.

        Rules in ``auto`` mode that the feedback quieted are looked at again first: votes
        older than the policy's window no longer count, so a rule may come back on its own
        (recorded as a change by the feedback).
        """
        states = await self.states(team)
        await self._reconsider(team, [s.rule for s in states.values() if s.mode == "auto"], states)
        states = await self.states(team)
        return frozenset(rule for rule, state in states.items() if not state.live)

    async def feedback_given(self, review_id: int) -> list[RuleChange]:
        """After a vote on ``review_id``'s nudge: quiet (or bring back) its live rules.

        Returns the changes made (empty when none). Only rules in ``auto`` mode change.
        """
        query = select(r.team, r.live_rules).where(r.id == review_id)
        rows = await self._all(query)
        if not rows or not rows[0][1]:
            return []
        team, live = rows[0]
        return await self._reconsider(team, live.split(), await self.states(team))

    async def changes(
        self, *, since: datetime, until: datetime, team: str | None = None, all_teams: bool = False
    ) -> list[RuleChange]:
        """Return the changes of rule states in the period, oldest first."""
        c = rule_changes.c
        query = select(c.team, c.rule, c.mode, c.quiet, c.by, c.at, c.why).where(
            c.at >= since, c.at < until
        )
        if not all_teams:
            query = query.where(c.team == _team(team))
        rows = await self._all(query.order_by(c.at, c.id))
        return [RuleChange(*row) for row in rows]

    async def _reconsider(
        self, team: str | None, rules: Sequence[str], states: Mapping[str, RuleState]
    ) -> list[RuleChange]:
        now = self.store.now()
        wanted = [
            rule
            for rule in dict.fromkeys(rules)
            if states.get(rule, RuleState(rule)).mode == "auto"
        ]
        if not wanted:
            return []
        votes = await self._votes(team, now)
        made = []
        for rule in wanted:
            helpful, not_helpful = votes.get(rule, (0, 0))
            quiet = self.policy.quiet(helpful, not_helpful)
            if quiet == states.get(rule, RuleState(rule)).quiet:
                continue
            why = (
                f"{not_helpful} of {helpful + not_helpful} votes in {self.policy.days} days "
                "said not helpful"
            )
            await self._write_state(team, RuleState(rule, "auto", quiet, None, now, why))
            made.append(RuleChange(_team(team), rule, "auto", quiet, None, now, why))
        return made

    async def _feedback_quiets(self, team: str | None, rule: str, now: datetime) -> bool:
        helpful, not_helpful = (await self._votes(team, now)).get(rule, (0, 0))
        return self.policy.quiet(helpful, not_helpful)

    async def _votes(self, team: str | None, now: datetime) -> dict[str, tuple[int, int]]:
        """Count the votes on each rule's live nudges in ``team`` in the policy's window.

        One query, grouped by the nudges' live rules (a few distinct lists), split here.
        """
        since = now - self.policy.window
        query = (
            select(
                r.live_rules,
                func.sum(case((fb.helpful, 1), else_=0)),
                func.sum(case((fb.helpful, 0), else_=1)),
            )
            .select_from(feedback.join(reviews, r.id == fb.review_id))
            .where(
                _team_filter(team),
                fb.at >= since,
                r.at >= since - ACT_WINDOW,
                r.live_rules.is_not(None),
            )
            .group_by(r.live_rules)
        )
        totals: dict[str, tuple[int, int]] = {}
        for live, helpful, not_helpful in await self._all(query):
            for rule in dict.fromkeys(live.split()):
                known = totals.get(rule, (0, 0))
                totals[rule] = (known[0] + int(helpful or 0), known[1] + int(not_helpful or 0))
        return totals

    async def _write_state(self, team: str | None, state: RuleState) -> None:
        values = {
            "team": _team(team),
            "rule": state.rule,
            "mode": state.mode,
            "quiet": state.quiet,
            "by": state.by,
            "at": state.at or self.store.now(),
            "why": state.why,
        }
        upsert = self.store._insert(rule_states).values(values)
        upsert = upsert.on_conflict_do_update(
            index_elements=["team", "rule"],
            set_={k: values[k] for k in ("mode", "quiet", "by", "at", "why")},
        )
        async with self.store._begin(write=True, single=False) as connection:
            await connection.execute(upsert)
            await connection.execute(rule_changes.insert().values(values))

    # -- what agents did after a nudge ----------------------------------------------------

    async def acted(
        self, *, channel: str, message_ts: str, how: str = "edited", at: datetime | None = None
    ) -> bool:
        """Record that the agent edited their nudged message, if within :data:`ACT_WINDOW`.

        Returns whether a nudged review was marked (the first reaction counts; a message that
        was not nudged, or an edit too late, changes nothing).
        """
        at = at or self.store.now()
        statement = (
            update(reviews)
            .where(
                r.channel == channel,
                r.message_ts == message_ts,
                r.acted_at.is_(None),
                *_nudged_within(at, ACT_WINDOW),
            )
            .values(acted_at=at, acted_how=how)
        )
        return await self.store._count(statement) > 0

    async def used(self, review_id: int, at: datetime | None = None) -> bool:
        """Record that the agent used the suggestion of ``review_id``'s nudge (at any time)."""
        at = at or self.store.now()
        statement = (
            update(reviews)
            .where(r.id == review_id, r.nudged.is_(True), r.acted_at.is_(None))
            .values(acted_at=at, acted_how="used")
        )
        return await self.store._count(statement) > 0

    async def muted(self, user: str, at: datetime | None = None) -> int:
        """Record that the agent muted (or turned off) nudges: marks their latest nudges."""
        at = at or self.store.now()
        statement = (
            update(reviews)
            .where(
                r.user_id == user,
                or_(r.muted_after.is_(None), r.muted_after.is_(False)),
                *_nudged_within(at, ACT_WINDOW),
            )
            .values(muted_after=True)
        )
        return await self.store._count(statement)

    async def customer_replied(
        self, *, channel: str, thread_key: str, heat: int, at: datetime | None = None
    ) -> int:
        """Record the customer's next message in ``thread_key``, read as ``heat``.

        It is the outcome of the nudged replies before it that have none yet (within
        :data:`THREAD_DAYS`).
        """
        at = at or self.store.now()
        statement = (
            update(reviews)
            .where(
                r.channel == channel,
                r.thread_key == thread_key,
                r.heat_after.is_(None),
                *_nudged_within(at, timedelta(days=THREAD_DAYS)),
            )
            .values(heat_after=heat)
        )
        return await self.store._count(statement)

    async def outcomes(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        all_teams: bool = False,
        channels: Collection[str] | None = None,
    ) -> list[RuleOutcome]:
        """Per live rule: the customer's next message, calmer / same / angrier, acted on or not.

        The second half of :meth:`rule_report` (the same query).
        """
        report = await self.rule_report(
            since=since, until=until, team=team, all_teams=all_teams, channels=channels
        )
        return report[1]

    # -- leads' verdicts ------------------------------------------------------------------

    async def judge(self, judgement: Judgement) -> None:
        """Record a lead's verdict (judging the same finding again replaces the verdict)."""
        values: dict[str, Any] = {
            "at": judgement.at or self.store.now(),
            "platform": judgement.platform,
            "team": judgement.team,
            "channel": judgement.channel,
            "message_ts": judgement.message_ts,
            "rule": judgement.rule,
            "dimension": judgement.dimension,
            "verdict": judgement.verdict,
            "user_id": judgement.user,
            "author": judgement.author,
            "text": judgement.text,
            "thread": json.dumps([dict(t) for t in judgement.thread]) if judgement.thread else None,
        }
        upsert = self.store._insert(judgements).values(values)
        upsert = upsert.on_conflict_do_update(
            index_elements=["channel", "message_ts", "rule", "user_id"],
            set_={k: values[k] for k in ("at", "verdict", "dimension", "text", "thread")},
        )
        await self.store._count(upsert)

    async def verdicts(self, *, channel: str, message_ts: str) -> dict[tuple[str, str], Verdict]:
        """Return the verdicts on one reply, by ``(rule, lead)``."""
        rows = await self._all(
            select(j.rule, j.user_id, j.verdict).where(
                j.channel == channel, j.message_ts == message_ts
            )
        )
        return {(rule, user): verdict for rule, user, verdict in rows}

    async def agreement(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        all_teams: bool = False,
        channels: Collection[str] | None = None,
    ) -> Agreement:
        """Return how many findings leads judged, agreed with, and the replies they said missed."""
        where: list[ColumnElement[bool]] = [j.at >= since, j.at < until]
        if not all_teams:
            where.append(j.team.is_(None) if not team else j.team == team)
        if channels:
            where.append(j.channel.in_(list(channels)))
        query = select(j.verdict, func.count()).where(*where).group_by(j.verdict)
        counts = {verdict: int(n) for verdict, n in await self._all(query)}
        agreed, disagreed = counts.get("agree", 0), counts.get("disagree", 0)
        return Agreement(agreed + disagreed, agreed, counts.get("missed", 0))

    async def labelled_cases(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        all_teams: bool = True,
        agents: bool = True,
    ) -> list[dict[str, Any]]:
        """Return the period's verdicts as labelled cases in the format of ``real-dev.jsonl``.

        With ``agents``, agents' votes on nudges too (a lead's verdict on the same reply
        wins). Only replies whose words are still kept.
        """
        where: list[ColumnElement[bool]] = [j.at >= since, j.at < until, j.text.is_not(None)]
        if not all_teams:
            where.append(j.team.is_(None) if not team else j.team == team)
        rows = await self._all(
            select(j.channel, j.message_ts, j.rule, j.dimension, j.verdict, j.text, j.thread, j.id)
            .where(*where)
            .order_by(j.id)
        )
        replies: dict[tuple[str, str], dict[str, Any]] = {}
        for channel, ts, rule, dimension, verdict, text, thread, _ in rows:
            item = replies.setdefault(
                (channel, ts), {"text": text, "thread": thread, "verdicts": []}
            )
            item["text"], item["thread"] = text, thread or item["thread"]
            item["verdicts"].append((rule, dimension, verdict))
        cases = []
        for (channel, ts), item in replies.items():
            case_ = labelled_case(
                f"lead:{channel}:{ts}",
                draft=item["text"],
                thread=json.loads(item["thread"]) if item["thread"] else [],
                verdicts=_settled(item["verdicts"]),
            )
            if case_ is not None:
                cases.append(case_)
        if agents:
            cases += await self._agent_cases(since, until, team, all_teams, set(replies))
        return cases

    async def _agent_cases(
        self,
        since: datetime,
        until: datetime,
        team: str | None,
        all_teams: bool,
        judged: set[tuple[str, str]],
    ) -> list[dict[str, Any]]:
        where: list[ColumnElement[bool]] = [
            fb.at >= since,
            fb.at < until,
            r.text.is_not(None),
            r.live_rules.is_not(None),
        ]
        if not all_teams:
            where.append(_team_filter(team))
        rows = await self._all(
            select(
                r.id,
                r.channel,
                r.message_ts,
                r.text,
                r.customer,
                r.live_rules,
                r.rules,
                r.dimensions,
                fb.helpful,
            )
            .select_from(feedback.join(reviews, r.id == fb.review_id))
            .where(*where)
            .order_by(r.id)
        )
        cases = []
        for id_, channel, ts, text, customer, live, rules, dims, helpful in rows:
            if (channel, ts) in judged:
                continue  # a lead's verdict on the same reply wins
            dimension_of = dict(zip(rules.split(), dims.split(), strict=False))
            verdict: Verdict = "agree" if helpful else "disagree"
            verdicts = [(rule, dimension_of.get(rule), verdict) for rule in live.split()]
            thread = [{"role": "customer", "text": customer}] if customer else []
            case_ = labelled_case(
                f"agent:{id_}", draft=text, thread=thread, verdicts=verdicts, source="agent"
            )
            if case_ is not None:
                cases.append(case_)
        return cases

    async def purge_words(self, cutoff: datetime) -> int:
        """Drop the words of verdicts older than ``cutoff`` (counts stay).

        :meth:`Store.purge` does this too, with the reviews' words.
        """
        touched = 0
        for statement in purge_statements(cutoff):
            touched += await self.store._count(statement)
        return touched

    async def forget(self, user: str) -> int:
        """Forget ``user`` in verdicts and rule changes (:meth:`Store.forget` does it too).

        Their own verdicts go; replies they wrote lose their words; rule changes they made
        say :data:`~nudgebot.storage.learning_privacy.FORGOTTEN_LEAD` instead of their id.
        """
        touched = 0
        for statement in forget_statements(user):
            touched += await self.store._count(statement)
        return touched

    async def _all(self, query: Any) -> Sequence[Sequence[Any]]:
        async with self.store._begin(write=False) as connection:
            return (await connection.execute(query)).all()


def _settled(
    verdicts: Sequence[tuple[str, str | None, Verdict]],
) -> list[tuple[str, str | None, Verdict]]:
    """Keep one verdict per rule when leads differ: agree and missed win over disagree."""
    by_rule: dict[str, tuple[str, str | None, Verdict]] = {}
    for rule, dimension, verdict in verdicts:
        known = by_rule.get(rule)
        if known is None or (known[2] == "disagree" and verdict != "disagree"):
            by_rule[rule] = (rule, dimension, verdict)
    return list(by_rule.values())


QUIET_TTL = 10.0
"""Seconds a team's quieted rules are cached for the live path (see :class:`QuietRules`)."""


class QuietRules:
    """A team's quieted rules for the live path, cached for :data:`QUIET_TTL` seconds.

    A change made on this instance (a lead's ``rules off``, a vote that quiets a rule) shows
    at once (:meth:`forget`); one made on another instance within the TTL. ``clock`` is a
    monotonic clock in seconds (injected in tests).
    """

    def __init__(self, learning: Learning, clock: Callable[[], float] = time.monotonic) -> None:
        self.learning = learning
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def of(self, team: str | None) -> frozenset[str]:
        """Return the rules that must not nudge live in ``team``."""
        key, now = _team(team), self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] <= QUIET_TTL:
            return cached[1]
        quiet = await self.learning.quiet_rules(team)
        self._cache[key] = (now, quiet)
        return quiet

    def forget(self, team: str | None = None) -> None:
        """Drop the cached rules of ``team`` (of every team when None)."""
        if team is None:
            self._cache.clear()
        else:
            self._cache.pop(_team(team), None)
