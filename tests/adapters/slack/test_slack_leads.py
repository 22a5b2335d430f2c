"""``/nudge review`` end to end: signed commands to the real app, seeded reviews, fake Slack.

The reviews are seeded into the app's own database with known scores, so every figure the
lead sees can be worked out by hand (see :func:`seed`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudgebot.adapters.slack.leads import REFUSAL
from nudgebot.engine import ReviewEngine
from nudgebot.models import Scores, StoredReview
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    CUSTOMER_MESSAGE,
    GROUP_LEAD,
    HOME,
    LEAD,
    SUPPORT,
    RunningApp,
    make_settings,
    preload,
)

AGENT_TWO = "U0AGENTTWO"
AGENTS_GROUP = "S0AGENTS"
OTHER = "C0OTHER"
PRIVATE = "G0PRIVATE"
KUDOS = "Hi Sam, I'm so sorry the parcel is late. I've rebooked it and I'll check on it."


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        fake.add_user(LEAD, HOME, tz="Europe/London")
        fake.add_user(AGENT_TWO, HOME)
        fake.add_usergroup(AGENTS_GROUP, [AGENT_TWO])
        fake.add_channel(SUPPORT, [AGENT, LEAD], name="support")
        fake.add_channel(PRIVATE, [AGENT], private=True, name="escalations")
        yield fake


def stored(at: datetime, user: str, score: int, channel: str = SUPPORT, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "id": 0,
        "at": at,
        "platform": "slack",
        "team": HOME,
        "channel": channel,
        "user": user,
        "engine": "rules",
        "scores": Scores(score, score, score, score, score),
        "rules": (),
        "dimensions": (),
        "quotes": (),
        "needs_nudge": False,
        "nudged": False,
        "text": "Thanks for waiting.",
        "customer": CUSTOMER_MESSAGE,
    }
    values.update(fields)
    return StoredReview(**values)


def blame(at: datetime, score: int, quote: str, helpful: bool) -> StoredReview:
    """A nudged reply of AGENT's in #support that pointed the customer elsewhere."""
    return stored(
        at,
        AGENT,
        score,
        rules=("ownership.deflection",),
        dimensions=("ownership",),
        quotes=(quote,),
        needs_nudge=True,
        nudged=True,
        helpful=helpful,
        text=f"{quote}, contact the courier.",
    )


def seed(app: RunningApp) -> None:
    """This week in #support: AGENT 80 and 60 (both nudged: one helpful, one not), AGENT_TWO
    100 (the kudos); in #other, AGENT_TWO 40. The week before in #support: AGENT 50 twice."""
    now = datetime.now(UTC)
    rows = [
        blame(now - timedelta(days=2), 80, "Not our problem", helpful=True),
        blame(now - timedelta(days=1), 60, "Not our problem at all", helpful=False),
        stored(now - timedelta(hours=5), AGENT_TWO, 100, text=KUDOS),
        stored(now - timedelta(hours=3), AGENT_TWO, 40, channel=OTHER),
        stored(now - timedelta(days=9), AGENT, 50),
        stored(now - timedelta(days=10), AGENT, 50),
    ]
    store = app.run(app.app.bot.state.open())
    app.run(store.add_reviews(rows))


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI) -> Iterator[RunningApp]:
    settings = make_settings(api)
    with RunningApp(settings, ReviewEngine.from_settings(settings)) as app:
        seed(app)
        yield app


@pytest.fixture
def app(running: RunningApp, api: FakeSlackAPI) -> Iterator[RunningApp]:
    running.settle()
    api.reset()
    yield running
    running.settle()


def answers(api: FakeSlackAPI, key: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait for ``count`` posts to the response URL ``key``; return their payloads."""
    deadline = time.monotonic() + 10
    while True:
        found = [c.params for c in api.calls_to("response_url") if c.params["key"] == key]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def review_as(app: RunningApp, api: FakeSlackAPI, key: str, text: str, user: str) -> None:
    app.send_command(api, key, f"review {text}".strip(), user_id=user, channel_id=SUPPORT)


def everything(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_a_lead_sees_progress_then_the_report_with_known_figures(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    review_as(app, api, "week", "<#C0SUPPORT|support> 7d", LEAD)
    progress, report = answers(api, "week", 2)
    assert progress["response_type"] == "ephemeral" and report["response_type"] == "ephemeral"
    assert "Reviewing 3 replies (last 7 days)" in progress["text"]
    assert report["replace_original"] is True  # the progress note is updated in place
    shown = everything(report)
    assert "3 replies reviewed* (previous period: 2)" in shown
    assert "*Overall*\\n80  _▲ 30.0_" in shown  # (80 + 60 + 100) / 3 against 50
    assert "*Ownership*\\n80" in shown
    # The one issue, counted per reply, with an anonymised example:
    assert "1. *" in shown and "2 replies" in shown and "Not our problem" in shown
    assert "2. *" not in shown
    assert "Reply of the period* by <@U0AGENTTWO> in <#C0SUPPORT> (overall 100)" in shown
    assert "2 nudges sent · 1 of 2 answered found it helpful (50%)" in shown
    assert "<@U0AGENT> · 2 replies · overall 70 · 2 nudges · 50% helpful" in shown
    assert "<@U0AGENTTWO> · 1 reply · overall 100 · 0 nudges" in shown
    assert "40" not in shown.split("By agent")[-1]  # #other is out of scope
    # The lead's time zone sets the period shown:
    assert "GMT" in shown or "BST" in shown


def test_the_trend_chart_and_the_csv_go_to_the_leads_dms(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    review_as(app, api, "csv", "7d csv", GROUP_LEAD)  # a lead through the leads user group
    _, report = answers(api, "csv", 2)
    assert "4 replies reviewed" in everything(report)  # every channel
    assert "sent you the trend chart and CSV in a direct message" in everything(report)
    [opened] = api.calls_to("conversations.open")
    assert opened.params["users"] == GROUP_LEAD
    [complete] = api.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"].startswith("D")
    uploads = list(api.uploads.values())[-2:]
    assert uploads[0].startswith(b"\x89PNG\r\n\x1a\n")
    chart, _ = api.calls_to("files.getUploadURLExternal")[-2:]
    assert chart.params["alt_txt"].startswith("Team score by day (last 7 days). A line of")
    assert json.loads(complete.params["files"])[0]["title"] == "Team score by day (last 7 days)"
    csv = uploads[1].decode()
    assert AGENT in csv and AGENT_TWO in csv


def test_a_missing_files_permission_is_named_not_blamed_on_the_channel(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    api.fail("files.getUploadURLExternal", "missing_scope", needed="files:write")
    review_as(app, api, "noscope", "7d", LEAD)
    _, report = answers(api, "noscope", 2)
    shown = everything(report)
    assert "I couldn't send you the trend chart" in shown
    assert "`files:write` permission" in shown and "reinstall the app" in shown
    assert "missing_scope" not in shown and "invite" not in shown


def test_a_missing_channels_permission_is_named_not_blamed_on_the_channel(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    api.fail("conversations.info", "missing_scope", needed="channels:read")
    link = "https://fake.slack.com/archives/C0SUPPORT/p1700000150000100"
    review_as(app, api, "noread", link, LEAD)
    [answer] = answers(api, "noread")
    assert "`channels:read`" in answer["text"] and "reinstall the app" in answer["text"]
    assert "invite" not in answer["text"] and "missing_scope" not in answer["text"]


def test_a_review_of_a_user_group_counts_its_members_only(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    review_as(app, api, "group", "<!subteam^S0AGENTS|@agents> 30d", LEAD)
    _, report = answers(api, "group", 2)
    shown = everything(report)
    assert "2 replies reviewed" in shown  # AGENT_TWO's two, in both channels
    assert "<@U0AGENT>" not in shown.replace("<@U0AGENTTWO>", "")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<#C0SUPPORT|support> 7d",
        "<@U0AGENT> 30d",
        "https://x.slack.com/archives/C0SUPPORT/p1700000150000100",
        "40x nonsense",
    ],
)
def test_a_non_lead_gets_the_same_refusal_whatever_they_ask(
    app: RunningApp, api: FakeSlackAPI, text: str
) -> None:
    review_as(app, api, "agent", text, AGENT)
    app.settle()
    [answer] = answers(api, "agent")
    assert answer["text"] == REFUSAL
    assert "blocks" not in answer or "80" not in everything(answer)
    called = {call.method for call in api.calls}
    assert called <= {"response_url", "usergroups.users.list"}  # only "is this a lead?"


def test_malformed_arguments_get_a_clear_error(app: RunningApp, api: FakeSlackAPI) -> None:
    review_as(app, api, "bad", "40x", LEAD)
    [answer] = answers(api, "bad")
    assert "I didn't understand '40x'" in answer["text"]
    assert "/nudge review" in everything(answer)


def test_a_message_link_gives_the_conversations_scorecard(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    link = "<https://fake.slack.com/archives/C0SUPPORT/p1700000150000100>"
    review_as(app, api, "thread", link, LEAD)
    app.settle()
    progress, card, verdicts = answers(api, "thread", 3)
    assert "Scoring 1 agent reply in" in progress["text"]
    shown = everything(card)
    assert card["replace_original"] is True
    assert "Conversation scorecard" in shown and "Reply 1* · <@U0AGENT>" in shown
    # then, for the lead to judge, each finding of "Let me check." with Agree / Disagree
    assert verdicts["replace_original"] is False
    judged = everything(verdicts)
    assert "Reply 1* · <@U0AGENT>" in judged and "`ownership.no-next-step`" in judged
    assert "judge_agree:" in judged and "judge_disagree:" in judged
    [replies] = api.calls_to("conversations.replies")
    assert replies.params["ts"] == "1700000150.000100"


def test_a_lead_cannot_see_a_private_channels_conversation_they_are_not_in(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    link = "https://fake.slack.com/archives/G0PRIVATE/p1700000150000100"
    review_as(app, api, "private", link, LEAD)
    [answer] = answers(api, "private")
    assert "aren't a member" in answer["text"]
    assert "conversations.replies" not in {call.method for call in api.calls}


def test_a_conversation_the_bot_cannot_see_is_explained(app: RunningApp, api: FakeSlackAPI) -> None:
    link = "https://fake.slack.com/archives/C0NOWHERE/p1700000150000100"
    review_as(app, api, "nowhere", link, LEAD)
    [answer] = answers(api, "nowhere")
    assert "invite me" in answer["text"]


def test_forget_me_removes_the_callers_words_and_name(app: RunningApp, api: FakeSlackAPI) -> None:
    store = app.run(app.app.bot.state.open())
    now = datetime.now(UTC)
    leaving = "C0LEAVING"
    app.run(store.add_reviews([stored(now - timedelta(hours=1), "U0LEAVER", 70, channel=leaving)]))
    app.send_command(api, "forget", "forget", user_id="U0LEAVER")
    [answer] = answers(api, "forget")
    assert "deleted" in answer["text"]
    rows = app.run(store.reviews(since=now - timedelta(days=1), until=now, channels=[leaving]))
    assert [(row.user, row.text, row.scores.overall) for row in rows] == [(None, None, 70)]
    app.send_command(api, "again", "forget", user_id="U0LEAVER")
    assert "nothing stored" in answers(api, "again")[0]["text"]
