"""Durable intake: work recorded before its ack survives the instance that got it.

Through the real app (``nudgebot serve --http`` as a process of its own, or uvicorn in a
thread), the fake Slack Web API and a slow fake model, on SQLite and PostgreSQL:

- **SIGKILL** in the middle of 30 slow reviews (all acked, none nudged yet), then a new
  instance on the same database: once the killed instance's leases run out, every message is
  nudged exactly once and its review stored once, marked nudged;
- **SIGTERM past the drain**: the work cancelled at shutdown is given back, and the next
  instance resumes it at start, without waiting for a lease;
- **overload**: a message arriving while the app is full is recorded as shed, not reviewed,
  counted, and its agent is not messaged.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nudgebot.adapters.slack import server as slack_server
from nudgebot.engine import ReviewEngine
from nudgebot.testing import FakeModelServer, FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    BAD_REPLY,
    SECRET,
    SUPPORT,
    RunningApp,
    event,
    make_settings,
    preload,
)
from tests.databases import db_url, pg_module_url
from tests.hardening.slack_like import deliver
from tests.served import wait_until_healthy

__all__ = ["db_url", "pg_module_url"]

LEASE = 2.0
"""The instances' lease in these tests (60 s by default): how soon a killed one's work moves."""


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        yield fake


@pytest.fixture(autouse=True)
def _fresh_api(api: FakeSlackAPI) -> Iterator[None]:
    api.reset()
    api.delay = 0.0
    yield


def stamps(prefix: int, count: int) -> list[str]:
    return [f"17{prefix:05d}{n:03d}.000100" for n in range(count)]


def payload_for(ts: str) -> dict[str, Any]:
    return event("event_message.json", f"Ev{ts.replace('.', '')}", ts=ts)


def nudges(api: FakeSlackAPI) -> list[str]:
    """The messages nudged (their thread), once per posted nudge."""
    return sorted(
        str(call.params["thread_ts"])
        for call in api.calls_to("chat.postEphemeral")
        if call.status == 200
    )


async def _rows(url: str) -> list[tuple[str, bool, str | None]]:
    from datetime import UTC, datetime, timedelta

    from nudgebot.storage import Store

    async with await Store.open(url) as store:
        now = datetime.now(UTC)
        found = await store.reviews(
            since=now - timedelta(days=1), until=now + timedelta(minutes=1), channels=[SUPPORT]
        )
    return sorted((row.message_ts or "", row.nudged, row.text) for row in found)


def stored(url: str) -> list[tuple[str, bool, str | None]]:
    """``(message ts, nudged, text)`` of every review stored for the support channel."""
    import asyncio

    return asyncio.run(_rows(url))


def wait_for_nudges(api: FakeSlackAPI, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(nudges(api)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


# -- SIGKILL ---------------------------------------------------------------------------------


@contextlib.contextmanager
def serving(
    api: FakeSlackAPI, model: FakeModelServer, url: str, folder: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``nudgebot serve --http`` in a process of its own: the fake Slack, the fake model."""
    from tests.hardening.test_faults import free_port

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NUDGEBOT_"))},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url,
        "NUDGEBOT_WATCH_CHANNELS": SUPPORT,
        "NUDGEBOT_ENGINE": "auto",
        "OPENAI_API_KEY": "fake-key",
        "OPENAI_BASE_URL": model.url,
        "NUDGEBOT_LLM_TIMEOUT": "20",
        "NUDGEBOT_LEASE_SECONDS": str(LEASE),
        "DATABASE_URL": url,
    }
    command = [sys.executable, "-m", "nudgebot", "serve", "--http", "--port", str(port)]
    with subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(process, base, timeout=20)
            yield process, base
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.communicate(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()


def test_sigkill_in_the_middle_of_30_slow_reviews_then_a_restart_nudges_each_once(
    api: FakeSlackAPI, db_url: str, tmp_path: Path
) -> None:
    messages = stamps(800, 30)
    with FakeModelServer(delay=8.0) as model:  # slow enough to kill them all mid-review
        with serving(api, model, db_url, tmp_path) as (first, base):
            for ts in messages:
                assert deliver(base + "/slack/events", payload_for(ts), SECRET) == [200]
            deadline = time.monotonic() + 15
            while len(model.requests) < len(messages) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(model.requests) == len(messages)  # every review is waiting on the model
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        assert nudges(api) == [] and stored(db_url) == []  # killed before any of it
        model.delay = 0.2
        restarted = time.monotonic()
        with serving(api, model, db_url, tmp_path) as (second, _):
            wait_for_nudges(api, len(messages), timeout=30)
            took = time.monotonic() - restarted
            time.sleep(LEASE + 0.5)  # a lease and a sweep later: nothing posted twice
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=15)
    assert nudges(api) == sorted(messages), took
    rows = stored(db_url)
    assert [row[0] for row in rows] == sorted(messages)
    assert all(nudged and text == BAD_REPLY for _, nudged, text in rows)
    assert "took" in err and "live work left unfinished" in err
    assert BAD_REPLY not in err and "Traceback" not in err


# -- SIGTERM past the drain --------------------------------------------------------------------


def model_app(api: FakeSlackAPI, model: FakeModelServer, url: str) -> RunningApp:
    settings = make_settings(
        api,
        engine="auto",
        openai_api_key="fake-key",
        openai_base_url=model.url,
        llm_timeout=20.0,
        database_url=url,
        lease_seconds=60.0,  # the default: resuming must not wait for it
    )
    return RunningApp(settings, ReviewEngine.from_settings(settings))


def test_work_cancelled_past_the_drain_is_resumed_by_the_next_instance_at_start(
    api: FakeSlackAPI, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_server, "DRAIN_SECONDS", 0.3)
    messages = stamps(810, 5)
    with FakeModelServer(delay=5.0) as model:
        with model_app(api, model, db_url) as app:
            for ts in messages:
                assert app.send_event(payload_for(ts)).status == 200
            deadline = time.monotonic() + 10
            while len(model.requests) < len(messages) and time.monotonic() < deadline:
                time.sleep(0.05)
        # stopped: the drain ran out while the model was still thinking
        assert nudges(api) == [] and stored(db_url) == []
        model.delay = 0.1
        started = time.monotonic()
        with model_app(api, model, db_url) as app:
            wait_for_nudges(api, len(messages), timeout=15)
            resumed = time.monotonic() - started
            app.settle()
    assert nudges(api) == sorted(messages)
    assert resumed < 10.0  # at start, not after the 60 s lease
    rows = stored(db_url)
    assert [row[0] for row in rows] == sorted(messages)
    assert all(nudged and text == BAD_REPLY for _, nudged, text in rows)


# -- overload ------------------------------------------------------------------------------------


def test_a_message_shed_under_overload_is_recorded_and_counted_and_nobody_is_messaged(
    api: FakeSlackAPI, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    url = f"sqlite:///{tmp_path / 'nudgebot.db'}"
    [busy, shed] = stamps(820, 2)
    with FakeModelServer(delay=2.0) as model, model_app(api, model, url) as app:
        app.app.bot.tasks.limit = 1
        assert app.send_event(payload_for(busy)).status == 200  # takes the one slot
        assert app.send_event(payload_for(shed)).status == 200  # acked, recorded as shed
        api.wait_for("chat.postEphemeral", 1, timeout=10)
        app.settle()
        intake = app.run(app.app.bot.state.intake())
        now = datetime.now(UTC)
        unreviewed = app.run(
            intake.unreviewed(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
        )
        work = app.run(intake.find(f"slack:live:{SUPPORT}:{shed}"))
        shed_count = app.app.bot.tasks.shed
    assert nudges(api) == [busy]  # the shed one: no nudge, and no "I'm busy" either
    assert [call.params["user"] for call in api.calls_to("chat.postEphemeral")] == [AGENT]
    assert all("busy" not in json.dumps(call.params) for call in api.calls_to("chat.post"))
    assert work is not None and work.state == "shed" and work.payload is None
    assert unreviewed == 1 and shed_count == 1
    assert [row[0] for row in stored(url)] == [busy]


def test_work_failing_every_attempt_ends_as_failed_and_counted_without_a_message(
    api: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    from datetime import UTC, datetime, timedelta

    [ts] = stamps(830, 1)
    settings = make_settings(api, lease_seconds=0.3)
    with (
        caplog.at_level(logging.WARNING),
        RunningApp(settings, ReviewEngine.from_settings(settings)) as app,
    ):
        tries = 0

        async def broken(draft: Any, **_: Any) -> Any:
            nonlocal tries
            tries += 1
            raise RuntimeError(f"boom: {draft.text}")  # its words must not be logged

        app.app.bot.review = broken  # type: ignore[method-assign]
        assert app.send_event(payload_for(ts)).status == 200
        intake = app.run(app.app.bot.state.intake())
        key = f"slack:live:{SUPPORT}:{ts}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            work = app.run(intake.find(key))
            if work is not None and work.state == "failed":
                break
            time.sleep(0.1)
        app.settle()
        now = datetime.now(UTC)
        unreviewed = app.run(
            intake.unreviewed(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
        )
    assert work is not None and work.state == "failed" and work.payload is None
    assert tries == 3 and unreviewed == 1
    assert api.calls_to("chat.postEphemeral") == []  # nobody is messaged about it
    assert "a live review failed 3 times: given up, counted as not reviewed" in caplog.text
    assert BAD_REPLY not in caplog.text
