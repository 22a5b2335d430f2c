"""The trend chart made small enough for a Teams message, from a real chart."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from nudgebot.adapters.teams.chart_image import MAX_IMAGE_BYTES, teams_png
from nudgebot.models import Scores, StoredReview
from nudgebot.reports import build_report, review_query, trend_chart_png

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def month_chart() -> bytes:
    rows = [
        StoredReview(
            n,
            NOW - timedelta(hours=7 * n + 1),
            "teams",
            "tenant",
            "19:c@thread.tacv2",
            f"agent-{n % 9}",
            "rules",
            Scores(50 + n % 50, 40 + n % 60, 90 - n % 40, 60 + n % 30, 30 + n % 70),
            (),
            (),
            (),
            False,
            False,
        )
        for n in range(100)
    ]
    report = build_report(rows, [], query=review_query(now=NOW, days=30))
    png = trend_chart_png(report)
    assert png is not None
    return png


def test_a_months_chart_fits_a_teams_message_at_the_same_size_in_pixels() -> None:
    png = month_chart()
    assert len(png) > MAX_IMAGE_BYTES  # as drawn, too big for Teams: the test can fail
    small = teams_png(png)
    assert small is not None and len(small) <= MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(png)) as drawn, Image.open(io.BytesIO(small)) as sent:
        assert sent.format == "PNG" and sent.size == drawn.size
        assert sent.mode == "P"  # a palette
        drawn_rgb, sent_rgb = drawn.convert("RGB"), sent.convert("RGB")
        # The title's ink is still there: the top rows are not blank.
        top = (0, 0, drawn.size[0], drawn.size[1] // 10)
        assert sent_rgb.crop(top).getextrema() == drawn_rgb.crop(top).getextrema()


def test_a_small_png_is_sent_as_it_is_and_an_impossible_limit_gives_none() -> None:
    png = month_chart()
    assert teams_png(png, limit=len(png)) == png
    assert teams_png(png, limit=500) is None
