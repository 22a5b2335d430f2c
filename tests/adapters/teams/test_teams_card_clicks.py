"""Card buttons act only on the clicking agent's own review, and odd refs are refused cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from nudgebot.adapters.teams.bot import OTHERS_BUTTONS, UNKNOWN_BUTTON, TeamsBot
from nudgebot.adapters.teams.hooks import Feedback
from nudgebot.engine import ReviewEngine
from tests.adapters.teams.harness import fixture

OTHER_AGENT = {"id": "29:someone-else", "name": "Sam", "aadObjectId": "0000-other-agent"}


async def reviewed(bot: TeamsBot) -> dict[str, Any]:
    """Ask ``bot`` for a review of a bad draft; return its buttons' data (ref and owner)."""
    activity = fixture(
        "message_personal.json", text="Not our problem, your parcel should arrive soon."
    )
    [reply] = await bot.answer(bot.route(activity), activity)
    assert reply.card is not None
    [use] = [a for a in reply.card["actions"] if a["verb"] == "nudge.use"]
    return {"ref": use["data"]["ref"], "for": use["data"]["for"]}


def click(data: dict[str, Any], **sender: Any) -> dict[str, Any]:
    activity = fixture("invoke_card_action.json")
    activity["value"]["action"].update(verb="nudge.helpful", data=data)
    if sender:
        activity["from"] = sender
    return activity


def recording() -> tuple[TeamsBot, list[Feedback]]:
    recorded: list[Feedback] = []

    async def keep(item: Feedback) -> None:
        recorded.append(item)

    return TeamsBot(ReviewEngine(), feedback=keep), recorded


@pytest.mark.anyio
async def test_the_agent_who_asked_can_give_feedback() -> None:
    bot, recorded = recording()
    answer = await bot.card_action(click(await reviewed(bot)))
    assert answer.card is not None
    assert [item.kind for item in recorded] == ["helpful"]


@pytest.mark.anyio
async def test_another_agent_cannot_even_with_the_owner_removed_from_the_card() -> None:
    bot, recorded = recording()
    data = await reviewed(bot)
    for forged in (data, {"ref": data["ref"]}, {**data, "for": OTHER_AGENT["aadObjectId"]}):
        answer = await bot.card_action(click(forged, **OTHER_AGENT))
        assert answer.response["value"] == OTHERS_BUTTONS
    assert recorded == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    "ref", ["", "9" * 20 + "x" * 60, "../../etc", "1; DROP TABLE reviews", 12345678901234567890]
)
async def test_a_ref_that_is_not_one_is_refused_cleanly(ref: Any) -> None:
    bot, recorded = recording()
    answer = await bot.card_action(
        click({"ref": ref, "for": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"})
    )
    assert answer.response["value"]["message"] == UNKNOWN_BUTTON
    assert recorded == []


@pytest.mark.anyio
async def test_a_click_that_names_nobody_for_a_review_not_remembered_changes_nothing() -> None:
    bot, recorded = recording()
    answer = await bot.card_action(click({"ref": "12345"}))
    assert answer.response["value"]["message"] == UNKNOWN_BUTTON
    assert recorded == []
