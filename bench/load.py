"""Load: a burst of Slack message events against the HTTP-mode app, with a slow and flaky model.

    .venv/bin/python bench/load.py [--events 1000] [--seconds 10] [--channels 20]
        [--model-delay 1 3] [--fail-rate 0.1] [--good-share 0.2] [--sqlite-only] [--json]

What it does (issue 7, part 1): ``--events`` signed ``message`` events (1,000), sent at an even
pace over ``--seconds`` (10) whatever the answers (open loop), spread over ``--channels`` (20)
watched channels, each an agent's reply to an upset customer; ``--good-share`` (20%) of them
are good replies that need no nudge, the rest need one. They go to ``POST /slack/events`` of
the real app, started as ``python -m nudgebot serve --http`` in its own process with only
environment variables: the LLM path on (``NUDGEBOT_ENGINE=auto``, ``OPENAI_API_KEY``,
``OPENAI_BASE_URL``) and a real database (``DATABASE_URL``: a new SQLite file; then, when
``NUDGEBOT_TEST_POSTGRES_URL`` is set, a new PostgreSQL database on that server:
``bash .ci/with-postgres .venv/bin/python bench/load.py``). Any ``NUDGEBOT_LLM_*`` variable
set when the bench starts is passed on to the app, to try other limits (e.g.
``NUDGEBOT_LLM_CONCURRENCY=256``); everything else is the default.

Around it, each in its own process: the Slack Web API (:class:`nudgebot.testing.FakeSlackAPI`,
noting when each ``chat.postEphemeral`` arrives and what it says), the model
(:class:`nudgebot.testing.FakeModelServer`, answering after ``--model-delay`` MIN MAX seconds,
uniform, and failing ``--fail-rate`` of its requests with 503; it agrees with the bench about
which replies need a nudge) and, as a baseline measured in the same run, a bare Bolt app whose
``message`` listener only acks (``bench/slack.py``'s), given the same burst.

Before the burst the app gets one customer message per channel (so a reply's context is known
without a ``conversations.history`` call; the fake has the same message in each channel's
history in case) and a few warm-up replies in a channel of their own (the first review imports
the ``openai`` package). None of these is counted.

It prints, and judges against the issue's targets:
- **acks**: p50/p99/max latency of the HTTP 200, timed from when each event was due to be sent
  (so a late client does not hide a slow server), for the app and the bare app; target: every
  ack under 3 s (Slack's limit).
- **what became of each event** (matched by ``ts``): a nudge delivered (``chat.postEphemeral``
  in the thread), shed (the app's ``Background`` past its bound: the agent is told "I'm very
  busy" and the log says ``overloaded: shed``), failed (the agent is told "Something went
  wrong"), or no nudge due (the stored review says the reply is fine). Anything else is a
  **silent loss**; target: none, i.e. delivered + shed + failed + no nudge due = events.
- **reviews stored**: rows in the ``reviews`` table for the burst's messages (by ``message_ts``),
  with their engine (``llm``, or ``rules`` when the model fell back), and whether ``nudged`` is
  set exactly for the nudges delivered; target: one row per event.
- the time from the first event to the last nudge, nudge latency, the model's requests, 503s and
  peak concurrency, the fallback reasons (from the nudges' notes), the app's warnings and errors
  by kind (its stderr), ``GET /metrics`` when the app serves it, and the app's **peak RSS**
  (``VmHWM`` in ``/proc/<pid>/status`` just before it is stopped) beside the bare app's.

Each target gets a verdict (met / not met); the exit status is 1 when one is not met. A run
takes about a minute (two with PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.slack import (  # noqa: E402  (after the path set-up)
    SECRET,
    Process,
    _cpu_seconds,
    _percentile,
    _server_main,
    _start,
    _stop,
    message_event,
)

BOT_TOKEN = "xoxb-bench"
HOME = "T0HOME"
EXTERNAL = "T0EXTERNAL"
CUSTOMER = "U0CUSTOMER"
WARMUP_CHANNEL = "C0WARMUP"
WARMUP = 5
AGENTS_PER_CHANNEL = 5
EVENTS_PATH = "/slack/events"
ACK_TARGET = 3.0
SETTLE_TIMEOUT = 180.0
STALL_SECONDS = 30.0

CUSTOMER_TEXT = "Where is my parcel?? It's been 2 weeks and nobody answers!"
BAD_REPLIES = (
    "Not our problem, contact the courier about ORD-{n}.",
    "As I already explained, refunds for ORD-{n} take 10 days. That's policy.",
    "The system shows ORD-{n} was delivered. You'll need to check with your neighbours.",
    "Delivery issues sit with the carrier, you'd need to contact them about ORD-{n}. "
    "It should turn up soon.",
)
GOOD_REPLIES = (
    "I'm so sorry ORD-{n} still hasn't arrived, that's really frustrating. I'll contact the "
    "courier myself now and update you by 4pm today, and I've flagged this to our delivery "
    "team so it doesn't happen again.",
)
GOOD_MARK = "so it doesn't happen again"
"""Only good replies say this; the fake model answers "no nudge" to them."""

NUDGE_TEXT = "This reply could land better"
BUSY_TEXT = "I'm very busy right now"
FAILED_TEXT = "Something went wrong on my side"
FALLBACK_NOTE = re.compile(r"(the model [^;]*?), so the rules reviewed this draft")
LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+): (.*)$")

# --------------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True)
class Event:
    """One message event of the burst (or of the warm-up)."""

    serial: int
    ts: str
    channel: str
    user: str
    text: str
    good: bool
    body: bytes


def _event(
    serial: int, ts: str, channel: str, user: str, text: str, team: str, good: bool
) -> Event:
    payload = message_event(
        serial,
        ts=ts,
        channel=channel,
        user=user,
        text=text,
        team=team,
        event_id=f"Ev0LOAD{serial:09d}",
    )
    return Event(serial, ts, channel, user, text, good, json.dumps(payload).encode())


class Events:
    """Makes events that were never sent before (new ``event_id`` and ``ts`` each time)."""

    def __init__(self, channels: list[str], good_share: float) -> None:
        self.channels = channels
        self.good_share = good_share
        self.base = int(time.time()) - 3600  # an hour ago: the customers wrote before that
        self.serial = 0

    def _ts(self) -> tuple[int, str]:
        self.serial += 1
        return self.serial, f"{self.base}.{self.serial:06d}"

    def customers(self, channels: list[str]) -> list[Event]:
        """One upset customer's message in each channel."""
        found = []
        for channel in channels:
            serial, ts = self._ts()
            found.append(_event(serial, ts, channel, CUSTOMER, CUSTOMER_TEXT, EXTERNAL, False))
        return found

    def replies(self, count: int, channels: list[str] | None = None) -> list[Event]:
        """``count`` agents' replies, round-robin over the channels, ``good_share`` of them good.

        Good ones are spread evenly (Bresenham), so every stretch of the burst has its share.
        """
        channels = channels or self.channels
        found = []
        for index in range(count):
            serial, ts = self._ts()
            channel = channels[index % len(channels)]
            agent = (index // len(channels)) % AGENTS_PER_CHANNEL
            user = f"U0AG{channels.index(channel):03d}{agent:02d}"
            good = math.floor((index + 1) * self.good_share) > math.floor(index * self.good_share)
            templates = GOOD_REPLIES if good else BAD_REPLIES
            text = templates[serial % len(templates)].format(n=10_000 + serial)
            found.append(_event(serial, ts, channel, user, text, HOME, good))
        return found


def channel_ids(count: int) -> list[str]:
    return [f"C0LOAD{n:04d}" for n in range(count)]


# --------------------------------------------------------------------------------------------
# The fakes (one process each)


def _slack_main(channels: list[str], conn: Connection) -> None:
    """Serve the fake Slack API; answer ``kinds`` / ``take`` / ``stop`` on ``conn``."""
    from nudgebot.testing import FakeSlackAPI, SlackCall

    class TimedSlackAPI(FakeSlackAPI):
        """Notes when each ``chat.postEphemeral`` arrives, its thread and what kind it is."""

        def __init__(self) -> None:
            super().__init__(team_id=HOME)
            self.ephemerals: list[tuple[float, str, int, str, str]] = []
            self.methods: Counter[str] = Counter()
            self.lock = threading.Lock()

        def _record(self, call: SlackCall) -> None:
            now = time.monotonic()
            with self.lock:
                self.methods[f"{call.method} {call.status}"] += 1
                if call.method == "chat.postEphemeral":
                    text = str(call.params.get("text") or "")
                    kind = (
                        "nudge"
                        if text.startswith(NUDGE_TEXT)
                        else "busy"
                        if text.startswith(BUSY_TEXT)
                        else "failed"
                        if text.startswith(FAILED_TEXT)
                        else "other"
                    )
                    thread = str(call.params.get("thread_ts") or "")
                    found = FALLBACK_NOTE.search(json.dumps(call.params.get("blocks") or []))
                    note = re.sub(r"\d+(\.\d+)?", "N", found.group(1)) if found else ""
                    self.ephemerals.append((now, thread, call.status, kind, note))
            # Not kept in ``calls``: the bench reads what it needs from the lists above.

    api = TimedSlackAPI()
    customer = {"type": "message", "user": CUSTOMER, "user_team": EXTERNAL, "team": EXTERNAL}
    for channel in [*channels, WARMUP_CHANNEL]:
        api.add_history(channel, [{**customer, "ts": "1700000000.000100", "text": CUSTOMER_TEXT}])
    api.start()
    conn.send(api.url)
    while True:
        command = conn.recv()
        if command == "kinds":
            with api.lock:
                conn.send(Counter(e[3] for e in api.ephemerals if e[2] == 200))
        elif command == "take":
            with api.lock:
                taken = (api.ephemerals, dict(api.methods))
                api.ephemerals, api.methods = [], Counter()
            conn.send(taken)
        else:
            break
    api.stop()


def _model_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The packaged fake's review, except that a good reply needs no nudge."""
    from nudgebot.testing import model_answer

    content = str((request.get("messages") or [{}])[-1].get("content", ""))
    answer = model_answer(request)
    if GOOD_MARK in content:
        scores = {"respect": 95, "empathy": 95, "adaptable": 90, "learn": 95, "ownership": 95}
        answer.update(needs_nudge=False, scores=scores, findings=[], suggestion=None)
    return answer


def _model_main(low: float, high: float, fail_rate: float, seed: int, conn: Connection) -> None:
    """Serve the fake model; answer ``stats`` / ``reset`` / ``stop`` on ``conn``."""
    import random

    from nudgebot.testing import FakeModelServer

    delays = random.Random(seed)

    class CountingModel(FakeModelServer):
        """Counts the answers by status."""

        statuses: ClassVar[Counter[int]] = Counter()

        async def _respond(self, request_line: str, body: bytes) -> tuple[int, dict[str, Any]]:
            status, payload = await super()._respond(request_line, body)
            with self._lock:
                self.statuses[status] += 1
            return status, payload

    model = CountingModel(
        delay=lambda: delays.uniform(low, high),
        fail_rate=fail_rate,
        answer=_model_answer,
        seed=seed,
    )
    model.start()
    conn.send(model.url)
    while True:
        command = conn.recv()
        if command in ("stats", "reset"):
            with model._lock:
                stats = {
                    "requests": sum(model.statuses.values()),
                    "statuses": {str(k): v for k, v in sorted(model.statuses.items())},
                    "peak_in_flight": model.peak_in_flight,
                    "in_flight": model.in_flight,
                }
                if command == "reset":
                    model.statuses.clear()
                    model.requests.clear()
                    model.peak_in_flight = model.in_flight
            conn.send(stats)
        else:
            break
    model.stop()


# --------------------------------------------------------------------------------------------
# The app (a real `nudgebot serve --http` process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_PASSED_ON = re.compile(r"^NUDGEBOT_LLM_[A-Z_]+$")
_DROPPED = re.compile(r"^(NUDGEBOT_|SLACK_|OPENAI_|AZURE_OPENAI_|TEAMS_|DATABASE_URL$)")


def app_environment(
    database_url: str, slack_url: str, model_url: str, channels: list[str]
) -> dict[str, str]:
    """The app's environment: ours, minus nudgebot's settings, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not _DROPPED.match(k) or _PASSED_ON.match(k)}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_url,
        NUDGEBOT_WATCH_CHANNELS=",".join([*channels, WARMUP_CHANNEL]),
        NUDGEBOT_ENGINE="auto",
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=model_url,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def llm_settings(env: dict[str, str]) -> dict[str, Any]:
    """The model settings the app runs with (its defaults unless passed on)."""
    from nudgebot.config import Settings

    settings = Settings.load(env={k: v for k, v in env.items() if _PASSED_ON.match(k)})
    return {
        "timeout_s": settings.llm_timeout,
        "retries": settings.llm_retries,
        "concurrency": settings.llm_concurrency,
        "breaker": f"{settings.llm_breaker_failures} failures / {settings.llm_breaker_seconds:g} s",
        "gate": settings.llm_gate,
        "cache_size": settings.llm_cache_size,
    }


def _status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of ``pid`` in kB (empty when gone or not Linux)."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return found


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def _log_tally(stderr: str) -> tuple[dict[str, int], int]:
    """Warnings and errors by kind (numbers folded to N), and the ``overloaded: shed`` lines."""
    kinds: Counter[str] = Counter()
    shed = 0
    for line in stderr.splitlines():
        if "overloaded: shed" in line:
            shed += 1
        found = LOG_LINE.match(line)
        if found:
            level, name, message = found.groups()
            kinds[f"{level} {name}: {re.sub(r'[0-9]+', 'N', message)[:120]}"] += 1
    return dict(kinds.most_common()), shed


# --------------------------------------------------------------------------------------------
# Sending


@dataclass
class Burst:
    """What the client saw of one burst."""

    events: list[Event]
    started: float = 0.0
    due: dict[str, float] = field(default_factory=dict)
    acks: dict[str, float] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    client_lag_max: float = 0.0

    def figures(self) -> dict[str, Any]:
        latencies = list(self.acks.values())
        return {
            "sent": len(self.events),
            "acked": len(latencies),
            "failures": dict(self.failures),
            "p50_ms": _ms_of(latencies, 0.50),
            "p99_ms": _ms_of(latencies, 0.99),
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "over_3s": sum(1 for x in latencies if x >= ACK_TARGET),
            "wall_s": round(self.wall, 2),
            "client_lag_max_ms": round(self.client_lag_max * 1000, 1),
        }


def _ms_of(values: list[float], share: float) -> float | None:
    return round(_percentile(values, share) * 1000, 1) if values else None


def _signed(event: Event) -> dict[str, str]:
    from nudgebot.testing import slack_signature

    return {"Content-Type": "application/json", **slack_signature(SECRET, event.body)}


async def _post(session: Any, url: str, event: Event, headers: Any, burst: Burst | None) -> None:
    try:
        async with session.post(url, data=event.body, headers=headers) as response:
            await response.read()
            status = response.status
    except Exception as error:  # count it and go on: a bench reports, it doesn't stop
        if burst is not None:
            burst.failures[type(error).__name__] += 1
        return
    if burst is None:
        return
    if status == 200:
        burst.acks[event.ts] = time.monotonic() - burst.due[event.ts]
    else:
        burst.failures[f"HTTP {status}"] += 1


async def send(url: str, events: list[Event], seconds: float, burst: Burst | None) -> Burst:
    """POST ``events`` evenly over ``seconds`` whatever the answers (open loop)."""
    import aiohttp

    burst = burst if burst is not None else Burst(events)
    signed = [(event, _signed(event)) for event in events]
    rate = len(events) / seconds if seconds > 0 else math.inf
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = []
        burst.started = time.monotonic()
        for n, (event, headers) in enumerate(signed):
            due = burst.started + n / rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                burst.client_lag_max = max(burst.client_lag_max, -wait)
            burst.due[event.ts] = due
            tasks.append(asyncio.create_task(_post(session, url, event, headers, burst)))
        await asyncio.gather(*tasks)
    burst.wall = time.monotonic() - burst.started
    return burst


async def _get(url: str) -> tuple[int, str]:
    import aiohttp

    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status, await response.text()
    except Exception as error:
        return 0, type(error).__name__


async def _wait_healthy(base: str, app: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise RuntimeError(f"the app exited with status {app.returncode} while starting")
        status, _ = await _get(f"{base}/healthz")
        if status == 200:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the app did not answer /healthz in time")


# --------------------------------------------------------------------------------------------
# Reading the database


async def stored_reviews(database_url: str, channels: list[str]) -> list[dict[str, Any]]:
    """The burst channels' rows of ``reviews``: message_ts, engine, needs_nudge, nudged."""
    from sqlalchemy import bindparam, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from nudgebot.storage.store import async_url

    engine = create_async_engine(async_url(database_url))
    query = text(
        "SELECT message_ts, engine, needs_nudge, nudged FROM reviews WHERE channel IN :channels"
    ).bindparams(bindparam("channels", expanding=True))
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query, {"channels": channels})).all()
    finally:
        await engine.dispose()
    return [
        {"ts": ts, "engine": kind, "needs_nudge": bool(needs), "nudged": bool(nudged)}
        for ts, kind, needs, nudged in rows
    ]


async def _progress(database_url: str, channels: list[str]) -> tuple[int, int, int]:
    """Rows stored for ``channels``: all of them, those needing a nudge, those marked nudged."""
    from sqlalchemy import bindparam, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from nudgebot.storage.store import async_url

    engine = create_async_engine(async_url(database_url))
    query = text(
        "SELECT COUNT(*), SUM(CASE WHEN needs_nudge THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN nudged THEN 1 ELSE 0 END) FROM reviews WHERE channel IN :channels"
    ).bindparams(bindparam("channels", expanding=True))
    try:
        async with engine.connect() as connection:
            rows, due, nudged = (await connection.execute(query, {"channels": channels})).one()
    finally:
        await engine.dispose()
    return int(rows or 0), int(due or 0), int(nudged or 0)


async def settle(slack: Process, database_url: str, channels: list[str], events: int) -> bool:
    """Wait until every event is done with; False if it stops moving first.

    Done: each event has a stored review or was shed (the agent told "busy"), each review
    needing a nudge has its nudge (or the agent was told of a failure), and each nudge sent is
    marked in the database.
    """
    last: tuple[int, ...] = ()
    changed = started = time.monotonic()
    while time.monotonic() - started < SETTLE_TIMEOUT:
        kinds = slack.ask("kinds")
        rows, due, nudged = await _progress(database_url, channels)
        now = (rows, due, nudged, *kinds.values())
        if (
            rows + kinds["busy"] >= events
            and kinds["nudge"] + kinds["failed"] >= due
            and nudged >= kinds["nudge"]
        ):
            return True
        if now != last:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed > STALL_SECONDS:
            return False
        await asyncio.sleep(0.25)
    return False


# --------------------------------------------------------------------------------------------
# One run: a database, the bare app and nudgebot's app


async def _rss_sampler(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        rss = _status(pid).get("VmRSS")
        if rss is not None:
            peak[0] = max(peak[0], rss)
        await asyncio.sleep(0.2)


async def measure(
    args: argparse.Namespace, database_url: str, procs: dict[str, Process], urls: dict[str, str]
) -> dict[str, Any]:
    channels = channel_ids(args.channels)
    events = Events(channels, args.good_share)
    slack, model = procs["slack"], procs["model"]

    # The baseline: the same burst against a bare Bolt app (ack only).
    bare_url = f"http://127.0.0.1:{urls['bare']}{EVENTS_PATH}"
    await send(bare_url, events.replies(50), 1.0, None)  # warm-up
    bare = (await send(bare_url, events.replies(args.events), args.seconds, None)).figures()
    bare["peak_rss_mb"] = _mb(_status(procs["bare"].pid).get("VmHWM"))
    slack.ask("take")

    # nudgebot: `python -m nudgebot serve --http`, configured by its environment only.
    port = _free_port()
    env = app_environment(database_url, urls["slack"], urls["model"], channels)
    with tempfile.TemporaryDirectory() as folder:  # no .env is read from here
        stderr_path = Path(folder) / "app.stderr"
        with stderr_path.open("wb") as stderr:
            app = subprocess.Popen(
                [sys.executable, "-m", "nudgebot", "serve", "--http", "--port", str(port)],
                cwd=folder,
                env=env,
                stdout=stderr,
                stderr=stderr,
            )
            try:
                result = await _drive(args, app, port, events, channels, database_url, slack)
            finally:
                if app.poll() is None:
                    app.send_signal(signal.SIGTERM)
                try:
                    app.wait(60)
                except subprocess.TimeoutExpired:
                    app.kill()
                    app.wait()
        log = stderr_path.read_text(errors="replace")
    model_stats = model.ask("reset")
    result["app_exit"] = app.returncode
    result["log"], result["shed_log_lines"] = _log_tally(log)
    result["model"] = model_stats
    result["bare"] = bare
    result["ratio"] = {
        key: round(result["acks"][key] / bare[key], 2)
        if result["acks"][key] and bare[key]
        else None
        for key in ("p50_ms", "p99_ms", "max_ms")
    }
    result["llm_settings"] = llm_settings(env)
    reviews = await stored_reviews(database_url, channels)
    result["accounting"] = account(result.pop("burst"), result.pop("ephemerals"), reviews)
    result["accounting"]["shed_log_lines"] = result["shed_log_lines"]
    return result


async def _drive(
    args: argparse.Namespace,
    app: subprocess.Popen[bytes],
    port: int,
    events: Events,
    channels: list[str],
    database_url: str,
    slack: Process,
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    url = base + EVENTS_PATH
    started = time.monotonic()
    await _wait_healthy(base, app)
    start_s = time.monotonic() - started
    # Warm-up: the customers' messages (remembered as context), a few replies of our own.
    await send(url, events.customers([*channels, WARMUP_CHANNEL]), 0.5, None)
    warmup = events.replies(WARMUP, [WARMUP_CHANNEL])
    await send(url, warmup, 0.5, None)
    await settle(slack, database_url, [WARMUP_CHANNEL], WARMUP)
    await asyncio.sleep(0.5)
    slack.ask("take")
    idle = _status(app.pid)
    metrics_status, metrics = await _get(f"{base}/metrics")
    metrics_before = _metrics(metrics) if metrics_status == 200 else {}

    burst_events = events.replies(args.events)
    peak, stop = [0], asyncio.Event()
    sampler = asyncio.create_task(_rss_sampler(app.pid, peak, stop))
    cpu_before = _cpu_seconds(app.pid)
    burst = await send(url, burst_events, args.seconds, None)
    settled_all = await settle(slack, database_url, channels, args.events)
    settled = time.monotonic() - burst.started
    await asyncio.sleep(0.5)  # anything late (a duplicate) has a moment to show
    cpu_after = _cpu_seconds(app.pid)
    stop.set()
    await sampler
    status = _status(app.pid)
    metrics_status, metrics = await _get(f"{base}/metrics")
    ephemerals, methods = slack.ask("take")
    return {
        "burst": burst,
        "ephemerals": ephemerals,
        "acks": burst.figures(),
        "start_s": round(start_s, 2),
        "settled_s": round(settled, 1),
        "settled": settled_all,
        "cpu_s": None
        if cpu_before is None or cpu_after is None
        else round(cpu_after - cpu_before, 1),
        "rss_mb": {
            "idle": _mb(idle.get("VmRSS")),
            "peak_sampled": _mb(peak[0] or None),
            "end": _mb(status.get("VmRSS")),
            "peak": _mb(status.get("VmHWM")),
        },
        "slack_calls": methods,
        "metrics": _burst_metrics(metrics_before, _metrics(metrics))
        if metrics_status == 200
        else None,
    }


def _burst_metrics(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What the burst added to each counter (the warm-up's counts taken out)."""
    return {name: round(value - before.get(name, 0.0), 3) for name, value in after.items()}


def _metrics(text: str) -> dict[str, float]:
    """``nudgebot_*`` samples of a Prometheus text page (``name{labels}`` -> value)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("nudgebot_"):
            continue
        name, _, value = line.rpartition(" ")
        if "_bucket" in name or "_created" in name:
            continue
        try:
            found[name] = float(value)
        except ValueError:
            continue
    return found


def account(
    burst: Burst, ephemerals: list[tuple[Any, ...]], reviews: list[dict[str, Any]]
) -> dict[str, Any]:
    """What became of each event: delivered, shed, failed, no nudge due, or silently lost."""
    by_ts = {event.ts: event for event in burst.events}
    kinds: dict[str, Counter[str]] = {}
    first_nudge: dict[str, float] = {}
    notes: Counter[str] = Counter()
    refused = 0
    for at, thread, status, kind, note in ephemerals:
        if thread not in by_ts:
            continue
        if status != 200:
            refused += 1
            continue
        kinds.setdefault(thread, Counter())[kind] += 1
        if kind == "nudge" and thread not in first_nudge:
            first_nudge[thread] = at
            if note:
                notes[note] += 1
    stored: dict[str, list[dict[str, Any]]] = {}
    for row in reviews:
        stored.setdefault(str(row["ts"]), []).append(row)

    outcome: Counter[str] = Counter()
    lost: list[str] = []
    for ts, event in by_ts.items():
        seen = kinds.get(ts, Counter())
        rows = stored.get(ts, [])
        if seen["nudge"]:
            outcome["nudge delivered"] += 1
            if event.good:
                outcome["  of them to a good reply"] += 1
        elif seen["busy"]:
            outcome["shed (agent told: busy)"] += 1
        elif seen["failed"]:
            outcome["failed (agent told: error)"] += 1
        elif rows and not any(row["needs_nudge"] for row in rows):
            outcome["no nudge due (review: fine)"] += 1
            if not event.good:
                outcome["  of them a bad reply"] += 1
        else:
            outcome["SILENT LOSS"] += 1
            lost.append("stored, nudge due, none sent" if rows else "no review, nothing sent")
    duplicates = sum(max(0, c["nudge"] - 1) for c in kinds.values())
    engines = Counter(str(row["engine"]) for row in reviews)
    nudged_flag = sum(1 for row in reviews if row["nudged"])
    delays = [first_nudge[ts] - burst.due[ts] for ts in first_nudge]
    last = max(first_nudge.values()) - burst.started if first_nudge else None
    total = sum(v for k, v in outcome.items() if not k.startswith("  "))
    return {
        "events": len(by_ts),
        "good_replies_sent": sum(1 for e in burst.events if e.good),
        "outcome": dict(outcome),
        "accounted": total - outcome["SILENT LOSS"],
        "silent_losses": outcome["SILENT LOSS"],
        "silent_loss_kinds": dict(Counter(lost)),
        "duplicate_nudges": duplicates,
        "refused_posts": refused,
        "reviews_stored": len(reviews),
        "reviews_distinct": len(stored),
        "reviews_by_engine": dict(engines),
        "reviews_marked_nudged": nudged_flag,
        "fallback_reasons_in_nudges": dict(notes.most_common()),
        "nudge_p50_s": round(_percentile(delays, 0.5), 2) if delays else None,
        "nudge_p99_s": round(_percentile(delays, 0.99), 2) if delays else None,
        "nudge_max_s": round(max(delays), 2) if delays else None,
        "last_nudge_s": None if last is None else round(last, 2),
    }


# --------------------------------------------------------------------------------------------
# Running it all


def run(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    import uvloop

    context = multiprocessing.get_context("spawn")
    procs: dict[str, Process] = {}
    urls: dict[str, Any] = {}
    try:
        procs["slack"], urls["slack"] = _start(context, _slack_main, channel_ids(args.channels))
        low, high = args.model_delay
        procs["model"], urls["model"] = _start(
            context, _model_main, low, high, args.fail_rate, args.seed
        )
        procs["bare"], urls["bare"] = _start(context, _server_main, "bare", urls["slack"])
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(measure(args, database_url, procs, urls))
    finally:
        if "bare" in procs:
            _stop(procs["bare"], summary=True)
        if "model" in procs:  # let answers nobody waits for any more run out first
            deadline = time.monotonic() + 10
            with contextlib.suppress(OSError, EOFError):
                while procs["model"].ask("stats")["in_flight"] and time.monotonic() < deadline:
                    time.sleep(0.2)
        for name in ("model", "slack"):
            if name in procs:
                _stop(procs[name])


def verdicts(result: dict[str, Any]) -> list[tuple[str, bool, str]]:
    acks, counts = result["acks"], result["accounting"]
    failed = counts["outcome"].get("failed (agent told: error)", 0)
    events = counts["events"]
    shed = counts["outcome"].get("shed (agent told: busy)", 0)
    metrics = result["metrics"]
    counted = (
        None
        if metrics is None
        else sum(v for k, v in metrics.items() if "shed" in k and 'platform="slack"' in k)
    )
    return [
        (
            "every event acked in < 3 s",
            acks["acked"] == acks["sent"] and acks["over_3s"] == 0,
            f"{acks['acked']:,}/{acks['sent']:,} acked, max {acks['max_ms']} ms, "
            f"{acks['over_3s']} at 3 s or more",
        ),
        (
            "no silent loss (delivered + shed + failed + no nudge due = events)",
            counts["silent_losses"] == 0 and counts["accounted"] == events,
            f"{counts['accounted']:,} of {events:,} accounted for, "
            f"{counts['silent_losses']} lost silently",
        ),
        (
            "every due nudge delivered (or shed with a log line)",
            counts["silent_losses"] == 0
            and failed == 0
            and shed <= result["shed_log_lines"]
            and (counted is None or shed <= counted),
            f"{failed} failed, {shed} shed ({result['shed_log_lines']} shed log lines, "
            f"{'no /metrics' if counted is None else f'{counted:g} counted in /metrics'})",
        ),
        (
            "every review stored",
            counts["reviews_distinct"] == events and counts["reviews_stored"] == events,
            f"{counts['reviews_stored']:,} rows for {events:,} events"
            + (f" ({shed} shed, never reviewed)" if shed else ""),
        ),
        (
            "nudged flag matches the nudges delivered",
            counts["reviews_marked_nudged"] == counts["outcome"].get("nudge delivered", 0),
            f"{counts['reviews_marked_nudged']:,} marked, "
            f"{counts['outcome'].get('nudge delivered', 0):,} delivered",
        ),
    ]


def show(name: str, args: argparse.Namespace, result: dict[str, Any]) -> None:
    acks, bare, counts = result["acks"], result["bare"], result["accounting"]
    low, high = args.model_delay
    llm = result["llm_settings"]
    print(
        f"\n== {name}: {args.events:,} events in {args.seconds:g} s over {args.channels} channels "
        f"({counts['good_replies_sent']} good replies), model {low:g}-{high:g} s, "
        f"{args.fail_rate:.0%} 503s; {os.cpu_count()} CPUs"
    )
    print(
        f"   app settings: LLM timeout {llm['timeout_s']:g} s, retries {llm['retries']}, "
        f"concurrency {llm['concurrency']}, breaker {llm['breaker']}; app up in "
        f"{result['start_s']} s"
    )
    print(f"   {'ack latency':34} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  acked / failed")
    for label, r in (("nudgebot (serve --http)", acks), ("bare Bolt app (ack only)", bare)):
        fails = f"  {r['failures']}" if r["failures"] else ""
        print(
            f"   {label:34} {_f(r['p50_ms'])} {_f(r['p99_ms'])} {_f(r['max_ms'])}  "
            f"{r['acked']:,} / {r['sent'] - r['acked']:,}{fails}"
        )
    ratio = result["ratio"]
    print(
        f"   {'ratio nudgebot / bare':34} {_x(ratio['p50_ms'])} {_x(ratio['p99_ms'])} "
        f"{_x(ratio['max_ms'])}  (client late by up to {acks['client_lag_max_ms']} ms)"
    )
    print("   what became of each event")
    for label, count in counts["outcome"].items():
        print(f"     {label:40} {count:6,}")
    print(
        f"     {'= accounted for':40} {counts['accounted']:6,} of {counts['events']:,}"
        + (f"   SILENT: {counts['silent_loss_kinds']}" if counts["silent_losses"] else "")
    )
    engines = ", ".join(f"{k} {v:,}" for k, v in sorted(counts["reviews_by_engine"].items()))
    print(
        f"   reviews stored {counts['reviews_stored']:,} ({engines}); marked nudged "
        f"{counts['reviews_marked_nudged']:,}; duplicate nudges {counts['duplicate_nudges']}"
    )
    model = result["model"]
    print(
        f"   model: {model['requests']:,} requests, answers {model['statuses']}, peak "
        f"{model['peak_in_flight']} in flight (requests the app gave up on included)"
    )
    for reason, count in counts["fallback_reasons_in_nudges"].items():
        print(f"     fallback in {count:,} nudge(s): {reason}")
    print(
        f"   nudge arrives p50 {counts['nudge_p50_s']} s, p99 {counts['nudge_p99_s']} s, max "
        f"{counts['nudge_max_s']} s; last nudge {counts['last_nudge_s']} s after the first "
        f"event; "
        + (
            f"all settled by {result['settled_s']} s"
            if result["settled"]
            else f"NOT SETTLED: nothing moved for {STALL_SECONDS:g} s, gave up at "
            f"{result['settled_s']} s"
        )
    )
    rss = result["rss_mb"]
    print(
        f"   app memory: peak RSS (VmHWM) {rss['peak']} MB; idle before the burst "
        f"{rss['idle']} MB, at the end {rss['end']} MB (bare app peak {bare['peak_rss_mb']} MB); "
        f"app CPU {result['cpu_s']} s"
    )
    if result["metrics"] is not None:
        shown = [
            f"{name.removeprefix('nudgebot_')} {value:g}"
            for name, value in result["metrics"].items()
            if value and not name.startswith("nudgebot_model_latency")
        ]
        print("   GET /metrics, the burst's counts: " + ("; ".join(shown) or "all 0"))
    else:
        print("   GET /metrics: not served")
    for line, count in result["log"].items():
        print(f"   app logged {count:,}x: {line}")
    if result["app_exit"] not in (0, -signal.SIGTERM):
        print(f"   app exited with status {result['app_exit']}")
    for label, met, detail in verdicts(result):
        print(f"   {'MET    ' if met else 'NOT MET'} {label}: {detail}")


def _f(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:8.1f}"


def _x(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:7.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000, help="events in the burst (1,000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="burst length (10 s)")
    parser.add_argument("--channels", type=int, default=20, help="watched channels (20)")
    parser.add_argument(
        "--model-delay",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("MIN", "MAX"),
        help="the fake model answers after MIN-MAX seconds, uniform (1 3)",
    )
    parser.add_argument(
        "--fail-rate", type=float, default=0.1, help="share of model requests failing (0.1)"
    )
    parser.add_argument("--good-share", type=float, default=0.2, help="share of good replies (0.2)")
    parser.add_argument("--seed", type=int, default=7, help="the fake model's random seed")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    low, high = args.model_delay
    if args.events < 1 or args.seconds < 0 or args.channels < 1 or not 0 <= low <= high:
        parser.error("--events and --channels must be positive, 0 <= MIN <= MAX")
    if not 0 <= args.fail_rate <= 1 or not 0 <= args.good_share <= 1:
        parser.error("--fail-rate and --good-share must be between 0 and 1")

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = run(args, f"sqlite:///{folder}/load.db")
    server = os.environ.get("NUDGEBOT_TEST_POSTGRES_URL")
    if server and not args.sqlite_only:
        from bench.storage import admin
        from nudgebot.storage.store import async_url

        name = f"nudgebot_load_{secrets.token_hex(3)}"
        asyncio.run(admin(server, f'CREATE DATABASE "{name}"'))
        url = async_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            results["postgresql"] = run(args, url.replace("+asyncpg", ""))
        finally:
            asyncio.run(admin(server, f'DROP DATABASE "{name}" WITH (FORCE)'))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        for name, result in results.items():
            show(name, args, result)
        if "postgresql" not in results and not args.sqlite_only:
            print("\n(PostgreSQL skipped: set NUDGEBOT_TEST_POSTGRES_URL, or run")
            print(" `bash .ci/with-postgres .venv/bin/python bench/load.py`)")
    every = [met for result in results.values() for _, met, _ in verdicts(result)]
    return 0 if all(every) else 1


if __name__ == "__main__":
    raise SystemExit(main())
