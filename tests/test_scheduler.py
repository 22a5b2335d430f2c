"""The daily tip: /nudge tips arguments, when a tip is due, which tip, and posting it once.

Time is always injected: a fake clock walks subscriptions through whole days minute by
minute; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from nudgebot import commands
from nudgebot.cli import main
from nudgebot.engine.rules import load_rulebook, prompts_dir
from nudgebot.models import DIMENSIONS, Scores, StoredReview
from nudgebot.scheduler import (
    DIMENSION_PHRASES,
    RULE_PHRASES,
    TIPS_USAGE,
    Delivery,
    PostRefused,
    TipScheduler,
    TipsCommand,
    WeakSpot,
    current_cycle,
    day_bounds,
    deliver_tip,
    describe_schedule,
    due_day,
    parse_local_time,
    parse_timezone,
    parse_tips_args,
    pick_tip,
    plan_tip,
    run_due,
    slot_utc,
    tip_message,
    weak_spot,
)
from nudgebot.tips import Tip, TipLibrary

LIBRARY = TipLibrary.load()
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Sub:
    """Shaped like nudgebot.storage.TipSubscription."""

    channel: str
    platform: str = "slack"
    local_time: str = "09:30"
    timezone: str = "UTC"
    weekdays_only: bool = False
    created_by: str | None = None


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# /nudge tips arguments
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", TipsCommand("status")),
        ("status", TipsCommand("status")),
        ("help", TipsCommand("help")),
        ("off", TipsCommand("off")),
        ("OFF", TipsCommand("off")),
        ("now", TipsCommand("now")),
        ("tips now", TipsCommand("now")),
        ("on", TipsCommand("on")),
        ("on 09:30", TipsCommand("on", "09:30")),
        ("on 9:30", TipsCommand("on", "09:30")),
        ("on 9.30", TipsCommand("on", "09:30")),
        ("on 9am", TipsCommand("on", "09:00")),
        ("on 9 am", TipsCommand("on", "09:00")),
        ("on 5:30pm", TipsCommand("on", "17:30")),
        ("on 5:30 PM", TipsCommand("on", "17:30")),
        ("on 12am", TipsCommand("on", "00:00")),
        ("on 12pm", TipsCommand("on", "12:00")),
        ("on noon", TipsCommand("on", "12:00")),
        ("on 17", TipsCommand("on", "17:00")),
        ("on 23:59", TipsCommand("on", "23:59")),
        ("on Europe/London", TipsCommand("on", timezone="Europe/London")),
        ("on europe/london", TipsCommand("on", timezone="Europe/London")),
        ("on London", TipsCommand("on", timezone="Europe/London")),
        ("on kolkata", TipsCommand("on", timezone="Asia/Kolkata")),
        ("on New_York", TipsCommand("on", timezone="America/New_York")),
        ("on utc", TipsCommand("on", timezone="UTC")),
        ("on weekdays", TipsCommand("on", weekdays_only=True)),
        ("on daily", TipsCommand("on", weekdays_only=False)),
        ("on every day", TipsCommand("on", weekdays_only=False)),
        (
            "on 09:30 Europe/London weekdays",
            TipsCommand("on", "09:30", "Europe/London", True),
        ),
        (
            "  on   weekdays, America/New_York  8:15am ",
            TipsCommand("on", "08:15", "America/New_York", True),
        ),
        ("on 10:00 Pacific/Auckland", TipsCommand("on", "10:00", "Pacific/Auckland")),
    ],
)
def test_parse_tips_args(text: str, expected: TipsCommand) -> None:
    assert parse_tips_args(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate", "I don't know `/nudge tips frobnicate`"),
        ("off please", "takes nothing after it"),
        ("now 9:30", "takes nothing after it"),
        ("on 25:00", "'25:00' is not a time of day"),
        ("on 24:00", "is not a time of day"),
        ("on 9:60", "is not a time of day"),
        ("on 13pm", "is not a time of day"),
        ("on 0am", "is not a time of day"),
        ("on 930", "is not a time of day"),
        ("on 9:3", "is not a time of day"),
        ("on 9:30 10:00", "Give one time, not two"),
        ("on London Europe/Paris", "Give one time zone, not two"),
        ("on weekdays daily", "either `weekdays` or `daily`"),
        ("on Europe/Londn", "Did you mean Europe/London?"),
        ("on Mars/Olympus", "I don't know the time zone 'Mars/Olympus'"),
        ("on UTC+1", "offsets change with daylight saving"),
        ("on +05:30", "offsets change with daylight saving"),
    ],
)
def test_parse_tips_args_errors_are_short_and_helpful(text: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_tips_args(text)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_every_error_of_an_unknown_action_shows_the_usage() -> None:
    with pytest.raises(ValueError, match="tips on"):
        parse_tips_args("start")
    assert "/nudge tips off" in TIPS_USAGE and "/nudge tips now" in TIPS_USAGE


def test_parse_local_time_round_trips_every_minute() -> None:
    for hour in range(24):
        for minute in range(60):
            text = f"{hour:02d}:{minute:02d}"
            assert parse_local_time(text) == text
            assert parse_local_time(f"{hour}:{minute:02d}") == text


def test_parse_timezone_accepts_every_zone_it_lists() -> None:
    for name in ("Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"):
        assert parse_timezone(name) == name
        assert parse_timezone(name.upper()) == name


def test_schedule_fills_what_the_command_left_out() -> None:
    current = Sub("C1", local_time="08:00", timezone="Asia/Kolkata", weekdays_only=True)
    assert parse_tips_args("on").schedule() == ("09:30", "UTC", False)
    assert parse_tips_args("on").schedule(default_timezone="Europe/London") == (
        "09:30",
        "Europe/London",
        False,
    )
    assert parse_tips_args("on").schedule(current) == ("08:00", "Asia/Kolkata", True)
    assert parse_tips_args("on 10:00 daily").schedule(current) == ("10:00", "Asia/Kolkata", False)
    assert parse_tips_args("on London").schedule(current) == ("08:00", "Europe/London", True)


def test_describe_schedule() -> None:
    assert describe_schedule(Sub("C", timezone="Europe/London", weekdays_only=True)) == (
        "every weekday at 09:30 (Europe/London)"
    )
    assert describe_schedule(Sub("C", local_time="17:05")) == "every day at 17:05 (UTC)"


# ---------------------------------------------------------------------------------------------
# When: due_day, walked minute by minute with a fake clock
# ---------------------------------------------------------------------------------------------


def walk(
    sub: Sub,
    start: datetime,
    end: datetime,
    *,
    up: Callable[[datetime], bool] = lambda _: True,
    last: date | None = None,
    grace: timedelta = timedelta(hours=6),
    not_before: datetime | None = None,
) -> list[tuple[datetime, date]]:
    """Poll due_day every minute from start to end while ``up``; record each delivery."""
    posted: list[tuple[datetime, date]] = []
    now = start
    while now < end:
        if up(now):
            day = due_day(sub, now, last, grace=grace, not_before=not_before)
            if day is not None:
                posted.append((now, day))
                last = day
        now += MINUTE
    return posted


@pytest.mark.parametrize(
    ("zone", "slot"),
    [
        ("Europe/London", utc(2026, 11, 24, 9, 30)),  # GMT
        ("America/New_York", utc(2026, 11, 24, 14, 30)),  # EST, UTC-5
        ("Asia/Kolkata", utc(2026, 11, 24, 4, 0)),  # IST, UTC+5:30
        ("Pacific/Auckland", utc(2026, 11, 23, 20, 30)),  # NZDT, UTC+13: the day before in UTC
        ("UTC", utc(2026, 11, 24, 9, 30)),
    ],
)
def test_one_tip_per_local_day_at_the_local_time(zone: str, slot: datetime) -> None:
    sub = Sub("C1", timezone=zone)
    assert slot_utc(date(2026, 11, 24), "09:30", zone) == slot
    posted = walk(sub, slot - timedelta(days=1, hours=3), slot + timedelta(days=1, hours=3))
    assert posted == [
        (slot - timedelta(days=1), date(2026, 11, 23)),
        (slot, date(2026, 11, 24)),
        (slot + timedelta(days=1), date(2026, 11, 25)),
    ]


def test_weekdays_only_skips_saturday_and_sunday() -> None:
    sub = Sub("C1", timezone="Europe/London", weekdays_only=True)
    posted = walk(sub, utc(2026, 11, 23), utc(2026, 12, 1))  # Monday 23 to Monday 30
    days = [day for _, day in posted]
    assert days == [date(2026, 11, d) for d in (23, 24, 25, 26, 27, 30)]
    every_day = walk(replace(sub, weekdays_only=False), utc(2026, 11, 23), utc(2026, 12, 1))
    assert len(every_day) == 8


def test_weekdays_are_local_days() -> None:
    # 09:30 on Monday in Auckland is 20:30 UTC on Sunday: still Monday's tip.
    sub = Sub("C1", timezone="Pacific/Auckland", weekdays_only=True)
    assert due_day(sub, utc(2026, 11, 22, 20, 30), None) == date(2026, 11, 23)
    # 09:30 on Saturday in Auckland is 20:30 UTC on a Friday: no tip.
    assert due_day(sub, utc(2026, 11, 27, 20, 30), None) is None


def test_restart_before_the_time_still_posts_on_time() -> None:
    sub = Sub("C1", timezone="America/New_York")
    down = (utc(2026, 11, 24, 12, 0), utc(2026, 11, 24, 14, 0))
    posted = walk(
        sub,
        utc(2026, 11, 24, 10),
        utc(2026, 11, 24, 23),
        up=lambda now: not down[0] <= now < down[1],
    )
    assert posted == [(utc(2026, 11, 24, 14, 30), date(2026, 11, 24))]


def test_restart_after_the_tip_was_posted_does_not_post_again() -> None:
    sub = Sub("C1", timezone="Europe/London")
    first = walk(sub, utc(2026, 11, 24, 9), utc(2026, 11, 24, 10))
    assert first == [(utc(2026, 11, 24, 9, 30), date(2026, 11, 24))]
    # A new process: it only knows what storage knows (the last delivered day).
    again = walk(sub, utc(2026, 11, 24, 10, 5), utc(2026, 11, 24, 23, 59), last=date(2026, 11, 24))
    assert again == []


def test_downtime_within_the_grace_window_catches_up() -> None:
    sub = Sub("C1", timezone="Asia/Kolkata")  # 09:30 IST = 04:00 UTC
    posted = walk(
        sub,
        utc(2026, 11, 24, 0),
        utc(2026, 11, 24, 18),
        up=lambda now: now >= utc(2026, 11, 24, 7, 12),  # back 3h12m after the time
    )
    assert posted == [(utc(2026, 11, 24, 7, 12), date(2026, 11, 24))]


def test_downtime_past_the_grace_window_skips_the_day_then_moves_on() -> None:
    sub = Sub("C1", timezone="Europe/London")
    back = utc(2026, 11, 24, 15, 31)  # 09:30 + 6h + 1 min
    posted = walk(sub, utc(2026, 11, 23, 12), utc(2026, 11, 25, 12), up=lambda now: now >= back)
    assert posted == [(utc(2026, 11, 25, 9, 30), date(2026, 11, 25))]


def test_the_grace_window_is_inclusive_and_adjustable() -> None:
    sub = Sub("C1")
    slot = utc(2026, 11, 24, 9, 30)
    assert due_day(sub, slot - timedelta(seconds=1), None) is None
    assert due_day(sub, slot, None) == date(2026, 11, 24)
    assert due_day(sub, slot + timedelta(hours=6), None) == date(2026, 11, 24)
    assert due_day(sub, slot + timedelta(hours=6, seconds=1), None) is None
    assert due_day(sub, slot + timedelta(hours=1), None, grace=timedelta(minutes=30)) is None
    assert due_day(sub, slot, None, grace=timedelta(0)) == date(2026, 11, 24)
    with pytest.raises(ValueError, match="grace"):
        due_day(sub, slot, None, grace=timedelta(minutes=-1))


def test_never_yesterdays_tip_today() -> None:
    # A 23:30 tip missed by downtime that ends after midnight is lost, not posted the next day.
    sub = Sub("C1", local_time="23:30", timezone="Europe/London")
    posted = walk(
        sub,
        utc(2026, 11, 24, 23, 0),
        utc(2026, 11, 25, 23, 59),
        up=lambda now: now >= utc(2026, 11, 25, 0, 10),
    )
    assert posted == [(utc(2026, 11, 25, 23, 30), date(2026, 11, 25))]


def test_never_two_tips_in_one_day_even_when_storage_is_ahead() -> None:
    sub = Sub("C1")
    assert due_day(sub, utc(2026, 11, 24, 10), date(2026, 11, 24)) is None
    # A channel that moved west has already had "tomorrow's" tip: wait for that day to pass.
    assert due_day(sub, utc(2026, 11, 24, 10), date(2026, 11, 25)) is None


def test_a_subscription_made_after_the_time_starts_tomorrow() -> None:
    sub = Sub("C1", timezone="Europe/London")
    posted = walk(
        sub, utc(2026, 11, 24, 14), utc(2026, 11, 25, 12), not_before=utc(2026, 11, 24, 14)
    )
    assert posted == [(utc(2026, 11, 25, 9, 30), date(2026, 11, 25))]
    made_early = walk(
        sub, utc(2026, 11, 24, 8), utc(2026, 11, 24, 12), not_before=utc(2026, 11, 24, 8)
    )
    assert made_early == [(utc(2026, 11, 24, 9, 30), date(2026, 11, 24))]


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_day(Sub("C1"), datetime(2026, 11, 24, 9, 30), None)


@pytest.mark.parametrize(
    ("zone", "local_time", "days", "expected"),
    [
        # New York springs forward at 02:00 on 8 March 2026: 02:30 does not exist that day and
        # comes an hour later (03:30 EDT = 07:30 UTC); the days around it are ordinary.
        (
            "America/New_York",
            "02:30",
            (date(2026, 3, 7), date(2026, 3, 9)),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)],
        ),
        # ...and falls back at 02:00 on 1 November: 01:30 happens twice; the first counts.
        (
            "America/New_York",
            "01:30",
            (date(2026, 10, 31), date(2026, 11, 2)),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        # London: 01:00 -> 02:00 on 29 March (01:30 GMT is posted as 02:30 BST = 01:30 UTC).
        (
            "Europe/London",
            "01:30",
            (date(2026, 3, 28), date(2026, 3, 30)),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)],
        ),
        # London: 02:00 -> 01:00 on 25 October; 01:30 BST (00:30 UTC) comes first.
        (
            "Europe/London",
            "01:30",
            (date(2026, 10, 24), date(2026, 10, 26)),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        # An ordinary time on a 23-hour day is simply on time.
        (
            "Europe/London",
            "09:30",
            (date(2026, 3, 28), date(2026, 3, 30)),
            [utc(2026, 3, 28, 9, 30), utc(2026, 3, 29, 8, 30), utc(2026, 3, 30, 8, 30)],
        ),
        # Auckland springs forward 02:00 -> 03:00 on 27 September 2026 (NZST +12 -> NZDT +13).
        (
            "Pacific/Auckland",
            "02:30",
            (date(2026, 9, 26), date(2026, 9, 28)),
            [utc(2026, 9, 25, 14, 30), utc(2026, 9, 26, 14, 30), utc(2026, 9, 27, 13, 30)],
        ),
        # ...and falls back 03:00 -> 02:00 on 5 April 2026: 02:30 NZDT (13:30 UTC) first.
        (
            "Pacific/Auckland",
            "02:30",
            (date(2026, 4, 4), date(2026, 4, 6)),
            [utc(2026, 4, 3, 13, 30), utc(2026, 4, 4, 13, 30), utc(2026, 4, 5, 14, 30)],
        ),
    ],
)
def test_dst_days_get_exactly_one_tip(
    zone: str, local_time: str, days: tuple[date, date], expected: list[datetime]
) -> None:
    sub = Sub("C1", local_time=local_time, timezone=zone)
    start, _ = day_bounds(days[0], zone)
    _, end = day_bounds(days[1], zone)
    posted = walk(sub, start, end)
    assert [when for when, _ in posted] == expected
    assert [day for _, day in posted] == [days[0], days[0] + timedelta(1), days[1]]


def test_day_bounds_follow_the_local_day() -> None:
    assert day_bounds(date(2026, 3, 29), "Europe/London") == (
        utc(2026, 3, 29, 0, 0),
        utc(2026, 3, 29, 23, 0),  # a 23-hour day
    )
    assert day_bounds(date(2026, 11, 24), "Asia/Kolkata") == (
        utc(2026, 11, 23, 18, 30),
        utc(2026, 11, 24, 18, 30),
    )


# ---------------------------------------------------------------------------------------------
# Which: rotation and determinism
# ---------------------------------------------------------------------------------------------

DAY = date(2026, 11, 24)


def rotate(days: int, *, start: date = DAY, history: Iterable[str] = ()) -> list[Tip]:
    delivered = list(history)
    tips: list[Tip] = []
    for offset in range(days):
        tip = pick_tip(LIBRARY, delivered, weak_spot=None, day=start + timedelta(offset))
        delivered.append(tip.id)
        tips.append(tip)
    return tips


def test_no_tip_repeats_until_the_library_is_used_up_then_a_new_cycle_starts() -> None:
    size = len(LIBRARY)
    assert size >= 60
    tips = rotate(size * 2 + 5)
    first, second = tips[:size], tips[size : size * 2]
    assert sorted(t.id for t in first) == sorted(t.id for t in LIBRARY)
    assert sorted(t.id for t in second) == sorted(t.id for t in LIBRARY)
    assert second[0].id != first[-1].id  # a new cycle never opens with yesterday's tip
    assert [t.id for t in second] != [t.id for t in first]  # each cycle in its own order
    assert len({t.id for t in tips[size * 2 :]}) == 5


def test_dimensions_are_worked_through_evenly() -> None:
    tips = rotate(len(LIBRARY))
    assert {t.dimension for t in tips[:5]} == set(DIMENSIONS)
    halfway = tips[: len(LIBRARY) // 2]
    for dimension in DIMENSIONS:
        share = sum(t.dimension == dimension for t in halfway) / len(halfway)
        total = sum(t.dimension == dimension for t in LIBRARY) / len(LIBRARY)
        assert abs(share - total) < 0.05, dimension
    assert all(a.id != b.id for a, b in itertools.pairwise(tips))


def test_the_tip_is_deterministic_for_a_history_and_a_day() -> None:
    history = [t.id for t in rotate(10)]
    one = pick_tip(LIBRARY, history, weak_spot=None, day=DAY + timedelta(10))
    again = pick_tip(TipLibrary.load(), list(history), weak_spot=None, day=DAY + timedelta(10))
    assert one == again
    assert rotate(30) == rotate(30)
    # Not file order: the first day's tip is not simply the library's first tip.
    days = {pick_tip(LIBRARY, [], weak_spot=None, day=DAY + timedelta(n)).id for n in range(7)}
    assert len(days) > 1


def test_plan_tip_ignores_the_order_storage_returns_history_in() -> None:
    tips = rotate(12)
    history = [(DAY + timedelta(n), tip.id) for n, tip in enumerate(tips)]
    later = DAY + timedelta(12)
    assert plan_tip(LIBRARY, history, [], later) == plan_tip(
        LIBRARY, list(reversed(history)), [], later
    )
    # Deliveries on or after the day are not history for it.
    assert plan_tip(LIBRARY, history, [], DAY + timedelta(3)) == plan_tip(
        LIBRARY, history[:3], [], DAY + timedelta(3)
    )


def test_the_cycle_survives_library_edits() -> None:
    used = [t.id for t in rotate(5)]
    assert current_cycle(LIBRARY, [*used, "a-tip-since-removed"]) == frozenset(used)
    smaller = replace(LIBRARY, tips=tuple(t for t in LIBRARY if t.id != used[0]))
    assert current_cycle(smaller, used) == frozenset(used[1:])
    # A library of three: the fourth delivery opens cycle two.
    three = replace(LIBRARY, tips=LIBRARY.tips[:3])
    ids = [t.id for t in three]
    assert current_cycle(three, ids) == frozenset()
    assert current_cycle(three, [*ids, ids[1]]) == {ids[1]}
    assert pick_tip(three, [*ids, ids[1]], weak_spot=None, day=DAY).id in {ids[0], ids[2]}


# ---------------------------------------------------------------------------------------------
# Why: yesterday's weak spot and the message
# ---------------------------------------------------------------------------------------------

YESTERDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def stored(
    *findings: tuple[str, str],
    needs_nudge: bool | None = None,
    channel: str = "C1",
    at: datetime = YESTERDAY,
) -> StoredReview:
    """A stored review with findings given as (rule, dimension)."""
    return StoredReview(
        id=0,
        at=at,
        platform="slack",
        team="T1",
        channel=channel,
        user="U1",
        engine="rules",
        scores=Scores(),
        rules=tuple(rule for rule, _ in findings),
        dimensions=tuple(dimension for _, dimension in findings),  # type: ignore[misc]
        quotes=tuple("" for _ in findings),
        needs_nudge=bool(findings) if needs_nudge is None else needs_nudge,
        nudged=False,
    )


DEFLECTION = ("ownership.deflection", "ownership")
NO_NEXT_STEP = ("ownership.no-next-step", "ownership")
VAGUE = ("ownership.vague-timeline", "ownership")
NO_ACK = ("empathy.no-acknowledgement", "empathy")
CURT = ("respect.curt", "respect")


def seeded_yesterday(channel: str = "C1", at: datetime = YESTERDAY) -> list[StoredReview]:
    """40 replies: 12 needed a nudge, 9 of them pointed the customer elsewhere."""
    reviews = [stored(DEFLECTION, channel=channel, at=at) for _ in range(7)]
    reviews += [stored(DEFLECTION, NO_ACK, channel=channel, at=at) for _ in range(2)]
    reviews += [stored(NO_ACK, channel=channel, at=at) for _ in range(2)]
    reviews += [stored(CURT, channel=channel, at=at)]
    reviews += [stored(channel=channel, at=at) for _ in range(28)]
    return reviews


def test_a_clear_weak_spot_is_found_and_said_plainly() -> None:
    weak = weak_spot(seeded_yesterday())
    assert weak == WeakSpot(
        dimension="ownership",
        rule="ownership.deflection",
        replies=9,
        nudged=12,
        reviewed=40,
        phrase="pointed customers elsewhere",
    )
    assert weak.intro == "Yesterday 9 replies pointed customers elsewhere."


def test_the_tailored_tip_addresses_the_weak_spot_and_says_so() -> None:
    plan = plan_tip(LIBRARY, [], seeded_yesterday(), DAY)
    assert plan.tip.dimension == "ownership"
    assert plan.weak_spot is not None
    intro = "Yesterday 9 replies pointed customers elsewhere."
    assert plan.message == f"{intro} Today: {plan.tip.text}"
    # Among the ownership tips, one about not passing the customer along.
    assert plan.tip.id in {
        "ownership-no-chasing-third-parties",
        "ownership-we-not-they",
        "ownership-warm-handover",
    }


def test_without_a_weak_spot_it_is_the_tip_of_the_day() -> None:
    plan = plan_tip(LIBRARY, [], [stored() for _ in range(30)], DAY)
    assert plan.weak_spot is None
    assert plan.message == f"Tip of the day: {plan.tip.text}"
    assert plan == plan_tip(LIBRARY, [], [], DAY)


def test_no_weak_spot_below_the_thresholds() -> None:
    assert weak_spot([]) is None
    assert weak_spot([stored() for _ in range(50)]) is None
    # Too few replies: 4 deflections, even if they are every nudge.
    assert weak_spot([stored(DEFLECTION) for _ in range(4)]) is None
    assert weak_spot([stored(DEFLECTION) for _ in range(4)], min_replies=4) is not None
    # Not a clear share: 30 nudged replies, 6 in each dimension (20% each).
    spread = [stored((f"{dimension}.x", dimension)) for dimension in DIMENSIONS for _ in range(6)]
    assert weak_spot(spread) is None
    assert weak_spot(spread, min_share=0.2) is not None
    # Findings on replies that did not need a nudge (hints) do not count.
    hints = [stored(DEFLECTION, needs_nudge=False) for _ in range(10)]
    assert weak_spot(hints) is None


def test_the_dimension_phrase_when_no_rule_stands_out() -> None:
    reviews = [stored(rule) for rule in (DEFLECTION, NO_NEXT_STEP, VAGUE) for _ in range(3)]
    weak = weak_spot(reviews)
    assert weak is not None
    assert (weak.dimension, weak.replies) == ("ownership", 9)
    assert weak.intro == "Yesterday 9 replies didn't take ownership of the problem."
    model = weak_spot([stored(("llm.empathy", "empathy")) for _ in range(6)])
    assert model is not None
    assert model.intro == "Yesterday 6 replies skipped acknowledging how the customer felt."
    odd = weak_spot([stored(("x.y", "kindness")) for _ in range(5)])
    assert odd is not None and odd.intro == "Yesterday 5 replies needed a nudge on kindness."


def test_one_reply_is_singular_and_ties_are_deterministic() -> None:
    weak = weak_spot([stored(CURT)], min_replies=1)
    assert weak is not None and weak.intro == "Yesterday 1 reply read as curt."
    tie = [stored(DEFLECTION) for _ in range(5)] + [stored(NO_ACK) for _ in range(5)]
    assert weak_spot(tie) == weak_spot(list(reversed(tie)))
    assert weak_spot(tie) is not None


def test_a_used_up_dimension_falls_back_to_the_tip_of_the_day() -> None:
    ownership = [t.id for t in LIBRARY if t.dimension == "ownership"]
    plan = plan_tip(
        LIBRARY,
        [(DAY - timedelta(n + 1), tip_id) for n, tip_id in enumerate(ownership)],
        seeded_yesterday(),
        DAY,
    )
    assert plan.tip.dimension != "ownership"
    assert plan.weak_spot is None
    assert plan.message.startswith("Tip of the day: ")
    assert plan.tip.id not in ownership


def test_tip_message_only_claims_the_weak_spot_for_a_matching_tip() -> None:
    weak = weak_spot(seeded_yesterday())
    ownership_tip = LIBRARY.by_dimension("ownership")[0]
    empathy_tip = LIBRARY.by_dimension("empathy")[0]
    assert tip_message(ownership_tip, weak).startswith("Yesterday 9 replies pointed")
    assert tip_message(empathy_tip, weak) == f"Tip of the day: {empathy_tip.text}"
    assert tip_message(empathy_tip, None) == f"Tip of the day: {empathy_tip.text}"


def test_phrases_name_real_rules_and_every_dimension() -> None:
    rule_ids = {rule.id for rule in load_rulebook(prompts_dir() / "rules").rules}
    assert set(RULE_PHRASES) <= rule_ids
    assert set(DIMENSION_PHRASES) == set(DIMENSIONS)
    for phrase in [*RULE_PHRASES.values(), *DIMENSION_PHRASES.values()]:
        assert phrase == phrase.strip() and not phrase.endswith(".") and phrase[0].islower()


# ---------------------------------------------------------------------------------------------
# Posting exactly once: run_due against an in-memory store
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeStore:
    """Storage in memory; claim_delivery is unique per (channel, day), like the database's."""

    subs: list[Sub] = field(default_factory=list)
    stored_reviews: list[StoredReview] = field(default_factory=list)
    claims: dict[tuple[str, date], str] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    review_queries: list[list[str] | None] = field(default_factory=list)

    async def subscriptions(self) -> list[Sub]:
        await asyncio.sleep(0)
        return list(self.subs)

    async def claim_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        await asyncio.sleep(0)
        if (channel, day) in self.claims:
            return False
        self.claims[channel, day] = tip_id
        return True

    async def release_delivery(self, channel: str, day: date, tip_id: str) -> bool:
        await asyncio.sleep(0)
        if self.claims.get((channel, day)) != tip_id:
            return False
        del self.claims[channel, day]
        return True

    async def deliveries(self, channel: str) -> list[tuple[date, str]]:
        await asyncio.sleep(0)  # lets a second instance read before the first one claims
        if channel in self.broken:
            raise RuntimeError("database is down")
        return sorted((day, tip) for (chan, day), tip in self.claims.items() if chan == channel)

    def claims_history(self) -> list[tuple[date, str]]:
        return sorted((day, tip) for (_, day), tip in self.claims.items())

    async def reviews(
        self, *, since: datetime, until: datetime, channels: list[str] | None = None
    ) -> list[StoredReview]:
        await asyncio.sleep(0)
        self.review_queries.append(channels)
        return [
            r
            for r in self.stored_reviews
            if since <= r.at < until and (channels is None or r.channel in channels)
        ]


class SyncStore(FakeStore):
    """The same store with plain (not async) methods: the scheduler accepts both."""

    def subscriptions(self) -> list[Sub]:  # type: ignore[override]
        return list(self.subs)

    def claim_delivery(self, channel: str, day: date, tip_id: str) -> bool:  # type: ignore[override]
        if (channel, day) in self.claims:
            return False
        self.claims[channel, day] = tip_id
        return True

    def release_delivery(self, channel: str, day: date, tip_id: str) -> bool:  # type: ignore[override]
        if self.claims.get((channel, day)) != tip_id:
            return False
        del self.claims[channel, day]
        return True

    def deliveries(self, channel: str) -> list[tuple[date, str]]:  # type: ignore[override]
        return sorted((day, tip) for (chan, day), tip in self.claims.items() if chan == channel)

    def reviews(  # type: ignore[override]
        self, *, since: datetime, until: datetime, channels: list[str] | None = None
    ) -> list[StoredReview]:
        return [r for r in self.stored_reviews if since <= r.at < until]


class Poster:
    """Records posts; fails for the channels in ``failing``, refuses those in ``refusing``."""

    def __init__(self, failing: Iterable[str] = (), refusing: Iterable[str] = ()) -> None:
        self.posts: list[tuple[str, str]] = []
        self.failing = set(failing)
        self.refusing = set(refusing)
        self.tries = 0

    async def __call__(self, sub: Sub, text: str) -> None:
        await asyncio.sleep(0)
        self.tries += 1
        if sub.channel in self.failing:
            raise ConnectionError("slack is unreachable")
        if sub.channel in self.refusing:
            raise PostRefused("not_in_channel")
        self.posts.append((sub.channel, text))


SUBS = [
    Sub("C-LON", timezone="Europe/London"),
    Sub("C-NYC", timezone="America/New_York", weekdays_only=True),
    Sub("C-KOL", timezone="Asia/Kolkata", local_time="16:00"),
    Sub("C-AKL", timezone="Pacific/Auckland", local_time="8:45"),
]


def test_run_due_posts_the_due_tips_and_nothing_else() -> None:
    store, post = FakeStore(list(SUBS)), Poster()
    now = utc(2026, 11, 24, 9, 30)
    results = asyncio.run(run_due(store, LIBRARY, post, now=now))
    assert [(r.channel, r.status, r.day) for r in results] == [
        ("C-LON", "posted", date(2026, 11, 24))
    ]
    assert post.posts == [("C-LON", results[0].message)]
    assert results[0].message == f"Tip of the day: {LIBRARY.get(results[0].tip_id or '').text}"
    assert store.claims == {("C-LON", date(2026, 11, 24)): results[0].tip_id}
    # The same minute again (a second poll, a restart): nothing more.
    assert asyncio.run(run_due(store, LIBRARY, post, now=now)) == []
    assert len(post.posts) == 1


def test_run_due_accepts_a_store_with_plain_methods() -> None:
    store, post = SyncStore(list(SUBS)), Poster()
    results = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 31)))
    assert [(r.channel, r.status) for r in results] == [("C-LON", "posted")]


def test_run_due_tailors_the_tip_to_yesterdays_reviews_in_the_channel() -> None:
    sub = Sub("C-LON", timezone="Europe/London")
    # Yesterday is local: 23 November in London. A review of the 24th does not count.
    seeded = [*seeded_yesterday("C-LON"), stored(CURT, channel="C-LON", at=utc(2026, 11, 24, 8))]
    store = FakeStore([sub], seeded + seeded_yesterday("C-OTHER"))
    post = Poster()
    results = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 30)))
    assert post.posts[0][1].startswith("Yesterday 9 replies pointed customers elsewhere. Today: ")
    assert results[0].status == "posted"
    assert store.review_queries == [["C-LON"]]


def test_run_due_can_read_every_channels_reviews() -> None:
    store = FakeStore([Sub("C-TEAM")], seeded_yesterday("C-CUSTOMERS"))
    post = Poster()
    asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 30)))
    assert post.posts[0][1].startswith("Tip of the day: ")  # its own channel: no reviews
    store2, post2 = FakeStore([Sub("C-TEAM")], seeded_yesterday("C-CUSTOMERS")), Poster()
    asyncio.run(
        run_due(
            store2, LIBRARY, post2, now=utc(2026, 11, 24, 9, 30), review_channels=lambda _: None
        )
    )
    assert post2.posts[0][1].startswith("Yesterday 9 replies")


def test_two_instances_on_one_store_post_each_tip_once() -> None:
    store, post = FakeStore(list(SUBS)), Poster()
    # 09:30 Monday 23 Nov in New York is 14:30 UTC; check every channel's slot in one minute.
    subs = [
        Sub("C1", timezone="Europe/London", local_time="14:30"),
        Sub("C2", timezone="America/New_York"),
        Sub("C3", timezone="UTC", local_time="14:30"),
    ]
    store.subs = subs

    async def both() -> tuple[list[Delivery], list[Delivery]]:
        now = utc(2026, 11, 23, 14, 30)
        first, second = await asyncio.gather(
            run_due(store, LIBRARY, post, now=now), run_due(store, LIBRARY, post, now=now)
        )
        return first, second

    first, second = asyncio.run(both())
    assert sorted(channel for channel, _ in post.posts) == ["C1", "C2", "C3"]
    statuses = sorted(r.status for r in [*first, *second])
    assert statuses == ["posted"] * 3 + ["taken"] * 3
    # Both instances worked out the same tip for each channel: determinism.
    for channel in ("C1", "C2", "C3"):
        ids = {r.tip_id for r in [*first, *second] if r.channel == channel}
        assert len(ids) == 1


def test_two_instances_polling_for_days_post_one_tip_per_channel_per_local_day() -> None:
    store, post = FakeStore(list(SUBS)), Poster()
    start, end = utc(2026, 11, 22, 0), utc(2026, 11, 26, 0)  # Sunday to Thursday

    async def poll() -> None:
        now = start
        while now < end:
            await asyncio.gather(
                run_due(store, LIBRARY, post, now=now),
                run_due(store, LIBRARY, post, now=now + timedelta(seconds=20)),
            )
            now += MINUTE

    asyncio.run(poll())
    per_channel: dict[str, list[date]] = {}
    for (channel, day), _ in sorted(store.claims.items()):
        per_channel.setdefault(channel, []).append(day)
    assert per_channel["C-LON"] == [date(2026, 11, d) for d in (22, 23, 24, 25)]
    assert per_channel["C-NYC"] == [date(2026, 11, d) for d in (23, 24, 25)]  # no Sunday
    assert per_channel["C-KOL"] == [date(2026, 11, d) for d in (22, 23, 24, 25)]
    assert per_channel["C-AKL"] == [date(2026, 11, d) for d in (22, 23, 24, 25, 26)]
    assert len(post.posts) == sum(len(days) for days in per_channel.values())
    for channel, days in per_channel.items():
        tips = [store.claims[channel, day] for day in days]
        assert len(set(tips)) == len(tips), channel


def test_a_refused_post_releases_the_day_and_is_retried_once_the_bot_is_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, post = FakeStore([Sub("C-OUT")]), Poster(refusing={"C-OUT"})
    with caplog.at_level(logging.WARNING, logger="nudgebot.scheduler"):
        [first] = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 30)))
    assert (first.status, first.released) == ("failed", True)
    assert store.claims == {}  # the day is free again
    assert "refused (not_in_channel)" in caplog.text and "released" in caplog.text
    post.refusing.clear()  # the lead invited the bot
    [again] = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 31)))
    assert again.status == "posted" and post.posts == [("C-OUT", again.message)]
    assert asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 32))) == []


def test_the_scheduler_backs_off_a_refused_channel() -> None:
    store, post = FakeStore([Sub("C-OUT")]), Poster(refusing={"C-OUT"})
    scheduler = TipScheduler(store, LIBRARY, post)
    start = utc(2026, 11, 24, 9, 30)
    tried_at = []
    for minute in range(0, 40):
        before = post.tries
        asyncio.run(scheduler.run_once(start + timedelta(minutes=minute)))
        if post.tries > before:
            tried_at.append(minute)
    assert tried_at == [0, 5, 15, 35]  # 5, 10, then 20 minutes apart: not every minute
    post.refusing.clear()
    asyncio.run(scheduler.run_once(start + timedelta(minutes=75)))
    assert len(post.posts) == 1


def test_a_failing_post_keeps_the_claim_logs_and_is_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    subs = [Sub("C-BAD"), Sub("C-OK")]
    store, post = FakeStore(subs), Poster(failing={"C-BAD"})
    with caplog.at_level(logging.WARNING, logger="nudgebot.scheduler"):
        results = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 30)))
    assert [(r.channel, r.status) for r in results] == [("C-BAD", "failed"), ("C-OK", "posted")]
    assert results[0].error is not None and "slack is unreachable" in results[0].error
    assert post.posts == [("C-OK", results[1].message)]
    assert ("C-BAD", date(2026, 11, 24)) in store.claims  # the day stays claimed
    assert "C-BAD" in caplog.text and "could not be posted" in caplog.text
    # Slack is back a minute later: still no second attempt for that day (never twice).
    post.failing.clear()
    assert asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 31))) == []
    # The next day is normal.
    nxt = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 25, 9, 30)))
    assert [(r.channel, r.status) for r in nxt] == [("C-BAD", "posted"), ("C-OK", "posted")]


def test_one_broken_channel_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    subs = [Sub("C-DOWN"), Sub("C-ZONE", timezone="Mars/Olympus"), Sub("C-OK")]
    store, post = FakeStore(subs, broken={"C-DOWN"}), Poster()
    with caplog.at_level(logging.ERROR, logger="nudgebot.scheduler"):
        results = asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 9, 30)))
    assert [(r.channel, r.status) for r in results] == [
        ("C-DOWN", "error"),
        ("C-ZONE", "error"),
        ("C-OK", "posted"),
    ]
    assert not any(channel in {"C-DOWN", "C-ZONE"} for channel, _ in store.claims)
    assert "C-DOWN" in caplog.text


def test_run_due_respects_created_at_when_the_subscription_has_it() -> None:
    @dataclass(frozen=True)
    class Dated(Sub):
        created_at: datetime | None = None

    store, post = FakeStore([Dated("C1", created_at=utc(2026, 11, 24, 12))]), Poster()  # type: ignore[list-item]
    assert asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 12, 1))) == []
    assert len(asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 25, 9, 30)))) == 1


def test_run_due_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        asyncio.run(run_due(FakeStore(), LIBRARY, Poster(), now=datetime(2026, 11, 24, 9, 30)))


def test_deliver_tip_is_tips_now_and_is_taken_once_the_day_is_claimed() -> None:
    store, post = FakeStore([]), Poster()
    sub = Sub("C1", timezone="Asia/Kolkata")
    first = asyncio.run(deliver_tip(store, LIBRARY, sub, post, day=DAY))
    second = asyncio.run(deliver_tip(store, LIBRARY, sub, post, day=DAY))
    assert (first.status, second.status) == ("posted", "taken")
    assert first.tip_id == second.tip_id
    assert len(post.posts) == 1
    # The scheduler then leaves the day alone.
    store.subs = [sub]
    assert asyncio.run(run_due(store, LIBRARY, post, now=utc(2026, 11, 24, 4, 0))) == []


def test_run_due_on_real_sqlite_storage(tmp_path: Path) -> None:
    storage = pytest.importorskip("nudgebot.storage")

    async def scenario() -> tuple[list[Delivery], list[Delivery], list[tuple[date, str]]]:
        url = f"sqlite:///{tmp_path / 'tips.db'}"
        now = utc(2026, 11, 24, 9, 30)
        # The subscription is stamped by the store's clock: the same frozen day as the run.
        one = await storage.Store.open(url, clock=lambda: now - timedelta(days=1))
        two = await storage.Store.open(url, clock=lambda: now)
        try:
            await one.subscribe(storage.TipSubscription("C1", timezone="Europe/London"))
            post = Poster()
            first, second = await asyncio.gather(
                run_due(one, LIBRARY, post, now=now), run_due(two, LIBRARY, post, now=now)
            )
            assert len(post.posts) == 1
            return first, second, await one.deliveries("C1")
        finally:
            await one.close()
            await two.close()

    first, second, deliveries = asyncio.run(scenario())
    assert sorted(r.status for r in [*first, *second]) in (["posted"], ["posted", "taken"])
    assert [day for day, _ in deliveries] == [date(2026, 11, 24)]


# ---------------------------------------------------------------------------------------------
# TipScheduler: once a minute, on an injected clock and sleep
# ---------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_run_forever_polls_on_the_minute_and_posts_once() -> None:
    clock = FakeClock(utc(2026, 11, 24, 9, 28, 30))
    store, post = FakeStore([Sub("C1"), Sub("C2", local_time="09:31")]), Poster()
    scheduler = TipScheduler(store, LIBRARY, post)

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        if clock.now >= utc(2026, 11, 24, 9, 40):
            scheduler.stop()

    asyncio.run(scheduler.run_forever(clock=clock, sleep=sleep))
    assert clock.sleeps[0] == 30.0
    assert set(clock.sleeps[1:]) == {60.0}
    assert sorted(channel for channel, _ in post.posts) == ["C1", "C2"]
    assert set(store.claims) == {("C1", DAY), ("C2", DAY)}


def test_run_forever_survives_a_failing_run(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(utc(2026, 11, 24, 9, 29))
    calls = 0

    class Flaky(FakeStore):
        async def subscriptions(self) -> list[Sub]:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("connection reset")
            return await super().subscriptions()

    store, post = Flaky([Sub("C1")]), Poster()
    scheduler = TipScheduler(store, LIBRARY, post)

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            scheduler.stop()

    with caplog.at_level(logging.ERROR, logger="nudgebot.scheduler"):
        asyncio.run(scheduler.run_forever(clock=clock, sleep=sleep))
    assert "a run failed" in caplog.text
    assert post.posts and post.posts[0][0] == "C1"


def test_scheduler_delay_aligns_to_the_interval() -> None:
    scheduler = TipScheduler(FakeStore(), LIBRARY, Poster())
    assert scheduler.delay(utc(2026, 11, 24, 9, 30, 0)) == 60.0
    assert scheduler.delay(utc(2026, 11, 24, 9, 30, 45)) == 15.0
    assert scheduler.delay(datetime(2026, 11, 24, 9, 30, 59, 999_999, tzinfo=UTC)) == 1.0
    with pytest.raises(ValueError):
        TipScheduler(FakeStore(), LIBRARY, Poster(), interval=0)


# ---------------------------------------------------------------------------------------------
# nudgebot tips preview
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "NUDGEBOT_PROMPTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_preview_with_storage_shows_history_and_the_weak_spot(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FakeStore(
        [Sub("C1", timezone="Europe/London", weekdays_only=True)],
        seeded_yesterday("C1"),
        {("C1", DAY - timedelta(days=n)): t.id for n, t in enumerate(rotate(3), start=1)},
    )
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    store.close = close  # type: ignore[attr-defined]

    async def open_store(url: str) -> FakeStore:
        return store

    monkeypatch.setattr(commands, "open_store", open_store)
    status, out, err = run_cli(capsys, "tips", "preview", "--channel", "C1", "--date", "2026-11-24")
    assert (status, err) == (0, "")
    assert "Daily tip for C1 on Tuesday 2026-11-24 (Europe/London)" in out
    assert "subscribed: every weekday at 09:30 (Europe/London)" in out
    assert "history: 3 tip(s) delivered before that day" in out
    assert "Yesterday 9 replies pointed customers elsewhere. Today: " in out
    assert closed == [True]

    status, out, _ = run_cli(
        capsys, "tips", "preview", "--channel", "#C1", "--date", "2026-11-24", "--format", "json"
    )
    data = json.loads(out)
    assert data["weak_spot"]["intro"] == "Yesterday 9 replies pointed customers elsewhere."
    assert data["weak_spot"]["addressed"] is True
    assert data["tip"]["dimension"] == "ownership"
    assert data["history"] == 3 and data["storage"] is True
    expected = plan_tip(LIBRARY, list(store.claims_history()), seeded_yesterday("C1"), DAY)
    assert data["message"] == expected.message

    status, out, _ = run_cli(capsys, "tips", "preview", "--channel", "C1", "--date", "2026-11-28")
    assert "weekdays only: no tip on that day" in out


def test_preview_without_storage_says_so(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nudgebot.storage", None)  # import fails
    argv = ["tips", "preview", "--channel", "C9", "--date", "2026-11-24", "--timezone", "Kolkata"]
    status, out, err = run_cli(capsys, *argv)
    assert (status, err) == (0, "")
    assert "storage is not available: previewing with no history" in out
    assert "(Asia/Kolkata)" in out
    assert plan_tip(LIBRARY, [], [], DAY).message in out
    assert not (in_tmp / "nudgebot.db").exists()


def test_preview_on_a_real_database(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = pytest.importorskip("nudgebot.storage")
    url = f"sqlite:///{in_tmp / 'real.db'}"

    async def seed() -> None:
        store = await storage.Store.open(url)
        try:
            await store.subscribe(storage.TipSubscription("C1", timezone="America/New_York"))
            await store.claim_delivery("C1", date(2026, 11, 23), "ownership-look-into-it")
        finally:
            await store.close()

    asyncio.run(seed())
    status, out, err = run_cli(
        capsys, "tips", "preview", "--channel", "C1", "--date", "2026-11-24", "--database", url
    )
    assert (status, err) == (0, "")
    assert "history: 1 tip(s)" in out and "every day at 09:30 (America/New_York)" in out
    assert "tip: ownership-look-into-it" not in out
    status, out, _ = run_cli(
        capsys, "tips", "preview", "--channel", "C1", "--date", "2026-11-23", "--database", url
    )
    assert "already delivered for that day: ownership-look-into-it" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["tips", "preview"], "--channel"),
        (["tips", "preview", "--channel", "C1", "--date", "24/11/2026"], "not a date"),
        (["tips", "preview", "--channel", "C1", "--timezone", "Mars/Olympus"], "time zone"),
        (["tips", "publish", "--channel", "C1"], "invalid choice"),
    ],
)
def test_preview_usage_errors_are_one_line_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == ""
    assert says in err and err.count("\n") == 1
