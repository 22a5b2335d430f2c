"""The fakes shipped in nudgebot.testing behave like the services they stand in for."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from nudgebot.testing import FakeModelServer


def post(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_fake_model_answers_a_review_keeping_the_draft() -> None:
    with FakeModelServer() as server:
        status, body = post(
            server.url + "/chat/completions",
            {
                "model": "m",
                "messages": [{"role": "user", "content": "<draft>\nHi ORD-1\n</draft>"}],
            },
        )
    assert status == 200
    answer = json.loads(body["choices"][0]["message"]["content"])  # type: ignore[index]
    assert "Hi ORD-1" in answer["suggestion"]
    assert server.requests[0]["model"] == "m"


def test_the_fake_model_waits_and_fails_as_asked() -> None:
    with FakeModelServer(delay=0.2, fail_rate=1.0, fail_status=429) as server:
        started = time.monotonic()
        status, _ = post(server.url + "/chat/completions", {"messages": []})
    assert status == 429
    assert time.monotonic() - started >= 0.2


def test_the_fake_model_serves_requests_at_once() -> None:
    import concurrent.futures

    with FakeModelServer(delay=0.3) as server:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            statuses = list(
                pool.map(lambda _: post(server.url + "/chat/completions", {})[0], range(10))
            )
        elapsed = time.monotonic() - started
    assert statuses == [200] * 10
    assert elapsed < 1.5  # ten 0.3 s answers at once, not one after another
    assert server.peak_in_flight == 10


def test_the_fake_model_fails_first_then_answers_with_retry_after() -> None:
    with FakeModelServer(fail_first=2, fail_status=429, retry_after=0.5) as server:
        request = urllib.request.Request(
            server.url + "/chat/completions",
            data=b'{"messages": []}',
            headers={"content-type": "application/json"},
        )
        for _ in range(2):
            try:
                urllib.request.urlopen(request, timeout=10)
            except urllib.error.HTTPError as error:
                assert error.code == 429
                assert error.headers["Retry-After"] == "0.5"
            else:
                raise AssertionError("the first two requests should fail")
        status, _ = post(server.url + "/chat/completions", {"messages": []})
    assert status == 200


def test_the_fake_model_answers_garbage_when_asked() -> None:
    with FakeModelServer(content=lambda _: '{"needs_nudge": tru') as server:
        status, body = post(server.url + "/chat/completions", {"messages": []})
    assert status == 200
    assert body["choices"][0]["message"]["content"] == '{"needs_nudge": tru'  # type: ignore[index]
