"""Speed figures for storage: report queries over 100,000 reviews, and the cost to a live nudge.

    .venv/bin/python bench/storage.py [--reviews N] [--nudges N] [--sqlite-only] [--json]

For SQLite (a new file in a temporary folder) and, when ``NUDGEBOT_TEST_POSTGRES_URL`` is set
(``bash .ci/with-postgres .venv/bin/python bench/storage.py``), PostgreSQL (a new database on
that server, dropped afterwards):

- **seed**: ``--reviews`` reviews (100,000 by default) inserted with ``Store.add_reviews`` in
  batches of 5,000: spread over the last 30 days (busier on weekdays and in office hours), 20
  channels, 200 agents (10 per channel, with their own typical scores), 0-3 findings each from
  the real rule ids with their quotes, a reply and a customer message (~150 and ~100
  characters), 30% needing a nudge, and the agents' feedback on 40% of the nudges.
- **fetch**: ``Store.reviews`` for one channel over 7 and 30 days, and for the whole team over
  7 and 30 days (30 days = every review), best of 5 runs after a warm-up, with the rows found.
- **report**: what ``nudgebot report`` / ``/nudge review`` does with the store, for one
  channel over 7 days and the whole team over 7 and 30 days, best of 5 each: now
  ``Store.report_data`` (the period aggregated in SQL) and ``Store.score_sums`` (the period
  before), then ``reports.build_report_from``; and, as the baseline in the same run, the way it
  was done before: fetching the period's rows with ``Store.reviews`` and ``build_report`` over
  them, with the period before fetched as rows too or summed by ``score_sums``. The ratio is
  the baseline with ``score_sums`` over the aggregate; both reports must be equal.
- **live nudge**: what storage adds to one live nudge, ``--nudges`` times (1,000 by default)
  one after another: ``claim`` of the event's key, ``add_review``, and ``set_nudged`` once
  the nudge is posted; p50/p99 of each and of claim + add_review together; and the whole
  sequence the Slack app runs per nudge through ``SlackState`` (settings read through its
  cache, claim, store, settings again, mark sent): what storage adds to a live nudge.

- **learning** (issue 17): the seeded nudges then get their live rules, acted on / muted
  after, the customer's heat before and after (:func:`seed_learning`), with 3,000 leads'
  verdicts; the report with its learning part (``load_report(..., learning=Learning(store))``)
  is timed against the same report without it, best of 5, and the part alone.

Target (issue 5): a report over 100,000 reviews in under 1 s on both databases; under 5 ms p50
added to a live nudge. Issue 17: still under 1 s with the learning part and the feedback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from nudgebot.models import DIMENSIONS, Finding, Review, Scores, StoredReview
from nudgebot.storage import Store
from nudgebot.storage.store import async_url

NOW = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
CHANNELS = [f"C{n:08d}" for n in range(20)]
AGENTS = [f"U{n:08d}" for n in range(200)]
RULES = sorted(
    path.stem
    for path in (Path(__file__).resolve().parent.parent / "prompts" / "rules").glob("*.toml")
    if not path.stem.startswith("_")
)
WORDS = (
    "thanks for your patience I have checked your order and the parcel left our warehouse on "
    "Monday the courier says it will arrive tomorrow sorry for the wait please let me know if "
    "anything else comes up refund policy account settings invoice replacement tracking"
).split()


def sentence(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def seed_rows(count: int, rng: random.Random) -> list[StoredReview]:
    """``count`` realistic reviews over the 30 days before NOW."""
    agent_skill = {agent: rng.gauss(82, 8) for agent in AGENTS}
    rows: list[StoredReview] = []
    start = NOW - timedelta(days=30)
    while len(rows) < count:
        at = start + timedelta(seconds=rng.uniform(0, 30 * 86400))
        if at.weekday() >= 5 and rng.random() < 0.7:
            continue  # quieter weekends
        if not 8 <= at.hour < 19 and rng.random() < 0.8:
            continue  # and nights
        channel_index = rng.randrange(len(CHANNELS))
        agent = AGENTS[channel_index * 10 + rng.randrange(10)]
        skill = agent_skill[agent]
        scores = Scores(*(max(0, min(100, round(rng.gauss(skill, 12)))) for _ in DIMENSIONS))
        rules = rng.sample(RULES, rng.choice((0, 0, 1, 1, 2, 3)))
        needs_nudge = bool(rules) and rng.random() < 0.6
        text_ = sentence(rng, 150)
        rows.append(
            StoredReview(
                id=0,
                at=at,
                platform="slack",
                team="T0001",
                channel=CHANNELS[channel_index],
                user=agent,
                engine="llm" if rng.random() < 0.5 else "rules",
                scores=scores,
                rules=tuple(rules),
                dimensions=tuple(rule.split(".")[0] for rule in rules),  # type: ignore[misc]
                quotes=tuple(" ".join(text_.split()[:4]) for _ in rules),
                needs_nudge=needs_nudge,
                nudged=needs_nudge,
                text=text_,
                customer=sentence(rng, 100),
                prompt_version="3",
                latency_ms=round(rng.uniform(400, 2500), 1),
                input_tokens=rng.randrange(700, 1200),
                output_tokens=rng.randrange(40, 300),
                helpful=(rng.random() < 0.7) if needs_nudge and rng.random() < 0.4 else None,
                message_ts=f"{at.timestamp():.6f}",
            )
        )
    rows.sort(key=lambda row: row.at)
    return rows


async def best_of(runs: int, action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    result = await action()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await action()
        times.append(time.perf_counter() - started)
    return min(times), result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def bench(url: str, reviews: int, nudges: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    store = await Store.open(url, clock=lambda: NOW)
    try:
        rows = seed_rows(reviews, random.Random(5))
        started = time.perf_counter()
        for first in range(0, len(rows), 5000):
            await store.add_reviews(rows[first : first + 5000])
        figures["seed_s"] = time.perf_counter() - started
        if store.dialect == "postgresql":
            await analyze(url)

        week, month = NOW - timedelta(days=7), NOW - timedelta(days=30)
        one = {CHANNELS[3]}
        fetches = {
            "one channel, 7 days": dict(since=week, until=NOW, channels=one),
            "one channel, 30 days": dict(since=month, until=NOW, channels=one),
            "whole team, 7 days": dict(since=week, until=NOW, team="T0001"),
            "whole team, 30 days": dict(since=month, until=NOW, team="T0001"),
        }
        figures["fetch"] = {}
        for name, query in fetches.items():
            seconds, found = await best_of(5, lambda q=query: store.reviews(**q))  # type: ignore[misc]
            figures["fetch"][name] = {"s": seconds, "rows": len(found)}

        figures["report"] = await reports_bench(store, one)
        started = time.perf_counter()
        figures["learning_seed"] = await seed_learning(store, random.Random(17))
        figures["learning_seed"]["s"] = time.perf_counter() - started
        if store.dialect == "postgresql":
            await analyze(url)
        figures["learning"] = await learning_bench(store, one)

        timings: dict[str, list[float]] = {"claim": [], "add_review": [], "set_nudged": []}
        both: list[float] = []
        review = Review(
            needs_nudge=True,
            scores=Scores(respect=70, ownership=40),
            findings=(
                Finding("ownership", "ownership.deflection", "contact the courier", "m", "f", 30),
            ),
            suggestion="I'll chase the courier for you now.",
            engine="rules",
        )
        for n in range(nudges + 50):
            key = f"slack:nudge:{CHANNELS[n % 20]}:{1762000000 + n}.000100"
            t0 = time.perf_counter()
            claimed = await store.claim(key)
            t1 = time.perf_counter()
            review_id = await store.add_review(
                review,
                platform="slack",
                team="T0001",
                channel=CHANNELS[n % 20],
                user=AGENTS[n % 200],
                text="Not our problem, contact the courier.",
                customer="Where is my parcel?",
                nudged=False,
                message_ts=f"{1762000000 + n}.000100",
            )
            t2 = time.perf_counter()
            await store.set_nudged(review_id)
            t3 = time.perf_counter()
            assert claimed
            if n >= 50:  # the first 50 warm the pool and the statement caches
                timings["claim"].append(t1 - t0)
                timings["add_review"].append(t2 - t1)
                timings["set_nudged"].append(t3 - t2)
                both.append(t2 - t0)
        timings["claim + add_review"] = both
        before_post, whole = await app_sequence(store, review, nudges)
        timings["app, before the post"] = before_post
        timings["app, whole sequence"] = whole
        figures["live"] = {
            name: {"p50_ms": percentile(v, 0.5) * 1000, "p99_ms": percentile(v, 0.99) * 1000}
            for name, v in timings.items()
        }
    finally:
        await store.close()
    return figures


async def app_sequence(
    store: Store, review: Review, nudges: int
) -> tuple[list[float], list[float]]:
    """Time what the Slack app's live path asks of storage for one nudge, through SlackState.

    ``wants_nudges`` (cached for a few seconds per agent: 200 agents, so mostly hits),
    ``claim``, ``record_review``, ``wants_nudges`` again after the review: what delays the
    nudge; then ``nudge_sent``, once the nudge is posted. Returns both timings.
    """
    from nudgebot.adapters.slack.state import SlackState

    state = SlackState(store)
    before: list[float] = []
    found: list[float] = []
    for n in range(nudges + 50):
        user, channel, ts = AGENTS[n % 200], CHANNELS[n % 20], f"{1763000000 + n}.000100"
        t0 = time.perf_counter()
        assert await state.wants_nudges(user)
        assert await state.claim(f"slack:live:{channel}:{ts}")
        review_id = await state.record_review(
            review,
            user=user,
            channel=channel,
            team="T0001",
            text="Not our problem, contact the courier.",
            customer="Where is my parcel?",
            message_ts=ts,
        )
        assert review_id is not None and await state.wants_nudges(user)
        t1 = time.perf_counter()
        await state.nudge_sent(review_id)
        if n >= 50:
            before.append(t1 - t0)
            found.append(time.perf_counter() - t0)
    return before, found


async def reports_bench(store: Store, one: set[str]) -> dict[str, Any]:
    try:
        from nudgebot import reports
    except ImportError:
        return {}
    if not hasattr(reports, "build_report_from") or not hasattr(store, "report_data"):
        return {}
    figures: dict[str, Any] = {}
    for name, days, channels in (
        ("one channel, 7 days", 7, one),
        ("whole team, 7 days", 7, None),
        ("whole team, 30 days", 30, None),
    ):
        query = reports.review_query(now=NOW, days=days, channels=channels or ())
        baseline = await baseline_report(store, reports, query, channels)
        aggregate = await aggregate_report(store, reports, query, channels)
        same = baseline.pop("report") == aggregate.pop("report")
        figures[name] = {**baseline, **aggregate, "same_report": same}
    return figures


async def baseline_report(store: Store, reports: Any, query: Any, channels: Any) -> dict[str, Any]:
    """The report from the period's rows: Store.reviews, then build_report over them."""
    before = query.previous_period()
    scope = {"channels": channels, "team": "T0001"}

    async def fetch() -> Any:
        rows = await store.reviews(since=query.since, until=query.until, **scope)
        previous = await store.reviews(since=before[0], until=before[1], **scope)
        return rows, previous

    fetch_s, (rows, previous) = await best_of(5, fetch)
    build_s = min(
        timed(lambda: reports.build_report(rows, previous, query=query)) for _ in range(5)
    )

    async def whole() -> Any:
        rows, previous = await fetch()
        return reports.build_report(rows, previous, query=query)

    async def with_sums() -> Any:
        rows = await store.reviews(since=query.since, until=query.until, **scope)
        sums = await store.score_sums(since=before[0], until=before[1], **scope)
        return reports.build_report(rows, sums, query=query)

    total_s, _ = await best_of(5, whole)
    total_with_sums_s, report = await best_of(5, with_sums)
    return {
        "rows": len(rows),
        "previous_rows": len(previous),
        "fetch_s": fetch_s,
        "build_s": build_s,
        "total_s": total_s,
        "total_with_sums_s": total_with_sums_s,
        "report": report,
    }


async def aggregate_report(store: Store, reports: Any, query: Any, channels: Any) -> dict[str, Any]:
    """The report from SQL: Store.report_data and score_sums, then build_report_from."""
    before = query.previous_period()
    scope = {"channels": channels, "team": "T0001"}

    async def aggregate() -> Any:
        return await store.report_data(since=query.since, until=query.until, **scope)

    async def whole() -> Any:
        data = await aggregate()
        sums = await store.score_sums(since=before[0], until=before[1], **scope)
        return reports.build_report_from(data, sums, query=query)

    report_data_s, data = await best_of(5, aggregate)
    build_from_s = min(
        timed(lambda: reports.build_report_from(data, reports.ScoreSums(), query=query))
        for _ in range(5)
    )
    aggregate_s, report = await best_of(5, whole)
    return {
        "report_data_s": report_data_s,
        "build_from_s": build_from_s,
        "aggregate_s": aggregate_s,
        "report": report,
    }


async def seed_learning(store: Store, rng: random.Random) -> dict[str, int]:
    """Give the seeded nudges what the team's reactions leave (issue 17), as live data would.

    Every nudge sent gets its live rules (the findings' rules), the customer's heat before
    (0-2) and, for 60%, after; 25% were acted on (edited or the suggestion used), 3% muted
    after; each has a thread key. 3,000 leads' verdicts on nudged replies (agree / disagree,
    5% missed) with their words, and 10 rule states with their changes.
    """
    from sqlalchemy import bindparam, update

    from nudgebot.storage.schema import judgements, reviews, rule_changes, rule_states

    r = reviews.c
    async with store._begin(write=False) as connection:
        nudged = (
            await connection.execute(
                select(r.id, r.channel, r.message_ts, r.rules, r.dimensions, r.at, r.text)
                .where(r.nudged.is_(True))
                .order_by(r.id)
            )
        ).all()
    values = []
    for id_, _channel, ts, rules, _dims, at, _text in nudged:
        acted = rng.random() < 0.25
        before = rng.choice((0, 1, 1, 2, 2))
        values.append(
            {
                "key": id_,
                "live": rules,
                "thread": ts,
                "acted_at": at + timedelta(minutes=rng.uniform(0.5, 14)) if acted else None,
                "how": rng.choice(("edited", "used")) if acted else None,
                "muted": rng.random() < 0.03,
                "before": before,
                "after": max(0, min(2, before + rng.choice((-1, -1, 0, 0, 1))))
                if rng.random() < 0.6
                else None,
            }
        )
    statement = (
        update(reviews)
        .where(r.id == bindparam("key"))
        .values(
            live_rules=bindparam("live"),
            thread_key=bindparam("thread"),
            acted_at=bindparam("acted_at"),
            acted_how=bindparam("how"),
            muted_after=bindparam("muted"),
            heat_before=bindparam("before"),
            heat_after=bindparam("after"),
        )
    )
    verdicts = []
    for _id, channel, ts, rules, dims, at, text_ in rng.sample(nudged, min(3000, len(nudged))):
        rule, dimension = rules.split()[0], dims.split()[0]
        missed = rng.random() < 0.05
        verdicts.append(
            {
                "at": at + timedelta(hours=rng.uniform(1, 48)),
                "platform": "slack",
                "team": "T0001",
                "channel": channel,
                "message_ts": ts,
                "rule": "" if missed else rule,
                "dimension": dimension,
                "verdict": "missed" if missed else rng.choice(("agree", "agree", "disagree")),
                "user_id": f"L{rng.randrange(5)}",
                "author": None,
                "text": text_,
                "thread": None,
            }
        )
    states = [
        {
            "team": "T0001",
            "rule": rule,
            "mode": rng.choice(("off", "on", "auto")),
            "quiet": rng.random() < 0.5,
            "by": "L1",
            "at": NOW - timedelta(days=rng.uniform(0, 29)),
            "why": "bench",
        }
        for rule in rng.sample(RULES, 10)
    ]
    async with store._begin(write=True, single=False) as connection:
        for first in range(0, len(values), 5000):
            await connection.execute(statement, values[first : first + 5000])
        await connection.execute(judgements.insert(), verdicts)
        await connection.execute(rule_states.insert(), states)
        await connection.execute(rule_changes.insert(), states)
    return {"nudges": len(values), "verdicts": len(verdicts), "states": len(states)}


async def learning_bench(store: Store, one: set[str]) -> dict[str, Any]:
    """Time the report with the learning part against the report without it (the baseline).

    Both through ``reports.load_report`` (as ``nudgebot report`` does), best of 5 each, for
    the scopes of :func:`reports_bench`; and the learning part alone
    (``learning_report.load_team_learning``), with how many rules it found.
    """
    from nudgebot import reports
    from nudgebot.learning_report import load_team_learning
    from nudgebot.storage.learning import Learning

    learning = Learning(store)
    figures: dict[str, Any] = {}
    for name, days, channels in (
        ("one channel, 7 days", 7, one),
        ("whole team, 7 days", 7, None),
        ("whole team, 30 days", 30, None),
    ):
        query = reports.review_query(now=NOW, days=days, channels=channels or ())
        plain_s, _ = await best_of(5, lambda q=query: reports.load_report(store, q, team="T0001"))  # type: ignore[misc]
        with_s, report = await best_of(
            5,
            lambda q=query: reports.load_report(store, q, learning=learning, team="T0001"),  # type: ignore[misc]
        )
        part_s, part = await best_of(
            5,
            lambda q=query, c=channels: load_team_learning(  # type: ignore[misc]
                learning, since=q.since, until=q.until, team="T0001", channels=c
            ),
        )
        figures[name] = {
            "report_s": plain_s,
            "report_with_learning_s": with_s,
            "learning_s": part_s,
            "rules": len(part.rules),
            "live_nudges": sum(row.figures.live_nudges for row in part.rules),
            "judged": part.agreement.judged,
            "replies": report.replies,
        }
    return figures


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def analyze(url: str) -> None:
    """Let PostgreSQL's planner see the new rows now rather than at the next autovacuum."""
    await admin(url, "ANALYZE")


def show(name: str, figures: dict[str, Any]) -> None:
    print(f"\n== {name}")
    print(f"seed: {figures['seed_s']:.1f} s")
    for query, found in figures["fetch"].items():
        print(f"fetch {query:<22} {found['s'] * 1000:8.1f} ms  ({found['rows']:,} rows)")
    for query, found in figures["report"].items():
        print(
            f"report {query:<21} {found['aggregate_s'] * 1000:8.1f} ms  "
            f"(report_data {found['report_data_s'] * 1000:.1f} ms for {found['rows']:,} rows, "
            f"build_report_from {found['build_from_s'] * 1000:.2f} ms)"
        )
        print(
            f"  baseline, rows + score_sums: {found['total_with_sums_s'] * 1000:.1f} ms "
            f"({found['total_with_sums_s'] / found['aggregate_s']:.1f}x the aggregate); "
            f"both periods' rows: {found['total_s'] * 1000:.1f} ms "
            f"(fetch {found['fetch_s'] * 1000:.1f} ms for {found['rows']:,} + "
            f"{found['previous_rows']:,} rows, build_report {found['build_s'] * 1000:.1f} ms)"
        )
        print(f"  same report both ways: {'yes' if found['same_report'] else 'NO'}")
    seeded = figures["learning_seed"]
    print(
        f"learning seed: {seeded['nudges']:,} nudges given live rules, acted on, heat; "
        f"{seeded['verdicts']:,} verdicts; {seeded['states']} rule states ({seeded['s']:.1f} s)"
    )
    for query, found in figures["learning"].items():
        print(
            f"report + learning {query:<21} {found['report_with_learning_s'] * 1000:8.1f} ms  "
            f"(baseline without it {found['report_s'] * 1000:.1f} ms, "
            f"{found['report_with_learning_s'] / found['report_s']:.2f}x; learning part "
            f"{found['learning_s'] * 1000:.1f} ms: {found['rules']} rules, "
            f"{found['live_nudges']:,} rule-nudges, {found['judged']:,} judged; "
            f"{found['replies']:,} replies)"
        )
    for step, found in figures["live"].items():
        print(f"live nudge {step:<22} p50 {found['p50_ms']:6.2f} ms  p99 {found['p99_ms']:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--nudges", type=int, default=1_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = asyncio.run(
            bench(f"sqlite:///{folder}/bench.db", args.reviews, args.nudges)
        )
    server = os.environ.get("NUDGEBOT_TEST_POSTGRES_URL")
    if server and not args.sqlite_only:
        name = f"nudgebot_bench_{secrets.token_hex(3)}"
        asyncio.run(admin(server, f'CREATE DATABASE "{name}"'))
        url = async_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            results["postgresql"] = asyncio.run(
                bench(url.replace("+asyncpg", ""), args.reviews, args.nudges)
            )
        finally:
            asyncio.run(admin(server, f'DROP DATABASE "{name}" WITH (FORCE)'))
    elif not args.sqlite_only:
        print("(PostgreSQL skipped: set NUDGEBOT_TEST_POSTGRES_URL, or run")
        print(" `bash .ci/with-postgres .venv/bin/python bench/storage.py`)")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, figures in results.items():
        show(name, figures)


if __name__ == "__main__":
    main()
