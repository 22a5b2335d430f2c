"""The same draft gets the same review in Teams as in Slack: one engine, two thin adapters.

Each draft goes in twice: as a Slack message event through the Slack converter into
``engine.review``, and as a Teams activity POSTed to the running Teams app. The Teams card
must show that review's scores and suggestion exactly. Once with the rules engine, once with
a model (the FakeModelServer), where the card also carries Teams' AI-generated label.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nudgebot.adapters.slack.convert import draft_from_message
from nudgebot.adapters.teams import cards
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.models import Review
from nudgebot.testing import FakeModelServer
from nudgebot.testing_teams import ConnectorCall, FakeBotConnector
from nudgebot.wording import finding_message, one_per_phrase
from tests.adapters.teams.harness import (
    RunningTeams,
    card_of,
    dev_settings,
    element,
    fixture,
    has_element,
    text_of,
)

SLACK_EVENT = Path(__file__).resolve().parents[2] / "fixtures" / "slack" / "event_message.json"
DRAFTS = [
    "Not our problem, contact the courier.",
    "I understand, but that's policy. It should turn up soon.",
    "As I already explained, you need to read the email we sent.",
    "Your refund of £25 for order #48213 went out on 3 March; it can take 5 days to show.",
    "Hi Sam, thanks for waiting. I've rebooked your engineer for Friday 9-12 and I'll text "
    "you the name by 5pm tomorrow.",
    "Sorry 😞 the delivery is late, nothing I can do, ask the depot.",
]


def slack_review(engine: ReviewEngine, app: RunningTeams, text: str) -> Review:
    """The review the Slack path gets: the Slack event, its converter, the engine."""
    event: dict[str, Any] = copy.deepcopy(json.loads(SLACK_EVENT.read_text("utf-8"))["event"])
    event["text"] = text
    return app.run(engine.review(draft_from_message(event), "auto"))


def teams_card(app: RunningTeams, connector: FakeBotConnector, text: str) -> ConnectorCall:
    connector.reset()
    activity = fixture("message_channel_mention.json", connector)
    activity["text"] = f"<at>nudgebot</at> {text}"
    del activity["attachments"]
    assert app.post(activity).status == 200
    app.settle()
    [sent] = [call for call in connector.messages() if call.cards]  # in the agent's 1:1 chat
    return sent


def assert_same(card: dict[str, Any], review: Review) -> None:
    scores = " · ".join(f"{cards.LABELS[d]} {v}" for d, v in review.scores.to_dict().items())
    assert element(card, "scores")["text"] == scores
    if review.suggestion:
        assert text_of(element(card, "suggestion-text")) == review.suggestion
    else:
        assert not has_element(card, "suggestion")
    title = "A few things could land better" if review.points_raised else "Looking good"
    assert element(card, "title")["text"] == title
    for finding in one_per_phrase(review.findings)[:8]:
        assert finding_message(finding)[:100] in text_of(card)


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture(scope="module")
def rules(connector: FakeBotConnector) -> Iterator[tuple[RunningTeams, ReviewEngine]]:
    engine = ReviewEngine.from_settings(dev_settings(connector))
    with RunningTeams(dev_settings(connector), engine) as app:
        yield app, engine


@pytest.mark.parametrize("text", DRAFTS)
def test_the_rules_review_is_the_same_as_slacks(
    rules: tuple[RunningTeams, ReviewEngine], connector: FakeBotConnector, text: str
) -> None:
    app, engine = rules
    sent = teams_card(app, connector, text)
    review = slack_review(engine, app, text)
    assert review.engine == "rules"
    assert_same(card_of(sent), review)
    assert "entities" not in sent.activity  # the rules are not AI


def test_the_model_review_is_the_same_as_slacks_and_labelled_ai(
    connector: FakeBotConnector,
) -> None:
    with FakeModelServer() as model:
        settings: Settings = dev_settings(
            connector, engine="auto", openai_api_key="fake-key", openai_base_url=model.url
        )
        engine = ReviewEngine.from_settings(settings)
        with RunningTeams(settings, engine) as app:
            text = DRAFTS[0]
            sent = teams_card(app, connector, text)
            review = slack_review(engine, app, text)
            app.run(engine.aclose())
    assert review.engine == "llm"
    assert review.scores.empathy == 55  # what the fake model answered
    assert_same(card_of(sent), review)
    [label] = sent.activity["entities"]
    assert label["@type"] == "Message"
    assert label["additionalType"] == ["AIGeneratedContent"]
