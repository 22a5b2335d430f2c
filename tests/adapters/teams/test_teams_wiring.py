"""The Teams app as ``nudgebot serve --teams`` wires it: the database, leads' reviews, tips.

The app is mounted by :func:`mount_teams` on a real database (an SQLite file, and PostgreSQL
when configured), served by uvicorn, with the FakeBotConnector standing in for Teams.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudgebot.adapters.router import Router
from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.app import TeamsApp
from nudgebot.adapters.teams.memory import StoredReferences
from nudgebot.adapters.teams.team_commands import REFUSAL, mount_teams, teams_tips
from nudgebot.engine import ReviewEngine
from nudgebot.models import Scores, StoredReview
from nudgebot.storage import Store
from nudgebot.storage.lazy import Database
from nudgebot.storage.learning import Learning
from nudgebot.testing_teams import FakeBotConnector
from nudgebot.tips import TipLibrary
from tests.adapters.teams.card_model import card_problems
from tests.adapters.teams.harness import (
    AGENT_AAD,
    AGENT_ID,
    CHANNEL,
    LEAD_AAD,
    TEAM,
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

__all__ = ["db_url", "pg_module_url"]

LEAD = {"id": "29:1Rz8wLeadOmarTeamsId", "name": "Omar Haddad", "aadObjectId": LEAD_AAD}
PRIYA_MEMBER = {"id": AGENT_ID, "name": "Priya Sharma (Support)", "aadObjectId": AGENT_AAD}


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture(scope="module")
def library() -> TipLibrary:
    return TipLibrary.load()


def serve(url: str, connector: FakeBotConnector, library: TipLibrary) -> RunningTeams:
    settings = dev_settings(connector, database_url=url, leads=(LEAD_AAD,))
    engine = ReviewEngine.from_settings(settings)
    database = Database(url)

    def mount(router: Router) -> TeamsApp:
        app = mount_teams(router, settings, engine, database, tips=library)
        router.on_shutdown.append(database.close)
        return app

    running = RunningTeams(settings, engine, mount=mount)
    running.database = database  # type: ignore[attr-defined]
    return running


@pytest.fixture
def app(db_url: str, connector: FakeBotConnector, library: TipLibrary) -> Iterator[RunningTeams]:
    with serve(db_url, connector, library) as running:
        connector.reset()
        yield running
        running.settle()


def store_of(app: RunningTeams) -> Store:
    database: Database = app.database  # type: ignore[attr-defined]
    return app.run(database.open())


def said(app: RunningTeams, connector: FakeBotConnector, activity: dict[str, Any]) -> str:
    """POST a message; return the text of the bot's one answer (a card's text included)."""
    connector.reset()
    assert app.post(activity).status == 200
    app.settle()
    [sent] = connector.messages()
    return str(sent.activity.get("text") or "") + str(sent.cards)


def in_channel(connector: FakeBotConnector, text: str, **fields: Any) -> dict[str, Any]:
    return message(connector, f"<at>nudgebot</at> {text}", "message_channel_mention.json", **fields)


def test_an_install_is_remembered_in_the_database(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    assert app.post(fixture("conversation_update_team_added.json", connector)).status == 200
    database: Database = app.database  # type: ignore[attr-defined]
    references = StoredReferences(database.open)
    ref = app.run(references.get(TEAM))
    assert ref is not None and ref.service_url == connector.url and ref.tenant_id == TENANT
    assert app.post(fixture("installation_update_remove_team.json", connector)).status == 200
    assert app.run(references.get(TEAM)) is None


def test_a_reviewed_reply_is_stored_and_its_feedback_too(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    assert app.post(fixture("message_channel_quoted_reply.json", connector)).status == 200
    app.settle()
    [sent] = [call for call in connector.messages() if call.cards]  # in the 1:1 chat
    [card] = sent.cards
    click_in = {"id": sent.conversation_id, "conversationType": "personal", "tenantId": TENANT}
    now = datetime.now(UTC)
    [row] = app.run(store_of(app).reviews(since=now - timedelta(days=1), until=now))
    assert (row.platform, row.channel, row.user, row.team) == ("teams", CHANNEL, AGENT_AAD, TENANT)
    assert row.text == "We don't do refunds on sale items, that's policy."
    [button] = [a for a in actions(card) if a["verb"] == cards.VERB_HELPFUL]
    assert button["data"]["ref"] == str(row.id)
    click = fixture("invoke_card_action.json", connector, **{"from": LEAD})
    click["conversation"] = click_in
    click["value"]["action"].update(verb=cards.VERB_HELPFUL, data=button["data"])
    assert app.post(click).status == 200
    stored = app.run(store_of(app).review(row.id))
    assert stored is not None and stored.helpful is None  # a verdict counts from the agent only
    feedback = app.run(store_of(app).add_feedback(row.id, LEAD_AAD, True))
    assert not feedback  # ...but the lead's click was recorded (once) under the lead's id


def test_a_draft_in_the_personal_chat_is_not_stored(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    said(app, connector, fixture("message_personal.json", connector))
    now = datetime.now(UTC)
    assert app.run(store_of(app).reviews(since=now - timedelta(days=1), until=now)) == []


def test_the_leads_review_in_the_personal_chat(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    app.post(fixture("message_channel_quoted_reply.json", connector))  # one stored reply
    app.settle()
    learning = Learning(store_of(app))
    app.run(learning.set_mode(TENANT, "respect.blame", "off", by=LEAD_AAD, why="too noisy"))
    app.run(learning.set_mode("another-tenant", "ownership.deflection", "off", by="X"))
    assert REFUSAL in said(app, connector, message(connector, "review 7d"))
    report = said(app, connector, message(connector, "review 7d", **{"from": LEAD}))
    assert "1 reply reviewed** (previous period: 0)" in report
    # what the team's reactions teach: this tenant's quieted rule, not another tenant's
    assert "What your team finds helpful" in report and "Not nudging live" in report
    assert "too noisy" in report and "deflection" not in report.lower()
    # The per-agent row, shown to the lead alone, names Priya as her 1:1 chat with the bot
    # did (her "review" above), never by her Entra object id.
    assert "Priya Sharma" in report and AGENT_AAD not in report
    bad = message(connector, "review 40x", **{"from": LEAD})
    assert "didn't understand" in said(app, connector, bad)
    channel = in_channel(connector, "review", **{"from": LEAD})
    assert "only show it in our 1:1 chat" in said(app, connector, channel)


def test_the_leads_review_shows_the_same_trend_chart_as_slack(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    now = datetime.now(UTC)
    days = [now - timedelta(days=2), now - timedelta(days=1)]  # two days: a trend to draw
    rows = [
        StoredReview(
            0,
            at,
            "teams",
            TENANT,
            CHANNEL,
            AGENT_AAD,
            "rules",
            Scores(70, 60, 80, 90, 50),
            (),
            (),
            (),
            False,
            False,
        )
        for at in days
    ]
    app.run(store_of(app).add_reviews(rows))
    connector.reset()
    assert app.post(message(connector, "review 7d", **{"from": LEAD})).status == 200
    app.settle()
    sent, chart = connector.messages()  # the card, then the chart under it
    [card] = sent.cards
    assert "text" not in sent.activity  # the card says it all
    assert sent.activity["summary"] == card["fallbackText"]
    assert "chart below" in element(card, "chart")["text"]
    assert "Team score by day" in element(card, "chart-alt")["text"]
    agents = text_of(element(card, "agents"))
    assert "agent 1" in agents and AGENT_AAD not in json.dumps(card)  # no name known
    [image] = chart.activity["attachments"]
    assert image["contentType"] == "image/png"
    assert image["name"] == "Team score by day (last 7 days).png"
    scheme, _, data = image["contentUrl"].partition(",")
    assert scheme == "data:image/png;base64"
    assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    for each in (sent, chart):  # Teams refuses a bot message over about 28 KB
        assert len(json.dumps(each.activity).encode()) < 28_000


def test_the_leads_review_card_names_the_agents_from_the_teams_members(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    """A lead's ``review`` in the 1:1 chat gets the report card, agents by display name.

    The bot was added to the team (its General channel is remembered); an agent's reply in
    another of its channels was reviewed; Teams lists the team's members with their names.
    """
    app.post(fixture("conversation_update_team_added.json", connector))
    app.post(fixture("message_channel_quoted_reply.json", connector))  # Priya's reply, stored
    app.settle()
    connector.set_members(TEAM, [PRIYA_MEMBER, LEAD])
    connector.reset()
    assert app.post(message(connector, "review 7d", **{"from": LEAD})).status == 200
    app.settle()
    [sent] = connector.messages()
    assert sent.conversation_id == message(connector, "")["conversation"]["id"]  # the 1:1 chat
    [card] = sent.cards
    assert card_problems(card) == []
    assert card["version"] == "1.5" and cards.card_size(card) <= cards.MAX_CARD_BYTES
    assert element(card, "title")["text"] == "Team review · last 7 days"
    agents = text_of(element(card, "agents"))
    assert "Priya Sharma (Support)" in agents and "agent 1" not in agents
    assert AGENT_AAD not in json.dumps(card) and "ownership." not in json.dumps(card)
    [members] = connector.calls_to("paged_members")
    assert members.conversation_id == TEAM
    again = said(app, connector, message(connector, "review 30d", **{"from": LEAD}))
    assert "Priya Sharma (Support)" in again
    assert connector.calls_to("paged_members") == []  # the names were kept for a while


def test_tips_on_now_and_the_daily_post_in_a_channel(
    app: RunningTeams, connector: FakeBotConnector, library: TipLibrary
) -> None:
    app.post(fixture("conversation_update_team_added.json", connector))
    agent_says = said(app, connector, in_channel(connector, "tips on 09:30"))
    assert "only team leads" in agent_says
    on = in_channel(connector, "tips on 09:30 Europe/London weekdays", **{"from": LEAD})
    assert "every weekday at 09:30 (Europe/London)" in said(app, connector, on)
    [sub] = app.run(store_of(app).subscriptions())
    assert (sub.platform, sub.channel, sub.created_by) == ("teams", CHANNEL, LEAD_AAD)
    connector.reset()
    now = in_channel(connector, "tips now", **{"from": LEAD})
    assert app.post(now).status == 200
    app.settle()
    posts = [c for c in connector.messages() if "Tip of the day" in str(c.activity.get("text"))]
    assert len(posts) == 1 and posts[0].conversation_id == CHANNEL
    # The scheduler, on a Monday at 09:31 in London: one post, and never a second.
    store = store_of(app)
    app.run(store.subscribe(sub))  # (made "now": the tip of a later day is due)
    monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday() + 7)
    moment = datetime(monday.year, monday.month, monday.day, 9, 31, tzinfo=UTC)
    database: Database = app.database  # type: ignore[attr-defined]
    service = teams_tips(app.teams, database, library)
    connector.reset()
    [done] = app.run(service.run_once(moment))
    assert done.status == "posted"
    assert [c.conversation_id for c in connector.messages()] == [CHANNEL]
    assert app.run(service.run_once(moment + timedelta(minutes=1))) == []


def test_two_instances_post_each_teams_tip_once(
    db_url: str, connector: FakeBotConnector, library: TipLibrary
) -> None:
    with serve(db_url, connector, library) as first, serve(db_url, connector, library) as second:
        first.post(fixture("conversation_update_team_added.json", connector))
        on = in_channel(connector, "tips on 09:30 Europe/London", **{"from": LEAD})
        assert first.post(on).status == 200
        first.settle()
        day = datetime.now(UTC).date() + timedelta(days=3)
        moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        connector.reset()
        futures: list[Future[Any]] = []
        for running in (first, second):
            database: Database = running.database  # type: ignore[attr-defined]
            service = teams_tips(running.teams, database, library)
            assert running.loop is not None
            futures.append(asyncio.run_coroutine_threadsafe(service.run_once(moment), running.loop))
        results = [future.result(20) for future in futures]
        assert [d.status for found in results for d in found].count("posted") == 1
        assert [c.conversation_id for c in connector.messages()] == [CHANNEL]
