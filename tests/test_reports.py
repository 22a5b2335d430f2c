"""Tests for nudgebot.reports (leads' reviews) and the ``nudgebot report`` command.

The report over seeded data has answers worked out by hand in the comments of ``SEEDED``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nudgebot import commands
from nudgebot.chart import CHART_SIZE, chart_alt_text, chart_title
from nudgebot.cli import main
from nudgebot.engine.rules import default_rulebook
from nudgebot.models import DIMENSIONS, Finding, Review, Scores, StoredReview
from nudgebot.reports import (
    CSV_COLUMNS,
    EXAMPLE_QUOTES,
    SLOT_SECONDS,
    Acceptance,
    AgentTotals,
    ReportData,
    ReviewQuery,
    ScoreSums,
    ThreadQuery,
    anonymise,
    build_report,
    build_report_from,
    parse_review_args,
    quote_ranking,
    report_csv,
    report_data,
    report_text,
    review_query,
    rule_counts,
    rule_label,
    rule_labels,
    score_sums,
    slot_of,
    slot_start,
    thread_scorecard,
    top_rules,
    trend_chart_png,
)
from nudgebot.wording import plural

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
LABELS = rule_labels(default_rulebook().rules)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def stored(
    ident: int,
    when: datetime,
    scores: tuple[int, int, int, int, int],
    *,
    user: str | None = "U1",
    channel: str | None = "C1",
    rules: tuple[str, ...] = (),
    quotes: tuple[str, ...] | None = None,
    needs_nudge: bool | None = None,
    nudged: bool = False,
    helpful: bool | None = None,
    text: str | None = None,
) -> StoredReview:
    return StoredReview(
        id=ident,
        at=when,
        platform="slack",
        team="T1",
        channel=channel,
        user=user,
        engine="rules",
        scores=Scores(*scores),
        rules=rules,
        dimensions=tuple(rule.split(".")[0] for rule in rules),  # type: ignore[misc]
        quotes=quotes if quotes is not None else tuple("" for _ in rules),
        needs_nudge=bool(rules) if needs_nudge is None else needs_nudge,
        nudged=nudged,
        helpful=helpful,
        text=text,
    )


ROYAL_MAIL = "Please contact Royal Mail about order 55120, Sarah."
KUDOS_TEXT = (
    "Hi Priya, I've refunded £25 to jane.doe@example.com and I'll call you on 07700 900123 by 4pm."
)

# The period: 7 days before NOW (2026-11-08 12:00 UTC to 2026-11-15 12:00 UTC).
#
#        user  when (UTC)    respect empathy adaptable learn ownership  sum  overall
#   r1   U1    11-09 10:00      80     60      90       70      50      350   70
#   r2   U1    11-10 03:00     100    100     100      100     100      500  100  (kudos)
#   r3   U2    11-10 09:00      90     80      70       60      50      350   70
#   r4   U2    11-10 11:00     100     90     100      100      93      483   96.6 -> 97
#   r5   U3    11-11 08:00      60     40      80       70      30      280   56
#   r6   -     11-11 09:00     100    100     100      100     100      500  100  (text purged)
#   r7   U1    11-11 10:00      70     70      70       70      70      350   70
#   sums                       600    540     610      570     493           563
#
# Rules (replies): ownership.deflection r1 r3 r5 (r5 has it twice) = 3; respect.curt r5 r7 = 2;
# empathy.no-apology r1 = 1 and learn.no-prevention r7 = 1 (tie: by id, empathy first).
# Nudges sent: r1 (helpful), r3 (not helpful), r5 (no answer); r7 needed one, none was sent.
SEEDED = [
    stored(
        1,
        at(9, 10),
        (80, 60, 90, 70, 50),
        rules=("ownership.deflection", "empathy.no-apology"),
        quotes=(ROYAL_MAIL, ""),
        nudged=True,
        helpful=True,
    ),
    stored(2, at(10, 3), (100, 100, 100, 100, 100), text=KUDOS_TEXT),
    stored(
        3,
        at(10, 9),
        (90, 80, 70, 60, 50),
        user="U2",
        rules=("ownership.deflection",),
        quotes=("you'll need to contact the courier",),
        nudged=True,
        helpful=False,
    ),
    stored(
        4, at(10, 11), (100, 90, 100, 100, 93), user="U2", channel="C2", text="Thanks Tom, done."
    ),
    stored(
        5,
        at(11, 8),
        (60, 40, 80, 70, 30),
        user="U3",
        channel="C2",
        rules=("ownership.deflection", "respect.curt", "ownership.deflection"),
        quotes=(ROYAL_MAIL, "ok", "ask them"),
        nudged=True,
    ),
    stored(6, at(11, 9), (100, 100, 100, 100, 100), user=None, channel="C2"),
    stored(
        7,
        at(11, 10),
        (70, 70, 70, 70, 70),
        rules=("respect.curt", "learn.no-prevention"),
        quotes=("No.", ""),
    ),
]
# The previous period (2026-11-01 12:00 to 2026-11-08 12:00): every score 70, then every 80.
PREVIOUS = [
    stored(11, at(5, 9), (70, 70, 70, 70, 70)),
    stored(12, at(6, 9), (80, 80, 80, 80, 80), user="U2"),
]


def seeded_query(tz: Any = UTC) -> ReviewQuery:
    query = parse_review_args("7d", now=NOW, tz=tz)
    assert isinstance(query, ReviewQuery)
    return query


# --------------------------------------------------------------------------------------------
# Parsing /nudge review
# --------------------------------------------------------------------------------------------


def test_parse_scopes_and_period() -> None:
    query = parse_review_args(
        "<#C123|support> <@U1> <@U2|jane> <!subteam^S9|@leads> 30d <#C123|support>", now=NOW
    )
    assert query == ReviewQuery(
        since=NOW - timedelta(days=30),
        until=NOW,
        channels=("C123",),
        users=("U1", "U2"),
        groups=("S9",),
        names=(("C123", "support"), ("U2", "jane"), ("S9", "leads")),
        days=30,
    )
    assert query.period_label == "last 30 days"
    assert query.name("S9") == "leads"
    assert query.name("U1") is None
    assert query.previous_period() == (NOW - timedelta(days=60), NOW - timedelta(days=30))


def test_parse_defaults_to_seven_days_for_everyone() -> None:
    for text in ("", "   ", "review", "Review  "):
        query = parse_review_args(text, now=NOW)
        assert isinstance(query, ReviewQuery)
        assert (query.since, query.until, query.days) == (NOW - timedelta(days=7), NOW, 7)
        assert (query.channels, query.users, query.groups) == ((), (), ())


@pytest.mark.parametrize(
    ("text", "days"), [("7d", 7), ("30D", 30), ("1d", 1), ("2w", 14), ("3 days", None)]
)
def test_parse_lengths(text: str, days: int | None) -> None:
    if days is None:  # "3 days" is two tokens: "3" is not understood
        with pytest.raises(ValueError, match="I didn't understand '3'"):
            parse_review_args(text, now=NOW)
        return
    query = parse_review_args(text, now=NOW)
    assert isinstance(query, ReviewQuery)
    assert query.days == days
    assert query.since == NOW - timedelta(days=days)


def test_parse_since_a_date_in_the_leads_time_zone() -> None:
    summer = datetime(2026, 7, 10, 9, 30, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    query = parse_review_args("<@U7> since 2026-07-01", now=summer, tz=london)
    assert isinstance(query, ReviewQuery)
    assert query.since == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # midnight BST
    assert query.until == summer
    assert query.days is None
    assert query.period_label == "since 2026-07-01"
    assert query.users == ("U7",)
    # A bare date means the same; today is allowed.
    assert parse_review_args("2026-07-10", now=summer) == replace(
        query, since=datetime(2026, 7, 10, tzinfo=UTC), users=(), tz=UTC
    )


@pytest.mark.parametrize(
    ("text", "ts", "message"),
    [
        (
            "https://acme.slack.com/archives/C0123ABC/p1700000000000100",
            "1700000000.000100",
            "1700000000.000100",
        ),
        (
            "<https://acme.slack.com/archives/C0123ABC/p1700000000000100>",
            "1700000000.000100",
            "1700000000.000100",
        ),
        (
            "review <https://acme.enterprise.slack.com/archives/C0123ABC/p1700000000000200"
            "?thread_ts=1700000000.000100&cid=C0123ABC|link>",
            "1700000000.000100",
            "1700000000.000200",
        ),
    ],
)
def test_parse_message_link(text: str, ts: str, message: str) -> None:
    assert parse_review_args(text, now=NOW) == ThreadQuery("C0123ABC", ts, message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("40x", "I didn't understand '40x'. Try 7d, 30d or since 2026-11-01."),
        ("since", "'since' needs a date, like since 2026-11-01."),
        ("since yesterday", "'yesterday' isn't a date I can read: use YYYY-MM-DD"),
        ("since 2026-13-01", "'2026-13-01' isn't a date I can read"),
        ("since 2026-11-16", "2026-11-16 is in the future: pick a day on or before 2026-11-15."),
        ("0d", "Pick a period of 1 to 365 days."),
        ("400d", "Pick a period of 1 to 365 days."),
        ("7d 30d", "Give one period only. Try 7d, 30d or since 2026-11-01."),
        ("7d since 2026-11-01", "Give one period only."),
        ("#general", "I couldn't tell which channel '#general' is"),
        ("@jane", "I couldn't tell which person or group '@jane' is"),
        ("<!here>", "That's everyone at once"),
        (
            "https://acme.slack.com/archives/C1/p1700000000000100 7d",
            "send the link on its own",
        ),
        ("https://example.com/some/page", "That link doesn't point to a Slack message"),
        ("<#general>", "I didn't understand '<#general>'"),
        ("x" * 100, "I didn't understand 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"),
    ],
)
def test_parse_malformed_input_says_what_to_do(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_review_args(text, now=NOW)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 160


def test_parse_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_review_args("7d", now=datetime(2026, 11, 15, 12))


@given(st.text(max_size=80))
def test_parse_fails_only_with_value_error(text: str) -> None:
    try:
        result = parse_review_args(text, now=NOW)
    except ValueError as error:
        assert str(error)
    else:
        assert isinstance(result, ReviewQuery | ThreadQuery)


def test_review_query_from_options() -> None:
    query = review_query(now=NOW, since=date(2026, 11, 1), channels=["C1", "C1", "C2"])
    assert (query.since, query.channels, query.days) == (at(1, 0), ("C1", "C2"), None)
    with pytest.raises(ValueError, match="one period"):
        review_query(now=NOW, days=7, since=date(2026, 11, 1))


# --------------------------------------------------------------------------------------------
# The report over seeded data
# --------------------------------------------------------------------------------------------


def test_report_over_seeded_data_has_the_known_answers() -> None:
    report = build_report(SEEDED, PREVIOUS, query=seeded_query(), labels=LABELS)
    assert (report.replies, report.previous_replies) == (7, 2)

    sums = {"respect": 600, "empathy": 540, "adaptable": 610, "learn": 570, "ownership": 493}
    assert [s.name for s in report.scores] == list(DIMENSIONS)
    for score in report.scores:
        assert score.mean == sums[score.name] / 7
        assert score.previous == 75
        assert score.change == sums[score.name] / 7 - 75
    assert report.overall.name == "overall"
    assert report.overall.mean == 563 / 7  # per-reply overall is rounded first: 96.6 -> 97
    assert report.overall.previous == 75

    assert [(i.rule, i.count, i.dimension) for i in report.issues] == [
        ("ownership.deflection", 3, "ownership"),
        ("respect.curt", 2, "respect"),
        ("empathy.no-apology", 1, "empathy"),
    ]
    deflection, curt, apology = report.issues
    assert deflection.label == "Passes the customer along instead of taking it on"
    assert deflection.example == "Please contact [name] about order [id], [name]."  # 2 of 3
    assert curt.label == "Is very short for someone who asked for help: it reads as curt"
    assert curt.example == "ok"  # "ok" and "No." tie: the first seen
    assert apology.example is None  # nothing quoted: something missing

    kudos = report.kudos
    assert kudos is not None
    assert (kudos.review_id, kudos.user, kudos.channel, kudos.overall) == (2, "U1", "C1", 100)
    assert kudos.at == at(10, 3)
    assert kudos.text == (
        "Hi [name], I've refunded £25 to [email] and I'll call you on [phone] by 4pm."
    )

    acceptance = report.acceptance
    assert (acceptance.nudges, acceptance.helpful, acceptance.not_helpful) == (3, 1, 1)
    assert (acceptance.answered, acceptance.share) == (2, 0.5)

    rows = [(a.user, a.replies, a.overall, a.nudges, a.helpful_share) for a in report.agents]
    assert rows == [
        ("U1", 3, 80.0, 1, 1.0),  # r1 70, r2 100, r7 70
        ("U2", 2, 83.5, 1, 0.0),  # r3 70, r4 97
        ("U3", 1, 56.0, 1, None),  # no answer to its nudge
    ]

    assert [(p.day, p.overall, p.count) for p in report.trend] == [
        (date(2026, 11, 9), 70.0, 1),
        (date(2026, 11, 10), 267 / 3, 3),
        (date(2026, 11, 11), 226 / 3, 3),
    ]


def test_previous_period_as_sums() -> None:
    query = seeded_query()
    sums = score_sums(PREVIOUS)
    assert sums == ScoreSums(2, 150, 150, 150, 150, 150, 150)
    assert build_report(SEEDED, sums, query=query) == build_report(SEEDED, PREVIOUS, query=query)
    nothing = build_report(SEEDED, ScoreSums(), query=query)
    assert nothing.previous_replies == 0
    assert nothing.overall.previous is None and nothing.overall.change is None


def test_trend_days_follow_the_leads_time_zone() -> None:
    new_york = ZoneInfo("America/New_York")  # UTC-5 in November: r2 is on the 9th there
    report = build_report(SEEDED, PREVIOUS, query=seeded_query(new_york))
    assert [(p.day, p.overall, p.count) for p in report.trend] == [
        (date(2026, 11, 9), 85.0, 2),
        (date(2026, 11, 10), 83.5, 2),
        (date(2026, 11, 11), 226 / 3, 3),
    ]


def test_unlabelled_rules_get_a_label_from_their_id() -> None:
    rows = [
        stored(1, at(9, 9), (50,) * 5, rules=("ownership.deflection",)),  # type: ignore[arg-type]
        stored(2, at(9, 9), (50,) * 5, rules=("llm.empathy",)),  # type: ignore[arg-type]
    ]
    rows[1] = replace(rows[1], dimensions=("empathy",))
    report = build_report(rows, [], query=seeded_query())
    assert [i.label for i in report.issues] == [
        "Empathy (found by the model)",
        "Ownership: deflection",
    ]


def test_kudos_ties_go_to_the_latest_reply() -> None:
    rows = [
        stored(1, at(9, 9), (90,) * 5, text="Early and good."),  # type: ignore[arg-type]
        stored(2, at(9, 10), (90,) * 5, text="Later and as good."),  # type: ignore[arg-type]
        stored(3, at(9, 8), (90,) * 5, text="   "),  # type: ignore[arg-type]
    ]
    kudos = build_report(rows, [], query=seeded_query()).kudos
    assert kudos is not None and kudos.review_id == 2


def test_empty_period() -> None:
    report = build_report([], PREVIOUS, query=seeded_query())
    assert report.replies == 0 and report.previous_replies == 2
    assert report.overall.mean is None and report.overall.previous == 75
    assert all(s.mean is None and s.change is None for s in report.scores)
    assert (report.issues, report.kudos, report.agents, report.trend) == ((), None, (), ())
    assert report.acceptance.share is None
    assert "No replies were reviewed in this period." in report_text(report)
    assert trend_chart_png(report) is None
    assert report_csv(report) == ",".join(CSV_COLUMNS) + "\n"
    assert json.loads(json.dumps(report.to_dict()))["scores"]["overall"]["change"] is None


def test_the_aggregate_of_seeded_data() -> None:
    data = report_data(SEEDED)
    assert data.sums == ScoreSums(7, 600, 540, 610, 570, 493, 563)
    assert data.acceptance == Acceptance(3, 1, 1)
    assert data.agents == {
        "U1": AgentTotals(replies=3, overall=240, nudges=1, helpful=1, not_helpful=0),
        "U2": AgentTotals(replies=2, overall=167, nudges=1, helpful=0, not_helpful=1),
        "U3": AgentTotals(replies=1, overall=56, nudges=1, helpful=0, not_helpful=0),
    }
    assert data.rules == {
        "ownership.deflection": 3,
        "empathy.no-apology": 1,
        "respect.curt": 2,
        "learn.no-prevention": 1,
    }
    assert data.quotes == {
        "ownership.deflection": (ROYAL_MAIL, "you'll need to contact the courier"),
        "respect.curt": ("ok", "No."),
    }
    assert data.best is SEEDED[1]
    assert sum(n for _, n in data.slots.values()) == 7
    assert all(start.minute % 15 == 0 and start.tzinfo is UTC for start in data.slots)
    query = seeded_query()
    assert build_report_from(data, PREVIOUS, query=query) == build_report(
        SEEDED, PREVIOUS, query=query
    )
    assert report_data([]) == ReportData(ScoreSums(), Acceptance(0, 0, 0), {}, {}, {}, {}, {}, None)


def test_slots_number_quarter_hours_from_the_epoch() -> None:
    assert SLOT_SECONDS == 900
    assert slot_of(datetime(1970, 1, 1, 0, 14, 59, 999_999, tzinfo=UTC)) == 0
    assert slot_of(datetime(1970, 1, 1, 0, 15, tzinfo=UTC)) == 1
    when = datetime(2026, 11, 10, 18, 29, 59, tzinfo=UTC)
    assert slot_start(slot_of(when)) == datetime(2026, 11, 10, 18, 15, tzinfo=UTC)
    kolkata = ZoneInfo("Asia/Kolkata")  # +5:30: its days start at 18:30 UTC
    assert slot_of(when.astimezone(kolkata)) == slot_of(when)


@pytest.mark.parametrize(
    ("zone", "days"),
    [
        ("Asia/Kolkata", [(date(2026, 11, 10), 2), (date(2026, 11, 11), 1)]),  # +5:30
        ("Asia/Kathmandu", [(date(2026, 11, 10), 1), (date(2026, 11, 11), 2)]),  # +5:45
        ("America/St_Johns", [(date(2026, 11, 10), 3)]),  # -3:30
    ],
)
def test_trend_days_in_zones_off_the_hour(zone: str, days: list[tuple[date, int]]) -> None:
    rows = [
        stored(1, datetime(2026, 11, 10, 18, 14, 59, tzinfo=UTC), (50,) * 5),  # type: ignore[arg-type]
        stored(2, datetime(2026, 11, 10, 18, 29, 59, tzinfo=UTC), (60,) * 5),  # type: ignore[arg-type]
        stored(3, datetime(2026, 11, 10, 18, 30, tzinfo=UTC), (70,) * 5),  # type: ignore[arg-type]
    ]
    report = build_report(rows, [], query=seeded_query(ZoneInfo(zone)))
    assert [(p.day, p.count) for p in report.trend] == days


def test_trend_days_across_a_dst_change() -> None:
    london = ZoneInfo("Europe/London")  # BST (UTC+1) ends on 2026-10-25 at 01:00 UTC
    rows = [
        stored(1, datetime(2026, 10, 24, 23, 0, tzinfo=UTC), (50,) * 5),  # type: ignore[arg-type]
        stored(2, datetime(2026, 10, 25, 0, 59, tzinfo=UTC), (60,) * 5),  # type: ignore[arg-type]
        stored(3, datetime(2026, 10, 25, 23, 59, tzinfo=UTC), (70,) * 5),  # type: ignore[arg-type]
        stored(4, datetime(2026, 10, 26, 0, 0, tzinfo=UTC), (80,) * 5),  # type: ignore[arg-type]
    ]
    query = review_query(now=datetime(2026, 10, 27, tzinfo=UTC), days=7, tz=london)
    report = build_report(rows, [], query=query)
    assert [(p.day, p.count) for p in report.trend] == [
        (date(2026, 10, 25), 3),  # 00:00 BST, 01:59 GMT... 23:59 GMT
        (date(2026, 10, 26), 1),
    ]


def test_rule_counts_weigh_each_combination_of_findings() -> None:
    counts, dimensions = rule_counts(
        [
            (
                ("ownership.deflection", "respect.curt", "ownership.deflection"),
                ("ownership",) * 3,
                4,
            ),
            (("ownership.deflection",), ("empathy",), 3),
            (("respect.curt", "learn.x"), ("respect", "learn"), 2),
            (("llm.tone",), ("respect",), 1),
            (("llm.tone",), ("empathy",), 1),
            (("rule.without-dimension",), (), 5),
        ]
    )
    assert counts == {
        "ownership.deflection": 7,
        "respect.curt": 6,
        "learn.x": 2,
        "llm.tone": 2,
        "rule.without-dimension": 5,
    }
    assert dimensions == {
        "ownership.deflection": "ownership",  # 4 against 3
        "respect.curt": "ownership",  # found under ownership in 4 replies, respect in 2
        "learn.x": "learn",
        "llm.tone": "respect",  # a tie: respect comes before empathy in DIMENSIONS
    }
    assert top_rules(counts) == ["ownership.deflection", "respect.curt", "rule.without-dimension"]
    assert top_rules({"b": 1, "a": 1}) == ["a", "b"]


def test_quote_ranking_counts_each_reply_once_ties_to_the_first_used() -> None:
    findings = [
        (("a", "b", "a"), ("one", "", "two")),
        (("a",), ("three",)),
        (("a", "c"), ("three", "c")),
        (("b", "a"), (" ", "one")),
        (("a", "b"), ("four",)),  # quotes shorter than rules: "b" has none here
        (("b",), ()),  # purged
    ]
    assert quote_ranking(findings, ["a", "b"]) == {"a": ("one", "three", "four")}
    many = [(("a",), (f"q{n}",)) for n in range(EXAMPLE_QUOTES + 3)]
    assert quote_ranking(many, {"a"})["a"] == tuple(f"q{n}" for n in range(EXAMPLE_QUOTES))
    assert quote_ranking(findings, []) == {}


def test_report_as_text_and_json() -> None:
    report = build_report(SEEDED, PREVIOUS, query=seeded_query(), labels=LABELS)
    text = report_text(report)
    assert "Replies reviewed: 7 (previous period: 2)" in text
    assert "Overall     80.4  (▲5.4)" in text  # 563/7 = 80.43
    assert "Empathy     77.1  (▲2.1)" in text  # 540/7 = 77.14
    assert "Ownership   70.4  (▼4.6)" in text  # 493/7 = 70.43
    assert "1. Passes the customer along instead of taking it on (ownership): 3 replies" in text
    assert "Nudges: 3 sent, 1 helpful, 1 not helpful (helpful: 50%)" in text
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["scores"]["respect"] == {"mean": 85.71, "previous": 75.0, "change": 10.71}
    assert data["agents"][1] == {
        "user": "U2",
        "replies": 2,
        "overall": 83.5,
        "nudges": 1,
        "helpful": 0,
        "not_helpful": 1,
        "helpful_share": 0.0,
    }
    assert data["trend"][0] == {"day": "2026-11-09", "overall": 70.0, "count": 1}


# --------------------------------------------------------------------------------------------
# Anonymisation and labels
# --------------------------------------------------------------------------------------------

LEAKS = [
    ("Hi Sarah, I checked order #A12345 for you.", ["Sarah", "A12345"]),
    ("Mr. Smith, please email refunds@acme.example.com", ["Smith", "refunds@", "acme.example"]),
    ("Call me on 07700 900123 or +44 20 7946 0958.", ["07700", "900123", "7946"]),
    ("<@U0123ABC> will refund order ORD-55120 today", ["U0123ABC", "55120"]),
    ("The card 4111 1111 1111 1111 was declined", ["4111"]),
    ("Track it at https://track.example.com/p/998877 now", ["998877", "track.example"]),
    ('Thanks "Jane Doe", booking ref AB12CD is confirmed', ["Jane", "Doe", "AB12CD"]),
    ("Dear Mrs Kowalski, your NI number AB 12 34 56 C is updated", ["Kowalski", "34 56"]),
]


@pytest.mark.parametrize(("text", "secrets"), LEAKS)
def test_anonymise_strips_names_emails_and_ids(text: str, secrets: list[str]) -> None:
    result = anonymise(text)
    for secret in secrets:
        assert secret not in result, result
    assert "@" not in result
    assert len(result) <= 80


def test_anonymise_keeps_the_words_and_shortens() -> None:
    assert anonymise("I'll refund the £25 by Friday.") == "I'll refund the £25 by Friday."
    long = anonymise("word " * 40)
    assert len(long) <= 80 and long.endswith("…") and "  " not in long
    assert anonymise("one\n\ntwo") == "one two"


def test_rule_labels_read_well() -> None:
    assert rule_label("“{quote}” - the “but” cancels the understanding.") == (
        "The “but” cancels the understanding"
    )
    assert rule_label("“{quote}” sounds like an accusation; “{replacement} ...” asks.") == (
        "Sounds like an accusation"
    )
    assert rule_label("No greeting anywhere: the reply may read as cold.") == (
        "No greeting anywhere: the reply may read as cold"
    )
    for rule, label in LABELS.items():
        assert label and "{" not in label and len(label) <= 100, (rule, label)
        assert label[0].isupper(), (rule, label)


# --------------------------------------------------------------------------------------------
# CSV and chart
# --------------------------------------------------------------------------------------------


def test_csv_parses_back() -> None:
    report = build_report(SEEDED, PREVIOUS, query=seeded_query())
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [row["section"] for row in rows] == ["agent"] * 3 + ["day"] * 3
    assert rows[0] == {
        "section": "agent",
        "key": "U1",
        "replies": "3",
        "mean_overall": "80.00",
        "nudges": "1",
        "helpful": "1",
        "not_helpful": "0",
        "helpful_share": "1.0000",
    }
    assert rows[2]["helpful_share"] == ""  # U3: no answer
    assert rows[4] == {
        "section": "day",
        "key": "2026-11-10",
        "replies": "3",
        "mean_overall": "89.00",
        "nudges": "",
        "helpful": "",
        "not_helpful": "",
        "helpful_share": "",
    }


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        position += 12 + length
    return chunks


def test_trend_chart_is_a_png_readable_at_slacks_preview_size() -> None:
    report = build_report(SEEDED, PREVIOUS, query=seeded_query())
    data = trend_chart_png(report)
    assert data is not None
    chunks = png_chunks(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == CHART_SIZE  # drawn at twice Slack's 480 px preview
    assert 5_000 < len(data) < 200_000


def test_the_chart_is_described_in_words() -> None:
    report = build_report(SEEDED, PREVIOUS, query=seeded_query())
    said = chart_alt_text(report)
    first, last = report.trend[0], report.trend[-1]
    assert said.startswith(chart_title(report))
    assert f"{first.overall:.0f} on the first day and {last.overall:.0f} on the last" in said
    assert f"{plural(len(report.trend), 'day')} from" in said and "out of 100" in said
    counts = [p.count for p in report.trend]
    assert f"from {min(counts)} to {max(counts)}." in said


def test_matplotlib_is_imported_only_when_a_chart_is_drawn() -> None:
    code = (
        "import sys, nudgebot.reports, nudgebot.cli, nudgebot.chart, "
        "nudgebot.adapters.slack.leads; print('matplotlib' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False"


def test_no_chart_for_a_single_day() -> None:
    one_day = [row for row in SEEDED if row.at.day == 11]
    assert trend_chart_png(build_report(one_day, [], query=seeded_query())) is None


def test_chart_of_flat_or_extreme_scores() -> None:
    for score in (0, 100):
        rows = [
            stored(i, at(9 + i, 9), (score,) * 5)  # type: ignore[arg-type]
            for i in range(3)
        ]
        data = trend_chart_png(build_report(rows, [], query=seeded_query()))
        assert data is not None and data.startswith(b"\x89PNG")


# --------------------------------------------------------------------------------------------
# The QA scorecard of one conversation
# --------------------------------------------------------------------------------------------


def finding(rule: str, cost: int, level: str = "nudge") -> Finding:
    dimension = rule.split(".")[0]
    return Finding(dimension, rule, "q", "m", "f", cost=cost, level=level)  # type: ignore[arg-type]


def test_thread_scorecard() -> None:
    first = Review(
        True,
        Scores(60, 80, 100, 100, 40),
        (finding("respect.pushback", 30, "hint"), finding("empathy.shrug", 10)),
        "better",
        "rules",
    )
    second = Review(False, Scores(100, 90, 100, 100, 100), (), None, "rules")
    unjudged = Review(False, Scores(), (), None, "rules", judged=False)
    card = thread_scorecard([("U1", first), ("U2", second), ("U1", unjudged)])
    assert [(r.position, r.user, r.needs_nudge, r.judged) for r in card.rows] == [
        (1, "U1", True, True),
        (2, "U2", False, True),
        (3, "U1", False, False),
    ]
    top = card.rows[0].top
    assert top is not None and top.rule == "empathy.shrug"  # a nudge beats a costlier hint
    assert card.rows[1].top is None
    assert card.nudges == 1
    assert card.means == {
        "respect": 80,
        "empathy": 85,
        "adaptable": 100,
        "learn": 100,
        "ownership": 70,
        "overall": (76 + 98) / 2,
    }
    assert thread_scorecard([]).means == {}


# --------------------------------------------------------------------------------------------
# Performance
# --------------------------------------------------------------------------------------------


def generated(count: int, start: datetime, seed: int) -> list[StoredReview]:
    """Return ``count`` varied rows cheaply: random picks from small pools, by index."""
    rng = random.Random(seed)
    rules = sorted(LABELS)
    pool = []
    for _ in range(997):  # a prime, so the pools do not line up with the 50 users
        chosen = tuple(rng.sample(rules, rng.randrange(4)))
        scores = Scores(*(rng.randrange(30, 101) for _ in range(5)))
        helpful = rng.choice((True, False, None))
        pool.append((chosen, tuple(r.split(".")[0] for r in chosen), scores, helpful))
    quote = "you'll need to contact Royal Mail, Sarah"
    text = "Hi Priya, all sorted: I've refunded order 55120."
    rows = []
    for index in range(count):
        chosen, dimensions, scores, helpful = pool[index % 997]
        rows.append(
            StoredReview(
                id=index,
                at=start + timedelta(seconds=index * 6),
                platform="slack",
                team="T1",
                channel=f"C{index % 7}",
                user=f"U{index % 50}",
                engine="rules",
                scores=scores,
                rules=chosen,
                dimensions=dimensions,  # type: ignore[arg-type]
                quotes=(quote,) * len(chosen),
                needs_nudge=bool(chosen),
                nudged=bool(chosen) and index % 5 != 0,
                text=None if chosen else text,
                helpful=helpful,
            )
        )
    return rows


def test_build_report_over_100000_rows_is_fast() -> None:
    rows = generated(100_000, NOW - timedelta(days=7), 1)
    previous = rows  # the same rows stand in for the period before: the work is the same
    assert len({row.scores for row in rows}) > 900
    query = seeded_query(ZoneInfo("Europe/London"))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        report = build_report(rows, previous, query=query, labels=LABELS)
        best = min(best, time.perf_counter() - started)
    print(f"\nbuild_report over 100,000 rows (+100,000 previous): {best * 1000:.0f} ms")
    assert report.replies == 100_000
    assert sum(agent.replies for agent in report.agents) == 100_000
    assert sum(point.count for point in report.trend) == 100_000
    assert best < 5.0  # generous: measured 0.25-0.55 s on 2 cores (quiet to busy)


# --------------------------------------------------------------------------------------------
# nudgebot report
# --------------------------------------------------------------------------------------------


class FakeStore:
    """Stands in for nudgebot.storage.Store: answers reviews() from a list, records calls."""

    def __init__(self, rows: list[StoredReview]) -> None:
        self.rows = rows
        self.calls: list[dict[str, Any]] = []
        self.closed = False

    async def reviews(self, **kwargs: Any) -> list[StoredReview]:
        self.calls.append(kwargs)
        channels, users = kwargs.get("channels"), kwargs.get("users")
        return [
            row
            for row in self.rows
            if kwargs["since"] <= row.at < kwargs["until"]
            and (channels is None or row.channel in channels)
            and (users is None or row.user in users)
        ]

    async def score_sums(self, **kwargs: Any) -> ScoreSums:
        return score_sums(await self.reviews(**kwargs))

    async def report_data(self, **kwargs: Any) -> ReportData:
        return report_data(await self.reviews(**kwargs))

    async def unreviewed(self, **kwargs: Any) -> int:
        return self.shed

    shed = 0

    async def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def _clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env and no nudgebot variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "NUDGEBOT_PROMPTS_DIR", "NUDGEBOT_ENGINE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_store(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    now = datetime.now(UTC)
    shift = now - NOW  # the seeded rows, moved so that NOW is now
    store = FakeStore([replace(row, at=row.at + shift) for row in SEEDED + PREVIOUS])
    opened: list[str] = []

    async def open_store(url: str) -> FakeStore:
        opened.append(url)
        return store

    monkeypatch.setattr(commands, "open_store", open_store)
    store.opened = opened  # type: ignore[attr-defined]
    return store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_report_json(fake_store: FakeStore, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "report", "--format", "json", "--database", "sqlite:///x.db")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert (data["replies"], data["previous_replies"]) == (7, 2)
    assert data["scores"]["overall"]["mean"] == round(563 / 7, 2)
    assert [i["rule"] for i in data["issues"]][:2] == ["ownership.deflection", "respect.curt"]
    assert data["issues"][0]["label"] == "Passes the customer along instead of taking it on"
    assert fake_store.opened == ["sqlite:///x.db"]  # type: ignore[attr-defined]
    assert fake_store.closed
    first, second = fake_store.calls
    assert first["channels"] is None and first["users"] is None
    assert second["until"] == first["since"]
    assert first["until"] - first["since"] == timedelta(days=7)


def test_cli_report_scope_csv_and_chart(
    fake_store: FakeStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = tmp_path / "trend.png"
    status, out, _ = run(
        capsys,
        "report",
        "--channel",
        "#C1",
        "--user",
        "U1",
        "--user",
        "U2",
        "--days",
        "30",
        "--format",
        "csv",
        "--chart",
        str(chart),
    )
    assert status == 0
    assert fake_store.calls[0]["channels"] == ["C1"]
    assert fake_store.calls[0]["users"] == ["U1", "U2"]
    rows = list(csv.DictReader(io.StringIO(out)))
    agents = [(r["key"], r["replies"]) for r in rows if r["section"] == "agent"]
    assert agents == [("U1", "4"), ("U2", "2")]  # in C1, 30 days: r1 r2 r7 p1; r3 p2
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_cli_report_text(fake_store: FakeStore, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "report", "--since", datetime.now(UTC).date().isoformat())
    assert status == 0
    assert out.startswith("Review of all replies, since ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--days", "0"], "Pick a period of 1 to 365 days."),
        (["--days", "x"], "not a number of days: x"),
        (["--since", "2026-02-30"], "not a date (YYYY-MM-DD): 2026-02-30"),
        (["--since", "2999-01-01"], "is in the future"),
        (["--days", "7", "--since", "2026-11-01"], "not allowed with argument"),
        (["--tz", "Mars/Olympus"], "not a time zone: Mars/Olympus"),
    ],
)
def test_cli_report_bad_usage(
    fake_store: FakeStore, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "report", *argv)
    assert status == 2 and out == ""
    assert err.startswith("nudgebot: ") and err.count("\n") == 1
    assert message in err


def test_cli_report_bad_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "report", "--database", "mysql://u:secret@host/db")
    assert status == 2 and out == ""
    assert err.startswith("nudgebot: cannot open the database") and "secret" not in err


def test_cli_report_end_to_end_on_sqlite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nudgebot.storage import Store

    url = f"sqlite:///{tmp_path / 'nudgebot.db'}"
    shift = datetime.now(UTC) - NOW

    async def seed() -> None:
        store = await Store.open(url)
        try:
            await store.add_reviews([replace(row, at=row.at + shift) for row in SEEDED + PREVIOUS])
        finally:
            await store.close()

    asyncio.run(seed())
    status, out, err = run(capsys, "report", "--database", url, "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert (data["replies"], data["previous_replies"]) == (7, 2)
    assert data["scores"]["overall"] == {
        "mean": round(563 / 7, 2),
        "previous": 75.0,
        "change": round(563 / 7 - 75, 2),
    }
    assert [(i["rule"], i["count"]) for i in data["issues"]] == [
        ("ownership.deflection", 3),
        ("respect.curt", 2),
        ("empathy.no-apology", 1),
    ]
    assert data["acceptance"] == {"nudges": 3, "helpful": 1, "not_helpful": 1, "share": 0.5}
    assert [(a["user"], a["replies"], a["overall"]) for a in data["agents"]] == [
        ("U1", 3, 80.0),
        ("U2", 2, 83.5),
        ("U3", 1, 56.0),
    ]
    assert data["kudos"]["user"] == "U1" and "Priya" not in data["kudos"]["text"]
    status, out, _ = run(capsys, "report", "--database", url, "--user", "U2", "--format", "csv")
    assert status == 0
    assert [r["key"] for r in csv.DictReader(io.StringIO(out)) if r["section"] == "agent"] == ["U2"]
