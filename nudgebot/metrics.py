"""Counters for operators, in the Prometheus text format (served at ``GET /metrics``).

One :class:`Metrics` per process, :data:`METRICS`, owns its own
:class:`~prometheus_client.CollectorRegistry` (never the library's global default, so nothing
else registered in the process leaks into ``/metrics``, and a test can build a fresh
:class:`Metrics` of its own). The code that does the work records with one call
(:meth:`Metrics.review_done`, :meth:`Metrics.nudge_sent`, :meth:`Metrics.tip_posted`,
:meth:`Metrics.work_shed`); prometheus-client makes each a lock-protected add, cheap enough
for the engine to call on every review.

Label values come from small closed sets (engines, outcomes, platforms, the model's fallback
codes), never from users, channels or message text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

if TYPE_CHECKING:
    from nudgebot.models import Review

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "METRICS", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The content type of :meth:`Metrics.render`: the classic Prometheus text format, which every
scraper reads (prometheus-client's own ``CONTENT_TYPE_LATEST`` may name a newer version)."""

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 30.0)
"""Model latency buckets, in seconds: a model review's whole budget is 6 s by default."""

ENGINES = ("rules", "llm")
OUTCOMES = ("nudge", "ok", "not_judged")
PLATFORMS = ("slack", "teams")


class Metrics:
    """nudgebot's counters and histogram, in a registry of their own.

    ``render()`` returns the registry in the Prometheus text format; ``value()`` reads one
    sample (what the tests use).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.reviews = Counter(
            "nudgebot_reviews",
            "Reviews finished, by the engine that wrote the review and its outcome.",
            ["engine", "outcome"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "nudgebot_model_fallbacks",
            "Reviews the rules answered because the model could not (meta.fallback codes).",
            ["reason"],
            registry=self.registry,
        )
        self.model_latency = Histogram(
            "nudgebot_model_latency_seconds",
            "Time the model took to answer a review (answers from the cache not included).",
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.nudges = Counter(
            "nudgebot_nudges_sent",
            "Live nudges posted to agents.",
            ["platform"],
            registry=self.registry,
        )
        self.tips = Counter(
            "nudgebot_tips_posted",
            "Daily coaching tips posted to team channels (scheduled and on request).",
            ["platform"],
            registry=self.registry,
        )
        self.shed = Counter(
            "nudgebot_work_shed",
            "Work dropped because too much was already waiting (its user, if any, told so).",
            ["platform"],
            registry=self.registry,
        )
        # Series that exist from the start, so a rate over them is 0 rather than missing.
        for engine in ENGINES:
            for outcome in OUTCOMES:
                self.reviews.labels(engine=engine, outcome=outcome)
        for platform in PLATFORMS:
            self.tips.labels(platform=platform)
            self.shed.labels(platform=platform)
        self.nudges.labels(platform="slack")

    def review_done(self, review: Review) -> None:
        """Count a finished review: its engine and outcome, a fallback, the model's latency."""
        outcome = "not_judged" if not review.judged else "nudge" if review.needs_nudge else "ok"
        self.reviews.labels(engine=review.engine, outcome=outcome).inc()
        meta = review.meta
        if not meta:
            return
        fallback = meta.get("fallback")
        if fallback:
            self.fallbacks.labels(reason=str(fallback)).inc()
        latency = meta.get("latency_ms")
        if review.engine == "llm" and not meta.get("cached") and isinstance(latency, int | float):
            self.model_latency.observe(latency / 1000)

    def nudge_sent(self, platform: str) -> None:
        """Count a nudge posted on ``platform``."""
        self.nudges.labels(platform=platform).inc()

    def tip_posted(self, platform: str) -> None:
        """Count a daily tip posted on ``platform``."""
        self.tips.labels(platform=platform).inc()

    def work_shed(self, platform: str) -> None:
        """Count a piece of work shed on ``platform`` because the app was overloaded."""
        self.shed.labels(platform=platform).inc()

    def render(self) -> bytes:
        """Return every metric in the Prometheus text format (see :data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """Return one sample's value (e.g. ``nudgebot_reviews_total``), 0 when it has none."""
        found = self.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found


METRICS = Metrics()
"""The process's metrics: what the app records into and ``GET /metrics`` serves."""
