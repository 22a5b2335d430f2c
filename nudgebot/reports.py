"""Leads' reviews: what ``/nudge review`` and ``nudgebot report`` show, as pure functions.

Nothing here does I/O or imports a platform SDK. The flow:

1. :func:`parse_review_args` turns the text of ``/nudge review ...`` into a
   :class:`ReviewQuery` (scope and period) or a :class:`ThreadQuery` (a message link, for the
   QA scorecard of one conversation); :func:`review_query` builds a query from options (the
   command line).
2. The caller asks the store for the period's :class:`ReportData` (``Store.report_data``:
   counts and sums from SQL, without reading the rows back) and for the :class:`ScoreSums` of
   the period just before it (:meth:`ReviewQuery.previous_period`), and calls
   :func:`build_report_from`. With the stored reviews at hand instead (tests, small data),
   :func:`build_report` does the same: :func:`report_data` aggregates them in Python.
3. :func:`report_text`, :func:`report_csv`, :func:`trend_chart_png` and
   ``nudgebot.adapters.slack.report_blocks.report_blocks`` render the :class:`Report`.

Periods are half-open, ``since <= at < until``. ``7d`` means the seven days (168 hours) before
``now``; ``since 2026-11-01`` means from midnight of that day in the lead's time zone until
``now``. The previous period has the same length and ends where this one starts.

Example quotes and the kudos reply are anonymised (:func:`anonymise`): e-mail addresses, phone
numbers, card numbers and the like become ``[email]``, ``[phone]``...; names and mentions become
``[name]``; order numbers and other ids become ``[id]``; links ``[link]``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nudgebot.engine.facts import extract_facts
from nudgebot.engine.redaction import Redactor
from nudgebot.learning_report import (
    LearningSource,
    TeamLearning,
    learning_lines,
    load_team_learning,
)
from nudgebot.models import (
    DIMENSIONS,
    Dimension,
    Finding,
    Review,
    Scores,
    StoredReview,
    dimension_in,
)

if TYPE_CHECKING:
    from nudgebot.engine.rules import Rule

__all__ = [
    "DEFAULT_DAYS",
    "EXAMPLE_QUOTES",
    "LEADS_ONLY",
    "MAX_DAYS",
    "SLOT_SECONDS",
    "Acceptance",
    "AgentRow",
    "AgentTotals",
    "Issue",
    "Kudos",
    "Report",
    "ReportData",
    "ReportStore",
    "ReviewQuery",
    "ScoreChange",
    "ScoreSums",
    "ScorecardRow",
    "ThreadQuery",
    "ThreadScorecard",
    "TrendPoint",
    "anonymise",
    "build_report",
    "build_report_from",
    "load_report",
    "parse_review_args",
    "quote_ranking",
    "report_csv",
    "report_data",
    "report_text",
    "review_query",
    "rule_counts",
    "rule_label",
    "rule_labels",
    "score_sums",
    "slot_of",
    "slot_start",
    "thread_scorecard",
    "top_rules",
    "trend_chart_png",
    "zone_or_utc",
]

DEFAULT_DAYS = 7
MAX_DAYS = 365
TOP_ISSUES = 3
EXAMPLE_CHARS = 80
KUDOS_CHARS = 200

_DIMENSION_LABELS: dict[str, str] = {d: d.capitalize() for d in DIMENSIONS}


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewQuery:
    """What a lead asked to review: a scope (channels, agents, user groups) and a period.

    An empty scope means every reviewed reply the caller may show. ``groups`` are Slack user
    group ids: the caller resolves them to users before asking the store.
    """

    since: datetime
    until: datetime
    channels: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()
    """Display names Slack sent with the ids, as ``(id, name)`` pairs (may be empty)."""
    days: int | None = None
    """The length asked for as ``Nd`` (None for ``since DATE``)."""
    tz: tzinfo = UTC
    """The lead's time zone: days of the trend and ``since`` dates are counted in it."""

    def previous_period(self) -> tuple[datetime, datetime]:
        """Return ``(since, until)`` of the period of the same length just before this one."""
        return self.since - (self.until - self.since), self.since

    @property
    def period_label(self) -> str:
        """Return the period in words: ``last 7 days`` or ``since 2026-11-01``."""
        if self.days is not None:
            return "last day" if self.days == 1 else f"last {self.days} days"
        return f"since {self.since.astimezone(self.tz).date().isoformat()}"

    def name(self, ident: str) -> str | None:
        """Return the display name Slack sent for ``ident``, if any."""
        for key, value in self.names:
            if key == ident and value:
                return value
        return None


@dataclass(frozen=True)
class ThreadQuery:
    """A conversation to score: the channel and the ``ts`` of the thread's first message.

    ``message`` is the ``ts`` of the linked message itself (equal to ``ts`` unless the link
    pointed at a reply inside a thread).
    """

    channel: str
    ts: str
    message: str


_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>\Z")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>\Z")
_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|([^<>]*))?>\Z")
_LINK = re.compile(
    r"<?(https://[a-z0-9.-]+\.slack\.com/archives/([CDG][A-Z0-9]+)/p(\d{10})(\d{6})"
    r"(?:\?([^\s<>|]*))?)(?:\|[^<>]*)?>?\Z",
    re.IGNORECASE,
)
_THREAD_TS = re.compile(r"(?:^|&)thread_ts=(\d{10}\.\d{6})(?:&|$)")
_DAYS = re.compile(r"(\d{1,4})\s*(d|days?|w|weeks?)\Z", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_TOKENS = re.compile(r"<[^<>]*>|[^\s<>]+|[<>]")
_HINT = "Try 7d, 30d or since 2026-11-01."


def _clip(token: str, limit: int = 40) -> str:
    token = " ".join(token.split())
    return token if len(token) <= limit else token[: limit - 1] + "…"


LEADS_ONLY = (
    "Sorry, only team leads can run a review. If you'd like to see how the team is doing, "
    "ask your lead."
)
"""The one answer a non-lead gets to any review command, whatever they asked for."""


def zone_or_utc(name: str | None) -> tzinfo:
    """Return the time zone called ``name`` (a platform's user setting), else UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def review_query(
    *,
    now: datetime,
    days: int | None = None,
    since: date | None = None,
    channels: Iterable[str] = (),
    users: Iterable[str] = (),
    groups: Iterable[str] = (),
    names: Iterable[tuple[str, str]] = (),
    tz: tzinfo = UTC,
) -> ReviewQuery:
    """Return the query for a scope and a period (``days`` or ``since``; default 7 days).

    Raises:
        ValueError: ``now`` is naive, both periods are given, ``days`` is not 1-365, or
            ``since`` is after today or more than 365 days before it (in ``tz``). The message
            can be shown to a user.

    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if days is not None and since is not None:
        raise ValueError(f"Give one period only. {_HINT}")
    if since is not None:
        today = now.astimezone(tz).date()
        if since > today:
            raise ValueError(
                f"{since.isoformat()} is in the future: pick a day on or before {today}."
            )
        earliest = today - timedelta(days=MAX_DAYS)
        if since < earliest:
            raise ValueError(
                f"{since.isoformat()} is too far back: pick a day from {earliest} on "
                f"(reviews cover at most {MAX_DAYS} days)."
            )
        start = datetime.combine(since, time(0), tzinfo=tz)
    else:
        days = DEFAULT_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"Pick a period of 1 to {MAX_DAYS} days.")
        start = now - timedelta(days=days)
    return ReviewQuery(
        since=start,
        until=now,
        channels=tuple(dict.fromkeys(channels)),
        users=tuple(dict.fromkeys(users)),
        groups=tuple(dict.fromkeys(groups)),
        names=tuple(dict.fromkeys((key, value) for key, value in names if value)),
        days=days,
        tz=tz,
    )


def parse_review_args(text: str, *, now: datetime, tz: tzinfo = UTC) -> ReviewQuery | ThreadQuery:
    """Parse ``[#channel | @agent | @usergroup ...] [7d | 30d | since 2026-11-01]``.

    Scopes arrive as Slack markup (``<#C123|name>``, ``<@U123>``, ``<!subteam^S123|@team>``);
    several may be given. A leading ``review`` is ignored. A Slack message link on its own
    (``https://x.slack.com/archives/C123/p1700000000000100``) gives a :class:`ThreadQuery`.

    Raises:
        ValueError: with a short message for the user, e.g. "I didn't understand '40x'. Try
            7d, 30d or since 2026-11-01."

    """
    tokens = _TOKENS.findall(text)
    if tokens and tokens[0].lower() == "review":
        tokens = tokens[1:]
    links = [match for token in tokens if (match := _LINK.match(token))]
    if links:
        if len(tokens) > 1:
            raise ValueError(
                "A message link gives the scorecard of that one conversation: "
                "send the link on its own."
            )
        _, channel, seconds, micros, query = links[0].groups()
        message = f"{seconds}.{micros}"
        thread = _THREAD_TS.search(query or "")
        return ThreadQuery(channel.upper(), thread.group(1) if thread else message, message)
    channels: list[str] = []
    users: list[str] = []
    groups: list[str] = []
    names: list[tuple[str, str]] = []
    days: int | None = None
    since: date | None = None
    periods = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        lowered = token.lower()
        if match := _CHANNEL.match(token):
            channels.append(match.group(1))
            names.append((match.group(1), (match.group(2) or "").lstrip("#")))
        elif match := _USER.match(token):
            users.append(match.group(1))
            names.append((match.group(1), (match.group(2) or "").lstrip("@")))
        elif match := _GROUP.match(token):
            groups.append(match.group(1))
            names.append((match.group(1), (match.group(2) or "").lstrip("@")))
        elif match := _DAYS.match(token):
            periods += 1
            number, unit = int(match.group(1)), match.group(2).lower()
            days = number * 7 if unit.startswith("w") else number
        elif lowered == "since":
            periods += 1
            if index == len(tokens):
                raise ValueError("'since' needs a date, like since 2026-11-01.")
            since = _parse_date(tokens[index])
            index += 1
        elif _DATE.match(token):
            periods += 1
            since = _parse_date(token)
        elif token.startswith(("<!here", "<!channel", "<!everyone")):
            raise ValueError("That's everyone at once: pick a #channel, an @agent or a @group.")
        elif token.startswith(("#", "@")) and len(token) > 1:
            raise ValueError(
                f"I couldn't tell which {'channel' if token[0] == '#' else 'person or group'} "
                f"'{_clip(token)}' is: pick it from the list Slack shows as you type."
            )
        elif lowered.startswith(("http://", "https://", "<http")):
            raise ValueError(
                "That link doesn't point to a Slack message: use 'Copy link' on the message."
            )
        else:
            raise ValueError(f"I didn't understand '{_clip(token)}'. {_HINT}")
    if periods > 1:
        raise ValueError(f"Give one period only. {_HINT}")
    return review_query(
        now=now,
        days=days,
        since=since,
        channels=channels,
        users=users,
        groups=groups,
        names=names,
        tz=tz,
    )


def _parse_date(token: str) -> date:
    """Return the date of a ``YYYY-MM-DD`` token, or raise ValueError for the user."""
    if _DATE.match(token):
        try:
            return date.fromisoformat(token)
        except ValueError:
            pass
    raise ValueError(f"'{_clip(token)}' isn't a date I can read: use YYYY-MM-DD, like 2026-11-01.")


# --------------------------------------------------------------------------------------------
# Anonymisation and labels
# --------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\[([A-Z][A-Z0-9]*)_[0-9]+\]")
_FACT_MASKS = {
    "name": "[name]",
    "mention": "[name]",
    "email": "[email]",
    "phone": "[phone]",
    "url": "[link]",
    "link": "[link]",
    "channel": "[channel]",
}
_NESTED = ("quote", "emphasis")
_ID_TOKEN = re.compile(r"\S*\d\S*")


def _mask_id(text: str) -> str:
    """Mask the parts of an ``id`` fact that identify something (``order 55120``)."""

    def mask(match: re.Match[str]) -> str:
        token = match.group()
        long_enough = len(token) >= 4 or any(char.isalpha() for char in token)
        return "[id]" if long_enough else token

    return _ID_TOKEN.sub(mask, text)


def _mask_facts(text: str, depth: int = 0) -> str:
    parts: list[str] = []
    position = 0
    for fact in extract_facts(text):
        parts.append(text[position : fact.start])
        if fact.kind in _FACT_MASKS:
            parts.append(_FACT_MASKS[fact.kind])
        elif fact.kind == "id":
            parts.append(_mask_id(fact.text))
        elif fact.kind in _NESTED and depth < 3 and len(fact.text) > 2:
            parts.append(fact.text[0] + _mask_facts(fact.text[1:-1], depth + 1) + fact.text[-1])
        else:
            parts.append(fact.text)
        position = fact.end
    parts.append(text[position:])
    return "".join(parts)


def _shorten(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters at a word end, with ``…`` when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:-") + "…"


def anonymise(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """Return ``text`` without personal data, on one line, at most ``limit`` characters.

    Names, mentions, e-mail addresses, phone numbers, links, channels and ids (order numbers,
    references) found by :func:`~nudgebot.engine.facts.extract_facts` are masked first; then the
    :class:`~nudgebot.engine.redaction.Redactor` catches what is left (cards, IBANs, national
    ids...).
    Lower-case names ("hi sarah") are not recognised.
    """
    masked = Redactor().redact(_mask_facts(" ".join(text.split())))
    masked = _PLACEHOLDER.sub(lambda m: f"[{m.group(1).lower()}]", masked)
    return _shorten(masked, limit)


_LEADING_QUOTE = re.compile(r"^[“\"‘']\{quote\}[”\"’']\s*(?:[-–—:,]\s*)?")


def rule_label(message: str) -> str:
    """Return a short label for a rule from its message template.

    ``“{quote}” passes the customer along instead of taking it on.`` becomes "Passes the
    customer along instead of taking it on"; anything after a ``;`` and every other
    ``{placeholder}`` are dropped.
    """
    text = _LEADING_QUOTE.sub("", " ".join(message.split()))
    text = re.split(r";\s", text, maxsplit=1)[0]
    text = re.sub(r"[“\"]?\{[a-z_]+\}[”\"]?", "", text)
    text = " ".join(text.split()).rstrip(" .!:,-–—")
    return text[:1].upper() + text[1:]


def rule_labels(rules: Iterable[Rule]) -> dict[str, str]:
    """Return ``{rule id: label}`` for a rulebook's rules, for :func:`build_report`."""
    return {rule.id: rule_label(rule.message) for rule in rules}


def _fallback_label(rule: str, dimension: str) -> str:
    """Return a label for a rule without a known message: ``Ownership: deflection``."""
    prefix, _, slug = rule.partition(".")
    area = _DIMENSION_LABELS.get(dimension, dimension.capitalize())
    if prefix == "llm":
        return f"{area} (found by the model)"
    return f"{area}: {slug.replace('-', ' ')}" if slug else area


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChange:
    """The mean of one score over the period and the one before (None: no replies)."""

    name: str
    """A dimension, or ``overall``."""
    mean: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Return ``mean - previous`` (None when either period had no replies)."""
        if self.mean is None or self.previous is None:
            return None
        return self.mean - self.previous


@dataclass(frozen=True)
class Issue:
    """A frequent finding: its rule, a label, how many replies had it, an anonymised quote."""

    rule: str
    label: str
    dimension: Dimension
    count: int
    example: str | None


@dataclass(frozen=True)
class Kudos:
    """The best reply of the period (anonymised); ``user`` is for the lead's private view."""

    review_id: int
    user: str | None
    channel: str | None
    at: datetime
    overall: int
    text: str


@dataclass(frozen=True)
class Acceptance:
    """What agents said about the nudges they were sent."""

    nudges: int
    helpful: int
    not_helpful: int

    @property
    def answered(self) -> int:
        """Return how many nudges got an answer."""
        return self.helpful + self.not_helpful

    @property
    def share(self) -> float | None:
        """Return helpful / answered (None when no nudge got an answer)."""
        return self.helpful / self.answered if self.answered else None


@dataclass(frozen=True)
class AgentRow:
    """One agent's replies in the period."""

    user: str
    replies: int
    overall: float
    """Mean overall score."""
    nudges: int
    helpful: int
    not_helpful: int

    @property
    def helpful_share(self) -> float | None:
        """Return the share of answered nudges the agent found helpful (None: no answers)."""
        answered = self.helpful + self.not_helpful
        return self.helpful / answered if answered else None


@dataclass(frozen=True)
class TrendPoint:
    """One day of the trend: the mean overall score of its replies and their number."""

    day: date
    overall: float
    count: int


@dataclass(frozen=True)
class Report:
    """A lead's review of a period. Means are unrounded; renderers round them."""

    query: ReviewQuery
    replies: int
    previous_replies: int
    overall: ScoreChange
    scores: tuple[ScoreChange, ...]
    """One per dimension, in the order of :data:`~nudgebot.models.DIMENSIONS`."""
    issues: tuple[Issue, ...]
    kudos: Kudos | None
    acceptance: Acceptance
    agents: tuple[AgentRow, ...]
    """Sorted by replies (most first), then user id; replies without a user are left out."""
    trend: tuple[TrendPoint, ...]
    """Days with replies, oldest first (days in ``query.tz``)."""
    unreviewed: int = 0
    """Live messages in the period never reviewed: shed while the app was overloaded, or
    failed every attempt (counted for channels and whole teams; not per agent)."""
    learning: TeamLearning | None = None
    """What the team's reactions say (rules, quieting, agreement, outcomes): None when the
    report was loaded without a :class:`~nudgebot.learning_report.LearningSource`."""

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (means rounded to 2 decimals)."""
        q = self.query
        return {
            "period": {
                "since": q.since.isoformat(),
                "until": q.until.isoformat(),
                "label": q.period_label,
            },
            "scope": {
                "channels": list(q.channels),
                "users": list(q.users),
                "groups": list(q.groups),
            },
            "replies": self.replies,
            "previous_replies": self.previous_replies,
            "unreviewed": self.unreviewed,
            "scores": {s.name: _score_dict(s) for s in (self.overall, *self.scores)},
            "issues": [
                {
                    "rule": i.rule,
                    "label": i.label,
                    "dimension": i.dimension,
                    "count": i.count,
                    "example": i.example,
                }
                for i in self.issues
            ],
            "kudos": None
            if self.kudos is None
            else {
                "review_id": self.kudos.review_id,
                "user": self.kudos.user,
                "channel": self.kudos.channel,
                "at": self.kudos.at.isoformat(),
                "overall": self.kudos.overall,
                "text": self.kudos.text,
            },
            "acceptance": {
                "nudges": self.acceptance.nudges,
                "helpful": self.acceptance.helpful,
                "not_helpful": self.acceptance.not_helpful,
                "share": _round(self.acceptance.share),
            },
            "agents": [
                {
                    "user": a.user,
                    "replies": a.replies,
                    "overall": _round(a.overall),
                    "nudges": a.nudges,
                    "helpful": a.helpful,
                    "not_helpful": a.not_helpful,
                    "helpful_share": _round(a.helpful_share),
                }
                for a in self.agents
            ],
            "trend": [
                {"day": p.day.isoformat(), "overall": _round(p.overall), "count": p.count}
                for p in self.trend
            ],
            **({} if self.learning is None else self.learning.to_dict()),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _score_dict(score: ScoreChange) -> dict[str, float | None]:
    return {
        "mean": _round(score.mean),
        "previous": _round(score.previous),
        "change": _round(score.change),
    }


@dataclass(frozen=True)
class ScoreSums:
    """The number of replies of a period and the sums of their scores.

    Enough for the means of a period, so the previous period need not be fetched row by row:
    a store can answer it with one ``COUNT`` / ``SUM`` query. ``overall`` is the sum of each
    reply's rounded overall score (``round(sum of the five / 5)``: never a tie, since the five
    are integers, so SQL's ``ROUND`` gives the same).
    """

    count: int = 0
    respect: int = 0
    empathy: int = 0
    adaptable: int = 0
    learn: int = 0
    ownership: int = 0
    overall: int = 0

    def means(self) -> list[float | None]:
        """Return the means of the five scores and of the overall score (None: no replies)."""
        sums = (self.respect, self.empathy, self.adaptable, self.learn, self.ownership)
        return [total / self.count if self.count else None for total in (*sums, self.overall)]


def score_sums(rows: Iterable[StoredReview]) -> ScoreSums:
    """Return the :class:`ScoreSums` of ``rows``."""
    n = r = e = a = le = o = total = 0
    for row in rows:
        s = row.scores
        n += 1
        r += s.respect
        e += s.empathy
        a += s.adaptable
        le += s.learn
        o += s.ownership
        total += round((s.respect + s.empathy + s.adaptable + s.learn + s.ownership) / 5)
    return ScoreSums(n, r, e, a, le, o, total)


SLOT_SECONDS = 15 * 60
"""The trend's days are folded from slots this long (counted in UTC from the epoch). Every
time zone in use today is a whole number of quarter hours from UTC and changes its offset on a
quarter hour, so no slot straddles a local midnight: the days come out right in any zone, DST
included, and the store can count slots without knowing the lead's zone."""
EXAMPLE_QUOTES = 5
"""How many of a top rule's most used quotes are kept, to find one that anonymises well."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SLOT = timedelta(seconds=SLOT_SECONDS)
_DIMENSION_ORDER: dict[str, int] = {dimension: index for index, dimension in enumerate(DIMENSIONS)}


@dataclass(frozen=True)
class AgentTotals:
    """One agent's replies in a period, summed (an :class:`AgentRow` is made from it)."""

    replies: int
    overall: int
    """The sum of the replies' rounded overall scores."""
    nudges: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class ReportData:
    """A period's stored reviews, aggregated: everything :func:`build_report_from` needs.

    :func:`report_data` computes it from rows in Python; ``Store.report_data`` computes the
    same with a few SQL queries, without reading the period's rows back.
    """

    sums: ScoreSums
    acceptance: Acceptance
    agents: Mapping[str, AgentTotals]
    """Per user id (replies without a user count in ``sums`` and ``acceptance`` only)."""
    slots: Mapping[datetime, tuple[int, int]]
    """``(sum of the rounded overall scores, replies)`` per slot of :data:`SLOT_SECONDS`
    that had replies, by the slot's start (UTC)."""
    rules: Mapping[str, int]
    """How many replies had each rule (a reply with one rule twice counts once)."""
    dimensions: Mapping[str, Dimension]
    """Each rule's dimension (see :func:`rule_counts`)."""
    quotes: Mapping[str, tuple[str, ...]]
    """For the rules :func:`top_rules` ranks first, their most used quotes (see
    :func:`quote_ranking`); a rule never quoted is missing."""
    best: StoredReview | None
    """The best reply: the highest overall score among replies that needed no nudge and still
    have their text (ties: the latest, then the highest id)."""


def slot_of(at: datetime) -> int:
    """Return the number of the :data:`SLOT_SECONDS` slot ``at`` (aware) falls in."""
    return (at - _EPOCH) // _SLOT


def slot_start(slot: int) -> datetime:
    """Return when slot number ``slot`` starts, in UTC."""
    return _EPOCH + slot * _SLOT


def rule_counts(
    findings: Iterable[tuple[Sequence[str], Sequence[str], int]],
) -> tuple[dict[str, int], dict[str, Dimension]]:
    """Return how many replies had each rule, and each rule's dimension.

    ``findings`` are ``(rules, dimensions, replies)``: how many replies had exactly those
    findings (one item per reply will do). A reply with a rule twice counts once, with the
    dimension of its first. A rule's dimension is the one it was found under most often (ties:
    in the order of :data:`~nudgebot.models.DIMENSIONS`): a rule id has one, unless stored
    data disagrees.
    """
    counts: dict[str, int] = {}
    under: dict[tuple[str, str], int] = {}
    for rules, dimensions, replies in findings:
        seen: set[str] = set()
        for position, rule in enumerate(rules):
            if rule in seen:
                continue
            seen.add(rule)
            counts[rule] = counts.get(rule, 0) + replies
            if position < len(dimensions):
                key = (rule, dimensions[position])
                under[key] = under.get(key, 0) + replies
    ranked = sorted(
        under.items(),
        key=lambda item: (-item[1], _DIMENSION_ORDER.get(item[0][1], len(DIMENSIONS)), item[0][1]),
    )
    chosen: dict[str, str] = {}
    for (rule, dimension), _ in ranked:
        chosen.setdefault(rule, dimension)
    return counts, cast("dict[str, Dimension]", chosen)  # as stored: Dimensions


def top_rules(counts: Mapping[str, int]) -> list[str]:
    """Return the :data:`TOP_ISSUES` rules found in most replies, most first (ties: by id)."""
    return sorted(counts, key=lambda rule: (-counts[rule], rule))[:TOP_ISSUES]


def quote_ranking(
    findings: Iterable[tuple[Sequence[str], Sequence[str]]], rules: Collection[str]
) -> dict[str, tuple[str, ...]]:
    """Return the most used quotes of each of ``rules``, most used first.

    ``findings`` are ``(rules, quotes)`` of the period's replies, oldest first. A reply counts
    with the quote of its first finding of a rule, when that is not blank. Ties go to the
    quote used first; at most :data:`EXAMPLE_QUOTES` are kept per rule.
    """
    wanted = set(rules)
    found: dict[str, Counter[str]] = {}
    for ids, quotes in findings:
        seen: set[str] = set()
        for position, rule in enumerate(ids[: len(quotes)]):
            if rule in seen or rule not in wanted:
                continue
            seen.add(rule)
            quote = quotes[position]
            if quote.strip():
                counter = found.get(rule)
                if counter is None:
                    counter = found[rule] = Counter()
                counter[quote] += 1
    return {
        rule: tuple(quote for quote, _ in counter.most_common(EXAMPLE_QUOTES))
        for rule, counter in found.items()
    }


def report_data(rows: Sequence[StoredReview]) -> ReportData:
    """Return the :class:`ReportData` of the period's ``rows`` (oldest first, as stored).

    The Python twin of ``Store.report_data``: one pass over the rows, counting findings by
    their distinct ``(rules, dimensions)`` as the store's ``GROUP BY`` does, then the quotes
    of the top rules.
    """
    agents: dict[str, list[int]] = {}
    slots: dict[int, list[int]] = {}
    combinations: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    best: StoredReview | None = None
    best_key: tuple[int, datetime, int] | None = None
    nudges = helpful = not_helpful = 0
    r = e = a = le = o = total = 0
    for row in rows:
        s = row.scores
        r += s.respect
        e += s.empathy
        a += s.adaptable
        le += s.learn
        o += s.ownership
        overall = round((s.respect + s.empathy + s.adaptable + s.learn + s.ownership) / 5)
        total += overall
        if row.rules:
            combinations[row.rules, row.dimensions] += 1
        said = row.helpful if row.nudged else None
        if row.nudged:
            nudges += 1
            helpful += said is True
            not_helpful += said is False
        if row.user is not None:
            agent = agents.get(row.user)
            if agent is None:
                agent = agents[row.user] = [0, 0, 0, 0, 0]
            agent[0] += 1
            agent[1] += overall
            agent[2] += row.nudged
            agent[3] += said is True
            agent[4] += said is False
        slot = slots.get(number := slot_of(row.at))
        if slot is None:
            slot = slots[number] = [0, 0]
        slot[0] += overall
        slot[1] += 1
        if not row.needs_nudge and row.text is not None and row.text.strip():
            key = (overall, row.at, row.id)
            if best_key is None or key > best_key:
                best_key, best = key, row
    counts, dimensions = rule_counts((ids, dims, n) for (ids, dims), n in combinations.items())
    quotes = quote_ranking(((row.rules, row.quotes) for row in rows), top_rules(counts))
    return ReportData(
        sums=ScoreSums(len(rows), r, e, a, le, o, total),
        acceptance=Acceptance(nudges, helpful, not_helpful),
        agents={user: AgentTotals(*totals) for user, totals in agents.items()},
        slots={slot_start(number): (t, n) for number, (t, n) in slots.items()},
        rules=counts,
        dimensions=dimensions,
        quotes=quotes,
        best=best,
    )


def _example(quotes: Sequence[str]) -> str | None:
    """Return the first of a rule's most used quotes that still says something anonymised."""
    for quote in quotes:
        text = anonymise(quote)
        if any(char.isalpha() for char in _PLACEHOLDER_WORDS.sub("", text)):
            return text
    return None


_PLACEHOLDER_WORDS = re.compile(r"\[[a-z]+\]")


def build_report(
    rows: Sequence[StoredReview],
    previous: Sequence[StoredReview] | ScoreSums,
    *,
    query: ReviewQuery,
    labels: Mapping[str, str] | None = None,
) -> Report:
    """Return the review of ``rows`` (the period's stored reviews) against ``previous``.

    Args:
        rows: the stored reviews of the period and scope, as the store returns them.
        previous: those of the period of the same length just before (only their scores are
            used), or their :class:`ScoreSums` (e.g. from an aggregate query).
        query: the period and scope (for the report's header and the days of the trend).
        labels: ``{rule id: label}`` (see :func:`rule_labels`); rules missing from it are
            labelled from their dimension and id.

    The same as :func:`build_report_from` over :func:`report_data` of ``rows``: for rows at
    hand (tests, small data); a store answers ``report_data`` without reading them.

    """
    return build_report_from(report_data(rows), previous, query=query, labels=labels)


def build_report_from(
    data: ReportData,
    previous: Sequence[StoredReview] | ScoreSums,
    *,
    query: ReviewQuery,
    labels: Mapping[str, str] | None = None,
    unreviewed: int = 0,
    learning: TeamLearning | None = None,
) -> Report:
    """Return the review of a period from its aggregate ``data`` against ``previous``.

    ``data`` comes from ``Store.report_data`` (or :func:`report_data`); the other arguments
    are those of :func:`build_report`.

    Top issues count replies (a reply with one rule twice counts once), most first, ties by
    rule id; each example is the rule's most used quote, anonymised. The best reply is the
    highest overall score among replies that needed no nudge and still have their text (ties:
    the latest). Acceptance counts the nudges sent and the agents' helpful / not helpful.
    The trend's days are those of ``query.tz``.
    """
    labels = labels or {}
    before = previous if isinstance(previous, ScoreSums) else score_sums(previous)
    now_means, before_means = data.sums.means(), before.means()

    def change(name: str, index: int) -> ScoreChange:
        return ScoreChange(name, now_means[index], before_means[index])

    return Report(
        query=query,
        replies=data.sums.count,
        previous_replies=before.count,
        overall=change("overall", 5),
        scores=tuple(change(d, i) for i, d in enumerate(DIMENSIONS)),
        issues=tuple(_issue(rule, data, labels) for rule in top_rules(data.rules)),
        kudos=_kudos(data.best),
        acceptance=data.acceptance,
        agents=_agent_rows(data.agents),
        trend=_trend(data.slots, query.tz),
        unreviewed=unreviewed,
        learning=learning,
    )


def _issue(rule: str, data: ReportData, labels: Mapping[str, str]) -> Issue:
    dimension = data.dimensions.get(rule, _guess_dimension(rule))
    label = labels.get(rule) or _fallback_label(rule, dimension)
    return Issue(rule, label, dimension, data.rules[rule], _example(data.quotes.get(rule, ())))


def _kudos(best: StoredReview | None) -> Kudos | None:
    if best is None:
        return None
    text = anonymise(best.text or "", KUDOS_CHARS)
    return Kudos(best.id, best.user, best.channel, best.at, best.scores.overall, text)


def _agent_rows(agents: Mapping[str, AgentTotals]) -> tuple[AgentRow, ...]:
    """Return the per-agent rows, by replies (most first), then user id."""
    rows = (
        AgentRow(user, a.replies, a.overall / a.replies, a.nudges, a.helpful, a.not_helpful)
        for user, a in agents.items()
    )
    return tuple(sorted(rows, key=lambda row: (-row.replies, row.user)))


def _trend(slots: Mapping[datetime, tuple[int, int]], tz: tzinfo) -> tuple[TrendPoint, ...]:
    """Fold the slots into the days of ``tz``, oldest first."""
    days: dict[date, list[int]] = {}
    for start, (total, count) in slots.items():
        day = days.setdefault(start.astimezone(tz).date(), [0, 0])
        day[0] += total
        day[1] += count
    return tuple(TrendPoint(day, total / n, n) for day, (total, n) in sorted(days.items()))


class ReportStore(Protocol):
    """What :func:`load_report` needs of the store (:class:`nudgebot.storage.Store` has it)."""

    async def unreviewed(
        self, *, since: datetime, until: datetime, channels: Collection[str] | None = None
    ) -> int:
        """Count the live messages of the period never reviewed (shed, or failed)."""
        ...

    async def report_data(
        self,
        *,
        since: datetime,
        until: datetime,
        channels: Collection[str] | None = None,
        users: Collection[str] | None = None,
        team: str | None = None,
    ) -> ReportData:
        """Aggregate the period's stored reviews."""
        ...

    async def score_sums(
        self,
        *,
        since: datetime,
        until: datetime,
        channels: Collection[str] | None = None,
        users: Collection[str] | None = None,
        team: str | None = None,
    ) -> ScoreSums:
        """Sum the scores of the period's stored reviews."""
        ...


async def load_report(
    store: ReportStore,
    query: ReviewQuery,
    *,
    labels: Mapping[str, str] | None = None,
    users: Collection[str] | None = None,
    team: str | None = None,
    learning: LearningSource | None = None,
) -> Report:
    """Return the report of ``query`` from the store, aggregated in SQL (no row read back).

    ``users`` replaces the query's own agents when given (e.g. a user group resolved to its
    members; an empty collection matches nothing); ``team`` narrows to one workspace/tenant
    (None: every one). With ``learning`` (the same store's
    :class:`~nudgebot.storage.learning.Learning`), the report carries what the team's
    reactions say (:class:`~nudgebot.learning_report.TeamLearning`), over the team and the
    query's channels (not narrowed to agents: the figures are the team's).
    """
    channels = list(query.channels) or None
    agents = (list(query.users) or None) if users is None else list(users)
    learned = None
    part = None
    if learning is not None:  # read beside the report's own queries (a connection each)
        part = asyncio.ensure_future(
            load_team_learning(
                learning, since=query.since, until=query.until, team=team, channels=channels
            )
        )
    try:
        data = await store.report_data(
            since=query.since, until=query.until, channels=channels, users=agents, team=team
        )
        before, after = query.previous_period()
        previous = await store.score_sums(
            since=before, until=after, channels=channels, users=agents, team=team
        )
        unreviewed = 0
        if agents is None:  # messages never reviewed are known by channel, not by agent
            unreviewed = await store.unreviewed(
                since=query.since, until=query.until, channels=channels
            )
    except BaseException:
        if part is not None:
            part.cancel()
            await asyncio.gather(part, return_exceptions=True)
        raise
    if part is not None:
        learned = await part
        named = labels or {}
        learned = replace(
            learned,
            labels={
                rule: named.get(rule) or _fallback_label(rule, _guess_dimension(rule))
                for rule in learned.rule_ids()
            },
        )
    return build_report_from(
        data, previous, query=query, labels=labels, unreviewed=unreviewed, learning=learned
    )


def _guess_dimension(rule: str) -> Dimension:
    return dimension_in(rule) or "ownership"


# --------------------------------------------------------------------------------------------
# The QA scorecard of one conversation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardRow:
    """One agent reply of a conversation: who wrote it, its scores, its top finding."""

    position: int
    """1 for the first agent reply scored, 2 for the next..."""
    user: str
    scores: Scores
    needs_nudge: bool
    judged: bool
    top: Finding | None
    """The finding that matters most (nudge before hint, then the costliest), if any."""


@dataclass(frozen=True)
class ThreadScorecard:
    """The QA scorecard of one conversation: each agent reply, and the means over them."""

    rows: tuple[ScorecardRow, ...]
    means: Mapping[str, float] = field(default_factory=dict)
    """Mean of each dimension and ``overall`` over the judged replies (empty: none judged)."""

    @property
    def nudges(self) -> int:
        """Return how many replies would have been nudged."""
        return sum(1 for row in self.rows if row.needs_nudge)


def _top_finding(findings: Sequence[Finding]) -> Finding | None:
    """Return the finding that matters most: nudge before hint, then costliest, then first."""
    if not findings:
        return None
    ranked = min(enumerate(findings), key=lambda x: (x[1].level != "nudge", -x[1].cost, x[0]))
    return ranked[1]


def thread_scorecard(reviews: Sequence[tuple[str, Review]]) -> ThreadScorecard:
    """Return the scorecard of one conversation from its agent replies, in thread order.

    Each item is ``(author user id, review of that reply)``. Replies the engine could not
    judge are listed but left out of the means.
    """
    rows = tuple(
        ScorecardRow(
            position,
            user,
            review.scores,
            review.needs_nudge,
            review.judged,
            _top_finding(review.findings),
        )
        for position, (user, review) in enumerate(reviews, start=1)
    )
    judged = [row.scores for row in rows if row.judged]
    means: dict[str, float] = {}
    if judged:
        for dimension in DIMENSIONS:
            means[dimension] = sum(getattr(s, dimension) for s in judged) / len(judged)
        means["overall"] = sum(s.overall for s in judged) / len(judged)
    return ThreadScorecard(rows, means)


# --------------------------------------------------------------------------------------------
# Plain renderings: text, CSV, PNG
# --------------------------------------------------------------------------------------------


def _arrow(change: float | None) -> str:
    if change is None:
        return "(no earlier data)"
    if round(change, 1) == 0:
        return "(=)"
    return f"({'▲' if change > 0 else '▼'}{abs(change):.1f})"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def report_text(report: Report) -> str:
    """Return the report as plain text for a terminal (ids shown as they are)."""
    q = report.query
    scope = [f"#{c}" for c in q.channels] + [f"@{u}" for u in q.users]
    scope += [f"group {g}" for g in q.groups]
    since, until = q.since.astimezone(q.tz), q.until.astimezone(q.tz)
    lines = [
        f"Review of {', '.join(scope) if scope else 'all replies'}, {q.period_label}",
        f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {until.tzname() or ''}".rstrip(),
        "",
        f"Replies reviewed: {report.replies} (previous period: {report.previous_replies})",
    ]
    if report.unreviewed:
        lines.append(
            f"Not reviewed: {report.unreviewed} (the app was overloaded, or reviewing failed)"
        )
    if not report.replies:
        lines.append("No replies were reviewed in this period.")
        if report.learning is not None and (report.learning.quieted or report.learning.changes):
            lines += ["", *learning_lines(report.learning)]
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append("Scores (mean, change against the previous period)")
    for score in (report.overall, *report.scores):
        mean = "-" if score.mean is None else f"{score.mean:.1f}"
        lines.append(f"  {score.name.capitalize():<10} {mean:>5}  {_arrow(score.change)}")
    if report.issues:
        lines += ["", "Most frequent issues"]
        for number, issue in enumerate(report.issues, start=1):
            lines.append(f"  {number}. {issue.label} ({issue.dimension}): {issue.count} replies")
            if issue.example:
                lines.append(f"     e.g. “{issue.example}”")
    if report.kudos is not None:
        k = report.kudos
        by = f" by {k.user}" if k.user else ""
        lines += ["", f"Best reply{by} (overall {k.overall}):", f"  “{k.text}”"]
    a = report.acceptance
    lines += [
        "",
        f"Nudges: {a.nudges} sent, {a.helpful} helpful, {a.not_helpful} not helpful "
        f"(helpful: {_percent(a.share)})",
    ]
    if report.agents:
        width = max(8, *(len(agent.user) for agent in report.agents))
        lines += ["", f"  {'agent':<{width}}  replies  overall  nudges  helpful"]
        for agent in report.agents:
            lines.append(
                f"  {agent.user:<{width}}  {agent.replies:>7}  {agent.overall:>7.1f}  "
                f"{agent.nudges:>6}  {_percent(agent.helpful_share):>7}"
            )
    if len(report.trend) > 1:
        lines += ["", "Daily trend (mean overall, replies)"]
        lines += [f"  {p.day.isoformat()}  {p.overall:5.1f}  {p.count}" for p in report.trend]
    if report.learning is not None:
        lines += ["", *learning_lines(report.learning)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "section",
    "key",
    "replies",
    "mean_overall",
    "nudges",
    "helpful",
    "not_helpful",
    "helpful_share",
)


def report_csv(report: Report) -> str:
    """Return the per-agent rows and the daily trend as one CSV table.

    Columns: :data:`CSV_COLUMNS`. ``section`` is ``agent`` (``key``: the user id) or ``day``
    (``key``: the date, ``YYYY-MM-DD``); day rows leave the nudge columns empty. Means have two
    decimals, shares are 0-1 with four.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in report.agents:
        share = a.helpful_share
        writer.writerow(
            [
                "agent",
                a.user,
                a.replies,
                f"{a.overall:.2f}",
                a.nudges,
                a.helpful,
                a.not_helpful,
                "" if share is None else f"{share:.4f}",
            ]
        )
    for p in report.trend:
        writer.writerow(["day", p.day.isoformat(), p.count, f"{p.overall:.2f}", "", "", "", ""])
    return out.getvalue()


def trend_chart_png(report: Report) -> bytes | None:
    """Return the trend chart as a PNG, None under two days (see :mod:`nudgebot.chart`)."""
    from nudgebot.chart import trend_chart_png as draw  # matplotlib only when a chart is drawn

    return draw(report)
