"""ModelClient.complete_text against a model faked at the HTTP wire (respx)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import respx

from nudgebot.engine.llm.client import ModelClient, ModelFailure, TextAnswer
from tests.engine.llm.wire import BASE, completion, request_json, settings

MESSAGES = [{"role": "system", "content": "Coach."}, {"role": "user", "content": "Question?"}]
ANSWER = "Name the feeling first, then say what you'll do: 'Let me look into that for you.'"


async def no_sleep(_: float) -> None:
    return None


def run(client: ModelClient) -> TextAnswer:
    return asyncio.run(client.complete_text(MESSAGES))


def test_a_text_answer_is_read_with_its_usage_and_no_response_format() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(200, json=completion(f"  {ANSWER}\n"))
        answer = run(ModelClient(settings()))
    assert answer == TextAnswer(ANSWER, 420, 95, "test-model", 1)
    body = request_json(route)
    assert "response_format" not in body
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES


def test_a_text_answer_is_taken_as_it_is_even_when_it_looks_like_json() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").respond(200, json=completion('{"not": "parsed"}'))
        assert run(ModelClient(settings())).text == '{"not": "parsed"}'


def test_missing_usage_is_none() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").respond(200, json=completion(ANSWER, usage=None))
        answer = run(ModelClient(settings()))
    assert (answer.input_tokens, answer.output_tokens) == (None, None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (completion(""), "empty"),
        (completion("  \n "), "empty"),
        (completion(None), "empty"),
        ({**completion("x"), "choices": []}, "empty"),
        (completion(ANSWER, finish_reason="length"), "truncated"),
        (completion(None, refusal="I can't help with that."), "refusal"),
        (completion(ANSWER, finish_reason="content_filter"), "refusal"),
    ],
)
def test_unusable_text_answers_fail_with_their_reason(body: dict[str, object], code: str) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").respond(200, json=body)
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings()))
    assert failure.value.code == code
    assert failure.value.reason
    if code == "refusal":
        assert "declined to answer" in failure.value.reason


def test_5xx_is_retried_and_can_recover() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions")
        route.side_effect = [
            httpx.Response(503, json={"error": {}}),
            httpx.Response(200, json=completion(ANSWER)),
        ]
        answer = run(ModelClient(settings(), sleep=no_sleep))
    assert answer.attempts == 2
    assert route.call_count == 2


def test_429_storm_gives_up_after_the_retries() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(429, json={"error": {}})
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings(llm_retries=1), sleep=no_sleep))
    assert route.call_count == 2
    assert failure.value.code == "rate_limited"


def test_a_400_is_not_mistaken_for_a_schema_rejection() -> None:
    # complete() would switch to JSON mode on this; complete_text has no format to switch.
    rejected = {"error": {"message": "response_format json_schema is not supported"}}
    client = ModelClient(settings())
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(400, json=rejected)
        with pytest.raises(ModelFailure) as failure:
            run(client)
    assert route.call_count == 1
    assert failure.value.code == "bad_request"
    assert client.mode == "schema"


def test_a_slow_model_fails_at_the_time_budget() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json=completion(ANSWER))

    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post("/chat/completions").mock(side_effect=slow)
        started = time.monotonic()
        with pytest.raises(ModelFailure) as failure:
            run(ModelClient(settings(llm_timeout=0.3)))
    assert time.monotonic() - started < 1.5
    assert failure.value.code == "timeout"


def test_text_and_review_calls_share_the_concurrency_limit() -> None:
    from tests.engine.llm.wire import review_json

    in_flight = peak = 0

    async def counted(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        structured = b"response_format" in request.content
        return httpx.Response(200, json=completion(review_json() if structured else ANSWER))

    client = ModelClient(settings(llm_concurrency=2))

    async def mixed() -> None:
        texts = [client.complete_text(MESSAGES) for _ in range(4)]
        reviews = [client.complete(MESSAGES) for _ in range(4)]
        await asyncio.gather(*texts, *reviews)

    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=counted)
        asyncio.run(mixed())
    assert route.call_count == 8
    assert peak == 2
