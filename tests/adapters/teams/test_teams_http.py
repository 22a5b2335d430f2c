"""End to end over HTTP: recorded activities POSTed over a real socket to the app under uvicorn.

The app is the one ``build_teams`` returns, mounted on the production router; Teams' Bot
Connector is the FakeBotConnector (a real local server the activities' serviceUrl points at);
the reviews come from the rules engine. These run with NUDGEBOT_TEAMS_DEV_NO_AUTH (the auth
tests are in test_teams_auth.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.app import CANT_REACH_PRIVATELY, SENT_PRIVATELY
from nudgebot.adapters.teams.bot import GREETING, NO_COACH, OTHERS_BUTTONS
from nudgebot.adapters.teams.hooks import NOT_SET_UP, CommandCall, MemoryFeedback, ReviewedDraft
from nudgebot.adapters.teams.references import ConversationRef, MemoryReferences
from nudgebot.coach import Coach
from nudgebot.engine import ReviewEngine
from nudgebot.models import Draft, Turn
from nudgebot.testing_teams import ConnectorCall, FakeBotConnector
from nudgebot.tips import TipLibrary
from tests.adapters.teams.harness import (
    AGENT_AAD,
    AGENT_ID,
    BOT_ID,
    CHANNEL,
    LEAD_AAD,
    PERSONAL_CHAT,
    TEAM,
    TENANT,
    RunningTeams,
    actions,
    card_of,
    dev_settings,
    element,
    fixture,
    has_element,
    message,
    text_of,
)

THREAD = f"{CHANNEL};messageid=1763633000001"
QUESTION = "How do I tell a customer we can't refund a sale item?"


class Hooks:
    """What the app handed to its hooks."""

    def __init__(self) -> None:
        self.commands: list[CommandCall] = []
        self.reviewed: list[ReviewedDraft] = []

    async def on_review(self, call: CommandCall) -> str | dict[str, Any]:
        self.commands.append(call)
        return cards.text_card("7 replies reviewed this week", title="Team review")

    async def record_review(self, item: ReviewedDraft) -> str | None:
        self.reviewed.append(item)
        return f"review-{len(self.reviewed)}"


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture(scope="module")
def engine(connector: FakeBotConnector) -> ReviewEngine:
    return ReviewEngine.from_settings(dev_settings(connector))


@pytest.fixture(scope="module")
def tips() -> TipLibrary:
    return TipLibrary.load()


@pytest.fixture(scope="module")
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture(scope="module")
def references() -> MemoryReferences:
    return MemoryReferences()


@pytest.fixture(scope="module")
def feedback() -> MemoryFeedback:
    return MemoryFeedback()


@pytest.fixture(scope="module")
def running(
    connector: FakeBotConnector,
    engine: ReviewEngine,
    tips: TipLibrary,
    hooks: Hooks,
    references: MemoryReferences,
    feedback: MemoryFeedback,
) -> Iterator[RunningTeams]:
    with RunningTeams(
        dev_settings(connector),
        engine,
        coach=Coach(tips),
        tips=tips,
        references=references,
        feedback=feedback,
        record_review=hooks.record_review,
        on_review=hooks.on_review,
    ) as app:
        yield app


@pytest.fixture
def app(running: RunningTeams, connector: FakeBotConnector) -> Iterator[RunningTeams]:
    """The shared app, with the fake's call log cleared before and settled after each test."""
    running.settle()
    connector.reset()
    yield running
    running.settle()


def answer(
    app: RunningTeams, connector: FakeBotConnector, activity: dict[str, Any]
) -> ConnectorCall:
    """POST an activity, wait for the bot's one message, return it."""
    reply = app.post(activity)
    assert reply.status == 200, reply
    assert reply.body == ""  # a message is acknowledged at once, answered after
    app.settle()
    [sent] = connector.messages()
    return sent


def private_review(
    app: RunningTeams, connector: FakeBotConnector, activity: dict[str, Any]
) -> tuple[ConnectorCall, ConnectorCall]:
    """POST a channel message asking for a review; return (the word in the channel, the card
    sent to the asker's 1:1 chat), after checking nothing else was sent."""
    reply = app.post(activity)
    assert reply.status == 200 and reply.body == ""
    app.settle()
    [opened] = connector.wait_for("create_conversation")
    assert opened.body["members"] == [{"id": activity["from"]["id"]}]
    assert opened.body["isGroup"] is False
    sent = connector.messages()
    assert len(sent) == 2, [call.conversation_id for call in sent]
    [word] = [call for call in sent if call.conversation_id == THREAD]
    [private] = [call for call in sent if call.conversation_id != THREAD]
    assert private.conversation_id.startswith("a:fake-chat-")
    return word, private


def reviewed_privately(
    app: RunningTeams, connector: FakeBotConnector, activity: dict[str, Any], thread: str
) -> None:
    """POST a channel review request: the card goes to a 1:1 chat, a plain word to ``thread``."""
    assert app.post(activity).status == 200
    app.settle()
    sent = connector.messages()
    assert [c.cards == [] for c in sent if c.conversation_id == thread] == [True]
    assert [bool(c.cards) for c in sent if c.conversation_id != thread] == [True]


def assert_nothing_to_see(word: ConnectorCall) -> None:
    """The channel gets a neutral sentence: no card, no score, no quote of the reply."""
    assert word.cards == [] and word.activity["text"] == SENT_PRIVATELY
    assert not any(ch.isdigit() for ch in word.activity["text"])


# -- 1:1 chat ---------------------------------------------------------------------------------


def test_a_draft_in_the_personal_chat_gets_a_review_card(
    app: RunningTeams, connector: FakeBotConnector, engine: ReviewEngine, hooks: Hooks
) -> None:
    activity = fixture("message_personal.json", connector)
    sent = answer(app, connector, activity)
    assert sent.kind == "create"
    assert sent.conversation_id == PERSONAL_CHAT
    assert sent.activity["from"]["id"] == BOT_ID
    card = card_of(sent)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    expected = app.run(engine.review(Draft(activity["text"])))
    assert expected.needs_nudge
    scores = " · ".join(f"{cards.LABELS[d]} {v}" for d, v in expected.scores.to_dict().items())
    assert element(card, "scores")["text"] == scores
    assert text_of(element(card, "suggestion-text")) == expected.suggestion
    assert activity["text"] in text_of(element(card, "draft"))
    assert [a["verb"] for a in card["actions"]] == [cards.VERB_USE, cards.VERB_DISMISS]
    feedback_row = element(card, "feedback")["actions"]
    assert [a["verb"] for a in feedback_row] == [cards.VERB_HELPFUL, cards.VERB_NOT_HELPFUL]
    ref = card["actions"][0]["data"]["ref"]
    assert ref == f"review-{len(hooks.reviewed)}"  # the recorder's id is the card's ref
    stored = hooks.reviewed[-1]
    assert stored.surface == "personal"
    assert stored.draft.text == activity["text"]
    assert stored.user_aad_id == AGENT_AAD
    assert stored.conversation.kind == "personal"
    assert stored.review == expected
    assert all(a["data"]["for"] == AGENT_AAD for a in actions(card))
    # Typing first, then the answer; a rules review is not labelled AI-generated.
    kinds = [call.activity.get("type") for call in connector.calls_to("create")]
    assert kinds == ["typing", "message"]
    assert "entities" not in sent.activity
    assert sent.activity["summary"].startswith("1 thing could land better") or sent.activity[
        "summary"
    ].endswith(scores)


def test_a_good_draft_gets_a_short_word_of_encouragement(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    good = (
        "Hi Priya, I'm sorry your parcel is late. I've just called the courier and it's booked "
        "for delivery tomorrow before 1pm; I'll check the tracking at 2pm and call you if it "
        "hasn't arrived."
    )
    card = card_of(answer(app, connector, message(connector, good)))
    assert element(card, "title")["text"] == "Looking good"
    assert "reads well" in text_of(card)


def test_a_question_gets_coaching_from_the_coach(
    app: RunningTeams, connector: FakeBotConnector, tips: TipLibrary
) -> None:
    sent = answer(app, connector, message(connector, QUESTION))
    card = card_of(sent)
    assert QUESTION in text_of(element(card, "question"))
    coached = Coach(tips).rules_answer(QUESTION)
    assert coached.tips[0].text in text_of(card)
    # Teams' own thumbs up / down under a coaching answer in the 1:1 chat.
    assert sent.activity["channelData"]["feedbackLoop"] == {"type": "default"}


def test_an_empty_message_gets_help(app: RunningTeams, connector: FakeBotConnector) -> None:
    sent = answer(app, connector, message(connector, "   "))
    assert sent.activity["text"] == cards.help_text()
    assert [call.activity.get("type") for call in connector.calls_to("create")] == ["message"]


def test_the_personal_chat_is_remembered_for_later(
    app: RunningTeams, connector: FakeBotConnector, references: MemoryReferences
) -> None:
    answer(app, connector, message(connector, "It'll get there when it gets there."))
    ref = app.run(references.get(PERSONAL_CHAT))
    assert ref is not None
    assert ref.kind == "personal"
    assert ref.service_url == connector.url
    assert ref.user_aad_id == AGENT_AAD
    assert ref.timezone == "Europe/London"


def test_the_same_message_delivered_twice_is_answered_once(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    activity = message(connector, "Not our problem.", id="1763639999001")
    assert app.post(activity).status == 200
    assert app.post(activity).status == 200
    app.settle()
    assert len(connector.messages()) == 1


# -- channels -----------------------------------------------------------------------------------


def test_a_mention_in_a_channel_is_reviewed_in_the_agents_private_chat(
    app: RunningTeams, connector: FakeBotConnector, engine: ReviewEngine, hooks: Hooks
) -> None:
    activity = fixture("message_channel_mention.json", connector)
    word, sent = private_review(app, connector, activity)
    assert_nothing_to_see(word)
    draft = "Your refund is delayed, it's with finance now so nothing I can do."
    expected = app.run(engine.review(Draft(draft)))
    card = card_of(sent)
    assert text_of(element(card, "draft")) == draft  # the mention is gone
    assert text_of(element(card, "suggestion-text")) == expected.suggestion
    assert hooks.reviewed[-1].surface == "mention"
    assert hooks.reviewed[-1].draft.channel == CHANNEL


def test_a_mention_on_a_quoted_reply_reviews_that_reply(
    app: RunningTeams, connector: FakeBotConnector, engine: ReviewEngine, hooks: Hooks
) -> None:
    activity = fixture("message_channel_quoted_reply.json", connector)
    word, sent = private_review(app, connector, activity)
    assert_nothing_to_see(word)
    quoted = activity["entities"][0]["quotedReply"]["preview"]
    card = card_of(sent)
    assert text_of(element(card, "draft")) == quoted
    expected = app.run(engine.review(Draft(quoted)))
    if expected.suggestion is not None:
        assert text_of(element(card, "suggestion-text")) == expected.suggestion
    else:  # the rules could not beat this draft: the card says so, with the coaching points
        assert "suggestion-text" not in json.dumps(card)
        assert "couldn't write a better version" in text_of(element(card, "note"))
    stored = hooks.reviewed[-1]
    assert stored.surface == "reply"
    assert stored.draft.author == AGENT_AAD  # the quoted reply's author, not the lead asking
    assert stored.user_aad_id == LEAD_AAD
    assert all(a["data"]["for"] == LEAD_AAD for a in actions(card))


def test_without_a_private_chat_the_review_stays_unsaid(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    connector.fail("create_conversation", 403)  # the app isn't installed for the agent
    assert app.post(fixture("message_channel_mention.json", connector)).status == 200
    app.settle()
    [word] = connector.messages()
    assert word.conversation_id == THREAD
    assert word.activity["text"] == CANT_REACH_PRIVATELY and word.cards == []


def test_an_old_style_quoted_reply_is_reviewed_too(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    _, sent = private_review(
        app, connector, fixture("message_channel_legacy_quote.json", connector)
    )
    card = card_of(sent)
    assert text_of(element(card, "draft")) == (
        "Sorry, the system won't let me change the delivery date."
    )


def test_a_quoted_reply_is_reviewed_with_the_turns_quoted_before_it_in_its_thread(
    app: RunningTeams, connector: FakeBotConnector, hooks: Hooks
) -> None:
    thread = f"{CHANNEL};messageid=1763650000001"
    late = "My parcel is a week late and nobody replies"
    posted = "I'm so sorry! I've chased parcel 88121 and I'll update you by 3pm today."

    def quoting(file: str, at: str, quoted: str, by: str, text: str) -> dict[str, Any]:
        activity = fixture(file, connector)
        activity["id"] = str(int(at) + 50)
        activity["conversation"]["id"] = thread
        activity["text"] = f'<quoted messageId="{at}"/><at>nudgebot</at> {text}'
        activity["entities"][0] = {
            "type": "quotedReply",
            "quotedReply": {"messageId": at, "senderId": by, "preview": quoted, "time": at},
        }
        return activity

    # The agent quotes the customer's message with a draft, then the lead the posted reply.
    mention = fixture("message_channel_quoted_reply.json")["entities"][1]
    first = quoting(
        "message_channel_quoted_reply.json",
        "1763650000100",
        late,
        "29:the-customer",
        "Sorry, the courier handles it.",
    )
    first["from"] = {"id": AGENT_ID, "name": "Priya Sharma", "aadObjectId": AGENT_AAD}
    first["entities"][1] = mention
    reviewed_privately(app, connector, first, thread)
    assert hooks.reviewed[-1].draft.thread == (Turn("customer", late),)
    connector.reset()
    second = quoting(
        "message_channel_quoted_reply.json",
        "1763650000200",
        posted,
        f"8:orgid:{AGENT_AAD}",
        "review this?",
    )
    reviewed_privately(app, connector, second, thread)
    reviewed = hooks.reviewed[-1]
    assert reviewed.surface == "reply" and reviewed.draft.text == posted
    assert reviewed.draft.thread == (Turn("customer", late),)
    assert reviewed.draft.customer == late


# -- commands --------------------------------------------------------------------------------


def test_help_explains(app: RunningTeams, connector: FakeBotConnector) -> None:
    sent = answer(app, connector, message(connector, "help"))
    assert sent.activity["text"] == cards.help_text()
    assert sent.activity["textFormat"] == "markdown"


def test_review_calls_its_hook_with_who_and_where(
    app: RunningTeams, connector: FakeBotConnector, hooks: Hooks
) -> None:
    activity = fixture("message_channel_mention.json", connector)
    activity["text"] = "<at>nudgebot</at> review last 7d"
    activity.pop("attachments")
    sent = answer(app, connector, activity)
    call = hooks.commands[-1]
    assert (call.command, call.text) == ("review", "last 7d")
    assert call.user_aad_id == AGENT_AAD
    assert call.conversation.conversation_id == CHANNEL
    assert call.conversation.team_id == TEAM
    assert element(card_of(sent), "title")["text"] == "Team review"


def test_tips_without_a_hook_gives_todays_tip(
    app: RunningTeams, connector: FakeBotConnector, tips: TipLibrary
) -> None:
    card = card_of(answer(app, connector, message(connector, "tips")))
    assert element(card, "title")["text"] == "Today's tip"
    assert text_of(card).split("\n", 1)[1] in {tip.text for tip in tips}


def test_without_a_coach_or_hooks_the_answers_say_what_to_do_instead(
    connector: FakeBotConnector, engine: ReviewEngine
) -> None:
    with RunningTeams(dev_settings(connector), engine) as app:
        connector.reset()
        sent = answer(app, connector, message(connector, QUESTION))
        assert sent.activity["text"] == NO_COACH
        assert not sent.cards
        for command in ("review", "tips"):
            connector.reset()
            sent = answer(app, connector, message(connector, command))
            assert sent.activity["text"] == NOT_SET_UP


# -- installation ------------------------------------------------------------------------------


def test_added_to_a_team_keeps_its_reference_and_removed_forgets_it(
    app: RunningTeams, connector: FakeBotConnector, references: MemoryReferences
) -> None:
    for name in ("conversation_update_team_added.json", "installation_update_add_team.json"):
        assert app.post(fixture(name, connector)).status == 200
    ref = app.run(references.get(TEAM))
    assert ref == ConversationRef(
        conversation_id=TEAM,
        service_url=connector.url,
        kind="channel",
        tenant_id=TENANT,
        bot_id=BOT_ID,
        bot_name="nudgebot",
        team_id=TEAM,
        team_name="Customer Support",
    )
    app.settle()
    assert connector.messages() == []  # no greeting posted to the whole team
    assert app.post(fixture("installation_update_remove_team.json", connector)).status == 200
    assert app.run(references.get(TEAM)) is None
    app.post(fixture("conversation_update_team_added.json", connector))
    app.post(fixture("conversation_update_team_removed.json", connector))
    assert app.run(references.get(TEAM)) is None


def test_added_to_a_personal_chat_greets_the_agent(
    app: RunningTeams, connector: FakeBotConnector, references: MemoryReferences
) -> None:
    sent = answer(app, connector, fixture("conversation_update_personal_added.json", connector))
    assert sent.activity["text"] == GREETING
    assert sent.conversation_id == PERSONAL_CHAT
    assert app.run(references.get(PERSONAL_CHAT)) is not None


# -- the card's buttons -----------------------------------------------------------------------


def review_and_click(
    app: RunningTeams, connector: FakeBotConnector, verb: str, **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Get a review card in the 1:1 chat, click ``verb`` on it; return card, answer, ref."""
    card = card_of(answer(app, connector, fixture("message_personal.json", connector)))
    [button] = [a for a in actions(card) if a["verb"] == verb]
    click = fixture("invoke_card_action.json", connector)
    click["value"]["action"].update(verb=verb, data=button["data"])
    click.update(overrides)
    reply = app.post(click)
    assert reply.status == 200
    return card, reply.json(), button["data"]["ref"]


def test_use_suggestion_replaces_the_card_with_the_suggestion(
    app: RunningTeams, connector: FakeBotConnector, feedback: MemoryFeedback
) -> None:
    card, response, ref = review_and_click(app, connector, cards.VERB_USE)
    assert response["statusCode"] == 200
    assert response["type"] == "application/vnd.microsoft.card.adaptive"
    new = response["value"]
    suggestion = text_of(element(card, "suggestion-text"))
    assert text_of(element(new, "suggestion-text")) == suggestion
    assert actions(new) == []  # nothing left to click twice
    item = feedback.records[-1]
    assert (item.ref, item.kind, item.user_aad_id) == (ref, "used", AGENT_AAD)
    assert item.conversation_id == PERSONAL_CHAT
    app.settle()
    assert connector.calls_to("update") == []  # in a 1:1 chat the answer itself replaces it


def test_a_second_click_is_not_recorded_twice(
    app: RunningTeams, connector: FakeBotConnector, feedback: MemoryFeedback
) -> None:
    card, first, ref = review_and_click(app, connector, cards.VERB_DISMISS)
    assert element(first["value"], "title")["text"].startswith("Dismissed")
    [dismiss] = [a for a in actions(card) if a["verb"] == cards.VERB_DISMISS]
    click = fixture("invoke_card_action.json", connector)
    click["value"]["action"].update(verb=cards.VERB_DISMISS, data=dismiss["data"])
    again = app.post(click).json()
    assert again["value"] == first["value"]
    assert [f.kind for f in feedback.records if f.ref == ref] == ["dismissed"]


def test_helpful_records_feedback_and_thanks_in_place_of_the_buttons(
    app: RunningTeams, connector: FakeBotConnector, feedback: MemoryFeedback
) -> None:
    card, response, ref = review_and_click(app, connector, cards.VERB_NOT_HELPFUL)
    new = response["value"]
    assert element(new, "feedback")["text"].startswith("Thanks for the feedback")
    assert [a["verb"] for a in actions(new)] == [cards.VERB_USE, cards.VERB_DISMISS]  # still there
    assert text_of(element(new, "suggestion-text")) == text_of(element(card, "suggestion-text"))
    assert [f.kind for f in feedback.records if f.ref == ref] == ["not_helpful"]


def test_only_the_agent_the_review_is_for_can_click(
    app: RunningTeams, connector: FakeBotConnector, feedback: MemoryFeedback
) -> None:
    before = len(feedback.records)
    someone = {"id": "29:someone-else", "name": "Sam", "aadObjectId": LEAD_AAD}
    _, response, _ = review_and_click(app, connector, cards.VERB_USE, **{"from": someone})
    assert response == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": OTHERS_BUTTONS,
    }
    assert len(feedback.records) == before


def test_in_a_channel_a_click_updates_the_message_for_everyone(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    asked = fixture("message_channel_mention.json", connector)
    # Only this message's words matter here: turns other tests left in the channel's memory
    # (whose order depends on the ids the fixtures were given) must not change the review.
    app.teams.bot.conversations.forget(asked["conversation"]["id"])
    _, sent = private_review(app, connector, asked)
    card = card_of(sent)
    [use] = [a for a in actions(card) if a["verb"] == cards.VERB_USE]
    click = fixture("invoke_card_action.json", connector)
    channel = fixture("message_channel_mention.json", connector)
    click.update(conversation=channel["conversation"], channelData=channel["channelData"])
    click["value"]["action"].update(verb=cards.VERB_USE, data=use["data"])
    response = app.post(click).json()
    [update] = connector.wait_for("update")
    assert update.conversation_id == THREAD
    assert update.activity_id == click["replyToId"]
    assert update.cards == [response["value"]]


def test_a_click_on_an_unknown_button_is_refused_politely(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    click = fixture("invoke_card_action.json", connector)
    click["value"]["action"].update(verb="launch.rockets", data={})
    response = app.post(click).json()
    assert response["statusCode"] == 400
    assert response["type"] == "application/vnd.microsoft.error"


def test_a_used_suggestion_survives_a_restart(
    app: RunningTeams, connector: FakeBotConnector, engine: ReviewEngine
) -> None:
    """The suggestion travels in the button's data, so a new process can still show it."""
    card = card_of(answer(app, connector, fixture("message_personal.json", connector)))
    [use] = [a for a in actions(card) if a["verb"] == cards.VERB_USE]
    feedback = MemoryFeedback()
    with RunningTeams(dev_settings(connector), engine, feedback=feedback) as restarted:
        click = fixture("invoke_card_action.json", connector)
        click["value"]["action"].update(verb=cards.VERB_USE, data=use["data"])
        new = restarted.post(click).json()["value"]
    assert text_of(element(new, "suggestion-text")) == text_of(element(card, "suggestion-text"))
    assert [f.kind for f in feedback.records] == ["used"]


def test_teams_own_thumbs_are_recorded_with_the_comment(
    app: RunningTeams, connector: FakeBotConnector, feedback: MemoryFeedback
) -> None:
    reply = app.post(fixture("invoke_feedback_loop.json", connector))
    assert reply.status == 200
    item = feedback.records[-1]
    assert (item.kind, item.ref, item.comment) == ("like", "1763635200777", "Spot on, thanks")


# -- proactive messages -------------------------------------------------------------------------


def test_send_proactive_posts_a_card_or_text_to_a_stored_team(
    app: RunningTeams, connector: FakeBotConnector, references: MemoryReferences
) -> None:
    app.post(fixture("conversation_update_team_added.json", connector))
    ref = app.run(references.get(TEAM))
    assert ref is not None
    tip = cards.text_card("Name the next step and when it will happen.", title="Today's tip")
    message_id = app.run(app.teams.send_proactive(ref, tip))
    app.run(app.teams.send_proactive(ref, "A **short** note."))
    first, second = connector.wait_for("create", 2)
    assert first.conversation_id == TEAM
    assert first.path.startswith("/amer/v3/")
    assert first.cards == [tip]
    assert first.activity["from"]["id"] == BOT_ID
    assert message_id.isdigit()
    assert second.activity["text"] == "A **short** note."


def test_open_personal_chat_then_send(
    app: RunningTeams, connector: FakeBotConnector, references: MemoryReferences
) -> None:
    ref = app.run(
        app.teams.open_personal_chat(
            AGENT_ID, tenant_id=TENANT, service_url=connector.url, bot_id=BOT_ID
        )
    )
    [opened] = connector.wait_for("create_conversation")
    assert opened.body["members"] == [{"id": AGENT_ID}]
    assert opened.body["isGroup"] is False
    assert opened.body["channelData"] == {"tenant": {"id": TENANT}}
    assert ref.kind == "personal"
    assert app.run(references.get(ref.conversation_id)) == ref
    app.run(app.teams.send_proactive(ref, "Hello from nudgebot"))
    [sent] = connector.wait_for("create")
    assert sent.conversation_id == ref.conversation_id


def test_a_refused_proactive_message_says_how(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    from nudgebot.adapters.teams.app import TeamsSendError

    ref = ConversationRef(conversation_id=TEAM, service_url=connector.url, kind="channel")
    connector.fail("create", 403)  # the bot was removed: no point trying again
    with pytest.raises(TeamsSendError) as caught:
        app.run(app.teams.send_proactive(ref, "hello"))
    assert caught.value.status == 403
    assert len(connector.calls_to("create")) == 1
    connector.reset()
    connector.fail("create", 503, times=3, retry_after=0)
    with pytest.raises(TeamsSendError) as caught:
        app.run(app.teams.send_proactive(ref, "hello"))
    assert caught.value.status == 503
    assert len(connector.calls_to("create")) == 3  # tried, then twice again
    connector.reset()
    connector.fail("create", 429, retry_after=60)  # longer than it is worth waiting
    with pytest.raises(TeamsSendError):
        app.run(app.teams.send_proactive(ref, "hello"))
    assert len(connector.calls_to("create")) == 1


def test_a_throttled_reply_is_sent_again(app: RunningTeams, connector: FakeBotConnector) -> None:
    connector.fail("create", 429, times=2, retry_after=0)  # the typing indicator, the card
    sent = answer(app, connector, message(connector, "Not our problem."))
    assert sent.cards
    assert [call.status for call in connector.calls_to("create")] == [429, 429, 200]


# -- bad input ----------------------------------------------------------------------------------


def test_malformed_and_unknown_requests_do_not_crash(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    assert app.post(b"{not json").status == 400
    assert app.post(b"[1, 2]").status == 400
    assert app.post(b"").status == 400
    assert app.request("GET", "/api/messages").status == 405
    unknown = fixture("message_personal.json", connector, type="somethingNew")
    assert app.post(unknown).status == 200
    odd_invoke = fixture("invoke_card_action.json", connector, name="brandNew/invoke")
    assert app.post(odd_invoke).status == 200
    broken = fixture("message_personal.json", connector)
    del broken["conversation"]
    assert app.post(broken).status == 400
    no_from = fixture("message_personal.json", connector, **{"from": "nobody"})
    assert app.post(no_from).status == 400
    app.settle()
    assert connector.messages() == []
    # The app is still fine.
    assert card_of(answer(app, connector, fixture("message_personal.json", connector)))


def test_a_draft_of_40000_characters_gets_a_card_within_teams_limits(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    sentence = "Not our problem, contact the courier about it. "
    draft = (sentence * (40_000 // len(sentence) + 1))[:40_000]
    sent = answer(app, connector, message(connector, draft))
    card = card_of(sent)
    assert cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert len(json.dumps(sent.activity)) < 28_000
    assert text_of(element(card, "draft")).endswith("…(shortened)")
    assert element(card, "title")["text"] == "A few things could land better"


def test_a_draft_over_the_limit_gets_a_clear_answer(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    sent = answer(app, connector, message(connector, "a" * 40_001))
    assert sent.activity["text"] == (
        "I couldn't review that: The draft is 40,001 characters; the limit is 40,000."
    )


def test_an_emoji_only_draft_gets_a_clear_answer(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    card = card_of(answer(app, connector, message(connector, "🙂🎉👍🏽")))
    assert element(card, "title")["text"] == "I couldn't review this one"
    assert "no words" in text_of(element(card, "note"))
    assert not has_element(card, "scores")


def test_an_emoji_draft_keeps_its_emoji(app: RunningTeams, connector: FakeBotConnector) -> None:
    draft = "Sorry 😞 not our problem, your parcel 📦 should arrive soon."
    card = card_of(answer(app, connector, message(connector, draft)))
    assert text_of(element(card, "draft")) == draft
    assert "📦" in text_of(element(card, "suggestion-text"))


def test_nothing_of_a_message_reaches_the_logs(
    app: RunningTeams, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Tell Mrs Zebedee-Quill her account 99-Q is frozen"
    # Everything at DEBUG, ours included (another test may have quietened "nudgebot").
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="nudgebot"):
        answer(app, connector, message(connector, secret))
        app.post(fixture("message_personal.json", connector, type="mystery", text=secret))
        broken = fixture("message_personal.json", connector, text=secret)
        del broken["recipient"]
        app.post(broken)
        app.settle()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "mystery" in logged  # the unknown activity's type is named...
    assert "Zebedee" not in logged  # ...its words never are
