"""Bad input over HTTP, through the real app: odd text, other people's buttons, other apps.

Signed requests go over a real socket to the app under uvicorn; Slack's Web API is the
FakeSlackAPI; reviews come from the rules engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nudgebot.adapters.slack.interactive import NOT_A_REVIEW, NOT_YOURS, THANKS
from nudgebot.adapters.slack.origin import foreign
from nudgebot.engine import ReviewEngine
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import AGENT, RunningApp, event, fixture, make_settings

APP_ID = "A0NUDGE"  # the fixtures' api_app_id
HOME = "T0HOME"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI) -> Iterator[RunningApp]:
    settings = make_settings(api, slack_app_id=APP_ID)
    with RunningApp(settings, ReviewEngine.from_settings(settings)) as app:
        yield app


@pytest.fixture
def app(running: RunningApp, api: FakeSlackAPI) -> Iterator[RunningApp]:
    running.settle()
    api.reset()
    yield running
    running.settle()


def responses(api: FakeSlackAPI, key: str) -> list[dict[str, Any]]:
    return [call.params for call in api.calls_to("response_url") if call.params["key"] == key]


def wait_response(api: FakeSlackAPI, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while not responses(api, key):
        assert time.monotonic() < deadline, f"no response to {key}"
        api.wait_for("response_url", len(api.calls_to("response_url")) + 1, timeout=5)
    [answer] = responses(api, key)
    return answer


def nudge_for(app: RunningApp, api: FakeSlackAPI, ts: str, **fields: Any) -> str:
    """Send a bad live reply; return the review id its nudge's buttons carry."""
    assert app.send_event(event("event_message.json", f"Ev0{ts}", ts=ts, **fields)).status == 200
    [nudge] = api.wait_for("chat.postEphemeral")
    app.settle()
    ref: str = nudge.params["blocks"][-1]["elements"][0]["value"]
    return ref


def click(app: RunningApp, api: FakeSlackAPI, key: str, ref: str, user: str = AGENT) -> None:
    payload = fixture("block_actions.json")
    payload["response_url"] = api.response_url(key)
    payload["actions"][0]["value"] = ref
    payload["user"]["id"] = user
    assert app.send_interaction(payload).status == 200


# -- text ------------------------------------------------------------------------------------


def test_a_live_message_with_a_lone_surrogate_is_reviewed_and_stored(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    ts = "1700005000.000100"
    text = "Not our pr\ud800oblem, contact the courier\udfff."
    # json.dumps writes the lone halves as \ud800 escapes, as Slack's JSON may carry them.
    ref = nudge_for(app, api, ts, text=text)
    stored = app.run(app.app.bot.state.open()).review(int(ref))
    review = app.run(stored)
    assert review is not None and review.nudged and review.message_ts == ts


def test_hidden_controls_and_look_alike_letters_do_not_hide_a_bad_reply(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    disguised = "N\u200bot our pr\u202eoblem, cоntact the ｃｏｕｒｉｅｒ."  # Cyrillic о, fullwidth
    nudge_for(app, api, "1700005100.000100", text=disguised)


# -- the nudge's buttons -----------------------------------------------------------------------


def test_feedback_on_another_agents_review_is_refused_and_not_recorded(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    ref = nudge_for(app, api, "1700005200.000100")
    click(app, api, "intruder", ref, user="U0INTRUDER")
    answer = wait_response(api, "intruder")
    assert answer["text"] == NOT_YOURS and answer["replace_original"] is False
    stored = app.run(app.app.bot.state.open()).review(int(ref))
    assert app.run(stored).helpful is None  # type: ignore[union-attr]
    assert not app.run(app.app.bot.state.record_feedback(ref, "U0INTRUDER", helpful=False))
    click(app, api, "owner", ref)
    answer = wait_response(api, "owner")
    assert answer["replace_original"] is True and THANKS in json.dumps(answer, ensure_ascii=False)
    stored = app.run(app.app.bot.state.open()).review(int(ref))
    assert app.run(stored).helpful is True  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "ref", ["12345678901234567890", "-1", "0", "1e3", "٣", " 7", "r1-not-a-review", "9" * 400]
)
def test_a_button_value_that_is_not_a_review_id_is_refused_cleanly(
    app: RunningApp, api: FakeSlackAPI, ref: str
) -> None:
    key = f"odd-{abs(hash(ref))}"
    click(app, api, key, ref)
    assert wait_response(api, key)["text"] == NOT_A_REVIEW


# -- whose request it is -----------------------------------------------------------------------


def test_an_event_for_another_app_is_refused_before_any_listener(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    payload = event("event_message.json", "Ev0OTHERAPP", ts="1700005300.000100")
    payload["api_app_id"] = "A0SOMEONEELSE"
    assert app.send_event(payload).status == 403
    app.settle()
    assert api.calls_to("chat.postEphemeral") == []


def test_an_event_from_another_workspace_is_refused(app: RunningApp, api: FakeSlackAPI) -> None:
    payload = event("event_message.json", "Ev0OTHERTEAM", ts="1700005400.000100")
    payload.update(team_id="T0ELSEWHERE", context_team_id="T0ELSEWHERE")
    for authorization in payload["authorizations"]:
        authorization["team_id"] = "T0ELSEWHERE"
    assert app.send_event(payload).status == 403
    app.settle()
    assert api.calls_to("chat.postEphemeral") == []


def test_a_command_for_another_app_is_refused(app: RunningApp, api: FakeSlackAPI) -> None:
    reply = app.send_command(api, "other-app", "help", api_app_id="A0SOMEONEELSE")
    assert reply.status == 403
    assert app.send_command(api, "same-app", "help").status == 200


@pytest.mark.parametrize(
    ("body", "app_id", "team_id", "expected"),
    [
        ({"api_app_id": "A1", "team_id": "T1"}, "A1", "T1", None),
        ({"api_app_id": "A2", "team_id": "T1"}, "A1", "T1", "another app"),
        ({"api_app_id": "A2", "team_id": "T2"}, None, None, None),  # nothing known yet
        ({"team_id": "T2"}, "A1", "T1", "another workspace"),
        ({"team": {"id": "T2"}}, "A1", "T1", "another workspace"),
        ({"team_id": "T2", "authorizations": [{"team_id": "T1"}]}, "A1", "T1", None),  # Connect
        ({"team_id": "T2", "is_enterprise_install": True}, "A1", "T1", None),
        ({}, "A1", "T1", None),
        ({"api_app_id": ["A2"], "team_id": 7}, "A1", "T1", None),  # odd types name nothing
    ],
)
def test_foreign(body: dict[str, Any], app_id: str, team_id: str, expected: str | None) -> None:
    assert foreign(body, app_id=app_id, team_id=team_id) == expected
