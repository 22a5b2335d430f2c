"""Learning from the team on Teams: quieted rules, acted on, outcomes, the ``rules`` command.

The app is mounted by :func:`mount_teams` on a real database (SQLite, and PostgreSQL when
configured) on a clock the tests move, served by uvicorn, the FakeBotConnector standing in
for Teams. Agents ask for a review of their reply in a channel thread (quoting it and
@mentioning the bot): the card reaches them in their 1:1 chat, and they click its buttons.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudgebot.adapters.router import Router
from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.app import TeamsApp
from nudgebot.adapters.teams.team_commands import mount_teams
from nudgebot.adapters.teams.team_learning import LEADS_ONLY_RULES
from nudgebot.engine import ReviewEngine
from nudgebot.learning import RuleFigures
from nudgebot.storage import Store
from nudgebot.storage.lazy import Database
from nudgebot.storage.learning import Learning
from nudgebot.testing_teams import ConnectorCall, FakeBotConnector
from tests.adapters.teams.card_model import card_problems
from tests.adapters.teams.harness import (
    CHANNEL,
    LEAD_AAD,
    TENANT,
    RunningTeams,
    actions,
    dev_settings,
    element,
    fixture,
    message,
    text_of,
)
from tests.databases import db_url, pg_module_url
from tests.storage.conftest import START, FakeClock

__all__ = ["db_url", "pg_module_url"]

REPLY = "We can't refund sale items, that's our policy."
BAD_DRAFT = "Not our problem, your parcel should arrive soon."
RULES = ("adaptable.flat-no", "adaptable.policy-shield")
"""The rules whose findings on :data:`REPLY` make the live decision."""
OTHER_TENANT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
LEAD = {"id": "29:1Rz8wLeadOmarTeamsId", "name": "Omar Haddad", "aadObjectId": LEAD_AAD}
THREAD = f"{CHANNEL};messageid=1763633000001"


def agent(number: int) -> dict[str, str]:
    return {
        "id": f"29:agent{number}",
        "name": f"Agent {number}",
        "aadObjectId": f"00000000-0000-4000-8000-{number:012d}",
    }


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def serve(
    db_url: str, connector: FakeBotConnector, clock: FakeClock, **more: Any
) -> Iterator[RunningTeams]:
    settings = dev_settings(connector, database_url=db_url, leads=(LEAD_AAD,), **more)
    engine = ReviewEngine.from_settings(settings)
    database = Database(db_url, clock=clock)

    def mount(router: Router) -> TeamsApp:
        teams = mount_teams(router, settings, engine, database)
        router.on_shutdown.append(database.close)
        return teams

    with RunningTeams(settings, engine, mount=mount) as running:
        running.database = database  # type: ignore[attr-defined]
        connector.reset()
        yield running
        running.settle()


@pytest.fixture
def app(db_url: str, connector: FakeBotConnector, clock: FakeClock) -> Iterator[RunningTeams]:
    yield from serve(db_url, connector, clock)


@pytest.fixture
def watching(db_url: str, connector: FakeBotConnector, clock: FakeClock) -> Iterator[RunningTeams]:
    """The app with NUDGEBOT_AGENTS: it reads every message of a conversation (RSC)."""
    agents = tuple(agent(n)["aadObjectId"] for n in range(3))
    yield from serve(db_url, connector, clock, agents=agents)


def learning_of(app: RunningTeams) -> Learning:
    database: Database = app.database  # type: ignore[attr-defined]
    store: Store = app.run(database.open())
    return Learning(store)


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def reply_reviewed(
    app: RunningTeams,
    connector: FakeBotConnector,
    who: dict[str, str],
    message_id: str,
    *,
    tenant: str = TENANT,
    text: str = REPLY,
    author: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``who`` quotes the reply ``message_id`` (``author``'s, else their own) and asks.

    Returns the review card, sent to ``who`` in their 1:1 chat.
    """
    author = author or who
    activity = fixture("message_channel_quoted_reply.json", connector, **{"from": who})
    activity["id"] = str(int(message_id) + 1)
    activity["conversation"] = {**activity["conversation"], "tenantId": tenant, "id": THREAD}
    activity["channelData"]["tenant"] = {"id": tenant}
    activity["text"] = f'<quoted messageId="{message_id}"/><at>nudgebot</at> review this?'
    quoted = activity["entities"][0]["quotedReply"]
    quoted.update(
        messageId=message_id,
        time=message_id,
        senderId=f"8:orgid:{author['aadObjectId']}",
        senderName=author["name"],
        preview=text,
    )
    connector.reset()
    assert app.post(activity).status == 200
    app.settle()
    [sent] = [call for call in connector.messages() if call.cards]  # in the 1:1 chat
    card: dict[str, Any] = sent.cards[0]
    card["_chat"] = sent.conversation_id
    return card


def click(
    app: RunningTeams,
    connector: FakeBotConnector,
    card: dict[str, Any],
    who: dict[str, str],
    verb: str,
    tenant: str = TENANT,
) -> dict[str, Any]:
    [button] = [a for a in actions(card) if a["verb"] == verb]
    activity = fixture("invoke_card_action.json", connector, **{"from": who})
    activity["conversation"] = {
        "id": card["_chat"],
        "conversationType": "personal",
        "tenantId": tenant,
    }
    activity["value"]["action"].update(verb=verb, data=button["data"])
    answer = app.post(activity)
    assert answer.status == 200
    body: dict[str, Any] = answer.json()
    return body


def said(app: RunningTeams, connector: FakeBotConnector, activity: dict[str, Any]) -> ConnectorCall:
    connector.reset()
    assert app.post(activity).status == 200
    app.settle()
    [sent] = connector.messages()
    return sent


def nudged(app: RunningTeams, tenant: str = TENANT) -> list[bool]:
    """Whether each stored review of a reply was nudged, oldest first."""
    database: Database = app.database  # type: ignore[attr-defined]
    store: Store = app.run(database.open())
    rows = app.run(store.reviews(since=START - timedelta(days=1), until=START + timedelta(days=9)))
    return [row.nudged for row in sorted(rows, key=lambda r: r.id) if row.team == tenant]


def figures(app: RunningTeams, tenant: str = TENANT) -> dict[str, RuleFigures]:
    found = app.run(
        learning_of(app).rule_figures(
            since=START - timedelta(days=1), until=START + timedelta(days=9), team=tenant
        )
    )
    return {f.rule: f for f in found}


def test_not_helpful_from_twenty_agents_quiets_a_rule_in_that_tenant_only(
    app: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    """The issue's end to end, on Teams.

    A rule nudges; twenty agents say not helpful; it stops nudging live in that tenant (the
    review is stored as not nudged) and still shows in the card the agent asked for; a lead's
    ``rules on`` brings it back; another tenant is unaffected throughout.
    """
    for number in range(20):
        clock.advance(minutes=5)
        card = reply_reviewed(app, connector, agent(number), millis(clock.now))
        assert "could land better" in element(card, "title")["text"]
        answer = click(app, connector, card, agent(number), cards.VERB_NOT_HELPFUL)
        assert answer["statusCode"] == 200
    assert nudged(app) == [True] * 20
    states = app.run(learning_of(app).states(TENANT))
    assert {rule for rule, state in states.items() if not state.live} == set(RULES)
    assert all(states[rule].by is None for rule in RULES)  # the feedback did it
    assert figures(app)[RULES[0]].not_helpful == 20

    clock.advance(minutes=5)
    card = reply_reviewed(app, connector, agent(1), millis(clock.now))
    assert nudged(app)[-1] is False  # no longer a live nudge in this tenant...
    assert "could land better" in element(card, "title")["text"]  # ...yet shown when asked
    assert "nowhere to go" in text_of(element(card, "findings"))

    clock.advance(minutes=5)
    reply_reviewed(app, connector, agent(1), millis(clock.now), tenant=OTHER_TENANT)
    assert nudged(app, OTHER_TENANT) == [True]  # another tenant still gets the nudge

    # An agent sees the state but can't change it; a lead can.
    listed = said(app, connector, message(connector, "rules", **{"from": agent(3)}))
    [rules] = listed.cards
    assert card_problems(rules) == []
    assert "quieted by feedback" in text_of(element(rules, "rules"))
    assert "adaptable.policy-shield" in element(rules, "quiet")["text"]
    refused = said(
        app, connector, message(connector, "rules on policy-shield", **{"from": agent(3)})
    )
    assert refused.activity["text"] == LEADS_ONLY_RULES
    done = said(app, connector, message(connector, "rules on policy-shield", **{"from": LEAD}))
    assert (
        "adaptable.policy-shield" in done.activity["text"] and "on (lead)" in done.activity["text"]
    )
    states = app.run(learning_of(app).states(TENANT))
    assert states["adaptable.policy-shield"].by == LEAD_AAD

    clock.advance(minutes=5)
    reply_reviewed(app, connector, agent(2), millis(clock.now))
    assert nudged(app)[-1] is True  # back, at once (the cache forgot the tenant)
    changes = app.run(
        learning_of(app).changes(since=START, until=clock.now + timedelta(1), team=TENANT)
    )
    assert [(c.rule, c.by) for c in changes][-1] == ("adaptable.policy-shield", LEAD_AAD)
    assert app.run(learning_of(app).quiet_rules(OTHER_TENANT)) == frozenset()


def test_rules_command_errors_and_the_lead_sees_how_to_steer(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    unknown = said(app, connector, message(connector, "rules off nosuchrule", **{"from": LEAD}))
    assert "There is no rule `nosuchrule`" in unknown.activity["text"]
    bad = said(app, connector, message(connector, "rules maybe", **{"from": LEAD}))
    assert "I don't know `rules maybe`" in bad.activity["text"]
    why = "it nags about policy wording we must keep. Legal said so."
    off = message(connector, f"rules off policy-shield {why}", **{"from": LEAD})
    assert "off (lead)" in said(app, connector, off).activity["text"]
    state = app.run(learning_of(app).states(TENANT))["adaptable.policy-shield"]
    assert (state.mode, state.why) == ("off", why)
    [card] = said(app, connector, message(connector, "rules", **{"from": LEAD})).cards
    assert card_problems(card) == []
    assert "rules off <rule>" in element(card, "usage")["text"]
    assert "off (lead)" in text_of(element(card, "rules"))


def test_an_edit_within_15_minutes_or_use_suggestion_is_acting_on_the_nudge(
    app: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    first = millis(clock.now)
    reply_reviewed(app, connector, agent(1), first)
    clock.advance(minutes=14, seconds=59)
    assert app.post(edit(connector, first, agent(1))).status == 200
    app.settle()
    assert figures(app)[RULES[0]].acted_on == 1

    second = millis(clock.now)
    reply_reviewed(app, connector, agent(2), second)
    clock.advance(minutes=15, seconds=1)  # too late to count
    assert app.post(edit(connector, second, agent(2))).status == 200
    app.settle()
    assert figures(app)[RULES[0]].acted_on == 1

    card = reply_reviewed(app, connector, agent(3), millis(clock.now), text=BAD_DRAFT)
    clock.advance(hours=2)
    answer = click(app, connector, card, agent(3), cards.VERB_USE)
    assert "Ready to use" in json.dumps(answer)
    assert figures(app)["respect.dismissive"].acted_on == 1  # "Use suggestion", at any time


def edit(connector: FakeBotConnector, message_id: str, who: dict[str, str]) -> dict[str, Any]:
    """Teams' ``messageUpdate`` for an edit of ``message_id`` in the thread."""
    activity = fixture("message_channel_quoted_reply.json", connector, **{"from": who})
    activity.update(
        type="messageUpdate",
        id=message_id,
        text="We can't refund sale items, I'm sorry. Here's what I can do instead.",
    )
    activity["conversation"]["id"] = THREAD
    activity["channelData"]["eventType"] = "editMessage"
    activity["entities"] = []
    return activity


def test_the_customers_next_message_in_the_thread_is_the_outcome(
    app: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    reply_reviewed(app, connector, agent(1), millis(clock.now))
    clock.advance(minutes=3)
    customer = {"id": "29:customer", "name": "A customer", "aadObjectId": "c-1"}
    later = millis(clock.now)
    # The agent quotes the customer's answer and drafts the next reply (the customer's
    # message is only seen when quoted: the bot gets @mentions, not every message).
    activity = fixture("message_channel_quoted_reply.json", connector, **{"from": agent(1)})
    activity["id"] = str(int(later) + 5)
    activity["conversation"]["id"] = THREAD
    activity["text"] = (
        f'<quoted messageId="{later}"/><at>nudgebot</at> I am so sorry about this, I will '
        "refund the item today and confirm by email within the hour."
    )
    activity["entities"][0]["quotedReply"].update(
        messageId=later,
        time=later,
        senderId=customer["id"],
        senderName=customer["name"],
        preview="This is ridiculous, I am furious. Nobody replies to me!",
    )
    assert app.post(activity).status == 200
    app.settle()
    outcomes = app.run(
        learning_of(app).outcomes(
            since=START - timedelta(days=1), until=START + timedelta(days=1), team=TENANT
        )
    )
    by_rule = {o.rule: o for o in outcomes}
    assert by_rule[RULES[0]].not_acted_on.angrier == 1  # calm before (0), upset after (2)


def test_a_lead_agrees_disagrees_and_marks_a_miss_on_a_reply_in_the_card(
    app: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    """The Teams scorecard of one reply: a lead quotes an agent's reply and asks.

    The card has Agree / Disagree under each finding, and "Missed" on a reply the bot
    passed; each verdict is stored with the reply's words, and the card shows it.
    """
    own = reply_reviewed(app, connector, agent(1), millis(clock.now))
    assert not [a for a in actions(own) if a["verb"] in cards.JUDGE_VERBS]  # agents don't judge
    clock.advance(minutes=1)
    first = millis(clock.now)
    card = reply_reviewed(app, connector, LEAD, first, author=agent(1))
    assert card_problems({k: v for k, v in card.items() if k != "_chat"}) == []
    verbs = [a["verb"] for a in actions(card) if a["verb"] in cards.JUDGE_VERBS]
    assert verbs == [cards.VERB_AGREE, cards.VERB_DISAGREE] * 2  # two findings, no "Missed"
    agree, _, _, disagree = [a for a in actions(card) if a["verb"] in cards.JUDGE_VERBS]
    answer = judge(app, connector, card, agree)
    assert "You agree with this finding" in json.dumps(answer)
    answer = judge(app, connector, card, disagree)
    assert "You disagree with this finding" in json.dumps(answer)
    assert "You agree with this finding" in json.dumps(answer)  # the first verdict still shows

    clock.advance(minutes=1)
    passed = millis(clock.now)
    good = "Thanks for waiting! I've refunded the order today; you'll see it within 3 days."
    card = reply_reviewed(app, connector, LEAD, passed, author=agent(2), text=good)
    [missed] = [a for a in actions(card) if a["verb"] == cards.VERB_MISSED]
    assert "marked this reply as one I missed" in json.dumps(judge(app, connector, card, missed))

    learning = learning_of(app)
    verdicts = app.run(learning.verdicts(channel=CHANNEL, message_ts=first))
    assert verdicts == {
        (agree["data"]["rule"], LEAD_AAD): "agree",
        (disagree["data"]["rule"], LEAD_AAD): "disagree",
    }
    assert app.run(learning.verdicts(channel=CHANNEL, message_ts=passed)) == {
        ("", LEAD_AAD): "missed"
    }
    period = {"since": START - timedelta(days=1), "until": START + timedelta(days=1)}
    agreement = app.run(learning.agreement(team=TENANT, **period))
    assert (agreement.judged, agreement.agreed, agreement.missed) == (2, 1, 1)
    cases = app.run(learning.labelled_cases(agents=False, **period))
    assert {(c["draft"], c["needs_nudge"]) for c in cases} == {(REPLY, True), (good, True)}


def judge(
    app: RunningTeams, connector: FakeBotConnector, card: dict[str, Any], button: dict[str, Any]
) -> dict[str, Any]:
    activity = fixture("invoke_card_action.json", connector, **{"from": LEAD})
    activity["conversation"] = {
        "id": card["_chat"],
        "conversationType": "personal",
        "tenantId": TENANT,
    }
    activity["value"]["action"].update(verb=button["verb"], data=button["data"])
    answer = app.post(activity)
    assert answer.status == 200
    body: dict[str, Any] = answer.json()
    assert body["statusCode"] == 200
    return body


def unaddressed(
    connector: FakeBotConnector,
    who: dict[str, str],
    text: str,
    at: datetime,
    thread: str = THREAD,
) -> dict[str, Any]:
    """A message in ``thread`` that doesn't mention the bot (Teams sends it with RSC)."""
    activity = message(connector, text, "message_channel_mention.json", **{"from": who})
    activity["id"] = millis(at)
    activity["conversation"]["id"] = thread
    activity["entities"] = [e for e in activity["entities"] if e.get("type") != "mention"]
    return activity


def test_watched_conversations_nudge_agents_live_and_read_customers(
    watching: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    """With NUDGEBOT_AGENTS and every message of a thread: the live path in full.

    A customer's message is remembered and answered by no one; an agent's reply that a coach
    would interrupt gets a nudge in the agent's 1:1 chat, nothing in the channel; a good reply
    gets nothing; once a lead turns the rules off, the same reply is stored but not nudged;
    the customer's next message is the outcome of the nudged reply.
    """
    app = watching
    customer = {"id": "29:customer", "name": "A customer", "aadObjectId": "c-1"}
    connector.reset()
    app.post(unaddressed(connector, customer, "My refund for order 1234 is missing.", clock.now))
    app.settle()
    assert connector.messages() == []  # a customer's message: nothing said

    clock.advance(minutes=1)
    assert app.post(unaddressed(connector, agent(1), REPLY, clock.now)).status == 200
    app.settle()
    [nudge] = connector.messages()
    assert nudge.conversation_id != CHANNEL and not nudge.conversation_id.startswith(CHANNEL)
    [card] = nudge.cards
    assert "could land better" in element(card, "title")["text"]

    clock.advance(minutes=1)
    connector.reset()
    good = (
        "I'm sorry your refund is missing, that's frustrating. I've checked and sent it again "
        "today; you'll see it within 3 days, and I'll email you once it's confirmed."
    )
    app.post(unaddressed(connector, agent(2), good, clock.now))
    app.settle()
    assert connector.messages() == []  # a coach would not interrupt: nothing at all
    assert nudged(app) == [True, False]

    for rule in RULES:  # the rules that nudge REPLY on its own
        said(app, connector, message(connector, f"rules off {rule}", **{"from": LEAD}))
    clock.advance(minutes=1)
    connector.reset()
    another = f"{CHANNEL};messageid={millis(clock.now)}"
    app.post(unaddressed(connector, agent(1), REPLY, clock.now, thread=another))
    app.settle()
    assert connector.messages() == [] and nudged(app) == [True, False, False]

    clock.advance(minutes=2)
    angry = "This is ridiculous, I am furious. Nobody replies to me!"
    app.post(unaddressed(connector, customer, angry, clock.now))
    app.settle()
    period = {"since": START - timedelta(days=1), "until": START + timedelta(days=1)}
    outcomes = app.run(learning_of(app).outcomes(team=TENANT, **period))
    assert outcomes  # one per rule of the nudged reply: a problem before it, upset after
    assert all(
        (o.not_acted_on.angrier, o.not_acted_on.total, o.acted_on.total) == (1, 1, 0)
        for o in outcomes
    )


def test_muting_live_nudges_for_an_hour_from_the_nudge(
    watching: RunningTeams, connector: FakeBotConnector, clock: FakeClock
) -> None:
    app = watching
    app.post(unaddressed(connector, agent(1), REPLY, clock.now))
    app.settle()
    [nudge] = connector.messages()
    [card] = nudge.cards
    assert card_problems(card) == []
    card["_chat"] = nudge.conversation_id
    clock.advance(minutes=2)
    answer = click(app, connector, card, agent(1), cards.VERB_MUTE)
    assert answer["value"] == "Noted: no live nudges until 10:02 UTC."  # START is 09:00
    assert figures(app)[RULES[0]].muted_after == 1
    clock.advance(minutes=30)
    connector.reset()
    app.post(unaddressed(connector, agent(1), REPLY, clock.now))
    app.settle()
    assert connector.messages() == [] and nudged(app) == [True]  # muted: not even reviewed
    clock.advance(minutes=31)  # the hour is over
    app.post(unaddressed(connector, agent(1), REPLY, clock.now))
    app.settle()
    assert len(connector.messages()) == 1 and nudged(app) == [True, True]
    asked = reply_reviewed(app, connector, agent(2), millis(clock.now))
    assert cards.VERB_MUTE not in [a["verb"] for a in actions(asked)]  # only on live nudges
