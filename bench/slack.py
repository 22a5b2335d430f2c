"""Speed figures for the Slack app in HTTP mode, beside a bare Bolt app measured in the same run.

    .venv/bin/python bench/slack.py [--json] [--events N] [--concurrency 1,10,50] [--rate R]

Prints, at each concurrency (1, 10 and 50 requests in flight, each sending the next event as
soon as its ack arrives, ``--events`` events per run, 2,000 by default):
- **ack**: p50/p99 latency of the HTTP 200 that acknowledges a signed ``event_callback``
  message event, and throughput (events/s), for nudgebot's app (``build_app`` behind its ASGI
  router, rules engine) and for a bare ``AsyncApp`` (``process_before_response=True``, same
  signing secret) whose ``message`` listener only acks. Both are served by the same
  ``http_server`` (uvicorn with uvloop + httptools, ``log_level="warning"``, no access log).
  The ratios are nudgebot / bare; target: latency within 1.2x (throughput at least 1/1.2 =
  0.83x). A third row sends the events to a channel nudgebot does not watch: its ack path
  alone (signature, dedupe middleware, listener), without the review that otherwise runs on
  the same event loop after each ack.
- **nudge**: for nudgebot, the time from sending the event to the fake Slack Web API receiving
  the ``chat.postEphemeral`` nudge for that message (matched by ``thread_ts``), p50/p99, and
  how many events were nudged (all should be, each once). Target: p50 under 30 ms.

Then the same for events sent at a steady ``--rate`` (100/s by default) whatever the answers
(open loop), to both apps: the figures below saturation. With the loops above, each client
sends as fast as the server answers, so the server is always busy; nudgebot's reviews then
queue behind one another and share the event loop with the acks.

Every event is new (its ``event_id`` and ``ts``), signed with a real HMAC v0 signature just
before its run, written by an agent of the home workspace in a watched channel, and needs a
nudge ("Not our problem, contact the courier about ORD-<n>."); the customer's message before
it comes from the fake's ``conversations.history``. Each run starts with 50 warm-up events on
the same connections, not counted, and ends when every nudge has arrived (or after 60 s).

Layout: the load generator (aiohttp on uvloop) runs in this process; each app's server runs in
its own process, and so does the fake Slack Web API (:class:`nudgebot.testing.FakeSlackAPI`,
answering ``auth.test`` and every call the apps make; ``SLACK_API_URL`` / ``base_url`` point
at it). On 2 cores, a client and a server in one interpreter would share one GIL and measure
each other; in separate processes each can have a core. Runs go one after the other, so one
app is busy at a time. The fake costs CPU that the real Slack would not: the CPU time per
event of the server, the fake and the client are shown (from ``/proc`` on Linux). The fake
notes when each call arrives by overriding its ``_record``; times are ``time.monotonic()``,
one clock for every process on Linux.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
HOME = "T0HOME"
EXTERNAL = "T0EXTERNAL"
SUPPORT = "C0SUPPORT"
UNWATCHED = "C0ELSEWHERE"
AGENT = "U0AGENT"
CUSTOMER = "U0CUSTOMER"
CUSTOMER_TS = "1700000050.000100"
FIRST_TS = 1_700_001_000
EVENTS_PATH = "/slack/events"
NUDGE_TEXT = "This reply could land better"
CONCURRENCY = (1, 10, 50)
WARMUP = 50
NUDGE_TIMEOUT = 60.0
RATE = 100.0
PACED_CONNECTIONS = 50
APPS = ("bare", "nudgebot", "unwatched")
LABELS = {
    "bare": "bare Bolt app (ack only)",
    "nudgebot": "nudgebot",
    "unwatched": "nudgebot, unwatched channel",
}

# --------------------------------------------------------------------------------------------
# Events


def message_event(
    serial: int, *, ts: str, channel: str, user: str, text: str, team: str, event_id: str
) -> dict[str, Any]:
    """An Events API ``message`` payload in the recorded shape (``user`` writing from ``team``)."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {
        "token": "bench-verification-token",
        "team_id": HOME,
        "context_team_id": HOME,
        "context_enterprise_id": None,
        "api_app_id": "A0NUDGE",
        "event": {
            "user": user,
            "type": "message",
            "ts": ts,
            "client_msg_id": f"0c8a7f2e-5d6b-4c3a-9e1f-{serial:012d}",
            "text": text,
            "team": team,
            "user_team": team,
            "blocks": [{"type": "rich_text", "block_id": "Xq1", "elements": [section]}],
            "channel": channel,
            "event_ts": ts,
            "channel_type": "channel",
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": HOME,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def event_body(serial: int, channel: str = SUPPORT) -> bytes:
    """An agent's reply needing a nudge, as a signed-ready body, distinct for each ``serial``."""
    payload = message_event(
        serial,
        ts=event_ts(serial),
        channel=channel,
        user=AGENT,
        text=f"Not our problem, contact the courier about ORD-{10_000 + serial}.",
        team=HOME,
        event_id=f"Ev0BENCH{serial:08d}",
    )
    return json.dumps(payload).encode()


def event_ts(serial: int) -> str:
    return f"{FIRST_TS + serial}.000200"


# --------------------------------------------------------------------------------------------
# The fake Slack Web API (its own process)


def _fake_main(conn: Connection) -> None:
    """Serve the fake Slack API; answer ``count`` / ``take`` / ``stop`` on ``conn``."""
    from nudgebot.testing import FakeSlackAPI, SlackCall

    class TimedSlackAPI(FakeSlackAPI):
        """Notes when each call arrived (``SlackCall`` carries no time of its own)."""

        def __init__(self) -> None:
            super().__init__()
            self.arrivals: list[tuple[float, str, int, str, bool]] = []
            self.nudges = 0
            self.lock = threading.Lock()

        def _record(self, call: SlackCall) -> None:
            now = time.monotonic()
            thread = str(call.params.get("thread_ts") or "")
            nudge = str(call.params.get("text") or "").startswith(NUDGE_TEXT)
            with self.lock:
                self.arrivals.append((now, call.method, call.status, thread, nudge))
                if call.method == "chat.postEphemeral" and call.status == 200:
                    self.nudges += 1
            super()._record(call)

    api = TimedSlackAPI()
    customer = {"type": "message", "user": CUSTOMER, "user_team": EXTERNAL, "team": EXTERNAL}
    text = "Where is my parcel?? It's been 2 weeks"
    api.add_history(SUPPORT, [{**customer, "ts": CUSTOMER_TS, "text": text}])
    api.start()
    conn.send(api.url)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(api.nudges)
        elif command == "take":
            with api.lock:
                taken, api.arrivals, api.nudges = api.arrivals, [], 0
            api.reset()
            conn.send(taken)
        else:
            break
    api.stop()


# --------------------------------------------------------------------------------------------
# The app servers (one process each)


class _Tally(logging.Handler):
    """Counts warnings and errors by logger and message template (never the message's text)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        kind = f" [{record.exc_info[0].__name__}]" if record.exc_info and record.exc_info[0] else ""
        self.seen[f"{record.levelname} {record.name}: {record.msg}{kind}"] += 1


def _server_main(kind: str, api_url: str, conn: Connection) -> None:
    """Serve one app on a local port until ``stop`` arrives on ``conn``; send back a summary."""
    from nudgebot.adapters.slack.server import http_server

    tally = _Tally()
    logging.getLogger().addHandler(tally)
    app: Any = None
    if kind == "bare":
        from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
        from slack_bolt.async_app import AsyncAck, AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        bare = AsyncApp(
            client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
            signing_secret=SECRET,
            process_before_response=True,
        )

        async def ack_only(ack: AsyncAck) -> None:
            await ack()

        bare.event("message")(ack_only)
        asgi: Any = AsyncSlackRequestHandler(bare, path=EVENTS_PATH)
    else:
        from nudgebot.adapters.slack.app import build_app
        from nudgebot.adapters.slack.server import asgi_app
        from nudgebot.config import Settings
        from nudgebot.engine import ReviewEngine

        settings = Settings(
            engine="rules",
            cache_dir=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=api_url,
            watch_channels=(SUPPORT,),
        )
        app = build_app(settings, ReviewEngine.from_settings(settings))
        asgi = asgi_app(app)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)  # connections wait in the backlog until uvicorn accepts
    server = http_server(asgi, log_level="warning")
    logging.getLogger("uvicorn").addHandler(tally)  # uvicorn's loggers don't propagate

    def stop_on_request() -> None:
        conn.recv()
        server.should_exit = True

    threading.Thread(target=stop_on_request, daemon=True).start()
    conn.send(listener.getsockname()[1])
    server.run(sockets=[listener])
    pending = app.bot.tasks.pending if app is not None else 0
    conn.send({"log": dict(tally.seen), "unfinished_work": pending})


# --------------------------------------------------------------------------------------------
# Measuring


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0-1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Process:
    """A child process and our end of its pipe."""

    process: Any
    conn: Connection
    pid: int = 0

    def cpu(self) -> float | None:
        return _cpu_seconds(self.pid)

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()


@dataclass
class Run:
    """What one (app, concurrency) run measured."""

    app: str
    concurrency: int
    events: int
    rate: float | None = None
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    cpu: dict[str, float | None] = field(default_factory=dict)
    nudge: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        ok = self.latencies
        result: dict[str, Any] = {
            "events": self.events,
            "rate_per_s": self.rate,
            "ok": len(ok),
            "failures": dict(self.failures),
            "p50_ms": round(_percentile(ok, 0.50) * 1000, 3) if ok else None,
            "p99_ms": round(_percentile(ok, 0.99) * 1000, 3) if ok else None,
            "mean_ms": round(statistics.fmean(ok) * 1000, 3) if ok else None,
            "throughput_per_s": round(self.events / self.wall, 1) if self.wall else None,
            "wall_s": round(self.wall, 3),
            "cpu_ms_per_event": {
                name: None if seconds is None else round(seconds * 1000 / self.events, 3)
                for name, seconds in self.cpu.items()
            },
        }
        if self.nudge:
            result["nudge"] = self.nudge
        return result


def _signed(bodies: list[tuple[str, bytes]]) -> list[tuple[str, bytes, dict[str, str]]]:
    """Sign each body now (real HMAC v0 headers), before the clock starts."""
    from nudgebot.testing import slack_signature

    return [
        (ts, body, {"Content-Type": "application/json", **slack_signature(SECRET, body)})
        for ts, body in bodies
    ]


async def _post(
    session: Any, url: str, ts: str, body: bytes, headers: Any, run: Run | None
) -> None:
    """POST one signed event; record its ack (or failure) in ``run``."""
    started = time.monotonic()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
    except Exception as error:  # count it and go on: a bench reports, it doesn't stop
        if run is not None:
            run.failures[type(error).__name__] += 1
        return
    done = time.monotonic()
    if run is None:
        return
    if status == 200:
        run.latencies.append(done - started)
        run.sent_at[ts] = started
    else:
        run.failures[f"HTTP {status}"] += 1


async def _send(
    session: Any, url: str, bodies: list[tuple[str, bytes]], concurrency: int, run: Run | None
) -> float:
    """POST the bodies, ``concurrency`` at a time (closed loop); return the wall time."""
    queue = iter(_signed(bodies))

    async def worker() -> None:
        for ts, body, headers in queue:
            await _post(session, url, ts, body, headers, run)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.monotonic() - started


async def _send_paced(
    session: Any, url: str, bodies: list[tuple[str, bytes]], rate: float, run: Run
) -> float:
    """POST the bodies at ``rate`` a second whatever the answers (open loop); return the wall."""
    signed = _signed(bodies)
    tasks = []
    started = time.monotonic()
    for n, (ts, body, headers) in enumerate(signed):
        wait = started + n / rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(_post(session, url, ts, body, headers, run)))
    await asyncio.gather(*tasks)
    return time.monotonic() - started


async def _wait_for_nudges(fake: Process, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while fake.ask("count") < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def _nudge_figures(run: Run, arrivals: list[tuple[float, str, int, str, bool]]) -> dict[str, Any]:
    """Match the ``chat.postEphemeral`` calls to the events by ``thread_ts``."""
    first: dict[str, float] = {}
    duplicates = others = failed = 0
    for at, method, status, thread, is_nudge in arrivals:
        if method != "chat.postEphemeral":
            continue
        if status != 200:
            failed += 1
        elif not is_nudge or thread not in run.sent_at:
            others += 1
        elif thread in first:
            duplicates += 1
        else:
            first[thread] = at
    delays = [first[ts] - run.sent_at[ts] for ts in first]
    calls = Counter(method for _, method, _, _, _ in arrivals)
    return {
        "nudged": len(first),
        "of": run.events,
        "duplicates": duplicates,
        "other_ephemerals": others,
        "refused_calls": failed,
        "p50_ms": round(_percentile(delays, 0.50) * 1000, 3) if delays else None,
        "p99_ms": round(_percentile(delays, 0.99) * 1000, 3) if delays else None,
        "max_ms": round(max(delays) * 1000, 3) if delays else None,
        "web_api_calls_per_event": {
            method: round(count / run.events, 2) for method, count in sorted(calls.items())
        },
    }


class Bench:
    """The runs, in order, against the servers and the fake started by :func:`run_bench`."""

    def __init__(self, ports: dict[str, int], procs: dict[str, Process], events: int) -> None:
        self.ports = ports
        self.procs = procs
        self.fake = procs["fake"]
        self.events = events
        self.serial = 0

    def batch(self, count: int, channel: str) -> list[tuple[str, bytes]]:
        """``count`` new events (never sent before: new ``event_id`` and ``ts``)."""
        start, self.serial = self.serial, self.serial + count
        return [(event_ts(n), event_body(n, channel)) for n in range(start, start + count)]

    async def run(self, app: str, concurrency: int, rate: float | None = None) -> Run:
        """Warm up, then send ``self.events`` events to ``app``; wait for their nudges."""
        import aiohttp

        server = "bare" if app == "bare" else "nudgebot"
        channel = UNWATCHED if app == "unwatched" else SUPPORT
        url = f"http://127.0.0.1:{self.ports[server]}{EVENTS_PATH}"
        nudges = app == "nudgebot"
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            await _send(session, url, self.batch(WARMUP, channel), concurrency, None)
            if nudges:
                await _wait_for_nudges(self.fake, WARMUP, NUDGE_TIMEOUT)
            await asyncio.sleep(0.2)
            self.fake.ask("take")
            run = Run(app, concurrency, self.events, rate)
            bodies = self.batch(self.events, channel)
            before = {name: proc.cpu() for name, proc in self.procs.items()}
            client_before = time.process_time()
            if rate is None:
                run.wall = await _send(session, url, bodies, concurrency, run)
            else:
                run.wall = await _send_paced(session, url, bodies, rate, run)
            if nudges:
                await _wait_for_nudges(self.fake, len(run.sent_at), NUDGE_TIMEOUT)
            after = {name: proc.cpu() for name, proc in self.procs.items()}
        run.cpu = {"client": time.process_time() - client_before}
        for name, label in ((server, "server"), ("fake", "fake")):
            start, end = before[name], after[name]
            run.cpu[label] = None if start is None or end is None else end - start
        arrivals = self.fake.ask("take")
        if nudges:
            run.nudge = _nudge_figures(run, arrivals)
        return run


async def _measure(
    ports: dict[str, int],
    procs: dict[str, Process],
    events: int,
    levels: tuple[int, ...],
    rate: float,
) -> dict[str, Any]:
    bench = Bench(ports, procs, events)
    rows = []
    for concurrency in levels:
        row: dict[str, Any] = {"concurrency": concurrency}
        for app in APPS:
            row[app] = (await bench.run(app, concurrency)).figures()
        bare, nudge = row["bare"], row["nudgebot"]
        row["ratio"] = {
            "p50": _ratio(nudge["p50_ms"], bare["p50_ms"]),
            "p99": _ratio(nudge["p99_ms"], bare["p99_ms"]),
            "throughput": _ratio(nudge["throughput_per_s"], bare["throughput_per_s"]),
        }
        rows.append(row)
    paced: dict[str, Any] = {"rate_per_s": rate}
    for app in ("bare", "nudgebot"):
        paced[app] = (await bench.run(app, PACED_CONNECTIONS, rate)).figures()
    paced["ratio"] = {
        "p50": _ratio(paced["nudgebot"]["p50_ms"], paced["bare"]["p50_ms"]),
        "p99": _ratio(paced["nudgebot"]["p99_ms"], paced["bare"]["p99_ms"]),
    }
    return {"load": rows, "paced": paced}


def _ratio(ours: float | None, bare: float | None) -> float | None:
    return round(ours / bare, 2) if ours is not None and bare else None


# --------------------------------------------------------------------------------------------
# Running it all


def _start(context: Any, target: Any, *args: Any) -> tuple[Process, Any]:
    ours, theirs = context.Pipe()
    process = context.Process(target=target, args=(*args, theirs), daemon=True)
    process.start()
    if not ours.poll(60):
        raise RuntimeError(f"{target.__name__} did not start")
    proc = Process(process, ours, process.pid)
    return proc, ours.recv()


def _stop(proc: Process, *, summary: bool = False) -> Any:
    """Ask a child to stop (and for its summary); terminate it if it does not."""
    answer = None
    try:
        proc.conn.send("stop")
        if summary and proc.conn.poll(30):
            answer = proc.conn.recv()
    except (OSError, EOFError):
        pass
    proc.process.join(10)
    if proc.process.is_alive():
        proc.process.terminate()
    return answer if answer is not None or not summary else {"error": "no summary"}


def run_bench(events: int, levels: tuple[int, ...], rate: float = RATE) -> dict[str, Any]:
    import uvloop

    context = multiprocessing.get_context("spawn")
    fake, api_url = _start(context, _fake_main)
    procs = {"fake": fake}
    ports: dict[str, int] = {}
    for kind in ("bare", "nudgebot"):
        procs[kind], ports[kind] = _start(context, _server_main, kind, api_url)
    summaries: dict[str, Any] = {}
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runs = runner.run(_measure(ports, procs, events, levels, rate))
    finally:
        for kind in ("bare", "nudgebot"):
            summaries[kind] = _stop(procs[kind], summary=True)
        _stop(fake)
    return {
        "events_per_run": events,
        "warmup_per_run": WARMUP,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        **runs,
        "servers": summaries,
    }


def _ms(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:8.2f}"


def _print(figures: dict[str, Any]) -> None:
    events = figures["events_per_run"]
    print(
        f"Slack app, HTTP mode: {events:,} signed message events per run "
        f"(+{figures['warmup_per_run']} warm-up), {figures['cpus']} CPUs, "
        "uvicorn + uvloop + httptools"
    )
    print(f"  {'':34} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}  cpu ms/event srv/fake/client")
    for row in figures["load"]:
        print(f"concurrency {row['concurrency']}")
        for app in APPS:
            _print_acks(LABELS[app], row[app])
        ratio = row["ratio"]
        print(
            f"  {'ratio nudgebot / bare':34} {_x(ratio['p50'])} {_x(ratio['p99'])} "
            f"{_x(ratio['throughput'])}  (target: latency <= 1.2x, req/s >= 0.83x)"
        )
        _print_nudges(row["nudgebot"]["nudge"])
    paced = figures["paced"]
    print(f"events sent at {paced['rate_per_s']:g}/s whatever the answers (open loop)")
    for app in ("bare", "nudgebot"):
        _print_acks(LABELS[app], paced[app])
    ratio = paced["ratio"]
    print(f"  {'ratio nudgebot / bare':34} {_x(ratio['p50'])} {_x(ratio['p99'])}")
    _print_nudges(paced["nudgebot"]["nudge"])
    for kind, summary in figures["servers"].items():
        for line, count in (summary.get("log") or {}).items():
            print(f"{kind} server logged {count}x: {line}")
        if summary.get("unfinished_work"):
            print(f"{kind} server stopped with {summary['unfinished_work']} review(s) unfinished")


def _print_acks(label: str, r: dict[str, Any]) -> None:
    cpu = r["cpu_ms_per_event"]
    fails = f"  FAILED {r['failures']}" if r["failures"] else ""
    print(
        f"  {label:34} {_ms(r['p50_ms'])} {_ms(r['p99_ms'])} {_rate(r['throughput_per_s'])}  "
        f"{_cpu(cpu.get('server'))}/{_cpu(cpu.get('fake'))}/{_cpu(cpu.get('client'))}{fails}"
    )


def _print_nudges(n: dict[str, Any]) -> None:
    extra = ""
    if n["duplicates"] or n["other_ephemerals"] or n["refused_calls"]:
        extra = (
            f", {n['duplicates']} duplicate(s), {n['other_ephemerals']} other "
            f"ephemeral(s), {n['refused_calls']} refused call(s)"
        )
    print(
        f"  {'event -> chat.postEphemeral':34} {_ms(n['p50_ms'])} {_ms(n['p99_ms'])} "
        f"{'':8}  nudged {n['nudged']:,} of {n['of']:,}{extra} (target p50 < 30 ms)"
    )


def _x(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:7.2f}x"


def _rate(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:8.0f}"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--events", type=int, default=2_000, help="events per run (2,000)")
    parser.add_argument(
        "--concurrency",
        default=",".join(map(str, CONCURRENCY)),
        help="requests in flight, comma-separated (1,10,50)",
    )
    parser.add_argument(
        "--rate", type=float, default=RATE, help="events/s for the open-loop run (100)"
    )
    args = parser.parse_args(argv)
    levels = tuple(int(level) for level in args.concurrency.split(","))
    if args.events < 1 or not levels or min(levels) < 1 or args.rate <= 0:
        parser.error("--events, --concurrency and --rate must be positive")
    figures = run_bench(args.events, levels, args.rate)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
