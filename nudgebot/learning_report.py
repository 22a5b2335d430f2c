"""The leads' report's part on learning from the team: what helps, what was quieted, agreement.

:class:`TeamLearning` is what :func:`nudgebot.reports.load_report` adds to a
:class:`~nudgebot.reports.Report` when it is given a :class:`LearningSource` (the store's
:class:`~nudgebot.storage.learning.Learning`):

- **rules**: per rule that made a live decision in the period, what its nudges earned
  (:class:`~nudgebot.learning.RuleFigures`) and its state in the team;
- **what your team finds helpful**: the rules with votes, by acceptance (helpful / votes),
  the :data:`RANKED` best and worst (:meth:`TeamLearning.helpful`);
- **quieted**: the rules that don't nudge live now, and the changes of the period (a lead's
  or the feedback's, when and why);
- **agreement**: the findings leads judged and agreed with, and the replies they said the bot
  missed; **outcomes**: the customer's next message per rule, acted on vs not.

Nothing here does I/O but :func:`load_team_learning`, which only calls the source.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from nudgebot.learning import Agreement, RuleChange, RuleFigures, RuleOutcome, RuleState

__all__ = [
    "RANKED",
    "LearningSource",
    "QuietedRule",
    "RuleRow",
    "TeamLearning",
    "learning_lines",
    "load_team_learning",
    "outcome_words",
    "state_across",
]

RANKED = 3
"""How many rules "What your team finds helpful" shows at the top, and at the bottom."""


@dataclass(frozen=True)
class RuleRow:
    """One rule's figures in the period and its state (:attr:`RuleState.name`)."""

    figures: RuleFigures
    state: str = "auto"

    @property
    def rule(self) -> str:
        """The rule id."""
        return self.figures.rule

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready data: the figures, ``acceptance`` and ``state``."""
        acceptance = self.figures.acceptance
        return {
            **self.figures.to_dict(),
            "acceptance": None if acceptance is None else round(acceptance, 4),
            "state": self.state,
        }


@dataclass(frozen=True)
class QuietedRule:
    """A rule that doesn't nudge live in ``team`` now, and the last change that made it so."""

    team: str
    state: RuleState

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{team, rule, state, by, at, why}`` (``by`` None: the feedback)."""
        s = self.state
        return {
            "team": self.team,
            "rule": s.rule,
            "state": s.name,
            "by": s.by,
            "at": None if s.at is None else s.at.isoformat(),
            "why": s.why,
        }


@dataclass(frozen=True)
class TeamLearning:
    """What the team's reactions say over the report's period and scope."""

    rules: tuple[RuleRow, ...] = ()
    """Most live nudges first (ties: by rule id)."""
    quieted: tuple[QuietedRule, ...] = ()
    changes: tuple[RuleChange, ...] = ()
    """The changes of rule states in the period, oldest first."""
    agreement: Agreement = field(default_factory=Agreement)
    outcomes: tuple[RuleOutcome, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    """``{rule id: label}`` for the rules shown (see :meth:`label`)."""

    def label(self, rule: str) -> str:
        """Return what to call ``rule``: its label, else its id."""
        return self.labels.get(rule) or rule

    def rule_ids(self) -> set[str]:
        """Return every rule id this part mentions."""
        found = {row.rule for row in self.rules} | {q.state.rule for q in self.quieted}
        return found | {c.rule for c in self.changes} | {o.rule for o in self.outcomes}

    def helpful(self) -> tuple[tuple[RuleRow, ...], tuple[RuleRow, ...]]:
        """Return the rules with votes found most helpful, and least (worst first).

        The top holds rules that at least half their votes found helpful, the bottom the
        others (so a rule is never in both, and a rule nobody likes is never on top); each
        at most :data:`RANKED`, ranked by acceptance, then by votes (more first), then by id.
        """
        voted = [row for row in self.rules if row.figures.votes]
        liked = [row for row in voted if (row.figures.acceptance or 0.0) >= 0.5]
        top = sorted(
            liked,
            key=lambda row: (-(row.figures.acceptance or 0.0), -row.figures.votes, row.rule),
        )[:RANKED]
        rest = [row for row in voted if row not in liked]
        worst = sorted(
            rest, key=lambda row: (row.figures.acceptance or 0.0, -row.figures.votes, row.rule)
        )
        return tuple(top), tuple(worst[:RANKED])

    def to_dict(self) -> dict[str, Any]:
        """Return the part as JSON-ready data (keys of the report's JSON).

        ``rules``, ``helpful`` (``top`` / ``bottom`` rule ids), ``quieted``, ``changes``,
        ``agreement`` and ``outcomes``.
        """
        top, bottom = self.helpful()
        return {
            "rules": [row.to_dict() for row in self.rules],
            "helpful": {"top": [row.rule for row in top], "bottom": [row.rule for row in bottom]},
            "quieted": [item.to_dict() for item in self.quieted],
            "changes": [_change_dict(c) for c in self.changes],
            "agreement": self.agreement.to_dict(),
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
        }


def _change_dict(change: RuleChange) -> dict[str, Any]:
    return {
        "team": change.team,
        "rule": change.rule,
        "state": RuleState(change.rule, change.mode, change.quiet).name,
        "by": change.by,
        "at": change.at.isoformat(),
        "why": change.why,
    }


def state_across(states: Mapping[str, Mapping[str, RuleState]], rule: str) -> str:
    """Return ``rule``'s state name over several teams: the one they share, else ``mixed``.

    Teams without a recorded state for the rule don't count (no teams: ``auto``).
    """
    names = {team_states[rule].name for team_states in states.values() if rule in team_states}
    if not names:
        return "auto"
    return names.pop() if len(names) == 1 else "mixed"


class LearningSource(Protocol):
    """What :func:`load_team_learning` needs (:class:`nudgebot.storage.learning.Learning`)."""

    async def rule_report(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        channels: Collection[str] | None = None,
        all_teams: bool = False,
    ) -> tuple[list[RuleFigures], list[RuleOutcome]]:
        """Return what each live rule's nudges earned, and the customer's next messages."""
        ...

    async def states(self, team: str | None) -> dict[str, RuleState]:
        """Return the recorded state of each rule in ``team``."""
        ...

    async def states_of_all_teams(self) -> dict[str, dict[str, RuleState]]:
        """Return the recorded state of each rule, by team."""
        ...

    async def changes(
        self, *, since: datetime, until: datetime, team: str | None = None, all_teams: bool = False
    ) -> list[RuleChange]:
        """Return the changes of rule states in the period, oldest first."""
        ...

    async def agreement(
        self,
        *,
        since: datetime,
        until: datetime,
        team: str | None = None,
        all_teams: bool = False,
        channels: Collection[str] | None = None,
    ) -> Agreement:
        """Return the findings leads judged and agreed with, and the misses."""
        ...


async def load_team_learning(
    source: LearningSource,
    *,
    since: datetime,
    until: datetime,
    team: str | None = None,
    channels: Collection[str] | None = None,
) -> TeamLearning:
    """Return the period's :class:`TeamLearning` in ``team`` (None: every team).

    ``channels`` narrows the figures, agreement and outcomes (states and changes are the
    team's). Over every team a rule's state is :func:`state_across` them.
    """
    every = team is None
    scope: dict[str, Any] = {"since": since, "until": until, "team": team, "all_teams": every}
    figures, outcomes = await source.rule_report(**scope, channels=channels)
    if every:
        by_team = await source.states_of_all_teams()
    else:
        by_team = {team or "": await source.states(team)}
    if every:
        rows = tuple(RuleRow(f, state_across(by_team, f.rule)) for f in figures)
    else:
        states = by_team[team or ""]
        rows = tuple(RuleRow(f, states.get(f.rule, RuleState(f.rule)).name) for f in figures)
    quieted = tuple(
        QuietedRule(name, state)
        for name, states_ in sorted(by_team.items())
        for _, state in sorted(states_.items())
        if not state.live
    )
    return TeamLearning(
        rules=rows,
        quieted=quieted,
        changes=tuple(await source.changes(**scope)),
        agreement=await source.agreement(**scope, channels=channels),
        outcomes=tuple(outcomes),
    )


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _who(by: str | None) -> str:
    return by or "the team's feedback"


def outcome_words(outcome: RuleOutcome) -> str:
    """Say one rule's outcomes in a line: ``acted on: 2 calmer, 1 same, 0 angrier; not: ...``."""
    parts = []
    for name, counts in (("acted on", outcome.acted_on), ("not acted on", outcome.not_acted_on)):
        if counts.total:
            parts.append(
                f"{name}: {counts.calmer} calmer, {counts.same} same, {counts.angrier} angrier"
            )
    return "; ".join(parts) or "no customer reply yet"


def learning_lines(learning: TeamLearning, *, limit: int = 10) -> list[str]:
    """Return the part as plain lines for :func:`nudgebot.reports.report_text`.

    Rules are named by label and id; at most ``limit`` are listed per heading.
    """

    def name(rule: str) -> str:
        label = learning.label(rule)
        return f"{label} ({rule})" if label != rule else rule

    lines = ["What your team finds helpful"]
    top, bottom = learning.helpful()
    if not top:
        lines.append("  No votes on live nudges in this period.")
    for heading, rows in (("most helpful", top), ("least helpful", bottom)):
        if rows:
            lines.append(f"  {heading}:")
        for row in rows:
            f = row.figures
            lines.append(
                f"    {name(row.rule)}: {_percent(f.acceptance)} of {f.votes} votes helpful, "
                f"{f.live_nudges} live nudges, {f.acted_on} acted on"
            )
    lines += ["", "Rules that don't nudge live"]
    if not learning.quieted:
        lines.append("  None: every rule nudges live.")
    for item in learning.quieted[:limit]:
        s = item.state
        team = f" in {item.team}" if item.team else ""
        when = f" on {s.at:%Y-%m-%d}" if s.at else ""
        why = f" ({s.why})" if s.why else ""
        lines.append(f"  {name(s.rule)}{team}: {s.label}, by {_who(s.by)}{when}{why}")
    if learning.changes:
        lines.append(f"  Changes in this period: {len(learning.changes)}")
        for change in learning.changes[-limit:]:
            lines.append(f"    {change.at:%Y-%m-%d %H:%M} {change.describe()}")
    a = learning.agreement
    lines += ["", "Leads' agreement with the bot"]
    if a.judged or a.missed:
        lines.append(
            f"  {a.agreed} of {a.judged} findings judged agreed with ({_percent(a.rate)}); "
            f"{a.missed} {'reply' if a.missed == 1 else 'replies'} the bot missed"
        )
    else:
        lines.append("  No findings were judged in this period.")
    if learning.outcomes:
        lines += ["", "The customer's next message after a nudge (figures, not causes)"]
        for outcome in learning.outcomes[:limit]:
            lines.append(f"  {name(outcome.rule)}: {outcome_words(outcome)}")
    return lines
