"""TeamsBot without the SDK: what a message asks for, and the background work's safety net."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import pytest

from nudgebot.adapters.teams.bot import BUSY, FAILED, Background, Reply, TeamsBot
from nudgebot.engine import ReviewEngine
from nudgebot.models import Draft, Review, Turn
from tests.adapters.teams.harness import AGENT_AAD, BOT_ID, fixture


@pytest.fixture(scope="module")
def bot() -> TeamsBot:
    return TeamsBot(ReviewEngine())


def test_a_draft_with_a_quoted_customer_message_gets_it_as_context(bot: TeamsBot) -> None:
    activity = fixture("message_channel_quoted_reply.json")
    activity["text"] = '<quoted messageId="1"/><at>nudgebot</at> Sorry, it\'s policy, no refunds.'
    activity["entities"][0]["quotedReply"]["senderId"] = "29:the-customer"
    ask = bot.route(activity)
    assert ask.kind == "review" and ask.surface == "mention"
    assert ask.draft is not None
    assert ask.draft.text == "Sorry, it's policy, no refunds."
    assert ask.draft.customer == "We don't do refunds on sale items, that's policy."


def test_what_is_not_for_the_bot_is_ignored(bot: TeamsBot) -> None:
    mine = fixture("message_personal.json", **{"from": {"id": BOT_ID}})
    assert bot.route(mine).kind == "ignore"
    other_bot = fixture("message_personal.json", **{"from": {"id": "28:other", "role": "bot"}})
    assert bot.route(other_bot).kind == "ignore"
    submit = fixture("message_personal.json", text="", value={"action": "old"})
    assert bot.route(submit).kind == "ignore"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("How should I reply to an angry customer?", "question"),
        ("Any tips for saying no?", "question"),
        ("Hi Sam, sorry for the delay. Your parcel left today.", "review"),
        ("help", "help"),
        ("tips", "command"),
        ("", "help"),
    ],
)
def test_routing(bot: TeamsBot, text: str, kind: str) -> None:
    assert bot.route(fixture("message_personal.json", text=text)).kind == kind


@pytest.mark.anyio
async def test_a_feedback_form_without_text_records_no_comment() -> None:
    from nudgebot.adapters.teams.hooks import MemoryFeedback

    feedback = MemoryFeedback()
    bot = TeamsBot(ReviewEngine(), feedback=feedback)
    activity = fixture("invoke_feedback_loop.json")
    activity["value"]["actionValue"] = {"reaction": "dislike", "feedback": ""}
    await bot.feedback_loop(activity)
    activity["value"]["actionValue"] = {"reaction": "shrug", "feedback": ""}
    await bot.feedback_loop(activity)
    [item] = feedback.records
    assert (item.kind, item.comment, item.user_aad_id) == ("dislike", None, AGENT_AAD)


@pytest.mark.anyio
async def test_failed_work_apologises_and_overload_sheds() -> None:
    told: list[Reply] = []

    async def notify(reply: Reply) -> None:
        told.append(reply)

    async def broken() -> Any:
        raise RuntimeError("secret words")

    tasks = Background(limit=1)
    release = asyncio.Event()
    tasks.spawn(broken(), what="broken work", notify=notify)
    await tasks.join(1)
    tasks.spawn(release.wait(), what="slow work")
    tasks.spawn(broken(), what="one too many", notify=notify)
    release.set()
    assert await tasks.join(1)
    assert [reply.text for reply in told] == [FAILED, BUSY]
    assert tasks.shed == 1


@pytest.mark.anyio
async def test_storage_that_fails_costs_the_agent_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(item: Any) -> Any:
        raise RuntimeError("database down while storing Zebedee")

    bot = TeamsBot(ReviewEngine(), record_review=broken, feedback=broken)
    activity = fixture("message_personal.json")
    [reply] = await bot.answer(bot.route(activity), activity)
    assert reply.card is not None
    [use] = [a for a in reply.card["actions"] if a["verb"] == "nudge.use"]
    click = fixture("invoke_card_action.json")
    click["value"]["action"]["data"] = use["data"]
    answer = await bot.card_action(click)
    assert answer.response["statusCode"] == 200 and answer.card is not None
    assert "storing a review failed (RuntimeError)" in caplog.text
    assert "recording feedback failed (RuntimeError)" in caplog.text
    assert "Zebedee" not in caplog.text


# -- the conversation before a draft ------------------------------------------------------------


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


def quoting(
    file: str, message_id: str, quoted: str, sender_id: str, text: str, quoted_at: str
) -> dict[str, Any]:
    """A channel message (id ``message_id``) quoting ``quoted`` sent by ``sender_id``."""
    activity = fixture(file)
    activity["id"] = message_id
    activity["text"] = f'<quoted messageId="{quoted_at}"/><at>nudgebot</at> {text}'
    activity["entities"] = [
        {
            "type": "quotedReply",
            "quotedReply": {
                "messageId": quoted_at,
                "senderId": sender_id,
                "preview": quoted,
                "time": quoted_at,
            },
        },
        {"type": "mention", "text": "<at>nudgebot</at>", "mentioned": {"id": BOT_ID}},
    ]
    return activity


@pytest.mark.anyio
async def test_the_turns_quoted_in_a_channel_thread_become_the_thread_of_later_reviews() -> None:
    engine = RecordingEngine()
    bot = TeamsBot(engine)
    customer = "29:the-customer"
    agent = f"8:orgid:{AGENT_AAD}"
    late = "My parcel is a week late and nobody replies"
    # 1. The agent quotes the customer and drafts an answer.
    draft = "Not our problem, you'll have to contact the courier."
    first = quoting(
        "message_channel_mention.json", "1763640000100", late, customer, draft, "1763640000000"
    )
    await bot.answer(bot.route(first), first)
    assert engine.drafts[-1].thread == (Turn("customer", late),)
    assert engine.drafts[-1].customer == late
    # 2. The lead asks for a review of the reply the agent posted: the agent's turn.
    posted = "I'm so sorry! I've chased parcel 88121 and I'll update you by 3pm."
    second = quoting(
        "message_channel_quoted_reply.json",
        "1763640000300",
        posted,
        agent,
        "review this?",
        "1763640000200",
    )
    ask = bot.route(second)
    assert ask.surface == "reply"
    await bot.answer(ask, second)
    assert engine.drafts[-1].text == posted
    assert engine.drafts[-1].thread == (Turn("customer", late),)
    # 3. The customer writes again; the agent quotes it with a new draft: every turn so far.
    again = "Still nothing at 4pm."
    third = quoting(
        "message_channel_mention.json",
        "1763640000500",
        again,
        customer,
        "Checking now.",
        "1763640000400",
    )
    await bot.answer(bot.route(third), third)
    assert engine.drafts[-1].thread == (
        Turn("customer", late),
        Turn("agent", posted),
        Turn("customer", again),
    )
    assert engine.drafts[-1].customer == again
    # The 1:1 chat is practice: its drafts get only what they quote, and nothing is kept.
    personal = fixture("message_personal.json")
    await bot.answer(bot.route(personal), personal)
    assert engine.drafts[-1].thread == ()
    assert len(bot.conversations) == 1
