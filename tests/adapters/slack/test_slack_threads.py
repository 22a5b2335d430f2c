"""The conversation reaches the engine: Slack threads end to end, through the real Bolt app.

Signed events go over a real socket to the app under uvicorn; Slack's Web API is the
FakeSlackAPI. The engine is the real rules engine, wrapped to record each draft it is given,
so what the app passed as the thread is asserted directly (not guessed from scores).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Collection, Iterator
from typing import Any

import pytest

from nudgebot.engine import ReviewEngine
from nudgebot.models import Draft, Review, Turn
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    CUSTOMER,
    CUSTOMER_MESSAGE,
    EXTERNAL,
    LEAD,
    SUPPORT,
    RunningApp,
    event,
    fixture,
    make_settings,
    preload,
)

LATE = "My parcel is a week late and nobody replies"
GOOD = (
    "I'm so sorry about the delay! I've chased parcel 88121 with the courier myself and I'll "
    "update you here by 3pm today."
)
DEFLECTING = "Not our problem, you'll have to contact the courier."
RECORDED_ROOT = "1700003000.000100"
"""The root of the recorded thread (tests/fixtures/slack/conversations_replies_parcel.json)."""
RECORDED_CHANNEL = SUPPORT


class RecordingEngine(ReviewEngine):
    """The real rules engine, keeping every draft it is asked to review."""

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[Draft] = []

    async def review(
        self,
        draft: Draft,
        engine: str = "auto",
        *,
        live: bool = False,
        quiet: Collection[str] = (),
    ) -> Review:
        self.drafts.append(draft)
        return await super().review(draft, engine, live=live, quiet=quiet)

    def draft(self, ts: str) -> Draft:
        """The one draft reviewed for the message at ``ts``."""
        [found] = [draft for draft in self.drafts if draft.id == ts]
        return found


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        fake.add_user(LEAD, "T0HOME")
        fake.add_channel(SUPPORT, [AGENT, LEAD], name="support")
        fake.add_replies(
            RECORDED_CHANNEL,
            RECORDED_ROOT,
            fixture("conversations_replies_parcel.json")["messages"],
        )
        yield fake


@pytest.fixture(scope="module")
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI, engine: RecordingEngine) -> Iterator[RunningApp]:
    with RunningApp(make_settings(api), engine) as app:
        yield app


@pytest.fixture
def app(running: RunningApp, api: FakeSlackAPI) -> Iterator[RunningApp]:
    running.settle()
    api.reset()
    yield running
    running.settle()


def methods(api: FakeSlackAPI) -> list[str]:
    return [call.method for call in api.calls]


def customer_says(app: RunningApp, ts: str, text: str, thread_ts: str | None = None) -> None:
    """A customer (from another workspace) writes in the watched channel."""
    fields: dict[str, Any] = {
        "user": CUSTOMER,
        "team": EXTERNAL,
        "user_team": EXTERNAL,
        "source_team": EXTERNAL,
        "ts": ts,
        "event_ts": ts,
        "text": text,
    }
    if thread_ts:
        fields["thread_ts"] = thread_ts
    reply = app.send_event(event("event_message.json", f"Ev{ts.replace('.', '')}", **fields))
    assert reply.status == 200
    app.settle()


def agent_replies(app: RunningApp, ts: str, text: str, thread_ts: str) -> None:
    """The agent replies in a thread of the watched channel."""
    payload = event(
        "event_thread_reply.json",
        f"Ev{ts.replace('.', '')}",
        ts=ts,
        event_ts=ts,
        thread_ts=thread_ts,
        text=text,
    )
    assert app.send_event(payload).status == 200
    app.settle()


# -- the end-to-end case ---------------------------------------------------------------


def test_a_good_reply_in_a_thread_about_a_late_parcel_gets_no_nudge(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    root = "1700010000.000100"
    customer_says(app, root, LATE)
    agent_replies(app, "1700010060.000200", GOOD, root)
    assert "chat.postEphemeral" not in methods(api)


def test_a_deflecting_reply_in_a_thread_about_a_late_parcel_gets_a_nudge(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    root = "1700011000.000100"
    customer_says(app, root, LATE)
    agent_replies(app, "1700011060.000200", DEFLECTING, root)
    [nudge] = api.calls_to("chat.postEphemeral")  # ephemeral: the agent alone sees it
    assert nudge.params["user"] == AGENT
    assert nudge.params["channel"] == SUPPORT
    assert nudge.params["thread_ts"] == root  # in the thread
    assert "chat.postMessage" not in methods(api)
    # The customer's message, seen as an event, was the thread: Slack was not asked.
    draft = engine.draft("1700011060.000200")
    assert draft.thread == (Turn("customer", LATE),) and draft.customer == LATE
    assert not {"conversations.replies", "conversations.history"} & set(methods(api))


def test_the_good_reply_reaches_the_engine_with_the_customer_s_message(
    app: RunningApp, engine: RecordingEngine
) -> None:
    # What the no-nudge case above depends on, checked on its own: the engine saw the thread.
    root = "1700012000.000100"
    customer_says(app, root, LATE)
    agent_replies(app, "1700012060.000200", GOOD, root)
    assert engine.draft("1700012060.000200").thread == (Turn("customer", LATE),)


# -- remembered turns --------------------------------------------------------------------------


def test_every_turn_of_a_watched_thread_is_remembered_in_order(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    root = "1700013000.000100"
    customer_says(app, root, LATE)
    agent_replies(app, "1700013060.000200", "Could you send me the order number?", root)
    customer_says(app, "1700013120.000300", "It's 88121.", thread_ts=root)
    bot_note = event("event_bot_message.json", "Ev0BOTNOTE", ts="1700013130.000100", thread_ts=root)
    app.send_event(bot_note)
    app.settle()
    agent_replies(app, "1700013180.000400", DEFLECTING, root)
    assert engine.draft("1700013180.000400").thread == (
        Turn("customer", LATE),
        Turn("agent", "Could you send me the order number?"),
        Turn("customer", "It's 88121."),
    )
    assert engine.draft("1700013180.000400").customer == "It's 88121."
    assert engine.draft("1700013060.000200").thread == (Turn("customer", LATE),)
    assert "conversations.replies" not in methods(api)


def test_a_thread_not_seen_since_start_up_is_read_from_slack_once(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    reply = "1700003300.000500"  # the recorded thread's last message: the deflecting reply
    agent_replies(app, reply, DEFLECTING, RECORDED_ROOT)
    [replies] = api.calls_to("conversations.replies")
    assert replies.params["ts"] == RECORDED_ROOT
    assert replies.params["latest"] == reply
    assert engine.draft(reply).thread == (
        Turn("customer", LATE),
        Turn(
            "agent",
            "Hi Sam, thanks for flagging this. Could you send me the order number so I can "
            "look it up?",
        ),
        Turn("customer", "It's 88121. This is the second time I've had to chase you."),
    )
    assert engine.draft(reply).customer == (
        "It's 88121. This is the second time I've had to chase you."
    )
    [nudge] = api.calls_to("chat.postEphemeral")
    assert nudge.params["thread_ts"] == RECORDED_ROOT
    # Read once: the next reply in that thread gets it (and the reply before) from memory.
    api.reset()
    agent_replies(app, "1700003400.000600", "Sorry, let me look again.", RECORDED_ROOT)
    assert "conversations.replies" not in methods(api)
    later = engine.draft("1700003400.000600").thread
    assert len(later) == 4 and later[-1] == Turn("agent", DEFLECTING)


def test_when_slack_refuses_the_thread_what_is_known_is_used(
    app: RunningApp,
    api: FakeSlackAPI,
    engine: RecordingEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = "1700014000.000100"  # started before the app did: only a later message was seen
    customer_says(app, "1700014100.000200", "Hello?? Anyone?", thread_ts=root)
    api.fail("conversations.replies", "ratelimited")
    with caplog.at_level(logging.WARNING):
        agent_replies(app, "1700014160.000300", DEFLECTING, root)
    assert api.calls_to("conversations.replies")  # asked, refused
    assert engine.draft("1700014160.000300").thread == (Turn("customer", "Hello?? Anyone?"),)
    assert "could not read the conversation for context: ratelimited" in caplog.text
    assert "Anyone" not in caplog.text and DEFLECTING not in caplog.text
    assert api.calls_to("chat.postEphemeral")  # the review still went ahead


# -- asking the bot, and the leads' scorecard ---------------------------------------------------


def test_a_mention_in_a_thread_reviews_the_draft_with_the_thread(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    payload = event("event_app_mention.json", "Ev0MENTIONTHREAD")
    app.send_event(payload)
    api.wait_for("chat.postEphemeral")
    app.settle()
    draft = engine.draft(payload["event"]["ts"])
    assert draft.thread == (Turn("customer", CUSTOMER_MESSAGE), Turn("agent", "Let me check."))
    assert draft.text == "It'll arrive soon, the courier handles delivery."


def test_the_shortcut_reviews_a_message_with_the_turns_before_it(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    payload = fixture("message_action.json")
    message = fixture("conversations_replies_parcel.json")["messages"][1]  # the agent's question
    payload["message"] = {**message}
    payload["message_ts"] = message["ts"]
    assert app.send_interaction(payload).status == 200
    api.wait_for("views.update")
    app.settle()
    assert engine.draft(message["ts"]).thread == (Turn("customer", LATE),)


def test_the_scorecard_reviews_each_agent_reply_with_the_turns_before_it(
    app: RunningApp, api: FakeSlackAPI, engine: RecordingEngine
) -> None:
    link = f"<https://fake.slack.com/archives/{SUPPORT}/p{RECORDED_ROOT.replace('.', '')}>"
    form = dict(urllib.parse.parse_qsl(fixture("command_nudge.txt")))
    form.update(
        text=f"review {link}",
        response_url=api.response_url("card"),
        user_id=LEAD,
        channel_id=SUPPORT,
    )
    app.signed(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    deadline = time.monotonic() + 10
    while len([c for c in api.calls_to("response_url") if c.params["key"] == "card"]) < 2:
        assert time.monotonic() < deadline, "no scorecard"
        time.sleep(0.01)
    app.settle()
    card = json.dumps([c.params for c in api.calls_to("response_url")])
    assert "Conversation scorecard" in card
    question, deflection = [d for d in engine.drafts if d.author == AGENT][-2:]
    assert question.thread == (Turn("customer", LATE),)
    assert deflection.thread == (
        Turn("customer", LATE),
        Turn("agent", question.text),
        Turn("customer", "It's 88121. This is the second time I've had to chase you."),
    )
