"""The leads' report's learning part over a real database, and retention of what it keeps.

Every figure is worked out by hand from the rows below (SQLite, and PostgreSQL when
``NUDGEBOT_TEST_POSTGRES_URL`` is set):

======  ====  =======  ===================  ========  =====  =====================
review  team  channel  live rules           vote      acted  customer's next reply
======  ====  =======  ===================  ========  =====  =====================
r1      T1    C1       deflection           helpful   yes    calmer (2 → 0)
r2      T1    C1       deflection           not       no     the same (2 → 2)
r3      T1    C2       dismissive           not       no     -
r4      T1    C2       dismissive           not       no     -
r5      T1    C1       deflection dismissive helpful  no     -
r6      T2    C1       deflection           not       no     -
======  ====  =======  ===================  ========  =====  =====================

So in T1: deflection 3 live nudges, 2 helpful, 1 not, 1 acted on (2/3 helpful); dismissive 3,
1 helpful, 2 not, 0 acted on (1/3). A lead turned dismissive off in T1. Leads judged four
findings in T1: 2 agreed of 3 judged, 1 missed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from nudgebot.learning import Judgement
from nudgebot.learning_report import TeamLearning, load_team_learning
from nudgebot.reports import ReviewQuery, load_report, report_text
from nudgebot.storage import Store
from nudgebot.storage.learning import Learning
from nudgebot.storage.learning_privacy import FORGOTTEN_LEAD
from tests.storage.conftest import START, FakeClock
from tests.storage.test_storage_learning import live_review, nudge

pytestmark = pytest.mark.anyio

DEFLECTION = "ownership.deflection"
DISMISSIVE = "respect.dismissive"


def only(*rules: str) -> object:
    review = live_review()
    assert set(rules) <= {f.rule for f in review.findings}
    return replace(review, meta={**review.meta, "live_rules": list(rules)})


async def seed(store: Store, clock: FakeClock) -> Learning:
    learning = Learning(store)
    rows = [
        ("T1", "C1", (DEFLECTION,), True, "t1"),
        ("T1", "C1", (DEFLECTION,), False, "t2"),
        ("T1", "C2", (DISMISSIVE,), False, None),
        ("T1", "C2", (DISMISSIVE,), False, None),
        ("T1", "C1", (DEFLECTION, DISMISSIVE), True, None),
        ("T2", "C1", (DEFLECTION,), False, None),
    ]
    for number, (team, channel, rules, helpful, thread) in enumerate(rows, start=1):
        review_id = await nudge(
            store,
            team=team,
            channel=channel,
            ts=f"{number}.0",
            user=f"U{number}",
            thread=thread,
            review=only(*rules),  # type: ignore[arg-type]
        )
        assert await store.add_feedback(review_id, f"U{number}", helpful=helpful)
    clock.advance(minutes=5)
    assert await learning.acted(channel="C1", message_ts="1.0")
    clock.advance(minutes=30)
    assert await learning.customer_replied(channel="C1", thread_key="t1", heat=0) == 1
    assert await learning.customer_replied(channel="C1", thread_key="t2", heat=2) == 1
    await learning.set_mode("T1", DISMISSIVE, "off", by="ULEAD", why="too noisy for us")
    verdicts = [
        ("C1", "1.0", DEFLECTION, "agree"),
        ("C1", "2.0", DEFLECTION, "disagree"),
        ("C2", "3.0", DISMISSIVE, "agree"),
        ("C1", "9.0", "", "missed"),
    ]
    for channel, ts, rule, verdict in verdicts:
        await learning.judge(
            Judgement(
                channel,
                ts,
                rule,
                verdict,  # type: ignore[arg-type]
                "ULEAD",
                dimension=rule.split(".")[0] if rule else "empathy",
                text="Not our problem.",
                team="T1",
                author="U1",
            )
        )
    await learning.judge(Judgement("C1", "6.0", DEFLECTION, "disagree", "ULEAD2", team="T2"))
    return learning


def period() -> dict[str, object]:
    return {"since": START - timedelta(days=1), "until": START + timedelta(days=1)}


async def test_the_learning_part_of_one_team(store: Store, clock: FakeClock) -> None:
    learning = await seed(store, clock)
    part = await load_team_learning(learning, team="T1", **period())  # type: ignore[arg-type]
    rows = {row.rule: row for row in part.rules}
    assert set(rows) == {DEFLECTION, DISMISSIVE}
    deflection, dismissive = rows[DEFLECTION].to_dict(), rows[DISMISSIVE].to_dict()
    assert deflection == {
        "rule": DEFLECTION,
        "dimension": "ownership",
        "live_nudges": 3,
        "helpful": 2,
        "not_helpful": 1,
        "acted_on": 1,
        "muted_after": 0,
        "acceptance": 0.6667,
        "state": "auto",
    }
    assert (dismissive["live_nudges"], dismissive["helpful"], dismissive["not_helpful"]) == (
        3,
        1,
        2,
    )
    assert (dismissive["acted_on"], dismissive["state"]) == (0, "off")
    top, bottom = part.helpful()
    assert [r.rule for r in top] == [DEFLECTION] and [r.rule for r in bottom] == [DISMISSIVE]
    assert [(q.team, q.state.rule, q.state.by, q.state.why) for q in part.quieted] == [
        ("T1", DISMISSIVE, "ULEAD", "too noisy for us")
    ]
    assert [(c.rule, c.mode, c.by) for c in part.changes] == [(DISMISSIVE, "off", "ULEAD")]
    assert part.agreement.to_dict() == {"judged": 3, "agreed": 2, "rate": 0.6667, "missed": 1}
    assert [o.to_dict() for o in part.outcomes] == [
        {
            "rule": DEFLECTION,
            "acted_on": {"calmer": 1, "same": 0, "angrier": 0},
            "not_acted_on": {"calmer": 0, "same": 1, "angrier": 0},
        }
    ]


async def test_narrowed_to_a_channel_and_over_every_team(store: Store, clock: FakeClock) -> None:
    learning = await seed(store, clock)
    c2 = await load_team_learning(
        learning,
        team="T1",
        channels=["C2"],
        **period(),  # type: ignore[arg-type]
    )
    assert [(r.rule, r.figures.live_nudges, r.figures.not_helpful) for r in c2.rules] == [
        (DISMISSIVE, 2, 2)
    ]
    assert c2.agreement.to_dict() == {"judged": 1, "agreed": 1, "rate": 1.0, "missed": 0}
    assert c2.outcomes == ()
    assert [q.state.rule for q in c2.quieted] == [DISMISSIVE]  # states are the team's
    every = await load_team_learning(learning, **period())  # type: ignore[arg-type]
    rows = {r.rule: r for r in every.rules}
    assert rows[DEFLECTION].figures.live_nudges == 4  # r6 in T2 too
    assert rows[DEFLECTION].figures.not_helpful == 2
    assert rows[DISMISSIVE].state == "off"  # the only team with a state for it
    assert every.agreement.judged == 4
    await learning.set_mode("T2", DISMISSIVE, "on", by="ULEAD2")
    mixed = await load_team_learning(learning, **period())  # type: ignore[arg-type]
    assert {r.rule: r.state for r in mixed.rules}[DISMISSIVE] == "mixed"
    other = await load_team_learning(learning, team="T2", **period())  # type: ignore[arg-type]
    assert [(r.rule, r.state) for r in other.rules] == [(DEFLECTION, "auto")]
    assert other.quieted == ()


async def test_the_report_carries_the_part_as_json_and_text(store: Store, clock: FakeClock) -> None:
    learning = await seed(store, clock)
    query = ReviewQuery(START - timedelta(days=1), START + timedelta(days=1), days=2)
    labels = {DEFLECTION: "Passes the customer along"}
    report = await load_report(store, query, team="T1", learning=learning, labels=labels)
    assert isinstance(report.learning, TeamLearning)
    data = json.loads(json.dumps(report.to_dict()))
    assert {r["rule"]: r["state"] for r in data["rules"]} == {
        DEFLECTION: "auto",
        DISMISSIVE: "off",
    }
    assert set(data["rules"][0]) >= {
        "rule",
        "dimension",
        "live_nudges",
        "helpful",
        "not_helpful",
        "acted_on",
        "state",
    }
    assert data["agreement"] == {"judged": 3, "agreed": 2, "rate": 0.6667, "missed": 1}
    assert data["helpful"] == {"top": [DEFLECTION], "bottom": [DISMISSIVE]}
    assert data["quieted"][0]["by"] == "ULEAD" and data["changes"][0]["state"] == "off"
    assert data["outcomes"][0]["rule"] == DEFLECTION
    text = report_text(report)
    assert "What your team finds helpful" in text
    assert "Passes the customer along (ownership.deflection): 67% of 3 votes helpful" in text
    assert f"Respect: dismissive ({DISMISSIVE}) in T1: off (lead), by ULEAD" in text
    assert "2 of 3 findings judged agreed with (67%); 1 reply the bot missed" in text
    assert "acted on: 1 calmer, 0 same, 0 angrier; not acted on: 0 calmer, 1 same" in text
    plain = await load_report(store, query, team="T1")  # without learning: as before
    assert plain.learning is None and "rules" not in plain.to_dict()


async def test_purge_drops_the_words_of_old_verdicts(store: Store, clock: FakeClock) -> None:
    learning = await seed(store, clock)
    clock.advance(days=10)
    await learning.judge(
        Judgement("C1", "10.0", DEFLECTION, "agree", "ULEAD", text="Recent words.", team="T1")
    )
    await store.purge(retention_days=5)
    cases = await learning.labelled_cases(
        since=START - timedelta(days=1), until=clock.now + timedelta(1), agents=False
    )
    assert [c["draft"] for c in cases] == ["Recent words."]
    # the counts stay
    agreement = await learning.agreement(
        team="T1", since=START - timedelta(days=1), until=clock.now + timedelta(1)
    )
    assert (agreement.judged, agreement.agreed, agreement.missed) == (4, 3, 1)


async def test_forget_removes_a_leads_verdicts_and_name(store: Store, clock: FakeClock) -> None:
    learning = await seed(store, clock)
    await store.forget("ULEAD")
    part = await load_team_learning(learning, team="T1", **period())  # type: ignore[arg-type]
    assert part.agreement.judged == 0 and part.agreement.missed == 0
    assert part.quieted[0].state.by == FORGOTTEN_LEAD
    assert [c.by for c in part.changes] == [FORGOTTEN_LEAD]
    assert "ULEAD" not in json.dumps(part.to_dict())
    # another lead's verdict stays
    every = await learning.agreement(all_teams=True, **period())  # type: ignore[arg-type]
    assert every.judged == 1


async def test_forget_an_agent_drops_the_words_of_verdicts_on_their_replies(
    store: Store, clock: FakeClock
) -> None:
    learning = await seed(store, clock)
    assert await learning.labelled_cases(**period(), agents=False)  # type: ignore[arg-type]
    await store.forget("U1")  # the author of the judged replies
    assert await learning.labelled_cases(**period(), agents=False) == []  # type: ignore[arg-type]
    part = await load_team_learning(learning, team="T1", **period())  # type: ignore[arg-type]
    assert part.agreement.judged == 3  # the verdicts stay, without words


async def test_a_rules_dimension_comes_from_its_id_or_its_findings(store: Store) -> None:
    from nudgebot.models import Finding, Review, Scores

    review = Review(
        needs_nudge=True,
        scores=Scores(respect=70),
        findings=(
            Finding("empathy", "house.no-warmth", "ok", "m", "f", 20),
            Finding("respect", "llm.respect", "ok", "m", "f", 20),
        ),
        suggestion=None,
        engine="rules",
        meta={"live_rules": ["house.no-warmth", "llm.respect", "odd"]},
    )
    await nudge(store, review=review)
    figures = await Learning(store).rule_figures(team="T1", **period())  # type: ignore[arg-type]
    assert {f.rule: f.dimension for f in figures} == {
        "house.no-warmth": "empathy",  # a custom rule's id doesn't say: its finding does
        "llm.respect": "respect",
        "odd": "odd",  # no finding names it: the id itself
    }
