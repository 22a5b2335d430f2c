"""Teams activities to drafts, references and commands (pure functions over recorded JSON)."""

from __future__ import annotations

from typing import Any

import pytest

from nudgebot.adapters.teams import convert
from nudgebot.adapters.teams.references import ConversationRef, MemoryReferences
from nudgebot.models import Turn
from tests.adapters.teams.harness import (
    AGENT_AAD,
    BOT_ID,
    CHANNEL,
    LEAD_AAD,
    PERSONAL_CHAT,
    TEAM,
    TENANT,
    fixture,
)

SERVICE = "https://smba.trafficmanager.net/emea/"
LEGACY_QUOTED = "Sorry, the system won't let me change the delivery date."


def test_a_personal_message_is_a_draft_as_typed() -> None:
    activity = fixture("message_personal.json")
    draft = convert.draft_from_activity(activity)
    assert draft.text == "Not our problem, your parcel should arrive soon."
    assert draft.author == AGENT_AAD
    assert draft.channel == PERSONAL_CHAT
    assert draft.id == activity["id"]
    assert convert.conversation_kind(activity) == "personal"


def test_the_bots_mention_is_taken_out_and_others_keep_their_name() -> None:
    activity = fixture("message_channel_mention.json")
    assert convert.bot_mentioned(activity)
    assert convert.message_text(activity) == (
        "Your refund is delayed, it's with finance now so nothing I can do."
    )
    activity["text"] = "<at>nudgebot</at> <at>Sam Lee</at> will call you back  by 5pm."
    assert convert.message_text(activity) == "Sam Lee will call you back by 5pm."
    assert convert.draft_from_activity(activity).channel == CHANNEL  # not the thread


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("Refund &amp; apology sent&nbsp;today", "Refund & apology sent today"),
        ("<p>First line</p><p>Second line</p>", "First line\nSecond line"),
        ("Line one<br>Line two<br/>", "Line one\nLine two"),
        (
            'See <a href="https://help.example/returns">our returns page</a>.',
            "See our returns page (https://help.example/returns).",
        ),
        ('Go to <a href="https://x.example">https://x.example</a>', "Go to https://x.example"),
        ("Keep a<b and <3 as typed", "Keep a<b and <3 as typed"),
        ("<strong>Sorry</strong> about that", "Sorry about that"),
    ],
)
def test_teams_markup_becomes_plain_text(markup: str, text: str) -> None:
    assert convert.html_to_text(markup) == text


def test_a_quoted_reply_comes_from_its_entity() -> None:
    activity = fixture("message_channel_quoted_reply.json")
    quoted = convert.quoted_message(activity)
    assert quoted is not None
    assert quoted.text == "We don't do refunds on sale items, that's policy."
    assert quoted.sender_id == f"8:orgid:{AGENT_AAD}"
    assert convert.message_text(activity) == "review this?"
    activity["entities"][0]["quotedReply"]["isReplyDeleted"] = True
    assert convert.quoted_message(activity) is None


def test_an_old_style_quote_comes_from_the_html() -> None:
    activity = fixture("message_channel_legacy_quote.json")
    quoted = convert.quoted_message(activity)
    assert quoted is not None
    assert quoted.text == "Sorry, the system won't let me change the delivery date."
    assert (quoted.sender_name, quoted.message_id) == ("Priya Sharma", "1763634900333")
    assert convert.message_text(activity) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", "")),
        ("help", ("help", "")),
        ("HELP", ("help", "")),
        ("review", ("review", "")),
        ("review last 30d", ("review", "last 30d")),
        ("tips angry callers", ("tips", "angry callers")),
        ("Help is on its way: an engineer will call by 5pm.", (None, None)),
        ("Review your order below and let me know what you think.", (None, None)),
        ("Tips for next time: keep the box.", (None, None)),
        ("review the refund?", (None, None)),
        ("Thanks for waiting", (None, None)),
        ("rules", ("rules", "")),
        ("rules on policy-shield", ("rules", "on policy-shield")),
        (
            "rules off policy-shield it nags about wording legal wants. Ask Omar.",
            ("rules", "off policy-shield it nags about wording legal wants. Ask Omar."),
        ),
        ("Rules are rules, I'm afraid.", (None, None)),
    ],
)
def test_commands(text: str, expected: tuple[str | None, str | None]) -> None:
    command, rest = convert.split_command(text)
    assert command == expected[0]
    assert rest == (text.strip() if expected[1] is None else expected[1])


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("", True),
        ("review this?", True),
        ("thoughts?", True),
        ("can you check this one", True),
        ("is this ok?", True),
        ("Sorry for the wait, I've refunded the £25 today.", False),
        ("review " + "word " * 20, False),
    ],
)
def test_what_asks_for_a_quoted_reply_to_be_reviewed(text: str, asks: bool) -> None:
    assert convert.is_review_request(text) is asks


def test_references_from_the_recorded_activities() -> None:
    team = convert.reference_from_activity(fixture("conversation_update_team_added.json"))
    assert team == ConversationRef(
        conversation_id=TEAM,
        service_url=SERVICE,
        kind="channel",
        tenant_id=TENANT,
        bot_id=BOT_ID,
        bot_name="nudgebot",
        team_id=TEAM,
        team_name="Customer Support",
    )
    personal = convert.reference_from_activity(fixture("message_personal.json"))
    assert personal is not None
    assert (personal.kind, personal.conversation_id) == ("personal", PERSONAL_CHAT)
    assert (personal.user_aad_id, personal.timezone) == (AGENT_AAD, "Europe/London")
    thread = convert.reference_from_activity(fixture("message_channel_mention.json"))
    assert thread is not None
    assert thread.conversation_id == CHANNEL  # the channel, not the thread
    assert thread.user_id is None  # a channel is nobody's in particular
    assert convert.reference_from_activity({"type": "message"}) is None


def test_conversation_kind_without_a_type() -> None:
    activity: dict[str, Any] = {"conversation": {"id": "x", "isGroup": True}}
    assert convert.conversation_kind(activity) == "groupChat"
    activity["channelData"] = {"team": {"id": TEAM}}
    assert convert.conversation_kind(activity) == "channel"
    assert convert.conversation_kind({}) == "personal"


# -- references -------------------------------------------------------------------------------


def test_a_reference_round_trips_through_json() -> None:
    ref = convert.reference_from_activity(fixture("message_personal.json"))
    assert ref is not None
    data = ref.to_dict()
    assert all(isinstance(value, str) for value in data.values())
    assert ConversationRef.from_dict(data) == ref
    assert ConversationRef.from_dict({**data, "unknown": "ignored"}) == ref
    for broken in ({}, {"conversation_id": "x", "service_url": "y", "kind": "meeting"}):
        with pytest.raises(ValueError):
            ConversationRef.from_dict(broken)


@pytest.mark.anyio
async def test_memory_references_keep_what_an_update_does_not_know() -> None:
    store = MemoryReferences()
    first = ConversationRef("a:1", SERVICE, "personal", timezone="Europe/London", user_name="P")
    await store.save(first)
    await store.save(ConversationRef("a:1", "https://new.example/", "personal", tenant_id="t"))
    [kept] = await store.all()
    assert kept.service_url == "https://new.example/"
    assert (kept.timezone, kept.user_name, kept.tenant_id) == ("Europe/London", "P", "t")
    assert await store.get("a:1") == kept
    await store.remove("a:1")
    await store.remove("never-there")
    assert await store.get("a:1") is None and len(store) == 0


# -- the conversation's turns -----------------------------------------------------------------


def test_a_quoted_message_is_a_turn_of_the_conversation() -> None:
    activity = fixture("message_channel_quoted_reply.json")
    # The lead quotes the agent's reply: someone else's message, so the customer's by default.
    order, turn = convert.quoted_turn(activity) or ((0, 0), None)
    assert order == (1763634500222, 0)  # the quoted message's own time
    assert turn == Turn("customer", "We don't do refunds on sale items, that's policy.")
    # The sender quoting their own message: the agent's turn.
    activity["entities"][0]["quotedReply"]["senderId"] = f"8:orgid:{LEAD_AAD}"
    assert convert.quoted_turn(activity) == (order, Turn("agent", turn.text))
    # Without a time, it sits just before the quoting message.
    del activity["entities"][0]["quotedReply"]["time"]
    activity["entities"][0]["quotedReply"]["messageId"] = "not-a-time"
    activity["id"] = "1763634645456"
    assert convert.quoted_turn(activity) == ((1763634645455, 0), Turn("agent", turn.text))
    # The bot's own messages are no turn.
    activity["entities"][0]["quotedReply"]["senderId"] = BOT_ID
    assert convert.quoted_turn(activity) is None
    legacy = convert.quoted_turn(fixture("message_channel_legacy_quote.json"))
    assert legacy == ((1763634900333, 0), Turn("customer", LEGACY_QUOTED))
    assert convert.quoted_turn(fixture("message_personal.json")) is None


def test_a_message_s_place_is_its_time() -> None:
    activity = fixture("message_channel_mention.json")
    activity["id"] = "1763634011123"
    assert convert.activity_order(activity) == (1763634011123, 0)
    activity["id"] = "f:not-a-time"
    activity["timestamp"] = "2025-11-20T10:20:11.1230000Z"  # seven decimals, as Teams sends
    assert convert.activity_order(activity) == (1763634011123, 0)  # from its timestamp
    activity["timestamp"] = "not a time"
    assert convert.activity_order(activity) == (0, 0)


def test_a_draft_carries_its_thread() -> None:
    thread = (Turn("customer", "Where is it?"), Turn("agent", "Checking now."))
    draft = convert.draft_from_activity(fixture("message_personal.json"), thread=thread)
    assert draft.thread == thread and draft.customer == "Where is it?"
