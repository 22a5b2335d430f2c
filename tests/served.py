"""Serving the real app in tests: uvicorn in a thread on a local socket, or a ``serve`` process.

:class:`Served` runs an ASGI app (the production router) under uvicorn in a background thread
with its own event loop; the Slack and Teams harnesses build their app and hand it over.
:func:`wait_until_healthy` waits for a ``nudgebot serve`` subprocess to answer ``/healthz``.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

from nudgebot.adapters.router import http_server

__all__ = ["Served", "wait_until_healthy"]

T = TypeVar("T")


class Served:
    """``asgi`` served by uvicorn on 127.0.0.1 in a background thread (use ``with``)."""

    thread_name = "served-app"

    def __init__(self, asgi: Any) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._server = http_server(asgi, log_level="warning")
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self._socket = listener
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(15)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        self.loop.close()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``work`` in the app's own event loop (where its clients and database live)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def http(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        """Send one request over the socket; return its status, body and seconds taken."""
        request = urllib.request.Request(
            self.url + path, data=body or None, headers=headers or {}, method=method
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text, status = response.read().decode(), response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        return status, text, time.perf_counter() - started


def ctrl_c_delivered() -> None:
    """``preexec_fn`` for a served process the test will stop with SIGINT, as Ctrl-C does.

    A shell starts background jobs with SIGINT ignored, and the child inherits that: a test
    run started with ``make test &`` would see the server shrug off the signal and exit 0.
    Restoring the default makes the child behave as in a terminal, however the run began.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_healthy(process: subprocess.Popen[str], base: str, timeout: float = 15) -> None:
    """Wait until the ``nudgebot serve`` at ``base`` answers ``GET /healthz`` with ``ok``.

    Fails with the process's stderr if it exits first, or after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as health:
                assert health.read() == b"ok"
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # busy, or not up yet
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
