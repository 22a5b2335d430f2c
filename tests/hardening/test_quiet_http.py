"""Bounded, quiet HTTP: bad requests cost little, get 4xx, and leave nothing of theirs in logs.

Against ``nudgebot serve --http`` as a process of its own, logging at DEBUG: forged requests
carrying card numbers, e-mail addresses and a verification token, malformed unsigned bodies
(not JSON, not UTF-8, nested 100,000 deep) all get 401, never 500, and none of their words
reach the log; 20 MB unsigned bodies get 413 without being read (declared, or streamed
chunked), and the process's memory does not grow with them. In process: a connection that
sends its headers too slowly is closed, and Bolt's own request verification logger, which
would print a failing request's body, prints nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nudgebot.adapters import http_limits
from nudgebot.adapters.router import Router
from nudgebot.testing import FakeSlackAPI, slack_signature
from tests.adapters.slack.harness import SECRET, SUPPORT, event, make_settings, preload
from tests.served import Served, wait_until_healthy

CARD = "4111 1111 1111 1111"
EMAIL = "priya.sharma@example.com"
TOKEN = "Zq8verificationTokenXy42"
WORDS = "my card is"
SECRETS_IN_BODY = (CARD, "4111111111111111", EMAIL, TOKEN, WORDS)
TWENTY_MB = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        yield fake


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post(base: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(base + "/slack/events", body, headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def raw_exchange(port: int, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send ``head`` then ``chunks`` until the server answers; its answer and bytes sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        connection.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += connection.recv(65536)
            if answer:
                break
            try:
                connection.sendall(chunk)
                sent += len(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        connection.setblocking(True)
        connection.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                more = connection.recv(65536)
                if not more:
                    break
                answer += more
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def forged_body() -> str:
    payload = event("event_message.json", "EvForged1", ts="1700000999.000100")
    payload["token"] = TOKEN
    # an agent's reply a coach would interrupt (a deflection), carrying personal data
    payload["event"]["text"] = (
        f"Hi, {WORDS} {CARD} and my e-mail {EMAIL}? Not our problem, contact the courier."
    )
    return json.dumps(payload)


def test_bad_requests_get_4xx_cost_little_and_leave_none_of_their_words_in_the_log(
    api: FakeSlackAPI, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NUDGEBOT_"))},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url,
        "NUDGEBOT_WATCH_CHANNELS": SUPPORT,
        "NUDGEBOT_ENGINE": "rules",
        "NUDGEBOT_LOG_LEVEL": "DEBUG",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nudgebot.db'}",
    }
    env.pop("OPENAI_API_KEY", None)
    command = [sys.executable, "-m", "nudgebot", "serve", "--http", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            wait_until_healthy(process, base, timeout=20)
            body = forged_body()
            good = slack_signature(SECRET, body)
            json_type = {"Content-Type": "application/json"}
            forged = {
                "another secret": slack_signature("not-the-secret", body),
                "no signature": {},
                "stale": slack_signature(SECRET, body, int(time.time()) - 3600),
                "altered": {**good, "X-Slack-Signature": "v0=" + "0" * 64},
                "timestamp not a number": {**good, "X-Slack-Request-Timestamp": "soon"},
            }
            statuses = {
                name: post(base, body.encode(), {**json_type, **headers})
                for name, headers in forged.items()
            }
            malformed = {
                "not JSON": b'{"token": "' + TOKEN.encode() + b'", "event": {',
                "not UTF-8": b"\xff\xfe\xfa" + CARD.encode() + b"\xc3\x28",
                "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
                "a form": f"payload={EMAIL}".encode(),
            }
            statuses |= {name: post(base, raw, json_type) for name, raw in malformed.items()}
            # and genuine ones carrying the same words: reviewed, and logged without them
            genuine = post(base, body.encode(), {**json_type, **good})
            bot = event("event_message.json", "EvBot1", ts="1700000999.000200", bot_id="B1")
            bot["event"]["text"] = f"{WORDS} {CARD}"
            bot_body = json.dumps(bot)
            skipped = post(
                base, bot_body.encode(), {**json_type, **slack_signature(SECRET, bot_body)}
            )
            api.wait_for("chat.postEphemeral", timeout=10)
            before = rss_kib(process.pid)
            declared = [
                raw_exchange(
                    port,
                    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    b"\r\nContent-Length: %d\r\n\r\n" % TWENTY_MB,
                    iter(()),  # not a byte of it: the answer comes from the headers alone
                )
                for _ in range(4)
            ]
            chunked = [
                raw_exchange(
                    port,
                    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                    iter([b"10000\r\n" + b"x" * 65536 + b"\r\n"] * (TWENTY_MB // 65536)),
                )
                for _ in range(4)
            ]
            time.sleep(0.3)
            grown = rss_kib(process.pid) - before
            still = urllib.request.urlopen(base + "/healthz", timeout=5).read()
        finally:
            process.send_signal(signal.SIGTERM)
            _, log = process.communicate(timeout=20)
    assert statuses == dict.fromkeys(statuses, 401), statuses
    assert genuine == skipped == 200
    for answer, sent in declared:
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert sent == 0  # refused from its Content-Length, before any of it was sent
    for answer, sent in chunked:
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert sent < TWENTY_MB // 2  # stopped once past 1 MiB (plus the socket buffers)
    assert grown < 30 * 1024, f"RSS grew by {grown} KiB"
    assert still == b"ok"
    assert log.count("refused a request to /slack/events (401)") >= len(forged) - 1
    assert "Traceback" not in log and "RecursionError" not in log
    for words in SECRETS_IN_BODY:
        assert words not in log, words
    assert "DEBUG nudgebot.slack: skipped a message event (bot)" in log  # it logs at DEBUG


def test_bolts_request_verification_logs_no_body(
    api: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_bolt.middleware.request_verification.async_request_verification import (
        AsyncRequestVerification,
    )

    from nudgebot.adapters.slack.app import build_app
    from nudgebot.engine import ReviewEngine

    settings = make_settings(api)
    build_app(settings, ReviewEngine.from_settings(settings))
    with caplog.at_level(logging.DEBUG):
        AsyncRequestVerification(SECRET)._debug_log_error("v0=00", "1", forged_body())
        logging.getLogger("slack_bolt.AsyncRequestVerification").info("kept: %s", "other lines")
    for words in SECRETS_IN_BODY:
        assert words not in caplog.text
    assert "kept: other lines" in caplog.text


def test_a_connection_sending_its_headers_too_slowly_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert http_limits.HeaderDeadline is not None
    monkeypatch.setattr(http_limits.HeaderDeadline, "header_seconds", 0.5)
    with Served(Router()) as served:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the end
            closed = slow.recv(1024)
        waited = time.monotonic() - started
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as idle:
            idle_closed = idle.recv(1024)  # sends nothing at all
        health = urllib.request.urlopen(served.url + "/healthz", timeout=5).read()
    assert closed == b"" and idle_closed == b""
    assert 0.4 < waited < 3.0, waited
    assert health == b"ok"


def test_the_server_has_a_connection_limit_and_keep_alive_timeout() -> None:
    from nudgebot.adapters.router import http_server

    config = http_server(Router()).config
    assert config.limit_concurrency == http_limits.MAX_CONNECTIONS
    assert config.timeout_keep_alive == http_limits.KEEP_ALIVE_SECONDS
    assert config.http is http_limits.HeaderDeadline
    asyncio.run(asyncio.sleep(0))
