"""Counters at GET /metrics: they move where the work happens, and the text is Prometheus's.

The app records into one process-wide :data:`nudgebot.metrics.METRICS`, so every test here
reads the change in a value across what it does, never the value itself.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from nudgebot.adapters.router import Router
from nudgebot.adapters.slack.bot import Background as SlackBackground
from nudgebot.adapters.teams.bot import Background as TeamsBackground
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.engine.llm.reviewer import LLMReviewer
from nudgebot.engine.rules import default_rulebook
from nudgebot.metrics import CONTENT_TYPE, METRICS, Metrics
from nudgebot.models import Draft, Review, Scores
from nudgebot.storage import Store, TipSubscription
from nudgebot.testing import FakeModelServer, FakeSlackAPI
from nudgebot.tip_service import PlatformTipStore, TipsCall, TipService, answer_tips
from nudgebot.tips import TipLibrary
from tests.adapters.slack.harness import (
    AGENT,
    BAD_REPLY,
    CUSTOMER_MESSAGE,
    GOOD_REPLY,
    RunningApp,
    event,
    make_settings,
    preload,
)
from tests.engine.llm.wire import settings as model_settings

RULEBOOK = default_rulebook(cache_dir=None)
CUSTOMER = CUSTOMER_MESSAGE
BAD = BAD_REPLY
GOOD = GOOD_REPLY

REVIEWS = "nudgebot_reviews_total"
FALLBACKS = "nudgebot_model_fallbacks_total"
LATENCY_COUNT = "nudgebot_model_latency_seconds_count"
LATENCY_SUM = "nudgebot_model_latency_seconds_sum"
NUDGES = "nudgebot_nudges_sent_total"
TIPS = "nudgebot_tips_posted_total"
SHED = "nudgebot_work_shed_total"


def change(what: Callable[[], object], name: str, **labels: str) -> float:
    """How much ``name{labels}`` moved while ``what`` ran."""
    before = METRICS.value(name, **labels)
    what()
    return METRICS.value(name, **labels) - before


def reviews(engine: ReviewEngine, *drafts: Draft, choice: str = "auto") -> list[Review]:
    async def run() -> list[Review]:
        try:
            return [await engine.review(draft, choice) for draft in drafts]
        finally:
            await engine.aclose()

    return asyncio.run(run())


# -- the Metrics object ---------------------------------------------------------------------


def test_each_metrics_object_has_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()  # same names, no "duplicated timeseries" error
    first.nudge_sent("slack")
    assert first.value(NUDGES, platform="slack") == 1
    assert second.value(NUDGES, platform="slack") == 0
    assert first.value("nudgebot_no_such_metric") == 0


def test_a_review_is_counted_by_engine_and_outcome_with_its_fallback_and_latency() -> None:
    metrics = Metrics()
    nudge = Review(True, Scores(), (), "better", "llm", meta={"latency_ms": 1500.0})
    cached = replace(nudge, meta={"latency_ms": 0.2, "cached": True})
    fallback = Review(False, Scores(), (), None, "rules", meta={"fallback": "timeout"})
    unjudged = Review(False, Scores(), (), None, "rules", judged=False)
    for review in (nudge, cached, fallback, unjudged):
        metrics.review_done(review)
    assert metrics.value(REVIEWS, engine="llm", outcome="nudge") == 2
    assert metrics.value(REVIEWS, engine="rules", outcome="ok") == 1
    assert metrics.value(REVIEWS, engine="rules", outcome="not_judged") == 1
    assert metrics.value(FALLBACKS, reason="timeout") == 1
    assert metrics.value(LATENCY_COUNT) == 1  # the cached answer took no model time
    assert metrics.value(LATENCY_SUM) == pytest.approx(1.5)
    assert metrics.value("nudgebot_model_latency_seconds_bucket", le="2.0") == 1
    assert metrics.value("nudgebot_model_latency_seconds_bucket", le="1.0") == 0


# -- the engine ------------------------------------------------------------------------------


def test_a_rules_review_is_counted() -> None:
    engine = ReviewEngine(RULEBOOK)
    bad, good = Draft(BAD, customer=CUSTOMER), Draft(GOOD, customer=CUSTOMER)
    nudged = change(lambda: reviews(engine, bad, bad), REVIEWS, engine="rules", outcome="nudge")
    passed = change(lambda: reviews(engine, good), REVIEWS, engine="rules", outcome="ok")
    assert (nudged, passed) == (2, 1)
    french = Draft("Bonjour, votre colis arrivera demain matin, merci de votre patience.")
    assert change(lambda: reviews(engine, french), REVIEWS, engine="rules", outcome="not_judged")


def test_a_model_that_fails_is_counted_as_a_fallback_by_reason() -> None:
    draft = Draft(BAD, customer=CUSTOMER)
    with FakeModelServer(fail_rate=1.0) as failing:
        config = replace(model_settings(), openai_base_url=failing.url, llm_retries=0)
        engine = ReviewEngine(RULEBOOK, llm=LLMReviewer(config))
        before = METRICS.value(REVIEWS, engine="rules", outcome="nudge")
        moved = change(lambda: reviews(engine, draft), FALLBACKS, reason="server_error")
    assert moved == 1
    assert METRICS.value(REVIEWS, engine="rules", outcome="nudge") == before + 1
    # Asked for the model with none configured: a fallback too, with its own code.
    no_model = ReviewEngine(RULEBOOK)
    assert change(lambda: reviews(no_model, draft, choice="llm"), FALLBACKS, reason="no_model")


def test_the_model_latency_is_observed_once_per_answer_the_model_gave() -> None:
    draft = Draft(BAD, customer=CUSTOMER)
    with FakeModelServer(delay=0.05) as model:
        config = replace(model_settings(), openai_base_url=model.url, llm_cache_size=8)
        engine = ReviewEngine(RULEBOOK, llm=LLMReviewer(config))
        count, total = METRICS.value(LATENCY_COUNT), METRICS.value(LATENCY_SUM)
        moved = change(
            lambda: reviews(engine, draft, draft), REVIEWS, engine="llm", outcome="nudge"
        )
    assert moved == 2
    assert METRICS.value(LATENCY_COUNT) == count + 1  # the second came from the cache
    assert METRICS.value(LATENCY_SUM) - total >= 0.05
    assert len(model.requests) == 1


# -- the Slack app, over HTTP ----------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        yield fake


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI) -> Iterator[RunningApp]:
    settings = make_settings(api)
    with RunningApp(settings, ReviewEngine.from_settings(settings)) as app:
        yield app


def scrape(app: RunningApp) -> tuple[str, dict[str, float]]:
    """GET /metrics over the socket: its content type, and every sample (name{labels})."""
    with urllib.request.urlopen(app.url + "/metrics", timeout=10) as response:
        assert response.status == 200
        kind = response.headers["Content-Type"]
        text = response.read().decode()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return kind, samples


def test_a_nudge_posted_through_the_app_is_counted_and_served_at_metrics(
    running: RunningApp, api: FakeSlackAPI
) -> None:
    kind, before = scrape(running)
    assert kind == CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    nudges = 'nudgebot_nudges_sent_total{platform="slack"}'
    nudged = 'nudgebot_reviews_total{engine="rules",outcome="nudge"}'
    api.reset()
    assert running.send_event(event("event_message.json", "Ev0METRICS1")).status == 200
    [nudge] = api.wait_for("chat.postEphemeral")
    assert nudge.params["user"] == AGENT
    running.settle()
    _, after = scrape(running)
    assert after[nudges] == before[nudges] + 1
    assert after[nudged] == before[nudged] + 1
    # A good reply is reviewed, and counted, but nobody is nudged.
    good = event("event_message.json", "Ev0METRICS2", text=GOOD_REPLY, ts="1700000200.000200")
    assert running.send_event(good).status == 200
    running.settle()
    _, last = scrape(running)
    assert last[nudges] == after[nudges]
    ok = 'nudgebot_reviews_total{engine="rules",outcome="ok"}'
    assert last[ok] == after[ok] + 1
    for name in (SHED, TIPS):
        for platform in ("slack", "teams"):
            assert f'{name}{{platform="{platform}"}}' in last  # present from the start
    assert 'nudgebot_model_latency_seconds_bucket{le="+Inf"}' in last


def test_head_metrics_and_the_health_check_still_answer(running: RunningApp) -> None:
    assert running.request("GET", "/healthz").body == "ok"
    assert running.request("HEAD", "/metrics").status == 200
    assert running.request("POST", "/metrics").status == 404  # only GET and HEAD


def test_metrics_can_be_turned_off() -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics"}
    asyncio.run(Router(metrics=False)(scope, receive, send))
    assert sent[0]["status"] == 404
    sent.clear()
    asyncio.run(Router()(scope, receive, send))
    assert sent[0]["status"] == 200
    assert (b"content-type", CONTENT_TYPE.encode()) in sent[0]["headers"]
    assert b"# TYPE nudgebot_reviews_total counter" in sent[1]["body"]


def test_the_metrics_setting() -> None:
    assert Settings.load({}, None).metrics is True
    assert Settings.load({"NUDGEBOT_METRICS": "false"}, None).metrics is False


# -- shed work and tips ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "platform"), [(SlackBackground, "slack"), (TeamsBackground, "teams")]
)
def test_shed_work_is_counted(background: Any, platform: str) -> None:
    async def overload() -> None:
        tasks = background(limit=1)
        tasks.spawn(asyncio.sleep(0.05), what="a slow review")
        tasks.spawn(asyncio.sleep(0), what="one too many")
        tasks.spawn(asyncio.sleep(0), what="and another")
        assert tasks.shed == 2
        assert await tasks.join(5)

    assert change(lambda: asyncio.run(overload()), SHED, platform=platform) == 2


def test_posted_tips_are_counted_and_failed_ones_are_not() -> None:
    library = TipLibrary.load()
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    due = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 31, tzinfo=UTC)
    posted: list[str] = []

    async def post(sub: TipSubscription, message: str) -> None:
        if sub.channel == "C0BROKEN":
            raise RuntimeError("not in the channel")
        posted.append(sub.channel)

    async def run() -> None:
        store = await Store.open("sqlite://")
        try:
            for channel in ("C0TIPS", "C0BROKEN"):
                await store.subscribe(TipSubscription(channel, "teams", "09:30", "UTC"))
            view = PlatformTipStore(store, "teams")

            async def get_view() -> PlatformTipStore:
                return view

            done = await TipService(get_view, library, post).run_once(due)
            assert sorted(d.status for d in done) == ["failed", "posted"]
            call = TipsCall("now", "U0LEAD", "C0NOW", "this channel", True, "UTC", True)

            async def post_now(message: str) -> None:
                posted.append("C0NOW")

            answer = await answer_tips(call, view, library, post_now, now=due)
            assert answer.text == "Posted today's tip."
        finally:
            await store.close()

    assert change(lambda: asyncio.run(run()), TIPS, platform="teams") == 2
    assert posted == ["C0TIPS", "C0NOW"]


def test_the_exposition_parses_with_every_metric_named() -> None:
    text = METRICS.render().decode()
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {
        "nudgebot_reviews",
        "nudgebot_model_fallbacks",
        "nudgebot_model_latency_seconds",
        "nudgebot_nudges_sent",
        "nudgebot_tips_posted",
        "nudgebot_work_shed",
    } <= names
    assert not any(name.startswith(("process_", "python_gc")) for name in names)
