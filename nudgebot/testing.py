"""Fakes shipped with the package, for tests and benchmarks (yours and ours).

:class:`FakeModelServer` is a real HTTP server on a local socket that answers the OpenAI chat
completions API like a model would: a review in the schema's shape, after a delay you choose,
failing as often as you ask. Point ``OPENAI_BASE_URL`` at :attr:`FakeModelServer.url` to run
nudgebot (or measure it) with no model and no network::

    with FakeModelServer(delay=0.5) as server:
        settings = Settings(openai_api_key="fake", openai_base_url=server.url)

It runs its own event loop in a background thread, so it serves many requests at once whatever
the caller does (blocking calls included), and records each request body it receives.

:class:`FakeSlackAPI` does the same for the Slack Web API: point ``SLACK_API_URL`` at
:attr:`FakeSlackAPI.url` and the app's Web API calls land there, recorded, answered as Slack
would. :func:`slack_signature` signs a request body the way Slack does, so a test (or a bench)
can push Events API requests through the real app::

    with FakeSlackAPI() as api:
        settings = Settings(slack_bot_token="xoxb-test", slack_signing_secret="secret",
                            slack_api_url=api.url)
        ...  # POST a signed event to the app, then:
        [nudge] = api.wait_for("chat.postEphemeral")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from nudgebot.adapters.slack.convert import ts_key

__all__ = [
    "FakeModelServer",
    "FakeSlackAPI",
    "LocalHTTPServer",
    "SlackCall",
    "model_answer",
    "slack_signature",
]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


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


class LocalHTTPServer:
    """A small HTTP/1.1 server on 127.0.0.1 with its own event loop in a background thread.

    The fakes below build on it: it parses requests (keep-alive, ``content-length`` bodies)
    and hands each to :meth:`handle`, which returns the status, extra headers and a JSON body
    (or bytes). It serves many requests at once whatever its caller does, blocking calls
    included. Use it as a context manager, or :meth:`start` and :meth:`stop` it.
    """

    thread_name = "fake-server"

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0

    async def handle(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request: ``(status, extra headers, JSON-ready body or bytes)``."""
        raise NotImplementedError

    def start(self) -> Self:
        """Start serving in a background thread; return self once the socket listens."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        """Stop serving (open connections and pending answers closed); wait for the thread."""
        if self._loop is not None and self._server is not None:
            closing = self._close_connections(self._server)
            asyncio.run_coroutine_threadsafe(closing, self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @staticmethod
    async def _close_connections(server: asyncio.Server) -> None:
        server.close()
        connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

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
                status, extra, payload = await self.handle(
                    request_line.decode("latin-1"), headers, body
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                kind = "text/plain" if isinstance(payload, bytes) else "application/json"
                head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                head += f"content-type: {kind}; charset=utf-8\r\ncontent-length: {len(data)}\r\n"
                head += "".join(f"{name}: {value}\r\n" for name, value in extra.items())
                writer.write(head.encode() + b"\r\n" + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


class FakeModelServer(LocalHTTPServer):
    """An OpenAI-compatible chat completions endpoint on 127.0.0.1, for tests and benches.

    ``delay`` is seconds per answer, or a function returning them (e.g. ``lambda:
    random.uniform(1, 3)``); ``fail_rate`` is the share of requests answered with 503 (or with
    ``fail_status``), and ``fail_first`` how many requests fail before it answers at all (a
    storm that passes); failures carry ``Retry-After: retry_after`` when it is set. ``answer``
    builds the review from the request body; ``content``, when given, builds the message's
    content as raw text instead (broken or truncated JSON, prose: a model answering garbage).
    """

    def __init__(
        self,
        *,
        delay: float | Callable[[], float] = 0.0,
        fail_rate: float = 0.0,
        fail_status: int = 503,
        fail_first: int = 0,
        retry_after: float | None = None,
        answer: Callable[[dict[str, Any]], dict[str, Any]] = model_answer,
        content: Callable[[dict[str, Any]], str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.delay = delay
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.fail_first = fail_first
        self.retry_after = retry_after
        self.answer = answer
        self.content = content
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        """The base URL to give ``OPENAI_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}/v1"

    thread_name = "fake-model"

    async def handle(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer a chat completion after the delay, or fail as often as asked."""
        status, payload = await self._respond(request_line, body)
        failed = status == self.fail_status and self.retry_after is not None
        return status, ({"Retry-After": f"{self.retry_after:g}"} if failed else {}), payload

    async def _respond(self, request_line: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if " /v1/chat/completions" not in request_line and "/chat/completions" not in request_line:
            return 404, {"error": {"message": "not found"}}
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return 400, {"error": {"message": "the body is not JSON"}}
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            delay = self.delay() if callable(self.delay) else self.delay
            if delay > 0:
                await asyncio.sleep(delay)
            if number <= self.fail_first or (
                self.fail_rate and self._random.random() < self.fail_rate
            ):
                return self.fail_status, {"error": {"message": "the fake model failed on purpose"}}
            if self.content is not None:
                content = self.content(request)
            else:
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


# --------------------------------------------------------------------------------------------
# The Slack Web API
# --------------------------------------------------------------------------------------------


def slack_signature(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """Return the headers Slack signs a request with (``timestamp``: now, by default).

    ``X-Slack-Signature`` is ``v0=`` and the HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed by
    the signing secret; ``X-Slack-Request-Timestamp`` is the timestamp.
    """
    stamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:%d:" % stamp + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": f"v0={digest}"}


_JSON_FIELDS = frozenset({"blocks", "view", "prompts", "chunks", "attachments", "metadata"})


@dataclass(frozen=True)
class SlackCall:
    """One request the fake Slack API received: the Web API method and its parameters.

    ``method`` is the Web API method (``chat.postEphemeral``), or ``response_url`` for a post to
    a response URL (then ``params["key"]`` is the URL's key). ``status`` is the HTTP status the
    fake answered with (429 for a rate-limited attempt).
    """

    method: str
    params: dict[str, Any]
    status: int = 200
    token: str | None = field(default=None, repr=False)


class FakeSlackAPI(LocalHTTPServer):
    """The Slack Web API on 127.0.0.1, for tests and benches: answers like Slack, records calls.

    Point the SDK at it with ``SLACK_API_URL`` (``Settings(slack_api_url=api.url)``) or
    ``AsyncWebClient(base_url=api.url)``. It answers the methods a bot uses (``auth.test``,
    ``chat.*``, ``conversations.history`` / ``replies``, ``users.info``,
    ``usergroups.users.list``, ``views.*``, ``assistant.threads.*``, the chat streaming methods,
    ``apps.connections.open``, ``conversations.info`` / ``members`` / ``open``, and the three
    steps of ``files_upload_v2``, whose bytes land in :attr:`uploads`) with
    ``{"ok": true, ...}`` and any other method with ``{"ok": false, "error": "unknown_method"}``.
    Every call lands in :attr:`calls`; :meth:`wait_for` blocks until some have arrived.
    Preload what Slack would know with :meth:`add_history`, :meth:`add_replies`,
    :meth:`add_user`, :meth:`add_usergroup` and :meth:`add_channel`; make
    a method answer ``429`` with ``Retry-After`` (:meth:`rate_limit`), an error (:meth:`fail`)
    or a 5xx (:meth:`server_error`) a few times. :meth:`response_url` gives URLs
    (``/response/<key>``) that stand in for Slack's ``response_url``; posts to them are
    recorded as ``response_url`` calls. ``socket_url`` is what ``apps.connections.open``
    hands out (Socket Mode)::

        with FakeSlackAPI() as api:
            settings = Settings(slack_bot_token="xoxb-test", slack_api_url=api.url)
            ...
            [call] = api.wait_for("chat.postEphemeral")
    """

    def __init__(
        self,
        *,
        team_id: str = "T0HOME",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        socket_url: str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.socket_url = socket_url
        self.delay = delay
        self.calls: list[SlackCall] = []
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._trouble: dict[str, list[tuple[int, str, int]]] = {}
        self._needed: dict[str, str] = {}
        self._changed = threading.Condition()
        self._serial = 0
        self._handlers = self._methods()
        super().__init__()

    @property
    def url(self) -> str:
        """The Web API base URL to give ``SLACK_API_URL`` (ends with ``/api/``)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        """Return a URL standing in for a ``response_url``; its posts are recorded as ``key``."""
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # -- what Slack knows --------------------------------------------------------------------

    def add_history(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a channel's history (``conversations.history``)."""
        self.history.setdefault(channel, []).extend(messages)

    def add_replies(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """Set a thread's messages, its root first (``conversations.replies``)."""
        self.replies[(channel, thread_ts)] = list(messages)

    def add_user(self, user: str, team_id: str, **fields: Any) -> None:
        """Add a user (``users.info``) of workspace ``team_id``."""
        self.users[user] = {"id": user, "team_id": team_id, "name": user.lower(), **fields}

    def add_usergroup(self, group: str, users: list[str]) -> None:
        """Add a user group and its members (``usergroups.users.list``)."""
        self.usergroups[group] = list(users)

    def add_channel(
        self,
        channel: str,
        members: list[str],
        *,
        private: bool = False,
        name: str = "",
        shared: bool = False,
    ) -> None:
        """Add a channel and its members (``conversations.info`` / ``conversations.members``).

        ``shared``: a Slack Connect channel (``is_shared`` and ``is_ext_shared``). A channel
        not added is answered as one the bot cannot see (``channel_not_found``).
        """
        self.channels[channel] = {
            "id": channel,
            "name": name or channel.lower(),
            "is_private": private,
            "is_shared": shared,
            "is_ext_shared": shared,
            "members": list(members),
        }

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """Answer ``method`` with 429 and ``Retry-After: retry_after`` the next ``times`` calls."""
        with self._changed:
            self._trouble.setdefault(method, []).append((429, str(retry_after), times))

    def fail(self, method: str, error: str, times: int = 1, *, needed: str | None = None) -> None:
        """Answer ``method`` with ``{"ok": false, "error": error}`` the next ``times`` calls.

        ``needed`` adds the scopes Slack names in a ``missing_scope`` answer (``files:write``).
        """
        with self._changed:
            self._trouble.setdefault(method, []).append((200, error, times))
            if needed:
                self._needed[method] = needed

    def server_error(self, method: str, status: int = 503, times: int = 1) -> None:
        """Answer ``method`` with HTTP ``status`` (5xx) and a plain-text body the next ``times``.

        As Slack (or a proxy in front of it) does in an outage: no JSON, nothing posted.
        """
        if not 500 <= status <= 599:
            raise ValueError("a server error is a 5xx status")
        with self._changed:
            self._trouble.setdefault(method, []).append((status, "", times))

    # -- what the app did --------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        """Return the calls to ``method`` so far (``response_url``: posts to response URLs)."""
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Block until ``method`` was called ``count`` times (answered 200); return the calls.

        Raises :class:`TimeoutError` naming what arrived instead, after ``timeout`` seconds.
        """
        with self._changed:
            done = self._changed.wait_for(
                lambda: len(self._answered(method)) >= count, timeout=timeout
            )
            if not done:
                seen = sorted({call.method for call in self.calls})
                raise TimeoutError(
                    f"{method} called {len(self._answered(method))} of {count} times in "
                    f"{timeout}s; calls so far: {', '.join(seen) or 'none'}"
                )
            return self._answered(method)

    def reset(self) -> None:
        """Forget the calls recorded so far (what Slack knows stays)."""
        with self._changed:
            self.calls.clear()

    def _answered(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method and call.status == 200]

    # -- serving -----------------------------------------------------------------------------

    thread_name = "fake-slack"

    async def handle(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one Web API call (or ``response_url`` post) as Slack would."""
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return self._respond(request_line, headers, body)

    def _respond(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any] | bytes]:
        target = request_line.split(" ")[1] if request_line.count(" ") >= 2 else "/"
        path, _, query = target.partition("?")
        if path.startswith("/upload/"):  # files_upload_v2's second step: the file's bytes
            file_id = path[len("/upload/") :]
            with self._changed:
                self.uploads[file_id] = body
            self._record(SlackCall("upload", {"file_id": file_id, "length": len(body)}))
            return 200, {}, b"OK - " + str(len(body)).encode()
        params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
        params.update(_body_params(headers.get("content-type", ""), body))
        if path.startswith("/response/"):
            self._record(SlackCall("response_url", {"key": path[len("/response/") :], **params}))
            return 200, {}, b"ok"
        if not path.startswith("/api/"):
            return 404, {}, {"ok": False, "error": "not_found"}
        method = path[len("/api/") :]
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else params.pop("token", None)
        status, extra, answer = self._answer(method, params, token)
        self._record(SlackCall(method, params, status, token))
        return status, extra, answer

    def _record(self, call: SlackCall) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any] | bytes]:
        trouble = self._next_trouble(method)
        if trouble is not None:
            status, detail = trouble
            if status == 429:
                return 429, {"Retry-After": detail}, {"ok": False, "error": "ratelimited"}
            if status >= 500:
                return status, {}, f"{status} upstream error".encode()
            refused: dict[str, Any] = {"ok": False, "error": detail}
            if detail == "missing_scope" and method in self._needed:
                refused["needed"] = self._needed[method]
            return 200, {}, refused
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        handler = self._handlers.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        if method == "apps.connections.open" and not token.startswith("xapp-"):
            return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
        return 200, {}, {"ok": True, **handler(params)}

    def _next_trouble(self, method: str) -> tuple[int, str] | None:
        """Take one use of the rate limit or error set for ``method``, if any is left."""
        with self._changed:
            queue = self._trouble.get(method)
            if not queue:
                return None
            status, detail, times = queue[0]
            if times <= 1:
                queue.pop(0)
            else:
                queue[0] = (status, detail, times - 1)
            return status, detail

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        message = self._message
        return {
            "auth.test": lambda _: {
                "url": "https://fake.slack.test/",
                "team": "Fake Support",
                "user": "nudgebot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            },
            "chat.postMessage": message,
            "chat.update": message,
            "chat.postEphemeral": lambda _: {"message_ts": self._ts()},
            "chat.startStream": message,
            "chat.appendStream": lambda p: {"channel": p.get("channel"), "ts": p.get("ts")},
            "chat.stopStream": lambda p: {"channel": p.get("channel"), "ts": p.get("ts")},
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "users.info": self._user,
            "usergroups.users.list": self._group,
            "views.open": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "assistant.threads.setStatus": lambda _: {},
            "assistant.threads.setSuggestedPrompts": lambda _: {},
            "assistant.threads.setTitle": lambda _: {},
            "apps.connections.open": self._socket,
            "conversations.info": self._channel_info,
            "conversations.members": self._members,
            "conversations.open": lambda p: {"channel": {"id": "D" + str(p.get("users"))[1:]}},
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def _ts(self) -> str:
        with self._changed:
            self._serial += 1
            return f"1800000000.{self._serial:06d}"

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = str(params.get("ts") or self._ts())
        text = params.get("text") or ""
        return {"channel": params.get("channel"), "ts": ts, "message": {"ts": ts, "text": text}}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        messages = _window(self.history.get(str(params.get("channel")), []), params)
        messages.sort(key=lambda m: ts_key(str(m.get("ts", "0"))), reverse=True)
        return {"messages": messages[: _limit(params)], "has_more": False}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        thread = self.replies.get((str(params.get("channel")), str(params.get("ts"))))
        if thread is None:
            return {"ok": False, "error": "thread_not_found"}
        messages = _window(thread, params)
        return {"messages": messages[: _limit(params)], "has_more": False}

    def _user(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        return {"user": user} if user else {"ok": False, "error": "user_not_found"}

    def _group(self, params: dict[str, Any]) -> dict[str, Any]:
        users = self.usergroups.get(str(params.get("usergroup")))
        return {"users": users} if users is not None else {"ok": False, "error": "no_such_subteam"}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        view_id = str(params.get("view_id") or f"V{self._ts().replace('.', '')[-8:]}")
        return {"view": {**view, "id": view_id, "hash": f"h{view_id}"}}

    def _channel_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": {k: v for k, v in channel.items() if k != "members"}}

    def _members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"members": channel["members"], "response_metadata": {"next_cursor": ""}}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{self._ts().replace('.', '')[-8:]}"
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        listed = files if isinstance(files, list) else []
        return {"files": [{"id": f.get("id"), "title": f.get("title")} for f in listed]}

    def _socket(self, _: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_url:
            return {"ok": False, "error": "no socket_url set on the FakeSlackAPI"}
        return {"url": self.socket_url}


def _body_params(content_type: str, body: bytes) -> dict[str, Any]:
    """Parse a JSON or form body; JSON-looking form fields (``blocks``, ``view``...) decoded."""
    if not body:
        return {}
    if "json" in content_type:
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(body.decode()))
    for name in _JSON_FIELDS & params.keys():
        with contextlib.suppress(TypeError, json.JSONDecodeError):
            params[name] = json.loads(params[name])
    return params


def _window(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the messages within ``oldest``/``latest`` (``inclusive`` as Slack reads it)."""
    inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
    latest, oldest = params.get("latest"), params.get("oldest")
    kept = []
    for message in messages:
        key = ts_key(str(message.get("ts", "0")))
        if latest and (key > ts_key(str(latest)) or (key == ts_key(str(latest)) and not inclusive)):
            continue
        if oldest and (key < ts_key(str(oldest)) or (key == ts_key(str(oldest)) and not inclusive)):
            continue
        kept.append(message)
    return kept


def _limit(params: dict[str, Any]) -> int:
    try:
        return max(1, int(params.get("limit") or 100))
    except ValueError:
        return 100
