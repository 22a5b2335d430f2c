"""Learning from the team: what each kind of nudge earns, and rules a team finds unhelpful.

Pure functions and records; the storage is :mod:`nudgebot.storage.learning`, the surfaces are
the adapters' ``/nudge rules`` commands, the scorecard's verdicts and the leads' report.

- **What a nudge earns.** For each rule that made a live decision: nudges sent, helpful, not
  helpful, *acted on* (the agent edited the nudged message within :data:`ACT_WINDOW`, or used
  the suggestion) and *muted after* (the agent muted nudges within :data:`ACT_WINDOW`).
- **Quieting, per team.** A rule whose live nudges a team marks not helpful most of the time
  (:class:`QuietPolicy`: by default at least 60% of at least 20 votes in 30 days) stops nudging
  live in that team's channels; it still counts in scores and shows when an agent asks. A
  lead can turn a rule ``off`` or ``on`` for good, or give it back to the feedback (``auto``).
- **Leads' agreement.** In the conversation scorecard a lead marks each finding *agree* or
  *disagree*, and a reply the bot passed as *missed*; :func:`labelled_case` turns those verdicts
  (and agents' feedback) into labelled cases in the format of ``real-dev.jsonl``.
- **Outcomes.** How heated the customer's next message read (:func:`heat`) against the message
  the reply answered: calmer, the same or angrier, for nudges acted on and not. Figures, not
  causes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = [
    "ACT_WINDOW",
    "MODES",
    "VERDICTS",
    "Agreement",
    "Judgement",
    "OutcomeCounts",
    "QuietPolicy",
    "RuleChange",
    "RuleFigures",
    "RuleOutcome",
    "RuleState",
    "RulesCommand",
    "RulesCommandError",
    "change",
    "labelled_case",
    "parse_rules_command",
    "rules_lines",
]

ACT_WINDOW = timedelta(minutes=15)
"""An edit of the nudged message (or a mute) this soon after the nudge counts as a reaction."""

Mode = Literal["auto", "on", "off"]
MODES: tuple[Mode, ...] = ("auto", "on", "off")
Verdict = Literal["agree", "disagree", "missed"]
VERDICTS: tuple[Verdict, ...] = ("agree", "disagree", "missed")
Change = Literal["calmer", "same", "angrier"]

_RULE_ID = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+")


@dataclass(frozen=True)
class QuietPolicy:
    """When the team's feedback quiets a rule: ``share`` of ``min_votes`` votes in ``days``."""

    min_votes: int = 20
    share: float = 0.6
    days: int = 30

    def __post_init__(self) -> None:
        if self.min_votes < 1:
            raise ValueError("min_votes must be 1 or more")
        if not 0 < self.share <= 1:
            raise ValueError("share must be more than 0 and at most 1")
        if self.days < 1:
            raise ValueError("days must be 1 or more")

    @property
    def window(self) -> timedelta:
        """The period of votes that counts."""
        return timedelta(days=self.days)

    def quiet(self, helpful: int, not_helpful: int) -> bool:
        """Return whether votes like these quiet a rule (in ``auto`` mode)."""
        votes = helpful + not_helpful
        return votes >= self.min_votes and not_helpful >= self.share * votes

    def describe(self) -> str:
        """Say the policy in words, for help texts and reports."""
        return (
            f"a rule stops nudging live when at least {self.share:.0%} of at least "
            f"{self.min_votes} votes in {self.days} days say not helpful"
        )


@dataclass(frozen=True)
class RuleFigures:
    """What one rule's live nudges earned over a period, in one team (or all)."""

    rule: str
    dimension: str
    live_nudges: int = 0
    helpful: int = 0
    not_helpful: int = 0
    acted_on: int = 0
    muted_after: int = 0

    @property
    def votes(self) -> int:
        """Helpful and not helpful votes together."""
        return self.helpful + self.not_helpful

    @property
    def acceptance(self) -> float | None:
        """Helpful / votes (None without votes)."""
        return self.helpful / self.votes if self.votes else None

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data (the report's ``rules`` entries, without state)."""
        return {
            "rule": self.rule,
            "dimension": self.dimension,
            "live_nudges": self.live_nudges,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "acted_on": self.acted_on,
            "muted_after": self.muted_after,
        }


@dataclass(frozen=True)
class RuleState:
    """Whether a rule nudges live in a team: the lead's ``mode`` and the feedback's verdict."""

    rule: str
    mode: Mode = "auto"
    quiet: bool = False
    """What the feedback last decided (counts only in ``auto`` mode)."""
    by: str | None = None
    """Who made the last change: a lead's user id, or None for the feedback."""
    at: datetime | None = None
    why: str | None = None

    @property
    def live(self) -> bool:
        """Whether the rule may nudge live."""
        return self.mode == "on" or (self.mode == "auto" and not self.quiet)

    @property
    def label(self) -> str:
        """The state in a word or two: ``on``, ``off``, ``auto`` or ``auto (quiet)``."""
        if self.mode == "auto" and self.quiet:
            return "quieted by feedback"
        return {"auto": "auto", "on": "on (lead)", "off": "off (lead)"}[self.mode]

    @property
    def name(self) -> str:
        """The state for JSON: ``on``, ``off``, ``auto`` or ``quiet``."""
        return "quiet" if self.mode == "auto" and self.quiet else self.mode


@dataclass(frozen=True)
class RuleChange:
    """One recorded change of a rule's state in a team."""

    team: str
    rule: str
    mode: Mode
    quiet: bool
    by: str | None
    at: datetime
    why: str | None

    @property
    def live(self) -> bool:
        """Whether the rule nudges live after this change."""
        return RuleState(self.rule, self.mode, self.quiet).live

    def describe(self) -> str:
        """Say the change in a line (``by`` as given: a lead's id or "the team's feedback")."""
        who = self.by if self.by else "the team's feedback"
        state = RuleState(self.rule, self.mode, self.quiet).label
        reason = f": {self.why}" if self.why else ""
        return f"{self.rule} → {state}, by {who}{reason}"


@dataclass(frozen=True)
class Judgement:
    """A lead's verdict on one finding of one reply (``missed``: rule is "")."""

    channel: str
    message_ts: str
    rule: str
    verdict: Verdict
    user: str
    dimension: str | None = None
    text: str | None = None
    thread: tuple[Mapping[str, str], ...] = ()
    platform: str = "slack"
    team: str | None = None
    author: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Agreement:
    """How often leads agree with the bot's findings, and the replies it missed."""

    judged: int = 0
    agreed: int = 0
    missed: int = 0

    @property
    def rate(self) -> float | None:
        """Agreed / judged (None when nothing was judged)."""
        return self.agreed / self.judged if self.judged else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{judged, agreed, rate, missed}``."""
        rate = self.rate
        return {
            "judged": self.judged,
            "agreed": self.agreed,
            "rate": None if rate is None else round(rate, 4),
            "missed": self.missed,
        }


@dataclass(frozen=True)
class OutcomeCounts:
    """How the customer's next message read against the one before the reply."""

    calmer: int = 0
    same: int = 0
    angrier: int = 0

    @property
    def total(self) -> int:
        """Replies with a next customer message."""
        return self.calmer + self.same + self.angrier

    def add(self, change: Change) -> OutcomeCounts:
        """Return these counts with one more of ``change``."""
        return OutcomeCounts(
            self.calmer + (change == "calmer"),
            self.same + (change == "same"),
            self.angrier + (change == "angrier"),
        )

    def to_dict(self) -> dict[str, int]:
        """JSON-ready counts."""
        return {"calmer": self.calmer, "same": self.same, "angrier": self.angrier}


@dataclass(frozen=True)
class RuleOutcome:
    """For one rule's nudged replies: the customer's next message, acted on vs not."""

    rule: str
    acted_on: OutcomeCounts = field(default_factory=OutcomeCounts)
    not_acted_on: OutcomeCounts = field(default_factory=OutcomeCounts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{rule, acted_on: {...}, not_acted_on: {...}}``."""
        return {
            "rule": self.rule,
            "acted_on": self.acted_on.to_dict(),
            "not_acted_on": self.not_acted_on.to_dict(),
        }


def change(before: int | None, after: int | None) -> Change | None:
    """Compare two heat readings (:func:`nudgebot.engine.heat`); None if either is unknown."""
    if before is None or after is None:
        return None
    if after < before:
        return "calmer"
    if after > before:
        return "angrier"
    return "same"


def rules_lines(
    figures: Sequence[RuleFigures],
    states: Mapping[str, RuleState],
    *,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Return one plain line per rule: state, nudges, votes, acceptance, acted on.

    Rules with figures come first (most nudges first), then rules with only a state.
    """
    names = names or {}
    shown = {f.rule: f for f in figures}
    rows = sorted(figures, key=lambda f: (-f.live_nudges, f.rule))
    rows += [RuleFigures(r, r.split(".")[0]) for r in sorted(states) if r not in shown]
    lines = []
    for f in rows:
        state = states.get(f.rule, RuleState(f.rule))
        share = "-" if f.acceptance is None else f"{f.acceptance:.0%}"
        label = names.get(f.rule)
        title = f"{f.rule} ({label})" if label else f.rule
        lines.append(
            f"{title}: {state.label}; {f.live_nudges} live nudges, {f.helpful} helpful, "
            f"{f.not_helpful} not helpful ({share} helpful), {f.acted_on} acted on, "
            f"{f.muted_after} muted after"
        )
    return lines


# --------------------------------------------------------------------------------------------
# ``rules`` commands: ``/nudge rules``, ``/nudge rules off <rule> [why]``, ``nudgebot rules ...``
# --------------------------------------------------------------------------------------------


class RulesCommandError(ValueError):
    """A ``rules`` command that can't be done; the message says how to write it."""


@dataclass(frozen=True)
class RulesCommand:
    """``list`` (the figures and states), or set ``rule``'s mode (``on``/``off``/``auto``)."""

    action: Literal["list", "on", "off", "auto"]
    rule: str | None = None
    why: str | None = None


RULES_USAGE = (
    "`rules` lists each rule's live nudges, votes and state; `rules off <rule> [why]` stops a "
    "rule nudging live in this team, `rules on <rule>` keeps it nudging whatever the feedback, "
    "`rules auto <rule>` lets the team's feedback decide again."
)


def parse_rules_command(text: str, known: Iterable[str]) -> RulesCommand:
    """Read what follows ``rules``: nothing, ``list``/``stats``, or ``on|off|auto RULE [why]``.

    ``known`` are the rule ids there are; a rule may be given by its id or by its last part
    when that is unique (``deflection`` for ``ownership.deflection``). ``llm.<dimension>`` ids
    (the model's findings) are accepted too.
    """
    words = text.split()
    if not words or words[0].lower() in ("list", "stats", "show"):
        if len(words) > 1:
            raise RulesCommandError(f"`rules {words[0]}` takes nothing more. {RULES_USAGE}")
        return RulesCommand("list")
    action = words[0].lower()
    if action not in ("on", "off", "auto"):
        raise RulesCommandError(f"I don't know `rules {words[0]}`. {RULES_USAGE}")
    if len(words) < 2:
        raise RulesCommandError(f"`rules {action}` needs a rule id. {RULES_USAGE}")
    rule = resolve_rule(words[1], known)
    why = " ".join(words[2:]).strip() or None
    if why is not None and len(why) > 300:
        why = why[:299] + "…"
    modes: dict[str, Literal["on", "off", "auto"]] = {"on": "on", "off": "off", "auto": "auto"}
    return RulesCommand(modes[action], rule, why)


def resolve_rule(word: str, known: Iterable[str]) -> str:
    """Return the rule id ``word`` names (an id, or a unique last part); or raise."""
    ids = sorted(set(known))
    given = word.strip().strip("`'\"").lower()
    if given in ids:
        return given
    if given.startswith("llm.") and _RULE_ID.fullmatch(given):
        return given
    tails = [rule for rule in ids if rule.split(".", 1)[-1] == given]
    if len(tails) == 1:
        return tails[0]
    near = [rule for rule in ids if given and given in rule][:5]
    hint = f" Did you mean {', '.join(near)}?" if near else " `rules` lists them."
    if len(tails) > 1:
        hint = f" It could be {', '.join(tails)}."
    raise RulesCommandError(f"There is no rule `{word[:60]}`.{hint}")


# --------------------------------------------------------------------------------------------
# Labelled cases for ``nudgebot export-labels``
# --------------------------------------------------------------------------------------------


def labelled_case(
    ident: str,
    *,
    draft: str,
    thread: Sequence[Mapping[str, str]],
    verdicts: Sequence[tuple[str, str | None, Verdict]],
    source: str = "lead",
) -> dict[str, Any] | None:
    """Return a case in the format of ``real-dev.jsonl`` from the verdicts on one reply.

    ``verdicts`` are ``(rule, dimension, verdict)``. A reply needs a nudge when a lead agreed
    with a finding or said the bot missed it; it needs none when every finding judged was
    disagreed with. Dimensions are those of the findings agreed with and of the misses. None
    when the verdicts say nothing either way (or the reply's words are gone).
    """
    if not draft or not draft.strip() or not verdicts:
        return None
    agreed = [(r, d) for r, d, v in verdicts if v == "agree"]
    missed = [(r, d) for r, d, v in verdicts if v == "missed"]
    needs = bool(agreed or missed)
    dimensions = sorted({d for _, d in agreed + missed if d})
    why = {
        True: "a lead agreed with: " + ", ".join(sorted({r for r, _ in agreed}))
        if agreed
        else "a lead said the bot missed it",
        False: "a lead disagreed with every finding: "
        + ", ".join(sorted({r for r, _, _ in verdicts})),
    }[needs]
    if source == "agent":
        why = f"the agent found the nudge {'helpful' if needs else 'not helpful'}"
    return {
        "id": ident,
        "thread": [{"role": t["role"], "text": t["text"]} for t in thread],
        "draft": draft,
        "needs_nudge": needs,
        "dimensions": dimensions if needs else [],
        "confidence": "high" if source == "lead" else "low",
        "why": why,
        "source": source,
    }
