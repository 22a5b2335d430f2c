"""Who is an agent, who is a lead, and which message is the customer's: against the fake API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack.people import HISTORY_LIMIT, REPLIES_LIMIT, Directory
from nudgebot.models import Turn
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    CUSTOMER,
    CUSTOMER_MESSAGE,
    EXTERNAL,
    HOME,
    SUPPORT,
    fixture,
    preload,
)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        fake.add_usergroup("S0AGENTS", ["U0INGROUP"])
        yield fake


@pytest.fixture
def client(api: FakeSlackAPI) -> AsyncWebClient:
    api.reset()
    return AsyncWebClient(token="xoxb-test", base_url=api.url)


def test_without_a_list_the_home_workspace_are_agents(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    people = Directory(client)

    async def check() -> list[bool]:
        return [
            await people.is_agent(AGENT, HOME, HOME),
            await people.is_agent(CUSTOMER, EXTERNAL, HOME),
            await people.is_agent(CUSTOMER, None, HOME),  # team unknown: users.info says
            await people.is_agent(CUSTOMER, None, HOME),
        ]

    assert asyncio.run(check()) == [True, False, False, False]
    assert len(api.calls_to("users.info")) == 1  # cached


def test_listed_agents_and_groups_with_a_cache(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    clock = Clock()
    people = Directory(client, agents=["U0LISTED", "S0AGENTS"], clock=clock, ttl=300)

    async def check() -> list[bool]:
        first = [
            await people.is_agent("U0LISTED", EXTERNAL, HOME),
            await people.is_agent("U0INGROUP", HOME, HOME),
            await people.is_agent(AGENT, HOME, HOME),  # home workspace, but not listed
        ]
        await asyncio.gather(*(people.is_agent("U0INGROUP", HOME, HOME) for _ in range(5)))
        clock.now = 301
        await people.is_agent("U0INGROUP", HOME, HOME)
        return first

    assert asyncio.run(check()) == [True, True, False]
    assert len(api.calls_to("usergroups.users.list")) == 2  # once, then after the ttl


def test_a_group_slack_refuses_counts_as_empty_and_is_not_asked_again_at_once(
    api: FakeSlackAPI, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    people = Directory(client, leads=["S0UNKNOWN"])

    async def check() -> list[bool]:
        return [await people.is_lead("U0ANY"), await people.is_lead("U0ANY")]

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(check()) == [False, False]
    assert len(api.calls_to("usergroups.users.list")) == 1
    assert "could not look up a group: no_such_subteam" in caplog.text


def test_the_conversation_comes_from_the_thread_or_the_history(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    people = Directory(client)

    async def check() -> list[list[Turn] | None]:
        found = [
            await people.conversation_before(
                SUPPORT, "1700000200.000300", "1700000150.000100", HOME
            ),
            await people.conversation_before(SUPPORT, "1700000100.000200", None, HOME),
            await people.conversation_before(SUPPORT, "1700000040.000100", None, HOME),
        ]
        return [None if turns is None else [turn for _, turn in turns] for turns in found]

    in_thread, top_level, too_early = asyncio.run(check())
    assert in_thread == [Turn("customer", CUSTOMER_MESSAGE), Turn("agent", "Let me check.")]
    assert top_level == [Turn("customer", CUSTOMER_MESSAGE)]
    assert too_early == []
    [replies] = api.calls_to("conversations.replies")  # one call each, bounded
    assert replies.params["latest"] == "1700000200.000300"
    assert int(replies.params["limit"]) == REPLIES_LIMIT
    assert all(
        int(call.params["limit"]) == HISTORY_LIMIT for call in api.calls_to("conversations.history")
    )


def test_a_recorded_thread_is_read_with_who_is_an_agent(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    recorded = fixture("conversations_replies_parcel.json")["messages"]
    api.add_replies("C0RECORDED", "1700003000.000100", recorded)
    people = Directory(client)
    turns = asyncio.run(
        people.conversation_before("C0RECORDED", "1700003300.000500", "1700003000.000100", HOME)
    )
    assert turns is not None
    assert [turn.role for _, turn in turns] == ["customer", "agent", "customer"]


@pytest.mark.parametrize("trouble", ["refused", "unreachable"])
def test_no_conversation_when_slack_refuses_or_cannot_be_reached(
    api: FakeSlackAPI,
    client: AsyncWebClient,
    caplog: pytest.LogCaptureFixture,
    trouble: str,
) -> None:
    if trouble == "refused":
        api.fail("conversations.history", "not_in_channel")
    else:
        client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/")
    people = Directory(client, agents=[AGENT])
    with caplog.at_level(logging.WARNING):
        found = asyncio.run(people.conversation_before(SUPPORT, "1700000100.000200", None, HOME))
    assert found is None
    assert "could not read the conversation for context" in caplog.text
    assert CUSTOMER_MESSAGE not in caplog.text
