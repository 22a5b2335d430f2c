"""What the team's reactions teach, stored: per-rule figures, quieting, verdicts, outcomes.

Every figure here is worked out by hand from the rows the test writes; the tests run on SQLite
and on PostgreSQL (see tests/storage/conftest.py).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from nudgebot.engine import ReviewEngine
from nudgebot.evaluation import read_cases
from nudgebot.learning import Judgement, QuietPolicy
from nudgebot.models import Draft, Review, Turn
from nudgebot.storage import Store
from nudgebot.storage.learning import Learning
from tests.storage.conftest import START, FakeClock

pytestmark = pytest.mark.anyio

DEFLECTING = "Not our problem, you'll need to contact the courier about that."
CUSTOMER = "My parcel is a week late and nobody replies. This is ridiculous."
ENGINE = ReviewEngine()


def live_review() -> Review:
    review = ENGINE.review_rules(Draft(DEFLECTING, customer=CUSTOMER), live=True)
    assert review.needs_nudge and review.meta["live_rules"]
    return review


async def nudge(
    store: Store,
    *,
    team: str | None = "T1",
    user: str = "U1",
    ts: str = "1.0",
    channel: str = "C1",
    thread: str | None = None,
    review: Review | None = None,
) -> int:
    return await store.add_review(
        review or live_review(),
        platform="slack",
        team=team,
        channel=channel,
        user=user,
        text=DEFLECTING,
        customer=CUSTOMER,
        nudged=True,
        message_ts=ts,
        thread_key=thread,
    )


def window() -> dict[str, object]:
    return {"since": START - timedelta(days=1), "until": START + timedelta(days=40)}


async def test_figures_per_live_rule_count_votes_edits_and_mutes(
    store: Store, clock: FakeClock
) -> None:
    learning = Learning(store)
    rules = live_review().meta["live_rules"]
    a = await nudge(store, ts="1.0")
    b = await nudge(store, ts="2.0", user="U2")
    await nudge(store, ts="3.0", team="T2")  # another team
    await store.add_review(  # reviewed, not nudged: not a live nudge
        live_review(),
        platform="slack",
        team="T1",
        channel="C1",
        user="U1",
        text=None,
        customer=None,
        nudged=False,
        message_ts="4.0",
    )
    assert await store.add_feedback(a, "U1", helpful=True)
    assert await store.add_feedback(b, "U2", helpful=False)
    clock.advance(minutes=5)
    assert await learning.acted(channel="C1", message_ts="1.0")
    assert not await learning.acted(channel="C1", message_ts="1.0")  # counted once
    assert not await learning.acted(channel="C1", message_ts="4.0")  # never nudged
    assert await learning.muted("U2") == 1
    figures = await learning.rule_figures(team="T1", **window())  # type: ignore[arg-type]
    assert [f.rule for f in figures] == sorted(rules)
    for f in figures:
        assert (f.live_nudges, f.helpful, f.not_helpful, f.acted_on, f.muted_after) == (
            2,
            1,
            1,
            1,
            1,
        )
    everywhere = await learning.rule_figures(all_teams=True, **window())  # type: ignore[arg-type]
    assert {f.live_nudges for f in everywhere} == {3}


async def test_an_edit_after_15_minutes_is_not_acting_on_the_nudge(
    store: Store, clock: FakeClock
) -> None:
    learning = Learning(store)
    await nudge(store, ts="1.0")
    await nudge(store, ts="2.0")
    clock.advance(minutes=14, seconds=59)
    assert await learning.acted(channel="C1", message_ts="1.0")
    clock.advance(seconds=2)  # 15 minutes and 1 second after the nudge
    assert not await learning.acted(channel="C1", message_ts="2.0")


async def test_twenty_not_helpful_votes_quiet_a_rule_for_that_team_only(
    store: Store, clock: FakeClock
) -> None:
    learning = Learning(store, QuietPolicy(min_votes=20, share=0.6, days=30))
    rules = set(live_review().meta["live_rules"])
    made = []
    for n in range(20):
        review_id = await nudge(store, ts=f"{n}.0", user=f"U{n % 4}")
        assert await store.add_feedback(review_id, f"U{n % 4}", helpful=n < 8)  # 12 of 20 not
        made += await learning.feedback_given(review_id)
        clock.advance(minutes=1)
    assert {c.rule for c in made} == rules and all(c.by is None and c.quiet for c in made)
    assert "12 of 20 votes" in (made[0].why or "")
    assert await learning.quiet_rules("T1") == rules
    assert await learning.quiet_rules("T2") == frozenset()
    # a lead brings one back, and says why; another is turned off by hand in T2
    rule = sorted(rules)[0]
    state = await learning.set_mode("T1", rule, "on", by="ULEAD", why="we coach this one")
    assert state.live and await learning.quiet_rules("T1") == rules - {rule}
    await learning.set_mode("T2", rule, "off", by="ULEAD2")
    assert await learning.quiet_rules("T2") == {rule}
    # back to auto: the feedback still says quiet
    assert not (await learning.set_mode("T1", rule, "auto", by="ULEAD")).live
    changes = await learning.changes(team="T1", **window())  # type: ignore[arg-type]
    assert [(c.rule, c.mode, c.by) for c in changes[-2:]] == [
        (rule, "on", "ULEAD"),
        (rule, "auto", "ULEAD"),
    ]
    # 31 days on the votes have aged out: the rule comes back on its own, recorded
    clock.advance(days=31)
    assert await learning.quiet_rules("T1") == frozenset()
    last = (await learning.changes(team="T1", **{**window(), "until": clock.now + timedelta(1)}))[
        -1
    ]  # type: ignore[arg-type]
    assert last.by is None and not last.quiet


async def test_outcomes_compare_the_customers_next_message(store: Store, clock: FakeClock) -> None:
    learning = Learning(store)
    review = live_review()
    assert review.meta["heat"] == 2  # "ridiculous": upset
    await nudge(store, ts="1.0", thread="1.0", review=review)
    await nudge(store, ts="2.0", thread="2.0", review=review)
    await nudge(store, ts="3.0", thread="3.0", review=review)
    clock.advance(minutes=3)
    await learning.acted(channel="C1", message_ts="1.0")
    clock.advance(minutes=30)
    calm = ENGINE.heat("Thanks, that sorted it!")
    upset = ENGINE.heat("THIS IS A JOKE, still nothing!!")
    assert (calm, upset) == (0, 2)
    assert await learning.customer_replied(channel="C1", thread_key="1.0", heat=calm) == 1
    assert await learning.customer_replied(channel="C1", thread_key="2.0", heat=upset) == 1
    # a second customer message is not the next one
    assert await learning.customer_replied(channel="C1", thread_key="1.0", heat=upset) == 0
    outcomes = await learning.outcomes(team="T1", **window())  # type: ignore[arg-type]
    assert {o.rule for o in outcomes} == set(review.meta["live_rules"])
    for o in outcomes:
        assert o.acted_on.to_dict() == {"calmer": 1, "same": 0, "angrier": 0}
        assert o.not_acted_on.to_dict() == {"calmer": 0, "same": 1, "angrier": 0}


async def test_agreement_and_labelled_cases_read_back_with_eval(
    store: Store, clock: FakeClock, tmp_path: object
) -> None:
    learning = Learning(store)
    thread = ({"role": "customer", "text": CUSTOMER},)
    for lead, verdict in (("L1", "agree"), ("L2", "disagree")):
        await learning.judge(
            Judgement(
                "C1",
                "1.0",
                "ownership.deflection",
                verdict,
                lead,  # type: ignore[arg-type]
                dimension="ownership",
                text=DEFLECTING,
                thread=thread,
                team="T1",
            )
        )
    await learning.judge(
        Judgement(
            "C1",
            "2.0",
            "respect.curt",
            "disagree",
            "L1",
            dimension="respect",
            text="Sure, done.",
            team="T1",
        )
    )
    await learning.judge(
        Judgement(
            "C1",
            "3.0",
            "",
            "missed",
            "L1",
            dimension="empathy",
            text="Noted.",
            thread=thread,
            team="T1",
        )
    )
    # judging again replaces the verdict
    await learning.judge(
        Judgement(
            "C1",
            "2.0",
            "respect.curt",
            "agree",
            "L1",
            dimension="respect",
            text="Sure, done.",
            team="T1",
        )
    )
    await learning.judge(
        Judgement(
            "C1",
            "2.0",
            "respect.curt",
            "disagree",
            "L1",
            dimension="respect",
            text="Sure, done.",
            team="T1",
        )
    )
    agreement = await learning.agreement(team="T1", **window())  # type: ignore[arg-type]
    assert agreement.to_dict() == {"judged": 3, "agreed": 1, "rate": 0.3333, "missed": 1}
    review_id = await nudge(store, ts="9.0")
    await store.add_feedback(review_id, "U1", helpful=False)
    cases = await learning.labelled_cases(**window())  # type: ignore[arg-type]
    by_id = {c["id"]: c for c in cases}
    assert by_id["lead:C1:1.0"]["needs_nudge"] is True  # agree wins over another's disagree
    assert by_id["lead:C1:1.0"]["thread"] == [dict(t) for t in thread]
    assert by_id["lead:C1:2.0"]["needs_nudge"] is False
    assert by_id["lead:C1:3.0"]["dimensions"] == ["empathy"]
    assert by_id[f"agent:{review_id}"]["needs_nudge"] is False
    path = tmp_path / "labels.jsonl"  # type: ignore[operator]
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    read = read_cases(path)
    assert len(read) == 4
    assert read[0].thread == (Turn("customer", CUSTOMER),)


async def test_quiet_rules_are_cached_for_ten_seconds_unless_changed_here(store: Store) -> None:
    from nudgebot.storage.learning import QuietRules

    ticks = [0.0]
    here = Learning(store)
    elsewhere = Learning(store)  # another instance, same database
    cache = QuietRules(here, clock=lambda: ticks[0])
    assert await cache.of("T1") == frozenset()
    await elsewhere.set_mode("T1", "respect.blame", "off", by="L1")
    ticks[0] = 9.0
    assert await cache.of("T1") == frozenset()  # another instance's change: up to 10 s
    ticks[0] = 10.5
    assert await cache.of("T1") == {"respect.blame"}
    await here.set_mode("T1", "respect.blame", "on", by="L1")
    cache.forget("T1")  # this instance's change: at once
    assert await cache.of("T1") == frozenset()
