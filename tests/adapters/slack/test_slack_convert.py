"""Slack payloads to drafts: pure functions over recorded payloads."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from nudgebot.adapters.conversation_memory import TURN_CHARS
from nudgebot.adapters.slack.command import HANDLERS, TAKES_TEXT
from nudgebot.adapters.slack.convert import (
    author_team,
    draft_from_message,
    is_human,
    mentions,
    message_turn,
    skip_reason,
    slack_error,
    slack_time,
    split_command,
    strip_mention,
    thread_root,
    ts_key,
    turns_before,
)
from nudgebot.models import Draft, Turn
from tests.adapters.slack.harness import fixture


def message(name: str) -> dict[str, object]:
    event: dict[str, object] = fixture(name)["event"]
    return event


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("event_message.json", None),
        ("event_thread_reply.json", None),
        ("event_message_im.json", None),
        ("event_bot_message.json", "bot"),
        ("event_message_changed.json", "subtype:message_changed"),
    ],
)
def test_skip_reason_of_recorded_events(name: str, reason: str | None) -> None:
    assert skip_reason(message(name), "U0BOT") == reason


def test_skip_reason_of_the_bot_itself_joins_and_deletions() -> None:
    own = {**message("event_message.json"), "user": "U0BOT"}
    assert skip_reason(own, "U0BOT") == "self"
    assert skip_reason({"type": "message", "subtype": "channel_join", "user": "U1"}, None) == (
        "subtype:channel_join"
    )
    assert skip_reason({"type": "message", "subtype": "message_deleted"}, None) == (
        "subtype:message_deleted"
    )
    broadcast = {**message("event_thread_reply.json"), "subtype": "thread_broadcast"}
    assert skip_reason(broadcast, "U0BOT") is None


def test_a_recorded_message_becomes_a_draft() -> None:
    draft = draft_from_message(message("event_thread_reply.json"), customer="Where is it?")
    assert draft == Draft(
        text="It'll arrive soon, the courier handles delivery.",
        customer="Where is it?",
        channel="C0SUPPORT",
        author="U0AGENT",
        id="1700000200.000300",
    )


def test_slack_markup_reaches_the_engine_as_slack_sent_it() -> None:
    text = "Hi <@U0CUST>, see <https://help.example.com|our guide> &amp; reply &lt;here&gt;"
    assert draft_from_message({"text": text}).text == text


def test_thread_root_and_author_team() -> None:
    assert thread_root(message("event_thread_reply.json")) == "1700000150.000100"
    assert thread_root(message("event_message.json")) == "1700000100.000200"
    assert author_team({"team": "T1"}) == "T1"
    assert author_team({"team": "T1", "user_team": "T2"}) == "T2"
    assert author_team({}) is None


def test_mentions_are_found_and_stripped() -> None:
    text = message("event_app_mention.json")["text"]
    assert isinstance(text, str)
    assert mentions(text, "U0BOT")
    assert not mentions(text, "U0OTHER")
    assert strip_mention(text, "U0BOT") == "It'll arrive soon, the courier handles delivery."
    assert strip_mention("ask <@U0SAM|sam> and <@U0BOT>", "U0BOT") == "ask <@U0SAM|sam> and"


def test_timestamps_sort_as_numbers() -> None:
    assert ts_key("1700000000.000100") < ts_key("1700000000.000200") < ts_key("1700000001.0")
    assert ts_key("1700000000.1") == (1700000000, 100000)


def test_a_recorded_thread_becomes_the_turns_before_the_reply_oldest_first() -> None:
    messages = fixture("conversations_replies_parcel.json")["messages"]
    reply = "1700003300.000500"
    turns = [turn for _, turn in turns_before(messages, reply, {"U0AGENT"})]
    assert turns == [
        Turn("customer", "My parcel is a week late and nobody replies"),
        Turn(
            "agent",
            "Hi Sam, thanks for flagging this. Could you send me the order number so I can "
            "look it up?",
        ),
        # the Helpdesk bot's message is left out; the reply itself is not before itself
        Turn("customer", "It's 88121. This is the second time I've had to chase you."),
    ]
    orders = [order for order, _ in turns_before(messages, reply, {"U0AGENT"})]
    assert orders == sorted(orders) and orders[0] == ts_key("1700003000.000100")
    # Nobody listed as an agent: everyone speaks as a customer; an earlier reply sees less.
    assert [t.role for _, t in turns_before(messages, reply, ())] == ["customer"] * 3
    assert len(turns_before(messages, "1700003100.0", {"U0AGENT"})) == 2


def test_a_recorded_channel_history_newest_first_gives_the_same_order() -> None:
    messages = fixture("conversations_history_support.json")["messages"]
    turns = turns_before(messages, "1700004200.000100", {"U0AGENT"})
    assert [turn for _, turn in turns] == [
        # the bot's tip and the join are left out; a file shared with words is a turn
        Turn("customer", "I was charged twice for order 5512 &amp; nobody has refunded me."),
        Turn("agent", "Morning all, I'm on the queue until noon."),
    ]


def test_turns_are_bounded_in_number_and_length() -> None:
    messages = [
        {"ts": f"{n}.0", "user": "U0CUSTOMER", "text": f"message {n}"} for n in range(1, 31)
    ]
    messages.append({"ts": "40.0", "user": "U0CUSTOMER", "text": "x" * (TURN_CHARS * 3)})
    turns = turns_before(messages, "50.0", (), limit=5)
    assert [t.text for _, t in turns[:4]] == [f"message {n}" for n in range(27, 31)]
    long = turns[-1][1].text
    assert len(long) == TURN_CHARS and long.endswith("…")
    assert len(turns_before(messages, "50.0", ())) == 12
    assert turns_before(messages, "50.0", (), limit=0) == []


def test_a_message_is_a_turn_only_when_a_person_wrote_words() -> None:
    assert message_turn({"user": "U1", "text": "  hi  "}, {"U1"}) == Turn("agent", "hi")
    assert message_turn({"user": "U2", "text": "hi"}, {"U1"}) == Turn("customer", "hi")
    assert message_turn({"user": "U1", "text": "   "}, ()) is None
    assert message_turn({"bot_id": "B1", "user": "U1", "text": "hi"}, ()) is None
    assert message_turn({"user": "U1", "subtype": "channel_join", "text": "joined"}, ()) is None
    assert is_human({"user": "U1", "subtype": "file_share"})
    assert not is_human({"user": "U1", "bot_profile": {"id": "B1"}})


def test_a_draft_carries_its_thread_and_the_customer_s_last_message() -> None:
    thread = (Turn("customer", "Where is it?"), Turn("agent", "Checking."), Turn("customer", "?!"))
    draft = draft_from_message(message("event_thread_reply.json"), thread=thread)
    assert draft.thread == thread and draft.customer == "?!"
    assert draft_from_message(message("event_thread_reply.json")).customer is None
    only_agent = draft_from_message(message("event_message.json"), thread=thread[1:2])
    assert only_agent.customer is None and only_agent.turns == thread[1:2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", "")),
        ("   ", ("help", "")),
        ("help", ("help", "")),
        ("ON", ("on", "")),
        ("off", ("off", "")),
        ("watch", ("watch", "")),
        ("review my team", ("review", "my team")),
        ("check Sorry,\nwe can't.", ("check", "Sorry,\nwe can't.")),
        ("On Monday we shipped it.", (None, "On Monday we shipped it.")),
        ("help me word this", (None, "help me word this")),
        ("It'll arrive soon.", (None, "It'll arrive soon.")),
    ],
)
def test_split_command(text: str, expected: tuple[str | None, str]) -> None:
    assert split_command(text, HANDLERS, TAKES_TEXT) == expected


def test_slack_time_and_errors() -> None:
    assert slack_time(1700000000) == "<!date^1700000000^{time}|22:13 UTC>"

    refused = SlackApiError("refused", {"ok": False, "error": "not_in_channel"})
    assert slack_error(refused) == "not_in_channel"
    assert slack_error(ValueError("x")) == "unknown"
