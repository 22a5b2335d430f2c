"""Fakes shipped with the package, for tests and benchmarks (yours and ours).

:class:`FakeModelServer` is a real HTTP server on a local socket that answers the OpenAI chat
completions API like a model would: a review in the schema's shape, after a delay you choose,
failing as often as you ask. Point ``OPENAI_BASE_URL`` at :attr:`FakeModelServer.url` to run
nudgebot (or measure it) with no model and no network::

    with FakeModelServer(delay=0.5) as server:
        settings = Settings(openai_api_key="fake", openai_base_url=server.url)

It runs its own event loop in a background thread, so it serves many requests at once whatever
the caller does (blocking calls included), and records each request body it receives.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["FakeModelServer", "model_answer"]

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


def model_answer(request: dict[str, Any]) -> dict[str, Any]:
    """Return a plausible review of the request's draft: a nudge whose suggestion keeps it.

    The suggestion is the draft itself wrapped in an apology and an offer to look into it, so
    every fact of the draft survives and the guard has nothing to object to.
    """
    messages = request.get("messages") or [{}]
    content = str(messages[-1].get("content", ""))
    start, end = content.find("<draft>"), content.find("</draft>")
    draft = content[start + 7 : end].strip() if 0 <= start < end else content.strip()
    suggestion = f"I'm sorry about this. {draft} Let me look into that for you."
    return {
        "needs_nudge": True,
        "scores": {"respect": 80, "empathy": 55, "adaptable": 75, "learn": 80, "ownership": 50},
        "findings": [
            {
                "dimension": "empathy",
                "quote": "",
                "message": "The reply does not acknowledge how the customer feels.",
                "fix": "Start by recognising the trouble this caused.",
            }
        ],
        "suggestion": suggestion,
    }


class FakeModelServer:
    """An OpenAI-compatible chat completions endpoint on 127.0.0.1, for tests and benches.

    ``delay`` is seconds per answer, or a function returning them (e.g. ``lambda:
    random.uniform(1, 3)``); ``fail_rate`` is the share of requests answered with 503 (or with
    ``fail_status``); ``answer`` builds the review from the request body.
    """

    def __init__(
        self,
        *,
        delay: float | Callable[[], float] = 0.0,
        fail_rate: float = 0.0,
        fail_status: int = 503,
        answer: Callable[[dict[str, Any]], dict[str, Any]] = model_answer,
        seed: int | None = None,
    ) -> None:
        self.delay = delay
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._random = random.Random(seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL to give ``OPENAI_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeModelServer:
        """Start serving in a background thread; return self once the socket listens."""
        self._thread = threading.Thread(target=self._run, name="fake-model", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake model server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload = await self._respond(request_line.decode("latin-1"), body)
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"content-type: application/json\r\ncontent-length: {len(data)}\r\n"
                    "\r\n".encode()
                    + data
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _respond(self, request_line: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if " /v1/chat/completions" not in request_line and "/chat/completions" not in request_line:
            return 404, {"error": {"message": "not found"}}
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return 400, {"error": {"message": "the body is not JSON"}}
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            delay = self.delay() if callable(self.delay) else self.delay
            if delay > 0:
                await asyncio.sleep(delay)
            if self.fail_rate and self._random.random() < self.fail_rate:
                return self.fail_status, {"error": {"message": "the fake model failed on purpose"}}
            content = json.dumps(self.answer(request))
            return 200, _completion(content, request, body)
        finally:
            with self._lock:
                self.in_flight -= 1


def _completion(content: str, request: dict[str, Any], body: bytes) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": str(request.get("model", "fake")),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        # A rough count (4 bytes a token) so usage is never missing; real servers count exactly.
        "usage": {
            "prompt_tokens": len(body) // 4,
            "completion_tokens": len(content) // 4,
            "total_tokens": (len(body) + len(content)) // 4,
        },
    }
