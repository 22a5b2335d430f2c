"""The personal-data corpus through the real model reviewer, faked at the HTTP wire (respx).

What counts is what leaves the process: the request body the model would receive.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import respx

from nudgebot.engine.llm.reviewer import LLMReviewer
from nudgebot.models import Draft
from tests.engine.llm.wire import BASE, completion, request_json, review_json, settings

DATA = Path(__file__).parent / "data"
DRAFT = "Thanks for getting in touch, I'll look into it today and come back to you."


def _items(name: str) -> list[dict[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sent_texts(route: respx.Route) -> str:
    """Every message the model received, as one text (JSON escapes undone)."""
    return "\n".join(str(message["content"]) for message in request_json(route)["messages"])


def test_at_most_five_percent_of_the_personal_data_reaches_the_model() -> None:
    items = _items("personal_data.jsonl")
    reviewer = LLMReviewer(settings())
    leaked: list[str] = []
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(200, json=completion(review_json()))

        async def run() -> None:
            for item in items:
                await reviewer.review(Draft(text=DRAFT, customer=item["text"]))
                if item["value"] in _sent_texts(route):
                    leaked.append(f"{item['country']} {item['kind']}")

        asyncio.run(run())
    assert route.call_count == len(items)
    print(f"\npersonal data on the model's wire: {len(leaked)}/{len(items)}: {leaked}")
    assert len(leaked) <= 0.05 * len(items)


def test_the_suggestion_gets_the_originals_back() -> None:
    customer = (
        "Ich bin unter 0151 23456789 erreichbar, IBAN de89 3704 0044 0532 0130 00, "
        "Hauptstraße 5, 10115 Berlin."
    )
    suggestion = (
        "Danke! Wir rufen [PHONE_1] an und erstatten auf [IBAN_1], Lieferung an [ADDRESS_1]."
    )
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(
            200, json=completion(review_json(suggestion=suggestion))
        )
        result = asyncio.run(LLMReviewer(settings()).review(Draft(text=DRAFT, customer=customer)))
    sent = _sent_texts(route)
    assert "23456789" not in sent and "3704" not in sent and "Hauptstraße" not in sent
    assert result.review.suggestion == (
        "Danke! Wir rufen 0151 23456789 an und erstatten auf de89 3704 0044 0532 0130 00, "
        "Lieferung an Hauptstraße 5, 10115 Berlin."
    )
