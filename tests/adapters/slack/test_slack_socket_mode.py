"""End to end over Socket Mode: a local WebSocket stands in for Slack's.

FakeSlackAPI's ``apps.connections.open`` hands out the URL of a local aiohttp WebSocket server;
the app connects to it through Bolt's AsyncSocketModeHandler (run by ``serve_socket_mode``,
as ``nudgebot serve`` runs it), receives the envelopes the test pushes, acknowledges them on
the socket and does its work against the fake Web API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from nudgebot.adapters.slack.app import build_app
from nudgebot.adapters.slack.server import serve_socket_mode
from nudgebot.engine import ReviewEngine
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    APP_TOKEN,
    SUPPORT,
    event,
    fixture,
    make_settings,
    preload,
)

Envelope = dict[str, Any]


class FakeSocketMode:
    """A WebSocket server speaking Slack's Socket Mode: hello, envelopes out, acks in."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.connected = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._changed = threading.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake-ticket"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0NUDGE"},
            }
        )
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                with self._changed:
                    self.received.append(json.loads(message.data))
                    self._changed.notify_all()
        return socket

    def push(self, envelope: Envelope) -> None:
        assert self._socket is not None
        sent = self._socket.send_str(json.dumps(envelope))
        asyncio.run_coroutine_threadsafe(sent, self.loop).result(5)

    def wait_for(self, check: Callable[[Envelope], bool], timeout: float = 5.0) -> Envelope:
        with self._changed:
            found: list[Envelope] = []

            def arrived() -> bool:
                found[:] = [m for m in self.received if check(m)]
                return bool(found)

            assert self._changed.wait_for(arrived, timeout), f"nothing came: {self.received}"
            return found[0]


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlackAPI, FakeSocketMode]]:
    with FakeSlackAPI() as api, FakeSocketMode() as socket:
        preload(api)
        api.socket_url = socket.url
        yield api, socket


def test_socket_mode_acks_envelopes_and_delivers_the_nudge(
    slack: tuple[FakeSlackAPI, FakeSocketMode],
) -> None:
    api, socket = slack
    settings = make_settings(api, slack_signing_secret=None)
    app = build_app(settings, ReviewEngine.from_settings(settings))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    stop = asyncio.Event()

    async def serve() -> None:
        task = asyncio.ensure_future(serve_socket_mode(app, APP_TOKEN))
        await stop.wait()
        task.cancel()  # as Ctrl-C does: the handler closes the socket and drains the work
        with contextlib.suppress(asyncio.CancelledError):
            await task

    serving = asyncio.run_coroutine_threadsafe(serve(), loop)
    try:
        assert socket.connected.wait(10), "the app never connected"
        [opened] = api.calls_to("apps.connections.open")
        assert opened.token == APP_TOKEN

        started = time.monotonic()
        socket.push(
            {
                "envelope_id": "env-event-1",
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": event("event_thread_reply.json"),
            }
        )
        ack = socket.wait_for(lambda m: m.get("envelope_id") == "env-event-1")
        acked = time.monotonic() - started
        assert set(ack) <= {"envelope_id", "payload"}
        [nudge] = api.wait_for("chat.postEphemeral")
        assert (nudge.params["user"], nudge.params["channel"]) == (AGENT, SUPPORT)
        assert nudge.params["thread_ts"] == "1700000150.000100"
        assert acked < 1.0

        # A redelivery (retry_attempt 1) of the same event is acked and does nothing more.
        socket.push(
            {
                "envelope_id": "env-event-1-retry",
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 1,
                "retry_reason": "timeout",
                "payload": event("event_thread_reply.json"),
            }
        )
        socket.wait_for(lambda m: m.get("envelope_id") == "env-event-1-retry")

        command = dict(urllib.parse.parse_qsl(fixture("command_nudge.txt")))
        command["response_url"] = api.response_url("socket-help")
        socket.push(
            {
                "envelope_id": "env-command-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": command,
            }
        )
        socket.wait_for(lambda m: m.get("envelope_id") == "env-command-1")
        [help_answer] = api.wait_for("response_url")
        assert help_answer.params["key"] == "socket-help"
        asyncio.run_coroutine_threadsafe(app.bot.tasks.join(5), loop).result(6)
        assert len(api.calls_to("chat.postEphemeral")) == 1
    finally:
        loop.call_soon_threadsafe(stop.set)
        serving.result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
