"""Slack payloads to drafts: pure functions over recorded payloads."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from nudgebot.adapters.slack.command import HANDLERS, TAKES_TEXT
from nudgebot.adapters.slack.convert import (
    author_team,
    draft_from_message,
    earlier_messages,
    is_human,
    mentions,
    skip_reason,
    slack_error,
    slack_time,
    split_command,
    strip_mention,
    thread_root,
    ts_key,
)
from nudgebot.models import Draft
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


def test_earlier_messages_are_human_before_the_reply_newest_first() -> None:
    messages = [
        {"ts": "3.0", "user": "U1", "text": "after"},
        {"ts": "1.0", "user": "U1", "text": "first"},
        {"ts": "2.0", "user": "U2", "text": "second"},
        {"ts": "2.5", "bot_id": "B1", "text": "a bot"},
        {"ts": "2.6", "user": "U3", "subtype": "channel_join", "text": "joined"},
        {"ts": "2.7", "user": "U3", "text": ""},
    ]
    assert [m["text"] for m in earlier_messages(messages, "3.0")] == ["second", "first"]
    assert is_human({"user": "U1", "subtype": "file_share"})
    assert not is_human({"user": "U1", "bot_profile": {"id": "B1"}})


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
