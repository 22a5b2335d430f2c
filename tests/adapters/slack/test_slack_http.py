"""End to end over HTTP: signed requests over a real socket to the app under uvicorn.

The app is the one ``build_app`` returns, behind the production ASGI router; Slack's Web API is
the FakeSlackAPI (a real local server); the reviews come from the rules engine.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import NO_COACH
from nudgebot.adapters.slack.chat import PROMPTS
from nudgebot.coach import Coach
from nudgebot.engine import ReviewEngine
from nudgebot.testing import FakeModelServer, FakeSlackAPI, SlackCall
from nudgebot.tips import TipLibrary
from tests.adapters.slack.harness import (
    AGENT,
    BAD_REPLY,
    CUSTOMER,
    EXTERNAL,
    GOOD_REPLY,
    GROUP_LEAD,
    LEAD,
    SUPPORT,
    RunningApp,
    event,
    fixture,
    make_settings,
    preload,
)


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        yield fake


@pytest.fixture(scope="module")
def engine(api: FakeSlackAPI) -> ReviewEngine:
    return ReviewEngine.from_settings(make_settings(api))


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI, engine: ReviewEngine) -> Iterator[RunningApp]:
    with RunningApp(make_settings(api), engine) as app:
        yield app


@pytest.fixture
def app(running: RunningApp, api: FakeSlackAPI) -> Iterator[RunningApp]:
    """The shared app, with the fake's call log cleared before and settled after each test."""
    running.settle()
    api.reset()
    yield running
    running.settle()


def methods(api: FakeSlackAPI) -> list[str]:
    return [call.method for call in api.calls]


def text_of(call: SlackCall) -> str:
    return json.dumps(call.params)


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


# -- request verification ---------------------------------------------------------------------


def test_a_forged_signature_is_rejected(app: RunningApp, api: FakeSlackAPI) -> None:
    reply = app.send_event(event("event_message.json", "Ev0FORGED"), secret="not-the-secret")
    assert reply.status == 401
    app.settle()
    assert "chat.postEphemeral" not in methods(api)


def test_a_stale_timestamp_is_rejected(app: RunningApp, api: FakeSlackAPI) -> None:
    stale = int(time.time()) - 10 * 60
    reply = app.send_event(event("event_message.json", "Ev0STALE"), timestamp=stale)
    assert reply.status == 401


def test_url_verification_and_health_check(app: RunningApp) -> None:
    challenge = {"token": "t", "challenge": "c-123", "type": "url_verification"}
    reply = app.send_event(challenge)
    assert reply.status == 200
    assert "c-123" in reply.body
    assert app.request("GET", "/healthz").body == "ok"
    assert app.request("GET", "/nowhere").status == 404


# -- live nudges -------------------------------------------------------------------------------


def test_a_bad_reply_in_a_thread_nudges_the_agent_alone_using_the_customer_message(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    reply = app.send_event(event("event_thread_reply.json"))
    assert reply.status == 200
    [nudge] = api.wait_for("chat.postEphemeral")
    app.settle()
    assert len(api.calls_to("chat.postEphemeral")) == 1
    assert nudge.params["channel"] == SUPPORT
    assert nudge.params["user"] == AGENT
    assert nudge.params["thread_ts"] == "1700000150.000100"  # the thread root
    # The customer's upset message was read from the thread and shaped the review:
    [replies] = api.calls_to("conversations.replies")
    assert replies.params["ts"] == "1700000150.000100"
    assert "Empathy" in nudge.params["text"]
    assert action_ids(nudge.params) == [
        blocks.ACTION_HELPFUL,
        blocks.ACTION_NOT_HELPFUL,
        blocks.ACTION_MUTE,
    ]
    assert "chat.postMessage" not in methods(api)  # nothing public


def test_the_same_event_delivered_again_nudges_once(app: RunningApp, api: FakeSlackAPI) -> None:
    ts = "1700001200.000100"
    first = event("event_message.json", "Ev0DUP", ts=ts, event_ts=ts)
    replies = [
        app.send_event(first),
        app.send_event(first),
        app.send_event(first, retry=1),
        app.send_event(event("event_message.json", "Ev0DUP-OTHER-ID", ts=ts, event_ts=ts)),
    ]
    assert [reply.status for reply in replies] == [200, 200, 200, 200]
    api.wait_for("chat.postEphemeral")
    app.settle()
    assert len(api.calls_to("chat.postEphemeral")) == 1


def test_a_redelivered_event_is_acked_without_running_again(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    # App Home opens have no message ts to tell them apart: only the event id does.
    opened = event("event_app_home_opened.json", "Ev0HOMETWICE", user="U0TWICE")
    assert app.send_event(opened).status == 200
    api.wait_for("views.publish")
    assert app.send_event(opened, retry=1).status == 200
    assert app.send_event(opened, retry=2).status == 200
    app.settle()
    assert len(api.calls_to("views.publish")) == 1


@pytest.mark.parametrize(
    "payload",
    [
        event("event_message.json", "Ev0SELF", user="U0BOT", bot_id="B0BOT", ts="1700001300.1"),
        event("event_bot_message.json"),
        event("event_message_changed.json"),
        event("event_message.json", "Ev0GOOD", text=GOOD_REPLY, ts="1700001300.2"),
        event(
            "event_message.json",
            "Ev0CUSTOMER",
            user=CUSTOMER,
            team=EXTERNAL,
            user_team=EXTERNAL,
            source_team=EXTERNAL,
            ts="1700001300.3",
        ),
        event("event_message.json", "Ev0ELSEWHERE", channel="C0UNWATCHED", ts="1700001300.4"),
    ],
    ids=["own-message", "other-bot", "edit", "good-reply", "customer", "unwatched-channel"],
)
def test_no_nudge(app: RunningApp, api: FakeSlackAPI, payload: dict[str, Any]) -> None:
    assert app.send_event(payload).status == 200
    app.settle()
    assert not {"chat.postEphemeral", "chat.postMessage"} & set(methods(api))


def forget_channel(app: RunningApp, channel: str) -> None:
    """Forget what the app remembers of a channel's top-level conversation (as on start-up)."""

    async def forget() -> None:
        app.app.bot.state.conversations.forget(channel)

    app.run(forget())


def test_a_top_level_reply_takes_the_customer_message_from_the_channel_history(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    forget_channel(app, SUPPORT)
    app.send_event(event("event_message.json", "Ev0TOP"))
    [nudge] = api.wait_for("chat.postEphemeral")
    [history] = api.calls_to("conversations.history")
    assert history.params["channel"] == SUPPORT
    assert history.params["latest"] == "1700000100.000200"
    assert nudge.params["thread_ts"] == "1700000100.000200"  # its own thread
    api.reset()  # read once: the next top-level reply needs no call
    app.send_event(event("event_message.json", "Ev0TOP2", ts="1700000110.000100"))
    api.wait_for("chat.postEphemeral")
    assert "conversations.history" not in methods(api)


def test_a_customer_message_seen_as_an_event_is_the_context_without_asking_slack(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    root = "1700002000.000100"
    customer = event(
        "event_message.json",
        "Ev0ASKS",
        user=CUSTOMER,
        team=EXTERNAL,
        user_team=EXTERNAL,
        source_team=EXTERNAL,
        ts=root,
        text="This is the THIRD time my order is late and I'm furious!!",
    )
    app.send_event(customer)
    app.settle()
    app.send_event(
        event("event_message.json", "Ev0ANSWERS", ts="1700002000.000200", thread_ts=root)
    )
    [nudge] = api.wait_for("chat.postEphemeral")
    assert nudge.params["thread_ts"] == root
    assert "Empathy" in nudge.params["text"]  # the furious customer shaped the review
    assert not {"conversations.replies", "conversations.history"} & set(methods(api))


def test_slack_rate_limiting_once_still_delivers_the_nudge(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    api.rate_limit("chat.postEphemeral", times=1, retry_after=0)
    app.send_event(event("event_message.json", "Ev0LIMITED", ts="1700001400.000100"))
    api.wait_for("chat.postEphemeral")
    statuses = [call.status for call in api.calls_to("chat.postEphemeral")]
    assert statuses == [429, 200]


def test_an_agent_who_turned_nudges_off_or_muted_gets_none(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    state = app.app.bot.state
    app.run(state.set_live("U0QUIET", False))
    app.run(state.mute("U0MUTED"))
    for number, user in enumerate(("U0QUIET", "U0MUTED")):
        ts = f"1700001500.00010{number}"
        app.send_event(event("event_message.json", f"Ev0OFF{number}", user=user, ts=ts))
    app.settle()
    assert "chat.postEphemeral" not in methods(api)


# -- asking the bot ----------------------------------------------------------------------------


def test_a_draft_sent_by_dm_gets_a_review_in_the_dm(app: RunningApp, api: FakeSlackAPI) -> None:
    app.send_event(event("event_message_im.json"))
    [answer] = api.wait_for("chat.postMessage")
    assert answer.params["channel"] == "D0AGENTDM"
    assert "could land better" in answer.params["text"]
    assert "Respect" in text_of(answer)


def test_a_question_by_dm_without_a_coach_says_how_to_ask(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    question = "How do I tell a customer we can't refund?"
    app.send_event(event("event_message_im.json", "Ev0IMQ", text=question, ts="1700001600.1"))
    [answer] = api.wait_for("chat.postMessage")
    assert answer.params["text"] == NO_COACH


def test_a_mention_in_a_thread_is_answered_in_the_thread_with_the_customer_in_context(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    app.send_event(event("event_app_mention.json"))
    [answer] = api.wait_for("chat.postEphemeral")
    assert "chat.postMessage" not in methods(api)  # only the agent who asked sees it
    assert answer.params["user"] == AGENT
    assert answer.params["channel"] == SUPPORT
    assert answer.params["thread_ts"] == "1700000450.000100"
    assert "<@U0BOT>" not in text_of(answer)  # the mention is not reviewed as the draft
    assert "Empathy" in text_of(answer)  # the upset customer was read from the thread
    [replies] = api.calls_to("conversations.replies")
    assert replies.params["ts"] == "1700000450.000100"


def test_the_assistant_greets_with_prompts_and_streams_an_answer(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    app.send_event(event("event_assistant_thread_started.json"))
    [prompts] = api.wait_for("assistant.threads.setSuggestedPrompts")
    assert [p["title"] for p in prompts.params["prompts"]] == [p["title"] for p in PROMPTS]
    assert prompts.params["thread_ts"] == "1700001000.000100"
    api.wait_for("chat.postMessage")  # the greeting
    draft = "Not our problem, contact the courier."
    app.send_event(event("event_assistant_user_message.json", text=draft))
    [stop] = api.wait_for("chat.stopStream")
    [start] = api.calls_to("chat.startStream")
    [status] = api.calls_to("assistant.threads.setStatus")
    assert status.params["status"] == "is reviewing…"
    assert methods(api).index("assistant.threads.setStatus") < methods(api).index(
        "chat.startStream"
    )
    assert start.params["thread_ts"] == "1700001000.000100"
    assert start.params["recipient_user_id"] == AGENT
    assert "could land better" in json.dumps(stop.params["blocks"])


def test_the_assistant_answers_in_one_message_where_streaming_is_refused(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    api.fail("chat.startStream", "not_allowed")
    question = "How do I say no kindly to a customer?"
    payload = event("event_assistant_user_message.json", "Ev0AMSG2", ts="1700001100.9")
    payload["event"]["text"] = question
    app.send_event(payload)
    [answer] = api.wait_for("chat.postMessage")
    assert answer.params["thread_ts"] == "1700001000.000100"
    assert answer.params["text"] == NO_COACH


# -- /nudge ------------------------------------------------------------------------------------


def responses(api: FakeSlackAPI, key: str) -> list[dict[str, Any]]:
    return [call.params for call in api.calls_to("response_url") if call.params["key"] == key]


def wait_response(api: FakeSlackAPI, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while not responses(api, key):
        assert time.monotonic() < deadline, f"no response to {key}"
        api.wait_for("response_url", len(api.calls_to("response_url")) + 1, timeout=5)
    [answer] = responses(api, key)
    return answer


def test_nudge_help_and_empty_text_answer_with_the_help(app: RunningApp, api: FakeSlackAPI) -> None:
    assert app.send_command(api, "help", "help").status == 200
    assert app.send_command(api, "empty", "").status == 200
    for key in ("help", "empty"):
        answer = wait_response(api, key)
        assert answer["text"] == blocks.help_message()["text"]
        assert answer["response_type"] == "ephemeral"


def test_nudge_with_a_draft_reviews_it_privately(app: RunningApp, api: FakeSlackAPI) -> None:
    reply = app.send_command(api, "draft", BAD_REPLY)
    assert reply.status == 200
    assert reply.body == ""  # the ack carries nothing: the review follows on the response_url
    answer = wait_response(api, "draft")
    assert answer["response_type"] == "ephemeral"
    assert "could land better" in answer["text"]


@pytest.mark.parametrize(
    ("text", "words"),
    [("check", "the draft is empty"), ("check " + "a" * 40_001, "the limit is 40,000")],
    ids=["empty", "too-long"],
)
def test_nudge_with_an_unusable_draft_gets_a_short_error(
    app: RunningApp, api: FakeSlackAPI, text: str, words: str
) -> None:
    app.send_command(api, "bad", text)
    answer = wait_response(api, "bad")
    assert words in answer["text"].lower()
    assert answer["response_type"] == "ephemeral"


def test_nudge_watch_is_for_leads(app: RunningApp, api: FakeSlackAPI) -> None:
    state = app.app.bot.state
    app.send_command(api, "agent", "watch", channel_id="C0NEWTEAM")
    assert "only team leads" in wait_response(api, "agent")["text"]
    assert not app.run(state.is_watched("C0NEWTEAM"))
    app.send_command(api, "lead", "watch", channel_id="C0NEWTEAM", user_id=LEAD)
    assert "now watching" in wait_response(api, "lead")["text"]
    assert app.run(state.is_watched("C0NEWTEAM"))
    # A lead by user group; the group's members come from usergroups.users.list.
    app.send_command(api, "group", "unwatch", channel_id="C0NEWTEAM", user_id=GROUP_LEAD)
    assert "stopped watching" in wait_response(api, "group")["text"]
    assert not app.run(state.is_watched("C0NEWTEAM"))
    assert api.calls_to("usergroups.users.list")[0].params["usergroup"] == "S0LEADS"


def test_a_channel_watched_by_a_lead_gets_live_nudges(app: RunningApp, api: FakeSlackAPI) -> None:
    app.send_command(api, "watch", "watch", channel_id="C0WATCHED", user_id=LEAD)
    wait_response(api, "watch")
    ts = "1700001700.000100"
    payload = event("event_message.json", "Ev0WATCHED", channel="C0WATCHED", ts=ts)
    app.send_event(payload)
    [nudge] = api.wait_for("chat.postEphemeral")
    assert nudge.params["channel"] == "C0WATCHED"


def test_nudge_off_and_on(app: RunningApp, api: FakeSlackAPI) -> None:
    state = app.app.bot.state
    app.send_command(api, "off", "off", user_id="U0TOGGLE")
    assert "off" in wait_response(api, "off")["text"]
    assert not app.run(state.live_enabled("U0TOGGLE"))
    app.send_command(api, "on", "on", user_id="U0TOGGLE")
    wait_response(api, "on")
    assert app.run(state.live_enabled("U0TOGGLE"))


def test_a_draft_starting_with_a_subcommand_word_is_still_a_draft(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    app.send_command(api, "on-monday", "On Monday we shipped it, not our problem now.")
    answer = wait_response(api, "on-monday")
    assert "could land better" in answer["text"]
    assert app.run(app.app.bot.state.live_enabled(AGENT))


# -- shortcut, buttons, App Home ---------------------------------------------------------------


def test_the_shortcut_opens_a_modal_then_fills_it_with_the_review(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    payload = fixture("message_action.json")
    assert app.send_interaction(payload).status == 200
    [update] = api.wait_for("views.update")
    [opened] = api.calls_to("views.open")
    assert methods(api).index("views.open") < methods(api).index("views.update")
    assert opened.params["trigger_id"] == payload["trigger_id"]
    assert "Reviewing" in json.dumps(opened.params["view"])
    assert update.params["view_id"].startswith("V")
    assert update.params["view"]["type"] == "modal"
    assert "could land better" in json.dumps(update.params["view"]).lower()


def test_helpful_is_recorded_and_only_the_button_row_changes(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    ts = "1700001850.000100"
    app.send_event(event("event_message.json", "Ev0FEEDBACK", ts=ts))
    [nudge] = api.wait_for("chat.postEphemeral")
    app.settle()
    ref = nudge.params["blocks"][-1]["elements"][0]["value"]
    payload = fixture("block_actions.json")  # as Slack sends it for an ephemeral: no blocks
    assert "message" not in payload
    payload["response_url"] = api.response_url("feedback")
    payload["actions"][0]["value"] = ref
    assert app.send_interaction(payload).status == 200
    answer = wait_response(api, "feedback")
    assert answer["replace_original"] is True
    before, after = nudge.params["blocks"], answer["blocks"]
    suggestion = [b for b in before if "warmer version" in json.dumps(b)]
    assert suggestion and all(block in after for block in suggestion)  # still there to copy
    assert after[:-1] == before[:-1]  # everything but the button row, unchanged
    assert after[-1]["type"] == "context" and "Thanks — noted" in after[-1]["elements"][0]["text"]
    assert not [b for b in after if b["type"] == "actions"]
    store = app.run(app.app.bot.state.open())
    stored = app.run(store.review(int(ref)))
    assert stored is not None
    assert (stored.user, stored.message_ts, stored.nudged, stored.helpful) == (
        AGENT,
        ts,
        True,
        True,
    )
    # A second click records nothing more (one verdict per agent and nudge).
    assert not app.run(app.app.bot.state.record_feedback(ref, AGENT, helpful=False))
    assert not app.run(app.app.bot.state.record_feedback("r1-not-a-review", AGENT, helpful=True))


def test_mute_pauses_live_nudges_for_an_hour(app: RunningApp, api: FakeSlackAPI) -> None:
    payload = fixture("block_actions.json")
    payload["response_url"] = api.response_url("mute")
    payload["user"]["id"] = "U0MUTER"
    payload["actions"][0].update(action_id=blocks.ACTION_MUTE)
    app.send_interaction(payload)
    muted = wait_response(api, "mute")
    assert "muted until <!date^" in muted["text"]
    assert muted["replace_original"] is False  # a nudge not remembered here stays as it was
    until = app.run(app.app.bot.state.muted_until("U0MUTER"))
    assert until is not None and 3500 < until - time.time() <= 3600


def test_app_home_shows_the_agents_scores_and_toggles_nudges(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    user = "U0HOMER"
    app.send_event(event("event_message.json", "Ev0HOMELIVE", user=user, ts="1700001800.1"))
    api.wait_for("chat.postEphemeral")
    app.settle()
    [record] = app.run(app.app.bot.state.recent(user))
    assert record.nudged  # the reply in the watched channel was stored with its score
    app.send_event(event("event_app_home_opened.json", user=user))
    [published] = api.wait_for("views.publish")
    assert published.params["user_id"] == user
    view = published.params["view"]
    assert view["type"] == "home"
    assert "Recent replies" in json.dumps(view)
    assert f"average {record.score}" in json.dumps(view)
    toggle = fixture("block_actions.json")
    toggle["user"]["id"] = user
    toggle["actions"][0].update(action_id=blocks.ACTION_TOGGLE_NUDGES, value="off")
    toggle["container"] = {"type": "view", "view_id": "V0HOME"}
    app.send_interaction(toggle)
    api.wait_for("views.publish", 2)
    assert not app.run(app.app.bot.state.live_enabled(user))
    assert "Live nudges: off" in json.dumps(api.calls_to("views.publish")[-1].params["view"])


# -- failures ----------------------------------------------------------------------------------


def test_a_failure_after_the_ack_reaches_the_user_and_the_log_keeps_no_text(
    app: RunningApp, api: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("chat.postEphemeral", "internal_error")  # the answer fails; the error then gets out
    secret_words = "Priya's parcel ORD-77 is not our problem"
    payload = event("event_app_mention.json", "Ev0FAIL", ts="1700001900.1")
    payload["event"]["text"] = f"<@U0BOT> {secret_words}"
    with caplog.at_level(logging.INFO):
        app.send_event(payload)
        [_, error] = api.wait_for("chat.postEphemeral", count=2)  # the answer (refused), the error
        app.settle()
    assert error.params["user"] == AGENT
    assert "went wrong" in error.params["text"]
    assert "answer to a mention failed (SlackApiError)" in caplog.text
    assert secret_words not in caplog.text
    assert "xoxb-test" not in caplog.text


# -- with a coach, and with a slow model -------------------------------------------------------


def test_a_question_gets_coaching_from_the_real_coach_and_home_shows_a_tip(
    api: FakeSlackAPI, engine: ReviewEngine
) -> None:
    tips = TipLibrary.load()
    with RunningApp(make_settings(api), engine, coach=Coach(tips), tips=tips) as app:
        api.reset()
        question = "How do I tell a customer we can't refund?"
        app.send_event(event("event_message_im.json", "Ev0COACH", text=question, ts="1700002000.1"))
        [answer] = api.wait_for("chat.postMessage")
        shown = json.dumps(answer.params["blocks"], ensure_ascii=False)
        assert "You asked:" in shown and "coaching tips" in shown
        listed = [tip.text for tip in tips if tip.text in shown]
        assert listed and all(shown.count(tip) == 1 for tip in listed)  # each tip said once
        app.send_event(event("event_app_home_opened.json", "Ev0HOMETIP"))
        [published] = api.wait_for("views.publish")
        assert "Today's tip" in json.dumps(published.params["view"])
        app.settle()


def test_a_slow_model_gets_a_fast_ack_and_the_rules_nudge_after_the_timeout(
    api: FakeSlackAPI,
) -> None:
    with FakeModelServer(delay=3.0) as model:
        settings = make_settings(
            api,
            engine="auto",
            openai_api_key="fake-key",
            openai_base_url=model.url,
            llm_timeout=0.4,
            llm_retries=0,
        )
        with RunningApp(settings, ReviewEngine.from_settings(settings)) as app:
            api.reset()
            started = time.monotonic()
            acks = [
                app.send_event(event("event_message.json", f"Ev0SLOW{n}", ts=f"17000021{n}.1"))
                for n in range(3)
            ]
            nudges = api.wait_for("chat.postEphemeral", 3, timeout=10)
            elapsed = time.monotonic() - started
            app.settle()
            while model.in_flight:  # let the fake finish its slow answers before it stops
                time.sleep(0.02)
    assert all(ack.status == 200 and ack.seconds < 1.0 for ack in acks), acks
    assert len(model.requests) == 3  # the model was asked, and was too slow
    assert elapsed < 2.5  # the 0.4 s budget (with room for a busy machine), not the model's 3 s
    assert all("so the rules reviewed this draft" in text_of(nudge) for nudge in nudges)
