"""Review periods are bounded: a far-off date is a sentence for the lead, never an OverflowError."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nudgebot.reports import MAX_DAYS, ReviewQuery, parse_review_args, review_query

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "since 0001-01-01",
        "0001-01-01",
        "since 1900-01-01",
        "since 2025-11-14",  # 366 days back
        "<#C1|support> since 0001-01-01",
    ],
)
def test_a_date_too_far_back_is_refused_with_the_earliest_day(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_review_args(text, now=NOW, tz=ZoneInfo("Pacific/Kiritimati"))
    message = str(refused.value)
    assert "too far back" in message and "2025-11-16" in message  # today there is 2026-11-16
    assert not isinstance(refused.value, OverflowError)


@pytest.mark.parametrize("text", ["since 9999-12-31", "9999-12-31", "since 2026-11-17"])
def test_a_date_in_the_future_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is in the future"):
        parse_review_args(text, now=NOW)


@pytest.mark.parametrize("text", ["9999d", "0d", "53w", "since"])
def test_lengths_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_review_args(text, now=NOW)


def test_the_earliest_day_allowed_works_and_so_does_its_previous_period() -> None:
    earliest = NOW.date() - timedelta(days=MAX_DAYS)
    query = review_query(now=NOW, since=earliest)
    assert isinstance(query, ReviewQuery)
    before, after = query.previous_period()
    assert after == query.since and before < after
    assert parse_review_args(f"since {earliest.isoformat()}", now=NOW) == query


def test_the_earliest_day_is_counted_in_the_leads_zone() -> None:
    tz = ZoneInfo("America/Los_Angeles")  # 04:00 there: still 2026-11-15
    today = NOW.astimezone(tz).date()
    review_query(now=NOW, since=today - timedelta(days=MAX_DAYS), tz=tz)
    with pytest.raises(ValueError, match="too far back"):
        review_query(now=NOW, since=today - timedelta(days=MAX_DAYS + 1), tz=tz)
    assert today == date(2026, 11, 15)
