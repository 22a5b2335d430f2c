"""The leads' trend chart: the team's overall score by day, and how many replies each day had.

Drawn with matplotlib (its ``Agg`` renderer, no display, no pyplot state), imported only when
a chart is drawn: the command line and the bots' other paths never pay for it. The image is
960 x 540 pixels at 200 dpi, so it stays readable scaled down to Slack's 480-pixel preview:
a title naming the period, the score axis from 0 to 100 (labelled), the days under the x axis,
the score as a line with a dot per day over grey bars counting the replies (right axis).
:func:`chart_alt_text` says the same in words for screen readers (Slack's ``alt_txt``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from nudgebot.wording import plural

if TYPE_CHECKING:
    from nudgebot.reports import Report

__all__ = ["CHART_SIZE", "chart_alt_text", "chart_title", "trend_chart_png"]

CHART_SIZE = (960, 540)
"""The chart's size in pixels (width, height)."""
_DPI = 200
_LINE = "#1f6fb4"
_BARS = "#c9ccd1"
_EPOCH = 719_163
"""``date(1970, 1, 1).toordinal()``: matplotlib counts days from 1970-01-01."""


def chart_title(report: Report) -> str:
    """Return the chart's title: ``"Team score by day (last 7 days)"``."""
    return f"Team score by day ({report.query.period_label})"


def chart_alt_text(report: Report) -> str:
    """Describe the chart in words (for screen readers), figures included."""
    points = report.trend
    if not points:
        return f"{chart_title(report)}: no replies were reviewed."
    lowest = min(points, key=lambda p: p.overall)
    highest = max(points, key=lambda p: p.overall)
    counts = [p.count for p in points]
    first, last = points[0], points[-1]
    return (
        f"{chart_title(report)}. A line of the team's mean overall score (out of 100) on "
        f"{plural(len(points), 'day')} from {first.day:%d %B %Y} to {last.day:%d %B %Y}: "
        f"{first.overall:.0f} on the first day and {last.overall:.0f} on the last, lowest "
        f"{lowest.overall:.0f} on {lowest.day:%d %B}, highest {highest.overall:.0f} on "
        f"{highest.day:%d %B}. Grey bars count the replies reviewed each day, from "
        f"{min(counts)} to {max(counts)}."
    )


def trend_chart_png(report: Report) -> bytes | None:
    """Return the trend chart as a PNG (None when the period has under two days of replies)."""
    points = report.trend
    if len(points) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display; only for anything that asks pyplot
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    width, height = CHART_SIZE
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    score = figure.add_subplot()
    replies = score.twinx()
    days = [float(p.day.toordinal() - _EPOCH) for p in points]  # matplotlib's day numbers
    replies.bar(days, [p.count for p in points], color=_BARS, width=0.6, label="Replies")
    replies.set_ylabel("Replies", fontsize=8, color="#555555")
    replies.tick_params(axis="y", labelsize=7, colors="#555555")
    replies.set_ylim(0, max(p.count for p in points) * 1.25)
    score.set_zorder(replies.get_zorder() + 1)  # the line over the bars
    score.patch.set_visible(False)
    score.plot(
        days,
        [p.overall for p in points],
        color=_LINE,
        linewidth=1.8,
        marker="o",
        markersize=3.5,
        label="Overall score",
    )
    score.set_ylim(0, 100)
    score.set_yticks([0, 20, 40, 60, 80, 100])
    score.set_ylabel("Overall score (0–100)", fontsize=8)
    score.tick_params(axis="both", labelsize=7)
    score.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    locator = AutoDateLocator(minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
    score.xaxis.set_major_locator(locator)
    score.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    score.set_title(chart_title(report), fontsize=10, loc="left")
    lines, names = score.get_legend_handles_labels()
    bars, bar_names = replies.get_legend_handles_labels()
    score.legend(
        lines + bars,
        names + bar_names,
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=2,
        frameon=False,
        borderaxespad=0.2,
    )
    for side in ("top",):
        score.spines[side].set_visible(False)
        replies.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=_DPI, metadata={"Software": None})
    return out.getvalue()
