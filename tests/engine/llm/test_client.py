"""ModelClient against a model faked at the HTTP wire (respx)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from nudgebot.engine.llm.client import ModelClient, ModelFailure, retry_after
from tests.engine.llm.wire import BASE, completion, request_json, review_json, settings

MESSAGES = [{"role": "system", "content": "Review."}, {"role": "user", "content": "Draft."}]


async def no_sleep(_: float) -> None:
    return None


def run(client: ModelClient):  # type: ignore[no-untyped-def]
    return asyncio.run(client.complete(MESSAGES))


def test_a_good_structured_answer_is_read_with_its_usage() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(200, json=completion(review_json()))
        answer = run(ModelClient(settings()))
    assert answer.review.needs_nudge is True
    assert answer.review.scores.ownership == 30
    assert (answer.input_tokens, answer.output_tokens) == (420, 95)
    assert answer.mode == "schema" and answer.attempts == 1
    body = request_json(route)
    assert body["model"] == "test-model"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert set(schema["schema"]["required"]) == {"needs_nudge", "scores", "findings", "suggestion"}
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-0000"


def test_the_strict_schema_closes_every_object() -> None:
    from nudgebot.engine.llm.client import response_format

    schema = response_format("schema")["json_schema"]["schema"]
    objects = [schema, *schema["$defs"].values()]
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert set(obj["required"]) == set(obj["properties"])


def test_a_server_without_structured_output_gets_json_mode_and_keeps_it() -> None:
    rejected = {"error": {"message": "response_format json_schema is not supported"}}
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions")
        route.side_effect = [
            httpx.Response(400, json=rejected),
            httpx.Response(200, json=completion("```json\n" + review_json() + "\n```")),
            httpx.Response(200, json=completion("Here you go: " + review_json())),
        ]
        client = ModelClient(settings())

        async def twice() -> None:
            first = await client.complete(MESSAGES)
            second = await client.complete(MESSAGES)
            assert first.mode == second.mode == "json"

        asyncio.run(twice())
    formats = [request_json(route, i)["response_format"]["type"] for i in range(3)]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_the_answer_shape_is_written_out_only_when_no_schema_is_sent() -> None:
    rejected = {"error": {"message": "response_format json_schema is not supported"}}
    shape = "Answer with this JSON object: {...}"
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions")
        route.side_effect = [
            httpx.Response(200, json=completion(review_json())),
            httpx.Response(400, json=rejected),
            httpx.Response(200, json=completion(review_json())),
        ]
        client = ModelClient(settings())

        async def twice() -> None:
            await client.complete(MESSAGES, shape)  # schema mode
            await client.complete(MESSAGES, shape)  # rejected, then JSON mode

        asyncio.run(twice())
    systems = [request_json(route, i)["messages"][0]["content"] for i in range(3)]
    assert systems[0] == systems[1] == MESSAGES[0]["content"]  # the schema says it
    assert systems[2] == MESSAGES[0]["content"] + "\n\n" + shape
    assert [request_json(route, i)["messages"][1] for i in range(3)] == [MESSAGES[1]] * 3


def test_429_is_retried_after_the_time_the_server_asks_for() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions")
        route.side_effect = [
            httpx.Response(429, headers={"retry-after": "0.3"}, json={"error": {}}),
            httpx.Response(200, json=completion(review_json())),
        ]
        started = time.monotonic()
        answer = run(ModelClient(settings()))
        elapsed = time.monotonic() - started
    assert answer.attempts == 2
    assert elapsed >= 0.3


def test_429_storm_gives_up_after_the_retries_with_a_reason() -> None:
    client = ModelClient(settings(llm_retries=2), sleep=no_sleep)
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(429, json={"error": {}})
        with pytest.raises(ModelFailure) as failure:
            run(client)
    assert route.call_count == 3
    assert failure.value.code == "rate_limited"
    assert "429" in failure.value.reason and "3 tries" in failure.value.reason


def test_a_retry_after_past_the_budget_ends_at_once() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(
            429, headers={"retry-after": "60"}, json={"error": {}}
        )
        started = time.monotonic()
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings()))
    assert time.monotonic() - started < 1.0
    assert route.call_count == 1
    assert "wait 60.0 s" in failure.value.reason


def test_5xx_is_retried_and_can_recover() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions")
        route.side_effect = [
            httpx.Response(503, json={"error": {}}),
            httpx.Response(500, json={"error": {}}),
            httpx.Response(200, json=completion(review_json())),
        ]
        answer = run(ModelClient(settings(), sleep=no_sleep))
    assert answer.attempts == 3


@pytest.mark.parametrize(
    ("status", "code"), [(401, "auth"), (403, "auth"), (404, "not_found"), (422, "bad_request")]
)
def test_client_errors_are_not_retried(status: int, code: str) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(status, json={"error": {"message": "x"}})
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings(), sleep=no_sleep))
    assert route.call_count == 1
    assert failure.value.code == code


def test_a_slow_model_fails_at_the_time_budget() -> None:
    started_calls: list[float] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        started_calls.append(time.monotonic())
        await asyncio.sleep(10)
        return httpx.Response(200, json=completion(review_json()))

    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post("/chat/completions").mock(side_effect=slow)
        started = time.monotonic()
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings(llm_timeout=0.5)))
    assert 0.45 <= time.monotonic() - started < 1.5
    assert len(started_calls) == 1
    assert failure.value.code == "timeout"
    assert "0.5 s" in failure.value.reason


def test_a_connection_error_is_retried_then_reported() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings(llm_retries=1), sleep=no_sleep))
    assert route.call_count == 2
    assert failure.value.code == "connection"
    assert "could not be reached" in failure.value.reason


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (completion('{"needs_nudge": true, "scores": {"respect": 1'), "malformed"),
        (completion("I'm sorry, here is my review: it is fine."), "malformed"),
        (completion(review_json(), finish_reason="length"), "truncated"),
        (completion('{"needs_nudge": "maybe", "scores": {}, "findings": []}'), "schema"),
        (completion('{"verdict": "fine"}'), "schema"),
        (completion(None, refusal="I can't help with that."), "refusal"),
        (completion(review_json(), finish_reason="content_filter"), "refusal"),
        (completion(""), "empty"),
        (completion(None), "empty"),
        ({**completion("x"), "choices": []}, "empty"),
    ],
)
def test_unusable_answers_fail_with_their_reason(body: dict[str, object], code: str) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").respond(200, json=body)
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings()))
    assert failure.value.code == code
    assert failure.value.reason


def test_no_more_requests_in_flight_than_the_limit() -> None:
    in_flight = peak = 0

    async def counted(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return httpx.Response(200, json=completion(review_json()))

    client = ModelClient(settings(llm_concurrency=3))

    async def many() -> None:
        await asyncio.gather(*(client.complete(MESSAGES) for _ in range(12)))

    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=counted)
        asyncio.run(many())
    assert route.call_count == 12
    assert peak == 3


def test_waiting_for_a_free_slot_past_the_budget_is_busy_not_a_model_timeout() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(2.0)
        return httpx.Response(200, json=completion(review_json()))

    import openai  # noqa: F401  (imported before the clock starts: the first import is slow)

    client = ModelClient(settings(llm_concurrency=1, llm_timeout=1.0))

    async def three() -> list[BaseException | object]:
        calls = (client.complete(MESSAGES) for _ in range(3))
        return await asyncio.gather(*calls, return_exceptions=True)

    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post("/chat/completions").mock(side_effect=slow)
        first, *queued = asyncio.run(three())
    assert isinstance(first, ModelFailure) and first.code == "timeout"  # the call was slow
    # The others waited for the one slot most of their budget: busy here, not a slow model.
    assert [f.code for f in queued if isinstance(f, ModelFailure)] == ["busy", "busy"]
    assert "all 1 calls were in flight" in str(queued[0])


def test_azure_openai_calls_the_deployment_with_its_api_version() -> None:
    azure = settings(
        openai_base_url=None,
        azure_openai_endpoint="https://example-resource.openai.azure.com",
        azure_openai_deployment="reviewer",
        azure_openai_api_version="2024-10-21",
        azure_openai_api_key="azure-test-key",
    )
    with respx.mock(base_url="https://example-resource.openai.azure.com") as mock:
        route = mock.post("/openai/deployments/reviewer/chat/completions").respond(
            200, json=completion(review_json())
        )
        run(ModelClient(azure))
    request = route.calls.last.request
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == "azure-test-key"


def test_retry_after_reads_seconds_milliseconds_and_dates() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({}) is None
    assert retry_after({"retry-after": "soon"}) is None
    later = datetime(2026, 11, 23, 12, 0, 10, tzinfo=UTC)
    now = (later - timedelta(seconds=10)).timestamp()
    assert retry_after({"retry-after": format_datetime(later, usegmt=True)}, lambda: now) == 10.0


def test_no_client_without_a_key() -> None:
    with pytest.raises(ModelFailure) as failure:
        ModelClient(settings(openai_api_key=None))
    assert failure.value.code == "no_model"
