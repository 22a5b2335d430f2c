"""A Teams message carrying half a character is reviewed, stored and answered, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nudgebot.adapters.teams.hooks import ReviewedDraft
from nudgebot.engine import ReviewEngine
from nudgebot.testing_teams import FakeBotConnector
from tests.adapters.teams.harness import RunningTeams, card_of, dev_settings, fixture


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


def test_a_lone_surrogate_in_a_draft_is_mended_before_review_storage_and_answer(
    connector: FakeBotConnector,
) -> None:
    stored: list[ReviewedDraft] = []

    async def record(item: ReviewedDraft) -> str | None:
        item.draft.text.encode("utf-8")  # what a database would do with it
        stored.append(item)
        return "review-1"

    settings = dev_settings(connector)
    engine = ReviewEngine.from_settings(settings)
    with RunningTeams(settings, engine, record_review=record) as app:
        activity = fixture(
            "message_personal.json", connector, text="Not our pr\ud800oblem, contact the courier."
        )
        reply = app.post(activity)  # json.dumps writes the half as a \ud800 escape
        assert reply.status == 200
        app.settle()
        [sent] = connector.messages()
    card = card_of(sent)
    assert card["type"] == "AdaptiveCard"
    [item] = stored
    assert item.draft.text == "Not our pr\ufffdoblem, contact the courier."
    assert item.review.needs_nudge
