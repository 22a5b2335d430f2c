"""The daily tip: ``/nudge tips`` arguments, when a tip is due, which tip, and posting it once.

Everything here but :func:`run_due` and :class:`TipScheduler` is a pure function of its
arguments: time comes in as an argument (``now``, ``day``), never from the system clock, so a
test can walk a subscription through any day in any time zone without sleeping.

**When** (:func:`due_day`). Each subscribed channel gets one tip per *local* day, at its local
time (``09:30`` in ``Europe/London``...), on weekdays only when it asked for that. After
downtime the day's tip is caught up while the scheduler is within ``grace`` (default six hours)
of the tip's time; past that, the day is skipped. Only the current local day is ever due, so
yesterday's tip is never posted today and no day gets two.

**Daylight saving time.** A local time that does not exist on a spring-forward day (02:30 in
New York on 8 March 2026) is posted the length of the gap later (03:30 local time): the
rule of :pep:`495` (``fold=0``), the moment the clock would have shown 02:30 had it not jumped.
A local time that happens twice on a fall-back day (01:30 in New York on 1 November 2026) is
posted at its first occurrence; the second finds the day already delivered.

**Which** (:func:`pick_tip`). No tip repeats until every tip of the library has been posted to
the channel; then a new cycle starts (never with the tip posted last). Within a cycle the
dimensions are worked through evenly, and the choice among equals is a hash of the day and the
tip id: the same history and day always give the same tip, in any process, which is what lets
two bot instances agree on the tip they race to claim. When yesterday's reviews show a clear
weak spot (:func:`weak_spot`), an unused tip of that dimension is preferred (among them, those
whose keywords fit the most common rule), and the message says why (:func:`tip_message`).

**Exactly once** (:func:`run_due`). The delivery is claimed in the database
(``claim_delivery``: unique per channel and local day) *before* the tip is posted, and posted
only when the claim succeeded, so two instances, or a restart halfway, never post a day twice.
If posting fails after the claim, the claim stays and the day is logged as missed: at most one
tip per day is the promise; a retry could double-post when a post timed out but arrived. When
the platform *refused* the post (:class:`PostRefused`: the bot is not in the channel, a
permission is missing), nothing arrived, so the claim is given back: the lead invites the bot
and asks again, or the scheduler tries again a little later (:class:`TipScheduler`).
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Generic, Literal, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from nudgebot.models import DIMENSIONS, StoredReview
from nudgebot.tips import Tip, TipLibrary

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_LOCAL_TIME",
    "DIMENSION_PHRASES",
    "RETRY_FIRST",
    "RETRY_MOST",
    "RULE_PHRASES",
    "TIPS_USAGE",
    "Delivery",
    "PlannedTip",
    "PostRefused",
    "SubscriptionLike",
    "TipPreview",
    "TipScheduler",
    "TipStore",
    "TipsCommand",
    "WeakSpot",
    "current_cycle",
    "day_bounds",
    "deliver_tip",
    "describe_schedule",
    "due_day",
    "local_today",
    "parse_local_time",
    "parse_timezone",
    "parse_tips_args",
    "pick_tip",
    "plan_tip",
    "preview_tip",
    "run_due",
    "slot_utc",
    "tip_message",
    "weak_spot",
]

logger = logging.getLogger(__name__)

DEFAULT_LOCAL_TIME = "09:30"
"""The time of day of a subscription that named none."""
DEFAULT_GRACE = timedelta(hours=6)
RETRY_FIRST = timedelta(minutes=5)
"""How long the scheduler waits before trying a failed tip post again (then doubling)."""
RETRY_MOST = timedelta(hours=1)
"""The longest wait between two tries of a failed tip post."""
"""How long after its time a missed tip is still posted (see :func:`due_day`)."""

TIPS_USAGE = (
    "`/nudge tips on [09:30] [Europe/London] [weekdays]` posts a coaching tip here every day "
    "at that time (default 09:30; `weekdays` skips Saturday and Sunday, `daily` brings them "
    "back). `/nudge tips off` stops them, `/nudge tips now` posts today's tip now, and "
    "`/nudge tips` shows what is set."
)
"""How to use ``/nudge tips``: the help text, and the tail of every parsing error."""


# --------------------------------------------------------------------------------------------
# What the scheduler needs from storage (duck-typed: nudgebot.storage provides it)
# --------------------------------------------------------------------------------------------


class SubscriptionLike(Protocol):
    """A channel's tip subscription, as :class:`nudgebot.storage.TipSubscription` has it."""

    @property
    def channel(self) -> str:
        """The channel the tips go to."""
        ...

    @property
    def local_time(self) -> str:
        """The local time of day, ``HH:MM`` (24-hour)."""
        ...

    @property
    def timezone(self) -> str:
        """The IANA time zone of ``local_time``, e.g. ``Europe/London``."""
        ...

    @property
    def weekdays_only(self) -> bool:
        """Whether Saturdays and Sundays are skipped."""
        ...


S = TypeVar("S", bound=SubscriptionLike)
S_co = TypeVar("S_co", bound=SubscriptionLike, covariant=True)
_T = TypeVar("_T")


class TipStore(Protocol[S_co]):
    """The storage the scheduler uses; each method may be plain or ``async``."""

    def subscriptions(self) -> Iterable[S_co] | Awaitable[Iterable[S_co]]:
        """Return every channel's subscription."""
        ...

    def claim_delivery(self, channel: str, day: date, tip_id: str, /) -> bool | Awaitable[bool]:
        """Record the day's delivery; return False if one is recorded already (unique)."""
        ...

    def release_delivery(self, channel: str, day: date, tip_id: str, /) -> bool | Awaitable[bool]:
        """Remove the day's claim for ``tip_id`` after its post failed (it may be tried again)."""
        ...

    def deliveries(
        self, channel: str, /
    ) -> Iterable[tuple[date, str]] | Awaitable[Iterable[tuple[date, str]]]:
        """Return the channel's deliveries so far: (local day, tip id)."""
        ...

    def reviews(
        self, *, since: datetime, until: datetime, channels: list[str] | None
    ) -> Iterable[StoredReview] | Awaitable[Iterable[StoredReview]]:
        """Return the reviews made in ``[since, until)``, in these channels (None: all)."""
        ...


async def _value(result: _T | Awaitable[_T]) -> _T:
    """Return ``result``, awaiting it first when the store's method was ``async``."""
    if inspect.isawaitable(result):
        return cast(_T, await result)
    return result


# --------------------------------------------------------------------------------------------
# /nudge tips arguments
# --------------------------------------------------------------------------------------------

TipsAction = Literal["on", "off", "now", "status", "help"]


@dataclass(frozen=True)
class TipsCommand:
    """A parsed ``/nudge tips`` command.

    For ``on``, a field left None was not given: keep the channel's current setting, or use
    the default (:data:`DEFAULT_LOCAL_TIME`; the time zone of whoever subscribed, else UTC;
    every day). See :meth:`schedule`.
    """

    action: TipsAction
    local_time: str | None = None
    """``HH:MM``, 24-hour."""
    timezone: str | None = None
    """A canonical IANA name."""
    weekdays_only: bool | None = None

    def schedule(
        self, current: SubscriptionLike | None = None, *, default_timezone: str = "UTC"
    ) -> tuple[str, str, bool]:
        """Return ``(local_time, timezone, weekdays_only)`` for ``on``.

        What the command gave wins; then the channel's ``current`` subscription; then the
        defaults (``default_timezone`` is typically the Slack time zone of the caller).
        """
        return (
            self.local_time or (current.local_time if current else DEFAULT_LOCAL_TIME),
            self.timezone or (current.timezone if current else default_timezone),
            self.weekdays_only
            if self.weekdays_only is not None
            else (current.weekdays_only if current else False),
        )


_ACTIONS: dict[str, TipsAction] = {
    "on": "on",
    "off": "off",
    "now": "now",
    "status": "status",
    "help": "help",
}
_WEEKDAYS = frozenset({"weekdays", "weekday", "workdays", "workday", "mon-fri"})
_DAILY = frozenset({"daily", "everyday"})
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}
_TIME = re.compile(
    r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?(?P<half>am|pm|a\.m\.|p\.m\.)?\Z", re.IGNORECASE
)
_SPACED_HALF = re.compile(r"(\d)\s+([ap]\.?m\b\.?)", re.IGNORECASE)
_OFFSET = re.compile(r"(?:utc|gmt)?[+-]\d{1,2}(?::?\d{2})?\Z")
_EVERY_DAY = re.compile(r"\bevery\s+day\b", re.IGNORECASE)
_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


def parse_tips_args(text: str) -> TipsCommand:
    """Parse what follows ``/nudge tips``: ``on [TIME] [ZONE] [weekdays|daily]``, ``off``...

    ``TIME`` is 24-hour ``09:30`` or ``9:30``, or ``9am``, ``5:30pm``, ``noon``; ``ZONE`` is
    an IANA time zone (``Europe/London``), in any letter case, or a city alone when only one
    zone has it (``London``, ``Kolkata``). The options may come in any order. An empty text
    (or ``status``) asks what is set; ``help`` asks how to use it; a leading ``tips`` is
    ignored. Raises :class:`ValueError` with a short message (ending with the usage) when
    something cannot be understood.
    """
    text = _EVERY_DAY.sub("daily", _SPACED_HALF.sub(r"\1\2", text.strip()))
    tokens = [token for token in re.split(r"[\s,]+", text) if token]
    if tokens and tokens[0].lower() == "tips":
        tokens = tokens[1:]
    if not tokens:
        return TipsCommand("status")
    action = _ACTIONS.get(tokens[0].lower())
    if action is None:
        raise ValueError(f"I don't know `/nudge tips {tokens[0]}`. {TIPS_USAGE}")
    if action != "on":
        if len(tokens) > 1:
            raise ValueError(
                f"`/nudge tips {action}` takes nothing after it (got {' '.join(tokens[1:])!r})."
            )
        return TipsCommand(action)
    local_time: str | None = None
    zone: str | None = None
    weekdays: bool | None = None
    for token in tokens[1:]:
        word = token.lower()
        if word in _WEEKDAYS or word in _DAILY:
            value = word in _WEEKDAYS
            if weekdays is not None and weekdays != value:
                raise ValueError("Choose either `weekdays` or `daily`, not both.")
            weekdays = value
        elif word in _NAMED_TIMES or token[0].isdigit():
            if local_time is not None:
                raise ValueError(f"Give one time, not two ({local_time} and {token}).")
            local_time = parse_local_time(token)
        else:
            if zone is not None:
                raise ValueError(f"Give one time zone, not two ({zone} and {token}).")
            zone = parse_timezone(token)
    return TipsCommand("on", local_time, zone, weekdays)


def parse_local_time(text: str) -> str:
    """Return a time of day as ``HH:MM`` (24-hour): ``9:30``, ``09:30``, ``9am``, ``5:30pm``.

    A bare hour (``9``, ``17``) is 24-hour. Raises :class:`ValueError` for anything else.
    """
    word = text.strip().lower()
    if word in _NAMED_TIMES:
        return _NAMED_TIMES[word]
    match = _TIME.match(word)
    problem = (
        f"{text!r} is not a time of day: use 24-hour HH:MM such as 09:30 or 17:00, or 9am / 5:30pm."
    )
    if match is None:
        raise ValueError(problem)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(problem)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(problem)
    return f"{hour:02d}:{minute:02d}"


@lru_cache(maxsize=1)
def _zone_names() -> tuple[dict[str, str], dict[str, str]]:
    """Return IANA zone names by lower-case name, and by lower-case city when unique."""
    names = available_timezones()
    exact = {name.lower(): name for name in names}
    cities: dict[str, list[str]] = {}
    for name in names:
        region, _, rest = name.partition("/")
        if region in _REGIONS and rest:
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    unique = {city: found[0] for city, found in cities.items() if len(found) == 1}
    return exact, unique


def parse_timezone(text: str) -> str:
    """Return the canonical IANA name of a time zone: ``europe/london`` -> ``Europe/London``.

    A city alone works when only one zone is named after it (``London``, ``New_York``).
    Raises :class:`ValueError`, with a suggestion when a name is close, for anything else.
    """
    exact, cities = _zone_names()
    if not exact:
        raise ValueError(
            "No time zone database is installed here: install the tzdata package "
            "(pip install tzdata)."
        )
    key = text.strip().lower().replace(" ", "_")
    name = exact.get(key) or cities.get(key)
    if name is not None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            name = None
    if name is None and _OFFSET.match(key):
        raise ValueError(
            f"{text!r} is an offset, and offsets change with daylight saving time: use the "
            "IANA name of a place instead, such as Europe/Paris or America/Chicago."
        )
    if name is None:
        close = difflib.get_close_matches(key, [*exact, *cities], n=1, cutoff=0.75)
        hint = ""
        if close:
            hint = f" Did you mean {exact.get(close[0]) or cities[close[0]]}?"
        raise ValueError(
            f"I don't know the time zone {text!r}.{hint} Use an IANA name such as "
            "Europe/London, America/New_York or Asia/Kolkata."
        )
    return name


def describe_schedule(sub: SubscriptionLike) -> str:
    """Say when a subscription's tips come: ``every weekday at 09:30 (Europe/London)``."""
    days = "every weekday" if sub.weekdays_only else "every day"
    return f"{days} at {parse_local_time(sub.local_time)} ({sub.timezone})"


# --------------------------------------------------------------------------------------------
# When: the local day whose tip is due
# --------------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _utc(moment: datetime, what: str = "now_utc") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got {moment.isoformat()})")
    return moment.astimezone(UTC)


def local_today(sub: SubscriptionLike, now_utc: datetime) -> date:
    """Return the channel's local date at ``now_utc``."""
    return _utc(now_utc).astimezone(_zone(sub.timezone)).date()


def slot_utc(day: date, local_time: str, timezone: str) -> datetime:
    """Return the UTC instant of ``local_time`` on the local ``day`` in ``timezone``.

    A time that does not exist that day (spring forward) comes the gap's length later; a time
    that happens twice (fall back) is its first occurrence (:pep:`495`, ``fold=0``).
    """
    hour, minute = map(int, parse_local_time(local_time).split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=_zone(timezone))
    return local.astimezone(UTC)


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Return the UTC instants ``[start, end)`` of the local ``day`` in ``timezone``."""
    zone = _zone(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def due_day(
    sub: SubscriptionLike,
    now_utc: datetime,
    last_delivered_day: date | None,
    *,
    grace: timedelta = DEFAULT_GRACE,
    not_before: datetime | None = None,
) -> date | None:
    """Return the local day whose tip should be posted at ``now_utc``, or None.

    Due when, in the channel's time zone: today is not the weekend (if ``weekdays_only``),
    nothing has been delivered today or later, the tip's time has come, and no more than
    ``grace`` has passed since (inclusive: downtime shorter than ``grace`` is caught up,
    longer skips the day). Only today is ever due, so a time late in the evening loses its
    grace at midnight. ``not_before`` (when the channel subscribed) skips a time that passed
    before it, so subscribing at 14:00 for 09:30 starts tomorrow. DST: see :func:`slot_utc`.
    """
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    now = _utc(now_utc)
    today = now.astimezone(_zone(sub.timezone)).date()
    if sub.weekdays_only and today.weekday() >= 5:
        return None
    if last_delivered_day is not None and last_delivered_day >= today:
        return None
    slot = slot_utc(today, sub.local_time, sub.timezone)
    if now < slot or now - slot > grace:
        return None
    if not_before is not None and slot < _utc(not_before, "not_before"):
        return None
    return today


# --------------------------------------------------------------------------------------------
# Why: yesterday's weak spot
# --------------------------------------------------------------------------------------------

RULE_PHRASES: dict[str, str] = {
    "adaptable.computer-says-no": "left the decision to the computer",
    "adaptable.flat-no": "gave a flat no with nowhere to go",
    "adaptable.policy-shield": "hid behind policy instead of helping",
    "adaptable.system-says": "let the system have the last word",
    "empathy.generic-greeting": "opened with an impersonal greeting",
    "empathy.hollow-understanding": "said they understood, and then said but",
    "empathy.no-acknowledgement": "skipped acknowledging how the customer felt",
    "empathy.no-apology": "didn't apologise when something went wrong on our side",
    "empathy.over-apology": "apologised so often it sounded hollow",
    "empathy.shrug": "shrugged at a customer who was stuck",
    "empathy.stock-apology": "used a stock apology",
    "learn.denies-fault": "denied the problem before looking into it",
    "learn.insists-system-right": "insisted our side couldn't be wrong",
    "learn.no-prevention": "didn't say how we'd stop it happening again",
    "learn.shrugs-off-mistake": "shrugged off a mistake",
    "ownership.blames-automation": "blamed the automation",
    "ownership.deflection": "pointed customers elsewhere",
    "ownership.guesswork": "left customers guessing",
    "ownership.no-next-step": "ended without a next step",
    "ownership.sorry-without-action": "said sorry with no action behind it",
    "ownership.vague-timeline": "left customers guessing when it would happen",
    "respect.bare-order": "opened with a bare command",
    "respect.blame": "put the blame on the customer",
    "respect.blaming-question": "asked questions that sounded like accusations",
    "respect.condescension": "talked down to the customer",
    "respect.curt": "read as curt",
    "respect.direct-opening": "opened bluntly",
    "respect.dismissive": "sounded dismissive",
    "respect.harsh-words": "used harsh words",
    "respect.no-courtesy": "had no greeting, please or thank you",
    "respect.pointed-question": "asked customers to account for themselves",
    "respect.pushback": "sounded like a correction or a lecture",
    "respect.shouting": "read as shouting",
    "respect.slang-refusal": "made a no sound flippant",
}
"""What "Yesterday N replies ..." says for a rule id of ``prompts/rules``."""

DIMENSION_PHRASES: dict[str, str] = {
    "respect": "could have shown the customer more respect",
    "empathy": "skipped acknowledging how the customer felt",
    "adaptable": "stuck to the rules instead of finding a way",
    "learn": "missed a chance to own and learn from a mistake",
    "ownership": "didn't take ownership of the problem",
}
"""What "Yesterday N replies ..." says for a dimension when no rule phrase fits."""

_RULE_TOPICS: dict[str, str] = {
    "ownership.deflection": "another department other company third party contact them "
    "transfer hand over blame",
    "ownership.no-next-step": "next step timeline update follow up",
    "ownership.vague-timeline": "timeline soon asap when no date",
    "ownership.guesswork": "don't know not sure guess no date",
    "ownership.sorry-without-action": "sorry apology action what to do",
    "ownership.blames-automation": "system automated notification",
    "empathy.no-acknowledgement": "feeling frustrated upset acknowledge heard",
    "empathy.no-apology": "apology apologise sorry our mistake",
    "empathy.stock-apology": "apology inconvenience sorry",
    "empathy.over-apology": "too many apologies apologising too much",
    "empathy.hollow-understanding": "i understand understand but hollow",
    "empathy.generic-greeting": "generic personal details name greeting",
    "adaptable.flat-no": "saying no alternative instead options dead end",
    "adaptable.policy-shield": "policy rules our policy not allowed",
    "adaptable.computer-says-no": "computer says no system won't workaround",
    "adaptable.system-says": "system won't can't change workaround",
    "learn.denies-fault": "mistake our fault admit records dispute",
    "learn.insists-system-right": "records system shows insist dispute",
    "learn.no-prevention": "prevent happen again never again change",
    "learn.shrugs-off-mistake": "mistake our mistake admit got it wrong",
    "respect.blame": "blame fault customer error",
    "respect.condescension": "condescending patronising obviously talking down",
    "respect.shouting": "caps shouting exclamation all caps",
    "respect.dismissive": "dismissive not a big deal minor",
    "respect.curt": "curt blunt tone courtesy",
    "respect.no-courtesy": "courtesy polite manners",
    "respect.bare-order": "must need to demand instructions",
    "respect.pushback": "customer is wrong correct them misread",
    "respect.slang-refusal": "saying no decline refuse",
}
"""Words that find the library's tips about a rule (matched by :meth:`TipLibrary.scores`)."""


@dataclass(frozen=True)
class WeakSpot:
    """A clear weak spot in yesterday's replies, and how to say it."""

    dimension: str
    rule: str | None
    """The most common rule among the nudged replies of ``dimension``."""
    replies: int
    """How many replies the phrase is about (had the rule, or else the dimension)."""
    nudged: int
    """How many of yesterday's replies needed a nudge."""
    reviewed: int
    """How many replies were reviewed yesterday."""
    phrase: str
    """What those replies did: "pointed customers elsewhere"."""

    @property
    def intro(self) -> str:
        """Return the sentence that opens the tip: "Yesterday 9 replies pointed ... ."."""
        noun = "reply" if self.replies == 1 else "replies"
        return f"Yesterday {self.replies} {noun} {self.phrase}."

    @property
    def quiet_intro(self) -> str:
        """Return the opening without figures, for channels others read: "Yesterday some ..."."""
        return f"Yesterday some replies {self.phrase}."


def weak_spot(
    yesterday: Sequence[StoredReview], *, min_replies: int = 5, min_share: float = 0.3
) -> WeakSpot | None:
    """Return yesterday's clear weak spot, or None when there is none.

    Among the replies that needed a nudge, count those with a finding of each dimension
    (a reply counts once per dimension). The most common dimension (ties: in the order of
    :data:`nudgebot.models.DIMENSIONS`) is a weak spot when at least ``min_replies`` replies
    had it and they are at least ``min_share`` of the nudged replies. Its most common rule
    (ties: by id) names it when that rule has a phrase (:data:`RULE_PHRASES`) and
    ``min_replies`` replies of its own; otherwise the dimension's phrase is used, or "needed
    a nudge on <dimension>".
    """
    nudged = [review for review in yesterday if review.needs_nudge]
    by_dimension: Counter[str] = Counter()
    by_rule: dict[str, Counter[str]] = {}
    for review in nudged:
        pairs = set(zip(review.rules, review.dimensions, strict=False))
        by_dimension.update({dimension for _, dimension in pairs})
        for rule, dimension in pairs:
            by_rule.setdefault(dimension, Counter())[rule] += 1
    if not by_dimension:
        return None
    order: dict[str, int] = {name: index for index, name in enumerate(DIMENSIONS)}
    weakest = min(by_dimension, key=lambda d: (-by_dimension[d], order.get(d, 99), d))
    count = by_dimension[weakest]
    if count < max(1, min_replies) or count < min_share * len(nudged):
        return None
    rules = by_rule.get(weakest, Counter())
    top = min(rules, key=lambda r: (-rules[r], r)) if rules else None
    if top is not None and top in RULE_PHRASES and rules[top] >= max(1, min_replies):
        phrase, replies = RULE_PHRASES[top], rules[top]
    else:
        phrase = DIMENSION_PHRASES.get(weakest, f"needed a nudge on {weakest}")
        replies = count
    return WeakSpot(weakest, top, replies, len(nudged), len(yesterday), phrase)


# --------------------------------------------------------------------------------------------
# Which: the tip of the day
# --------------------------------------------------------------------------------------------


def current_cycle(library: TipLibrary, delivered_ids: Sequence[str]) -> frozenset[str]:
    """Return the ids of the library's tips already posted in the current cycle.

    ``delivered_ids`` is the channel's history, oldest first. A cycle ends when every tip of
    the library has been posted; ids no longer in the library are ignored, and tips added to
    the library join the current cycle as unused.
    """
    known = {tip.id for tip in library}
    used: set[str] = set()
    for tip_id in delivered_ids:
        if tip_id in known:
            used.add(tip_id)
            if len(used) == len(known):
                used = set()
    return frozenset(used)


def _draw(day: date, tip_id: str) -> bytes:
    """Return a stable pseudo-random sort key for a tip on a day (the same in every process)."""
    return hashlib.sha256(f"{day.isoformat()}|{tip_id}".encode()).digest()[:8]


def pick_tip(
    library: TipLibrary,
    delivered_ids: Sequence[str],
    *,
    weak_spot: WeakSpot | None,
    day: date,
) -> Tip:
    """Return the tip to post on ``day`` after ``delivered_ids`` (oldest first).

    Only tips unused in the current cycle (:func:`current_cycle`) are candidates, and never
    the tip posted last while another is left. With a ``weak_spot``, the candidates of its
    dimension come first, those whose keywords fit its rule best first. Otherwise the
    dimension least worked through in this cycle (by share of its tips) comes first. Equal
    candidates are ordered by a hash of ``day`` and tip id: deterministic, yet not file order.
    """
    used = current_cycle(library, delivered_ids)
    candidates = [tip for tip in library if tip.id not in used]
    if delivered_ids and len(candidates) > 1:
        candidates = [tip for tip in candidates if tip.id != delivered_ids[-1]] or candidates
    if weak_spot is not None:
        fitting = [tip for tip in candidates if tip.dimension == weak_spot.dimension]
        if fitting:
            topic = _RULE_TOPICS.get(weak_spot.rule or "", "")
            scores = library.scores(topic) if topic else {}
            return min(fitting, key=lambda tip: (-scores.get(tip.id, 0), _draw(day, tip.id)))
    totals = Counter(tip.dimension for tip in library)
    done = Counter(tip.dimension for tip in library if tip.id in used)
    return min(
        candidates,
        key=lambda tip: (done[tip.dimension] / totals[tip.dimension], _draw(day, tip.id)),
    )


def tip_message(tip: Tip, weak: WeakSpot | None, *, figures: bool = True) -> str:
    """Return the text to post: the weak spot's intro and the tip, or "Tip of the day: ...".

    The intro is used only when the tip is of the weak spot's dimension (when that dimension's
    tips are used up, the tip of the day says nothing about yesterday). Without ``figures``
    (a channel people outside the team read) it names the weak spot without numbers.
    """
    if weak is not None and weak.dimension == tip.dimension:
        return f"{weak.intro if figures else weak.quiet_intro} Today: {tip.text}"
    return f"Tip of the day: {tip.text}"


@dataclass(frozen=True)
class PlannedTip:
    """The tip for a channel and day, and the message that posts it."""

    day: date
    tip: Tip
    weak_spot: WeakSpot | None
    """Yesterday's weak spot when the tip addresses it (None otherwise)."""
    message: str


def plan_tip(
    library: TipLibrary,
    history: Iterable[tuple[date, str]],
    yesterday: Sequence[StoredReview],
    day: date,
    *,
    min_replies: int = 5,
    min_share: float = 0.3,
    figures: bool = True,
) -> PlannedTip:
    """Return the tip for ``day`` given the channel's deliveries and yesterday's reviews.

    Only deliveries before ``day`` count, oldest first (same day: by tip id), so the plan is
    the same whatever order the store returns them in. ``figures`` False keeps the team's
    numbers out of the message (see :func:`tip_message`).
    """
    delivered = [tip_id for when, tip_id in sorted(history) if when < day]
    weak = weak_spot(yesterday, min_replies=min_replies, min_share=min_share)
    tip = pick_tip(library, delivered, weak_spot=weak, day=day)
    addressed = weak if weak is not None and weak.dimension == tip.dimension else None
    return PlannedTip(day, tip, addressed, tip_message(tip, addressed, figures=figures))


# --------------------------------------------------------------------------------------------
# Posting, exactly once
# --------------------------------------------------------------------------------------------

DeliveryStatus = Literal["posted", "taken", "failed", "error"]


class PostRefused(Exception):
    """The platform answered that a tip was not posted (bot not in the channel, no permission).

    Raised by a tip's ``post`` when nothing can have arrived, so the day's claim is given back
    and the day may be tried again. Any other error keeps the claim: a post that timed out
    may still have arrived, and a tip is never posted twice. The message is a short reason
    for the logs (an error code, never message text).
    """


@dataclass(frozen=True)
class Delivery:
    """What happened to one channel's tip in a run.

    ``posted``: claimed and posted. ``taken``: another instance (or an earlier run) had
    claimed the day, nothing posted. ``failed``: claimed, but posting raised; when the
    platform refused it (:class:`PostRefused`) the claim is given back so the day can be tried
    again, otherwise it stays (it may have arrived). ``error``: the channel could not be
    worked out (a store error, a broken time zone); nothing was claimed, the next run tries
    again.
    """

    channel: str
    status: DeliveryStatus
    day: date | None = None
    tip_id: str | None = None
    message: str | None = None
    error: str | None = None
    released: bool = False
    """For ``failed``: the claim was given back (the platform refused), so it may be retried."""


Post = Callable[[S, str], Awaitable[object]]
ReviewChannels = Callable[[S], list[str] | None]


def _own_channel(sub: SubscriptionLike) -> list[str] | None:
    return [sub.channel]


async def deliver_tip(
    store: TipStore[S],
    library: TipLibrary,
    sub: S,
    post: Post[S],
    *,
    day: date,
    review_channels: ReviewChannels[S] | None = None,
    history: Iterable[tuple[date, str]] | None = None,
) -> Delivery:
    """Plan ``day``'s tip for ``sub``, claim it, and post it only if the claim succeeded.

    Also what ``/nudge tips now`` does, with ``day`` the channel's local today: ``taken``
    then means today's tip already went out. ``history`` saves re-reading the channel's
    deliveries; ``review_channels`` says whose reviews tailor the tip (default: the
    subscribed channel's own; None from it: every channel's).
    """
    if history is None:
        history = await _value(store.deliveries(sub.channel))
    since, until = day_bounds(day - timedelta(days=1), sub.timezone)
    channels = (review_channels or _own_channel)(sub)
    yesterday = list(await _value(store.reviews(since=since, until=until, channels=channels)))
    plan = plan_tip(library, history, yesterday, day, figures=await _shows_figures(store, sub))
    if not await _value(store.claim_delivery(sub.channel, day, plan.tip.id)):
        return Delivery(sub.channel, "taken", day, plan.tip.id, plan.message)
    try:
        await post(sub, plan.message)
    except Exception as error:
        if not isinstance(error, PostRefused):
            logger.warning(
                "daily tip for %s on %s (%s) was claimed but could not be posted (%s); it may "
                "have arrived, so the day is not retried (never posted twice)",
                sub.channel,
                day,
                plan.tip.id,
                type(error).__name__,
            )
            return Delivery(sub.channel, "failed", day, plan.tip.id, plan.message, repr(error))
        logger.warning(
            "daily tip for %s on %s (%s) was refused (%s): the day is released so it can be "
            "tried again",
            sub.channel,
            day,
            plan.tip.id,
            error,
        )
        try:
            await _value(store.release_delivery(sub.channel, day, plan.tip.id))
        except Exception as release_error:
            logger.warning(
                "daily tip for %s on %s: the claim could not be released (%s)",
                sub.channel,
                day,
                type(release_error).__name__,
            )
            return Delivery(sub.channel, "failed", day, plan.tip.id, plan.message, repr(error))
        return Delivery(
            sub.channel, "failed", day, plan.tip.id, plan.message, repr(error), released=True
        )
    logger.info("daily tip for %s on %s: %s", sub.channel, day, plan.tip.id)
    return Delivery(sub.channel, "posted", day, plan.tip.id, plan.message)


async def _shows_figures(store: TipStore[S], sub: S) -> bool:
    """Whether ``sub``'s channel may see the team's figures (the store's ``shows_figures``).

    A store may have an ``async shows_figures(sub) -> bool`` saying whether the channel is the
    team's own; without one every channel is. If it fails, the figures are left out.
    """
    check = getattr(store, "shows_figures", None)
    if check is None:
        return True
    try:
        return bool(await _value(check(sub)))
    except Exception as error:
        logger.warning("could not tell who reads %s (%s): no figures", sub.channel, error)
        return False


async def run_due(
    store: TipStore[S],
    library: TipLibrary,
    post: Post[S],
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    review_channels: ReviewChannels[S] | None = None,
    hold: Mapping[tuple[str, date], datetime] | None = None,
) -> list[Delivery]:
    """Post every subscription's tip that is due at ``now``; return what happened to each.

    ``hold`` maps a channel and day whose post failed to when to try again (before then it
    is left alone, so a channel the bot was never invited to is not tried every minute).

    For each subscription within its window: read its deliveries, ask :func:`due_day`, plan
    the tip, claim the day in the store *first*, and post only when the claim succeeded
    (:func:`deliver_tip`).
    Subscriptions that are not due are left out of the result. A subscription with a
    ``created_at`` attribute does not get a tip whose time had passed when it was made. One
    channel's failure is logged and does not stop the others.
    """
    _utc(now, "now")
    results: list[Delivery] = []
    for sub in await _value(store.subscriptions()):
        try:
            created = getattr(sub, "created_at", None)
            created = created if isinstance(created, datetime) else None
            # Outside its window a channel is not due whatever it had: skip the query.
            if due_day(sub, now, None, grace=grace, not_before=created) is None:
                continue
            history = list(await _value(store.deliveries(sub.channel)))
            last = max((when for when, _ in history), default=None)
            day = due_day(sub, now, last, grace=grace, not_before=created)
            if day is None:
                continue
            if hold is not None and now < hold.get((sub.channel, day), now):
                continue
            results.append(
                await deliver_tip(
                    store,
                    library,
                    sub,
                    post,
                    day=day,
                    review_channels=review_channels,
                    history=history,
                )
            )
        except Exception as error:
            logger.exception("daily tip for %s: could not be worked out", sub.channel)
            results.append(Delivery(sub.channel, "error", error=repr(error)))
    return results


class TipScheduler(Generic[S]):
    """Run :func:`run_due` once a minute, on a clock and a sleep that can be injected."""

    def __init__(
        self,
        store: TipStore[S],
        library: TipLibrary,
        post: Post[S],
        *,
        grace: timedelta = DEFAULT_GRACE,
        interval: float = 60.0,
        review_channels: ReviewChannels[S] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.store = store
        self.library = library
        self.post = post
        self.grace = grace
        self.interval = interval
        self.review_channels = review_channels
        self._stopping = False
        self._retry: dict[tuple[str, date], tuple[datetime, timedelta]] = {}

    async def run_once(self, now: datetime) -> list[Delivery]:
        """Post the tips due at ``now`` (see :func:`run_due`).

        A post that failed is tried again after :data:`RETRY_FIRST`, then after twice as
        long each time, up to :data:`RETRY_MOST` apart, while its day is still due.
        """
        hold = {key: when for key, (when, _) in self._retry.items()}
        results = await run_due(
            self.store,
            self.library,
            self.post,
            now=now,
            grace=self.grace,
            review_channels=self.review_channels,
            hold=hold,
        )
        for result in results:
            if result.day is None:
                continue
            key = (result.channel, result.day)
            if result.status == "failed" and result.released:
                wait = self._retry.get(key, (now, RETRY_FIRST / 2))[1] * 2
                wait = min(wait, RETRY_MOST)
                self._retry[key] = (now + wait, wait)
            else:
                self._retry.pop(key, None)
        today = _utc(now, "now").date()
        self._retry = {k: v for k, v in self._retry.items() if k[1] >= today - timedelta(days=2)}
        return results

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current run or sleep."""
        self._stopping = True

    def delay(self, now: datetime) -> float:
        """Return the seconds from ``now`` to the next multiple of the interval (UTC)."""
        seconds = self.interval - (_utc(now, "now").timestamp() % self.interval)
        return max(seconds, min(1.0, self.interval))

    async def run_forever(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        """Run due tips, sleep to the next minute, repeat until :meth:`stop` or cancelled.

        ``clock`` returns the time (timezone-aware; default: the system clock in UTC) and
        ``sleep`` waits a number of seconds (default: :func:`asyncio.sleep`); tests pass fakes.
        An error in a run is logged and the loop goes on.
        """
        if clock is None:

            def clock() -> datetime:
                return datetime.now(UTC)

        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        self._stopping = False
        while not self._stopping:
            try:
                await self.run_once(clock())
            except Exception:
                logger.exception("daily tips: a run failed; trying again at the next minute")
            if self._stopping:
                break
            await sleep(self.delay(clock()))


# --------------------------------------------------------------------------------------------
# Preview: what would be posted
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TipPreview:
    """What a channel would be posted on a day, and what that was worked out from."""

    channel: str
    day: date
    timezone: str
    subscription: SubscriptionLike | None
    """The channel's subscription (None: not subscribed, or no storage)."""
    plan: PlannedTip
    history: int
    """How many deliveries before ``day`` the rotation saw."""
    reviewed: int
    """How many of the previous day's reviews were read."""
    weak_spot: WeakSpot | None
    """The previous day's weak spot, whether or not the tip could address it."""
    delivered: str | None
    """The tip id already claimed for ``day``, if any."""

    @property
    def skipped(self) -> bool:
        """Whether ``day`` is a weekend day the subscription skips."""
        sub = self.subscription
        return sub is not None and sub.weekdays_only and self.day.weekday() >= 5


async def preview_tip(
    store: TipStore[SubscriptionLike] | None,
    library: TipLibrary,
    channel: str,
    *,
    now: datetime,
    day: date | None = None,
    timezone: str | None = None,
) -> TipPreview:
    """Work out, without claiming or posting, the tip ``channel`` would get on ``day``.

    ``timezone`` (else the subscription's, else UTC) sets the channel's day: ``day`` defaults
    to its date at ``now``, and "yesterday" is the local day before. Without a ``store``
    the preview has no history and no reviews (a first day's tip).
    """
    subscription: SubscriptionLike | None = None
    history: list[tuple[date, str]] = []
    yesterday: list[StoredReview] = []
    if store is not None:
        for sub in await _value(store.subscriptions()):
            if sub.channel == channel:
                subscription = sub
    zone = timezone or (subscription.timezone if subscription else "UTC")
    _zone(zone)
    if day is None:
        day = _utc(now, "now").astimezone(_zone(zone)).date()
    if store is not None:
        history = list(await _value(store.deliveries(channel)))
        since, until = day_bounds(day - timedelta(days=1), zone)
        reviews = store.reviews(since=since, until=until, channels=[channel])
        yesterday = list(await _value(reviews))
    plan = plan_tip(library, history, yesterday, day)
    delivered = next((tip_id for when, tip_id in sorted(history) if when == day), None)
    return TipPreview(
        channel=channel,
        day=day,
        timezone=zone,
        subscription=subscription,
        plan=plan,
        history=sum(1 for when, _ in history if when < day),
        reviewed=len(yesterday),
        weak_spot=weak_spot(yesterday),
        delivered=delivered,
    )
