"""Helpers for tests that fake the model at its HTTP wire with respx."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from nudgebot.config import Settings

BASE = "https://model.test/v1"
KEY = "sk-test-0000"  # not a real key: the fake server never checks it


def settings(**overrides: Any) -> Settings:
    """Settings for a model at BASE with a short budget, no cache and no back-off to speak of."""
    base = Settings(
        openai_api_key=KEY,
        openai_base_url=BASE,
        model="test-model",
        llm_timeout=2.0,
        llm_cache_size=0,
        cache_dir=None,
    )
    return replace(base, **overrides)


def review_json(
    *,
    needs_nudge: bool = True,
    suggestion: str | None = "I'm sorry about this. Let me look into that for you.",
    findings: list[dict[str, str]] | None = None,
    scores: dict[str, int] | None = None,
) -> str:
    """A model answer in the schema's shape."""
    return json.dumps(
        {
            "needs_nudge": needs_nudge,
            "scores": scores
            or {"respect": 70, "empathy": 40, "adaptable": 80, "learn": 90, "ownership": 30},
            "findings": findings
            if findings is not None
            else [
                {
                    "dimension": "ownership",
                    "quote": "contact the courier",
                    "message": "Sends the customer elsewhere.",
                    "fix": "Say you will contact them yourself.",
                }
            ],
            "suggestion": suggestion if needs_nudge else None,
        }
    )


def completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    usage: tuple[int, int] | None = (420, 95),
) -> dict[str, Any]:
    """A chat.completion response body."""
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_763_900_000,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
    }
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        }
    return body


def request_json(route: Any, index: int = -1) -> dict[str, Any]:
    """The JSON body of a call the route received."""
    call = route.calls[index]
    data: dict[str, Any] = json.loads(call.request.content)
    return data
