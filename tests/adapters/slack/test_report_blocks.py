"""Tests for nudgebot.adapters.slack.report_blocks: a lead's review as a valid, safe message."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from nudgebot.adapters.slack.report_blocks import (
    progress_message,
    report_blocks,
    scorecard_blocks,
)
from nudgebot.models import Finding, Review, Scores
from nudgebot.reports import (
    AgentRow,
    Issue,
    Kudos,
    Report,
    ThreadQuery,
    build_report,
    parse_review_args,
    thread_scorecard,
)
from nudgebot.wording import SCORES_LEGEND
from tests.adapters.slack.test_blocks import all_text, assert_safe, assert_valid_blocks
from tests.test_reports import LABELS, NOW, PREVIOUS, SEEDED, seeded_query

SCOPED = "<#C1|support> <@U1> <!subteam^S9|@leads> 7d"


def report(text: str = "7d") -> Report:
    query = parse_review_args(text, now=NOW)
    assert not isinstance(query, ThreadQuery)
    return build_report(SEEDED, PREVIOUS, query=query, labels=LABELS)


def check(payload: dict[str, Any], *extra: str) -> str:
    assert_valid_blocks(payload)
    assert_safe(payload, extra=extra)
    return all_text(payload)


def test_private_report_names_the_agents() -> None:
    payload = report_blocks(report(SCOPED), private=True)
    text = check(payload, "<#C1>", "<@U1>", "<@U2>", "<@U3>", "<!subteam^S9>")
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Team review · last 7 days"},
    }
    assert blocks[1]["elements"][0]["text"].startswith("<#C1>, <@U1>, <!subteam^S9> · ")
    assert "*7 replies reviewed* (previous period: 2)" in text
    fields = [field["text"] for field in blocks[3]["fields"]]
    assert fields[0] == "*Overall*\n80  _▲ 5.4_"
    assert fields[5] == "*Ownership*\n70  _▼ 4.6_"
    assert blocks[4]["elements"][0]["text"] == SCORES_LEGEND  # what the numbers mean, in words
    assert "1. *Passes the customer along instead of taking it on* · Ownership · 3 replies" in text
    assert "> _“Please contact [name] about order [id], [name].”_" in text
    assert ":star: *Reply of the period* by <@U1> in <#C1> (overall 100)" in text
    assert "*Nudge acceptance*: 3 nudges sent · 1 of 2 answered found it helpful (50%)" in text
    assert "• <@U1> · 3 replies · overall 80 · 1 nudge · 100% helpful" in text
    assert "• <@U3> · 1 reply · overall 56 · 1 nudge · – helpful" in text
    assert payload["text"] == "Team review, last 7 days: 7 replies, overall 80 (▲ 5.4)"


def test_shared_report_names_nobody() -> None:
    payload = report_blocks(report(SCOPED), private=False)
    text = check(payload, "<#C1>")
    assert "<@" not in text and "subteam" not in text
    assert "<#C1>, 1 agent, 1 group · " in text
    assert ":star: *Reply of the period* (overall 100)" in text
    assert "By agent" not in text and "U2" not in text
    assert "Priya" not in text and "@example.com" not in text


def test_empty_report() -> None:
    empty = build_report([], PREVIOUS, query=seeded_query())
    for private in (True, False):
        payload = report_blocks(empty, private=private)
        text = check(payload)
        assert "No replies were reviewed in this period." in text
        assert payload["text"] == "Team review, last 7 days: no replies were reviewed."


def test_everything_stored_is_escaped() -> None:
    base = report()
    hostile = "<!channel> & <@U999> *bold* <https://evil.example|click>"
    tampered = replace(
        base,
        issues=(Issue("x.y", hostile, "respect", 2, hostile),),
        kudos=Kudos(1, "<@U1>", "C1 & <!here>", NOW, 99, hostile),
        agents=(AgentRow("U1> <!channel", 1, 50.0, 0, 0, 0),),
    )
    for private in (True, False):
        payload = report_blocks(tampered, private=private)
        text = check(payload, "<#C1>")  # no other markup, whatever was stored
        assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text


def test_many_agents_stay_within_slack_limits() -> None:
    base = report()
    agents = tuple(AgentRow(f"U{n:09d}", 1000 - n, 75.5, n, n, 1) for n in range(2000))
    payload = report_blocks(replace(base, agents=agents), private=True)
    check(payload, *(f"<@{a.user}>" for a in agents), "<@U1>", "<#C1>")
    assert len(payload["blocks"]) <= 50
    last = payload["blocks"][-1]
    assert last["type"] == "context"
    assert "left out: the CSV export has every agent" in last["elements"][0]["text"]


def test_long_labels_and_quotes_are_cut() -> None:
    base = report()
    long = "very " * 2000
    payload = report_blocks(
        replace(base, issues=(Issue("x.y", long, "learn", 1, long),) * 3),
        private=True,
    )
    check(payload, "<@U1>", "<@U2>", "<@U3>", "<#C1>")


def test_progress_message() -> None:
    query = seeded_query()
    assert progress_message(query, 340)["text"] == (
        ":hourglass_flowing_sand: Reviewing 340 replies (last 7 days)…"
    )
    check(progress_message(query, 1340))
    assert "your team's replies" in check(progress_message(query))


def test_scorecard_blocks() -> None:
    finding = Finding(
        "ownership",
        "ownership.deflection",
        "contact <!channel> & them",
        "“contact <!channel> & them” passes the customer along.",
        "Take it on yourself.",
        cost=35,
    )
    nudged = Review(True, Scores(90, 80, 70, 60, 40), (finding,), "better", "rules")
    fine = Review(False, Scores(100, 100, 100, 100, 90), (), None, "rules")
    unjudged = Review(False, Scores(), (), None, "rules", judged=False)
    card = thread_scorecard([("U1", nudged), ("U2", fine), ("U1", unjudged)])
    thread = ThreadQuery("C1", "1700000000.000100", "1700000000.000100")
    payload = scorecard_blocks(thread, card)
    text = check(payload, "<#C1>", "<@U1>", "<@U2>")
    assert "*Mean over 3 replies*\nOverall 83 · Respect 95" in text  # (68 + 98) / 2
    assert "*Reply 1* · <@U1> · overall 68 · :bell: nudge" in text
    assert "_Top finding_: *Ownership*: “contact &lt;!channel&gt; &amp; them” passes" in text
    assert "*Reply 3* · <@U1>\n_Not scored" in text
    assert payload["text"] == "Conversation scorecard: 3 replies, overall 83"

    many = thread_scorecard([("U1", fine)] * 80)
    payload = scorecard_blocks(thread, many)
    check(payload, "<#C1>", "<@U1>")
    assert len(payload["blocks"]) == 50

    empty = scorecard_blocks(thread, thread_scorecard([]))
    assert "no agent replies" in check(empty, "<#C1>")


@pytest.mark.parametrize("days", [1, 30])
def test_period_labels(days: int) -> None:
    query = parse_review_args(f"{days}d", now=NOW)
    assert not isinstance(query, ThreadQuery)
    rows = [row for row in SEEDED if row.at >= NOW - timedelta(days=days)]
    payload = report_blocks(build_report(rows, [], query=query), private=True)
    check(payload, "<@U1>", "<@U2>", "<@U3>", "<#C1>", "<#C2>")
    label = "last day" if days == 1 else "last 30 days"
    assert payload["blocks"][0]["text"]["text"] == f"Team review · {label}"


def test_what_the_team_finds_helpful_and_what_was_quieted() -> None:
    from tests.test_learning_report import sample_learning

    with_learning = replace(report(), learning=sample_learning())
    private = report_blocks(with_learning, private=True)
    text = check(private, "<@U1>", "<@U2>", "<@U3>", "<#C1>", "<@ULEAD>")
    assert "*What your team finds helpful*" in text
    assert ":thumbsup: Passes the customer along · 90% of 10 votes helpful · 2 acted on" in text
    assert ":thumbsdown: Brushes off · 0% of 3 votes helpful · 2 acted on" in text
    assert "• Brushes off · off (lead) · by <@ULEAD>: _too noisy for us_" in text
    assert "• respect.blame · quieted by feedback · by the team's feedback" in text
    assert "*Leads' agreement*: 3 of 4 findings judged agreed with (75%) · 2 misses" in text
    assert "Passes the customer along: acted on: 2 calmer, 1 same, 0 angrier" in text
    shared = report_blocks(with_learning, private=False)
    text = check(shared, "<#C1>")
    assert "ULEAD" not in text and "by a lead: _too noisy for us_" in text
    hostile = replace(report(), learning=sample_learning(why="<!channel> *now* <@U999>"))
    for private_view in (True, False):
        text = check(report_blocks(hostile, private=private_view), "<#C1>", "<@U1>", "<@U2>",
                     "<@U3>", "<@ULEAD>")  # fmt: skip
        assert "&lt;!channel&gt;" in text
