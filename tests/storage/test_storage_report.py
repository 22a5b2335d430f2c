"""Store.report_data on SQLite and PostgreSQL: the SQL aggregate gives the report the rows give.

Each test seeds a store, then builds the report twice: from ``Store.report_data`` (sums from
SQL) and from ``Store.reviews`` (every row, aggregated in Python by ``reports.build_report``),
and asserts they are equal field by field, besides a few answers worked out by hand.
"""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudgebot.engine.rules import default_rulebook
from nudgebot.models import DIMENSIONS, Dimension, Scores, StoredReview
from nudgebot.reports import (
    Acceptance,
    Report,
    ReviewQuery,
    anonymise,
    build_report,
    build_report_from,
    report_data,
    rule_labels,
)
from nudgebot.storage import Store
from tests.storage.conftest import START

pytestmark = pytest.mark.anyio

DAY = timedelta(days=1)
SINCE = START - 7 * DAY  # 2026-10-26 09:00 UTC to 2026-11-02 09:00 UTC
LABELS = rule_labels(default_rulebook().rules)
NEW_YORK = ZoneInfo("America/New_York")  # EDT (UTC-4) until 2026-11-01 06:00 UTC, then EST
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30: local midnight is 18:30 UTC
ZONES: tuple[tzinfo, ...] = (UTC, NEW_YORK, KOLKATA, ZoneInfo("Australia/Lord_Howe"))


def utc(month: int, day: int, hour: int, minute: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, 0, micro, tzinfo=UTC)


def review(
    at: datetime,
    scores: tuple[int, ...] = (80, 80, 80, 80, 80),
    *,
    user: str | None = "U1",
    channel: str | None = "C1",
    rules: tuple[str, ...] = (),
    dimensions: tuple[str, ...] | None = None,
    quotes: tuple[str, ...] | None = None,
    nudged: bool = False,
    helpful: bool | None = None,
    text: str | None = "Sorted, thanks for waiting.",
) -> StoredReview:
    found = tuple(rule.split(".")[0].lower() for rule in rules)
    return StoredReview(
        id=0,
        at=at,
        platform="slack",
        team="T1",
        channel=channel,
        user=user,
        engine="rules",
        scores=Scores(*scores),
        rules=rules,
        dimensions=dimensions if dimensions is not None else found,  # type: ignore[arg-type]
        quotes=quotes if quotes is not None else ("",) * len(rules),
        needs_nudge=bool(rules),
        nudged=nudged,
        text=text,
        customer="Where is my parcel?",
        helpful=helpful,
    )


DEFLECTION = "ownership.deflection"
ROYAL_MAIL = "contact Royal Mail"

# The period's replies. overall = round(mean of the five).
KNOWN = [
    # overall 70; two findings; nudged, found helpful
    review(
        utc(10, 27, 10),
        (80, 60, 90, 70, 50),
        rules=(DEFLECTION, "empathy.no-apology"),
        quotes=(ROYAL_MAIL, ""),
        nudged=True,
        helpful=True,
    ),
    # the highest score, but its text is only a tab and a newline: not the best reply
    review(utc(10, 28, 10), (100,) * 5, text="\t\n"),
    # as high, text of spaces only; and a reply without text
    review(utc(10, 28, 11), (100,) * 5, user="U2", channel="C2", text="   "),
    review(utc(10, 28, 12), (100,) * 5, user="U2", channel="C2", text=None),
    # two at 99 (496 / 5 = 99.2): the later one is the best reply
    review(utc(10, 29, 9), (100, 100, 100, 100, 96), user="U2", channel="C2", text="First."),
    review(utc(10, 30, 9), (99,) * 5, user="U3", channel="C2", text="Hi Priya, all sorted."),
    # a rule twice in one reply counts once, with its first quote; nudged, no answer
    review(
        utc(10, 30, 10),
        (60, 40, 80, 70, 30),
        user="U3",
        channel="C2",
        rules=(DEFLECTION, "respect.curt", DEFLECTION),
        quotes=(ROYAL_MAIL, "ok", "ask them"),
        nudged=True,
    ),
    # needed a nudge, none was sent: its feedback does not count
    review(
        utc(10, 30, 11),
        (70,) * 5,
        rules=("respect.curt", "learn.no_prevention"),
        quotes=("No.", ""),
        helpful=True,
    ),
    # ids that LIKE '% respect.curt %' may match on SQLite (case) or that contain it
    review(utc(10, 30, 12), rules=("Respect.Curt",), quotes=("Hey",)),
    review(utc(10, 30, 13), rules=("xrespect.curt", "respect.curt2"), quotes=("x", "y")),
    # the deflection under another dimension, once: still an ownership issue
    review(
        utc(10, 31, 8),
        rules=(DEFLECTION,),
        dimensions=("empathy",),
        quotes=("not our job",),
        nudged=True,
        helpful=False,
    ),
    # its words purged: counted, no quote
    review(utc(10, 31, 9), rules=(DEFLECTION,), quotes=(), text=None),
    # no user (forgotten): in the totals, not in the agents
    review(utc(10, 31, 10), (50,) * 5, user=None, rules=("respect.curt",), nudged=True),
    # around local midnights: Kolkata (18:30 UTC) and New York (04:00 EDT, 05:00 EST)
    review(utc(10, 31, 18, 29, 999_999), (60,) * 5),
    review(utc(10, 31, 18, 30), (90,) * 5),
    review(utc(11, 1, 5, 30), (40,) * 5, channel="C2"),  # 01:30 EDT
    review(utc(11, 1, 6, 30), (50,) * 5, channel="C2"),  # 01:30 EST, after the change
    review(utc(11, 2, 4, 59), (70,) * 5, user="U2"),  # 23:59 EST on the 1st
    review(utc(11, 2, 5, 0), (80,) * 5, user="U2"),  # midnight EST on the 2nd
]
# The period before (2026-10-19 09:00 to 2026-10-26 09:00 UTC), and one reply after both.
OUTSIDE = [
    review(utc(10, 20, 9), (70,) * 5),
    review(utc(10, 26, 8, 59), (80,) * 5, user="U2"),
    review(START, (10,) * 5),
]


def query(tz: tzinfo = UTC, **scope: Any) -> ReviewQuery:
    return ReviewQuery(since=SINCE, until=START, tz=tz, **scope)


def store_scope(q: ReviewQuery) -> dict[str, Any]:
    return {"channels": list(q.channels) or None, "users": list(q.users) or None}


async def both_reports(store: Store, q: ReviewQuery) -> tuple[Report, Report]:
    """Return the report from the SQL aggregate, and the report from the rows."""
    scope = store_scope(q)
    before, after = q.previous_period()
    previous = await store.score_sums(since=before, until=after, **scope)
    data = await store.report_data(since=q.since, until=q.until, **scope)
    rows = await store.reviews(since=q.since, until=q.until, **scope)
    assert data == report_data(rows)
    aggregated = build_report_from(data, previous, query=q, labels=LABELS)
    from_rows = build_report(rows, previous, query=q, labels=LABELS)
    assert_same(aggregated, from_rows)
    return aggregated, from_rows


def assert_same(got: Report, expected: Report) -> None:
    for field in fields(Report):
        assert getattr(got, field.name) == getattr(expected, field.name), field.name
    assert got == expected


async def test_the_aggregate_gives_the_report_the_rows_give(store: Store) -> None:
    await store.add_reviews(KNOWN + OUTSIDE)
    report, _ = await both_reports(store, query())

    assert (report.replies, report.previous_replies) == (len(KNOWN), 2)
    assert report.overall.previous == 75
    assert [(i.rule, i.count, i.dimension) for i in report.issues] == [
        (DEFLECTION, 4, "ownership"),
        ("respect.curt", 3, "respect"),
        ("Respect.Curt", 1, "respect"),  # ties by id: upper case sorts first
    ]
    deflection, curt, capital = report.issues
    assert deflection.example == anonymise(ROYAL_MAIL)  # 2 of 3 quoted
    assert curt.example == "ok"  # "ok" and "No." tie: the first used
    assert capital.example == "Hey"
    assert report.kudos is not None
    assert (report.kudos.user, report.kudos.overall) == ("U3", 99)
    assert report.kudos.text == "Hi [name], all sorted."
    acceptance = report.acceptance
    assert (acceptance.nudges, acceptance.helpful, acceptance.not_helpful) == (4, 1, 1)
    assert [(a.user, a.replies, a.nudges, a.helpful, a.not_helpful) for a in report.agents] == [
        ("U1", 11, 2, 1, 1),
        ("U2", 5, 0, 0, 0),
        ("U3", 2, 1, 0, 0),
    ]


@pytest.mark.parametrize("tz", ZONES, ids=str)
async def test_days_of_the_trend_in_the_leads_time_zone(store: Store, tz: tzinfo) -> None:
    await store.add_reviews(KNOWN + OUTSIDE)
    report, _ = await both_reports(store, query(tz))
    days = {point.day: point.count for point in report.trend}
    assert sum(days.values()) == len(KNOWN)
    if tz is KOLKATA:  # 18:29:59.999999 UTC is still the 31st there; 18:30 is the 1st
        assert days[date(2026, 10, 31)] == 4 and days[date(2026, 11, 1)] == 3
    if tz is NEW_YORK:  # both 01:30s on the 1st; 05:00 UTC on the 2nd is midnight there
        assert days[date(2026, 11, 1)] == 3 and days[date(2026, 11, 2)] == 1


@pytest.mark.parametrize(
    "scope",
    [
        {"channels": ("C2",)},
        {"users": ("U1", "U3")},
        {"channels": ("C1",), "users": ("U2",)},
        {"channels": ("C9",)},
    ],
    ids=str,
)
async def test_filtered_by_channel_and_user(store: Store, scope: dict[str, Any]) -> None:
    await store.add_reviews(KNOWN + OUTSIDE)
    report, _ = await both_reports(store, query(NEW_YORK, **scope))
    expected = [
        row
        for row in KNOWN
        if row.channel in scope.get("channels", (row.channel,))
        and row.user in scope.get("users", (row.user,))
    ]
    assert report.replies == len(expected)


async def test_by_team(store: Store) -> None:
    await store.add_reviews([*KNOWN, *(replace(row, team="T2") for row in KNOWN[:3])])
    data = await store.report_data(since=SINCE, until=START, team="T2")
    assert data == report_data(await store.reviews(since=SINCE, until=START, team="T2"))
    assert data.sums.count == 3


async def test_an_empty_period(store: Store) -> None:
    await store.add_reviews(KNOWN + OUTSIDE)
    since = START + timedelta(microseconds=1)  # just after the last reply
    later = ReviewQuery(since=since, until=since + 7 * DAY, tz=KOLKATA)
    report, _ = await both_reports(store, later)
    assert (report.replies, report.previous_replies) == (0, len(KNOWN) + 1)
    assert (report.issues, report.kudos, report.agents, report.trend) == ((), None, (), ())
    assert report.acceptance == Acceptance(0, 0, 0)
    assert await store.report_data(since=SINCE, until=START, channels=set()) == report_data([])
    assert await store.report_data(since=SINCE, until=START, users=[]) == report_data([])


async def test_an_empty_store(store: Store) -> None:
    report, _ = await both_reports(store, query(NEW_YORK))
    assert report.replies == 0 and report.acceptance.share is None


def random_reviews(rng: random.Random, count: int) -> list[StoredReview]:
    """Reviews with few distinct rules and quotes, so counts and quotes tie often."""
    rules = [DEFLECTION, "respect.curt", "empathy.no-apology", "learn.no_prevention", "llm.x"]
    quotes = ["", " ", "ok", "No.", ROYAL_MAIL, "ask them", "Sarah"]
    texts = [None, "", " ", "\n", "Done, Tom.", "Refunded order 55120 for you."]
    rows = []
    for _ in range(count):
        chosen = tuple(rng.choice(rules) for _ in range(rng.choice((0, 0, 1, 2, 3))))
        dimensions: tuple[Dimension, ...] = tuple(rng.choice(DIMENSIONS) for _ in chosen)
        nudged = bool(chosen) and rng.random() < 0.7
        rows.append(
            review(
                SINCE + timedelta(seconds=rng.randrange(-86_400, 8 * 86_400)),
                tuple(rng.randrange(0, 101) for _ in range(5)),
                user=rng.choice(["U1", "U2", "U3", None]),
                channel=rng.choice(["C1", "C2"]),
                rules=chosen,
                dimensions=dimensions,
                quotes=tuple(rng.choice(quotes) for _ in chosen) if rng.random() < 0.9 else (),
                nudged=nudged,
                helpful=rng.choice((True, False, None)),
                text=rng.choice(texts),
            )
        )
    return rows


async def test_random_reviews_in_every_scope_and_zone(store: Store) -> None:
    await store.add_reviews(random_reviews(random.Random(11), 400))
    for tz in ZONES:
        for scope in ({}, {"channels": ("C1",)}, {"users": ("U2", "U3")}):
            report, _ = await both_reports(store, query(tz, **scope))  # type: ignore[arg-type]
            assert report.replies > 50


async def test_in_memory_sqlite_takes_the_queries_in_turns() -> None:
    async with await Store.open("sqlite://", clock=lambda: START) as store:
        await store.add_reviews(KNOWN + OUTSIDE)
        await both_reports(store, query(KOLKATA))
