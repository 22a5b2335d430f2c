"""Agents' display names from the members Teams lists, through the real SDK app and client.

The app (``build_teams``, served by uvicorn) asks the FakeBotConnector
``GET /v3/conversations/{id}/pagedMembers`` as it would ask Teams; the cache runs on an
injected clock.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nudgebot.adapters.teams.members import MemberNames, MembersPage
from nudgebot.adapters.teams.outgoing import TeamsSendError
from nudgebot.adapters.teams.references import ConversationRef, MemoryReferences
from nudgebot.engine import ReviewEngine
from nudgebot.testing_teams import FakeBotConnector
from tests.adapters.teams.harness import (
    AGENT_AAD,
    AGENT_ID,
    TEAM,
    TENANT,
    RunningTeams,
    dev_settings,
)

OTHER_TEAM = "19:Zz9OtherTeamGeneral@thread.tacv2"
SAM_AAD = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
PRIYA = {"id": AGENT_ID, "name": "Priya Sharma", "aadObjectId": AGENT_AAD, "userRole": "user"}


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture(scope="module")
def app(connector: FakeBotConnector) -> Iterator[RunningTeams]:
    settings = dev_settings(connector)
    with RunningTeams(settings, ReviewEngine.from_settings(settings)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(connector: FakeBotConnector) -> None:
    connector.reset()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def team(
    connector: FakeBotConnector, conversation: str = TEAM, tenant: str = TENANT
) -> ConversationRef:
    return ConversationRef(
        conversation, connector.url, "channel", tenant_id=tenant, team_id=conversation
    )


def test_the_app_lists_a_conversations_members_a_page_at_a_time(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    others = [{"id": f"29:{n}", "name": f"Person {n}", "aadObjectId": f"aad-{n}"} for n in range(3)]
    connector.set_members(TEAM, [PRIYA, *others])
    first = app.run(app.teams.members(team(connector), page_size=3))
    [priya, *_] = first.members
    assert (priya.id, priya.aad_object_id, priya.name) == (AGENT_ID, AGENT_AAD, "Priya Sharma")
    assert len(first.members) == 3 and first.continuation
    last = app.run(app.teams.members(team(connector), first.continuation, page_size=3))
    assert [m.name for m in last.members] == ["Person 2"] and last.continuation is None
    one, two = connector.calls_to("paged_members")
    assert (one.method, one.conversation_id) == ("GET", TEAM)
    assert one.path == f"/amer/v3/conversations/{TEAM}/pagedMembers"
    assert one.query == {"pageSize": "3"}
    assert two.query == {"pageSize": "3", "continuationToken": first.continuation}


def test_a_conversation_the_bot_left_raises_a_send_error(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    connector.fail("paged_members", 403)
    with pytest.raises(TeamsSendError) as raised:
        app.run(app.teams.members(team(connector)))
    assert raised.value.status == 403


def test_names_come_from_the_teams_members_and_are_kept_for_a_while(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    connector.set_members(
        TEAM, [PRIYA, {"id": "29:sam", "name": "Sam O'Neil", "aadObjectId": SAM_AAD}]
    )
    clock = Clock()
    names = MemberNames(
        app.teams.members, MemoryReferences([team(connector)]), ttl=600, clock=clock
    )
    wanted = {AGENT_AAD.upper(), SAM_AAD, "ffffffff-0000-4000-8000-000000000000"}
    found = app.run(names.names(wanted, tenant_id=TENANT))
    assert found == {AGENT_AAD.upper(): "Priya Sharma", SAM_AAD: "Sam O'Neil"}
    clock.now += 599
    assert app.run(names.names(wanted, tenant_id=TENANT)) == found
    assert len(connector.calls_to("paged_members")) == 1  # the second report used the cache
    connector.set_members(TEAM, [{**PRIYA, "name": "Priya Sharma-Rao"}])
    clock.now += 2
    assert app.run(names.names({AGENT_AAD}, tenant_id=TENANT)) == {AGENT_AAD: "Priya Sharma-Rao"}
    assert len(connector.calls_to("paged_members")) == 2


def test_pages_are_read_until_everyone_is_named_and_the_next_report_goes_on_from_there(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    people = [{"id": f"29:{n}", "name": f"Person {n}", "aadObjectId": f"aad-{n}"} for n in range(5)]
    connector.set_members(TEAM, people)

    async def two_at_a_time(ref: ConversationRef, continuation: str | None) -> MembersPage:
        return await app.teams.members(ref, continuation, page_size=2)

    names = MemberNames(two_at_a_time, MemoryReferences([team(connector)]), clock=Clock())
    assert app.run(names.names({"aad-1"}, tenant_id=TENANT)) == {"aad-1": "Person 1"}
    assert len(connector.calls_to("paged_members")) == 1  # the first page named everyone
    assert app.run(names.names({"aad-0", "aad-4"}, tenant_id=TENANT)) == {
        "aad-0": "Person 0",
        "aad-4": "Person 4",
    }
    tokens = [call.query.get("continuationToken") for call in connector.calls_to("paged_members")]
    assert tokens == [None, "2", "4"]  # on from where the first report stopped
    assert app.run(names.names({"aad-9"}, tenant_id=TENANT)) == {}
    assert len(connector.calls_to("paged_members")) == 3  # all read: nothing asked again


def test_only_the_leads_tenant_is_asked_and_one_conversation_per_team(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    connector.set_members(TEAM, [PRIYA])
    connector.set_members(OTHER_TEAM, [{**PRIYA, "name": "Someone Else"}])
    channel = ConversationRef(
        "19:escalations@thread.tacv2", connector.url, "channel", tenant_id=TENANT, team_id=TEAM
    )
    refs = MemoryReferences(
        [team(connector), channel, team(connector, OTHER_TEAM, "another-tenant")]
    )
    names = MemberNames(app.teams.members, refs)
    assert app.run(names.names({AGENT_AAD, SAM_AAD}, tenant_id=TENANT)) == {
        AGENT_AAD: "Priya Sharma"
    }
    assert [call.conversation_id for call in connector.calls_to("paged_members")] == [TEAM]


def test_when_teams_refuses_the_personal_chats_names_are_used_and_the_refusal_kept(
    app: RunningTeams, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    connector.set_members(TEAM, [PRIYA])
    connector.fail("paged_members", 403)
    chat = ConversationRef(
        "a:chat-with-priya",
        connector.url,
        "personal",
        tenant_id=TENANT,
        user_aad_id=AGENT_AAD,
        user_name="Priya S.",
    )
    clock = Clock()
    names = MemberNames(
        app.teams.members, MemoryReferences([team(connector), chat]), failure_ttl=60, clock=clock
    )
    assert app.run(names.names({AGENT_AAD, SAM_AAD}, tenant_id=TENANT)) == {AGENT_AAD: "Priya S."}
    assert "TeamsSendError" in caplog.text and "Priya" not in caplog.text
    clock.now += 30
    app.run(names.names({AGENT_AAD}, tenant_id=TENANT))
    assert len(connector.calls_to("paged_members")) == 1  # not asked again so soon
    clock.now += 31
    assert app.run(names.names({AGENT_AAD}, tenant_id=TENANT)) == {AGENT_AAD: "Priya Sharma"}
