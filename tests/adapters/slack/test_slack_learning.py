"""Learning from the team on Slack, end to end: signed requests to the real app, fake Slack.

The issue's run: a rule nudges; Not helpful x 20 across agents; the rule stops nudging live in
that team's channels and still shows on ``/nudge check``; a lead's ``/nudge rules on`` brings
it back; another team is unaffected. The app serves one workspace (its bot token's, named by
``auth.test``), so "another team" is a second app, for another workspace, on the same
database. Edits of a nudged message within 15 minutes count as acted on (an injected clock),
the customer's next message records the outcome, and a lead's verdicts are recorded from the
scorecard's buttons.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nudgebot.adapters.slack.rules import LEADS_ONLY
from nudgebot.adapters.slack.state import SlackState
from nudgebot.adapters.slack.verdicts import NOT_A_LEAD
from nudgebot.engine import ReviewEngine
from nudgebot.learning import QuietPolicy
from nudgebot.storage.schema import reviews
from nudgebot.testing import FakeSlackAPI
from tests.adapters.slack.harness import (
    AGENT,
    BAD_REPLY,
    CUSTOMER,
    EXTERNAL,
    HOME,
    LEAD,
    SUPPORT,
    RunningApp,
    event,
    fixture,
    make_settings,
    preload,
)
from tests.adapters.slack.test_blocks import assert_safe, assert_valid_blocks

AGENTS = (AGENT, "U0AGENTB", "U0AGENTC", "U0AGENTD")
MUTER = "U0MUTER"
OTHER_TEAM = "T0OTHER"
OTHER_AGENT = "U0OTHERAGENT"
OTHER_CHANNEL = "C0OTHERSUPPORT"
START = 1_800_000_000.0
THREAD = "1700000900.000100"  # a thread in #support: the customer, then a bad reply


class Clock:
    """Epoch seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("learning") / "nudgebot.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        for agent in (*AGENTS, MUTER):
            fake.add_user(agent, HOME)
        fake.add_user(LEAD, HOME)
        fake.add_channel(SUPPORT, [*AGENTS, LEAD], name="support")
        customer = {"type": "message", "user": CUSTOMER, "user_team": EXTERNAL, "team": EXTERNAL}
        fake.add_replies(
            SUPPORT,
            THREAD,
            [
                {
                    **customer,
                    "ts": THREAD,
                    "text": "My order is broken again!!",
                    "thread_ts": THREAD,
                },
                {
                    "type": "message",
                    "user": AGENT,
                    "team": HOME,
                    "ts": "1700000900.000200",
                    "text": BAD_REPLY,
                    "thread_ts": THREAD,
                },
            ],
        )
        yield fake


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def running(api: FakeSlackAPI, database: str, clock: Clock) -> Iterator[RunningApp]:
    settings = make_settings(api, database_url=database)
    state = SlackState(database_url=database, watch=[SUPPORT], clock=clock)
    with RunningApp(settings, ReviewEngine.from_settings(settings), state=state) as app:
        yield app


@pytest.fixture
def app(running: RunningApp, api: FakeSlackAPI) -> Iterator[RunningApp]:
    running.settle()
    api.reset()
    yield running
    running.settle()


_serial = iter(range(1, 100_000))


def new_ts() -> str:
    return f"{1_700_001_000 + next(_serial)}.000100"


DEFLECTING = "Not our problem, contact the courier."
"""A reply ownership.deflection catches (the rule this file's votes quiet)."""


def post(app: RunningApp, ts: str, user: str = AGENT, **fields: Any) -> None:
    fields.setdefault("text", DEFLECTING)
    payload = event("event_message.json", f"Ev0{ts}{user}", ts=ts, user=user, **fields)
    assert app.send_event(payload).status == 200
    app.settle()


def nudge_ref(api: FakeSlackAPI) -> str | None:
    """The review id the nudge posted since the fake was reset carries (None: not nudged)."""
    posted = api.calls_to("chat.postEphemeral")
    if not posted:
        return None
    [nudge] = posted
    return str(nudge.params["blocks"][-1]["elements"][0]["value"])


def vote(app: RunningApp, api: FakeSlackAPI, ref: str, user: str, *, helpful: bool) -> None:
    payload = fixture("block_actions.json")
    payload["response_url"] = api.response_url(f"vote-{ref}")
    action = payload["actions"][0]
    action["value"] = ref
    action["action_id"] = "nudge_helpful" if helpful else "nudge_not_helpful"
    payload["user"]["id"] = user
    assert app.send_interaction(payload).status == 200
    app.settle()


def nudged(app: RunningApp, api: FakeSlackAPI, user: str = AGENT, **fields: Any) -> str | None:
    """Post a bad reply as ``user``; return the nudge's review id, or None when not nudged."""
    api.reset()
    ts = new_ts()
    post(app, ts, user, **fields)
    return nudge_ref(api)


def command(app: RunningApp, api: FakeSlackAPI, key: str, text: str, user: str) -> dict[str, Any]:
    app.send_command(api, key, text, user_id=user, channel_id=SUPPORT)
    app.settle()
    deadline = time.monotonic() + 10
    while True:
        found = [c.params for c in api.calls_to("response_url") if c.params["key"] == key]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no answer to {text!r}"
        time.sleep(0.01)


def wait_for_answer(api: FakeSlackAPI, key: str, words: str) -> str:
    """Wait for an answer to the command ``key`` that contains ``words``; return it as text."""
    deadline = time.monotonic() + 10
    while True:
        for call in api.calls_to("response_url"):
            if call.params["key"] == key and words in str(call.params):
                return str(call.params)
        assert time.monotonic() < deadline, (
            f"no answer with {words!r}: "
            + str([c.params for c in api.calls_to("response_url") if c.params["key"] == key])[:3000]
        )
        time.sleep(0.01)


def row(app: RunningApp, ts: str, channel: str = SUPPORT) -> Any:
    """The stored review of the message ``ts``."""
    store = app.run(app.app.bot.state.open())

    async def read() -> Any:
        async with store._begin(write=False) as connection:
            query = select(reviews).where(reviews.c.channel == channel, reviews.c.message_ts == ts)
            return (await connection.execute(query)).one()

    return app.run(read())


def live_rules(app: RunningApp, ref: str) -> list[str]:
    store = app.run(app.app.bot.state.open())

    async def read() -> str:
        async with store._begin(write=False) as connection:
            query = select(reviews.c.live_rules).where(reviews.c.id == int(ref))
            return str((await connection.execute(query)).scalar_one())

    return app.run(read()).split()


# -- the run -----------------------------------------------------------------------------


def test_twenty_not_helpful_votes_quiet_a_rule_in_that_team_and_a_lead_brings_it_back(
    app: RunningApp, api: FakeSlackAPI, database: str, clock: Clock
) -> None:
    first = nudged(app, api)
    assert first is not None, "a deflecting reply is nudged"
    rules = live_rules(app, first)
    assert "ownership.deflection" in rules
    vote(app, api, first, AGENT, helpful=False)
    policy = QuietPolicy()
    for n in range(1, policy.min_votes):  # 19 more, across four agents
        agent = AGENTS[n % len(AGENTS)]
        ref = nudged(app, api, agent)
        assert ref is not None, f"nudge {n + 1} should still go out"
        vote(app, api, ref, agent, helpful=False)

    # The 20th vote quieted the rules voted on every time (others had fewer votes)...
    learning = app.run(app.app.bot.state.learning())
    states = app.run(learning.states(HOME))
    quieted = sorted(rule for rule, state in states.items() if not state.live)
    assert "ownership.deflection" in quieted and set(quieted) <= set(rules)
    assert all(states[rule].by is None for rule in quieted)  # by the feedback, not a lead
    # ...and the same reply no longer nudges live in this team...
    api.reset()
    ts = new_ts()
    post(app, ts)
    assert api.calls_to("chat.postEphemeral") == []
    quiet = row(app, ts)
    assert quiet.needs_nudge is False and quiet.nudged is False
    assert quiet.rules and "ownership.deflection" in quiet.rules.split()  # still counts in scores

    # ...but still shows when an agent asks.
    check = command(app, api, "check", f"check {DEFLECTING}", AGENT)
    assert "A few things could land better" in str(check["blocks"])

    # The rules list says so, to anyone.
    listed = command(app, api, "list", "rules", AGENT)
    shown = str(listed["blocks"])
    assert "ownership.deflection" in shown and "quieted by feedback" in shown
    assert "20 not helpful" in shown

    # The lead's report says what the team finds unhelpful, and what the feedback quieted.
    clock.now += 60  # the report's period ends now: the replies of this very second come after
    app.send_command(api, "report", "review 30d", user_id=LEAD, channel_id=SUPPORT)
    report = wait_for_answer(api, "report", "finds helpful")
    assert ":thumbsdown: Passes the customer along" in report  # ownership.deflection's label
    assert ":thumbsup:" not in report  # 0% helpful: nothing to praise
    assert "Not nudging live" in report and "Leads' agreement" in report

    # Another team on the same database is unaffected.
    with FakeSlackAPI(team_id=OTHER_TEAM) as other_api:
        other_api.add_user(OTHER_AGENT, OTHER_TEAM)
        settings = make_settings(other_api, database_url=database, watch_channels=(OTHER_CHANNEL,))
        state = SlackState(database_url=database, watch=[OTHER_CHANNEL], clock=Clock())
        engine = ReviewEngine.from_settings(settings)
        with RunningApp(settings, engine, state=state) as other:
            fields = {"channel": OTHER_CHANNEL, "team": OTHER_TEAM, "user_team": OTHER_TEAM}
            payload = event("event_message.json", "Ev0OTHER1", user=OTHER_AGENT, **fields)
            payload.update(team_id=OTHER_TEAM, context_team_id=OTHER_TEAM)
            payload["authorizations"][0]["team_id"] = OTHER_TEAM
            assert other.send_event(payload).status == 200
            other.settle()
            [nudge] = other_api.wait_for("chat.postEphemeral")
            assert nudge.params["user"] == OTHER_AGENT

    # An agent can't turn a rule back on; a lead can, and the rule nudges live again at once.
    refused = command(app, api, "agent-on", "rules on ownership.deflection", AGENT)
    assert refused["text"] == LEADS_ONLY
    for rule in quieted:
        said = command(app, api, f"on-{rule}", f"rules on {rule} we want these", LEAD)
        assert f"`{rule}` is on in this team" in said["text"]
    assert nudged(app, api) is not None
    listed = command(app, api, "list-again", "rules", LEAD)
    assert "ownership.deflection" in str(listed["blocks"]) and "on (lead)" in str(listed["blocks"])

    # And back to auto: the feedback (20 of 20 not helpful) quiets it again.
    for rule in quieted:
        said = command(app, api, f"auto-{rule}", f"rules auto {rule}", LEAD)
        assert "quieted by the feedback" in said["text"]
    assert nudged(app, api) is None
    for rule in quieted:  # leave the rules on for the other tests
        command(app, api, f"on-again-{rule}", f"rules on {rule}", LEAD)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules sideways deflection", "I don't know `rules sideways`"),
        ("rules off", "`rules off` needs a rule id"),
        ("rules off no-such-rule", "There is no rule `no-such-rule`"),
        ("rules list everything", "`rules list` takes nothing more"),
    ],
)
def test_malformed_rules_commands_get_a_clear_error(
    app: RunningApp, api: FakeSlackAPI, text: str, expected: str
) -> None:
    answer = command(app, api, "bad-" + text.replace(" ", "-"), text, LEAD)
    assert expected in answer["text"]
    shown = {"text": answer["text"], "blocks": answer["blocks"]}
    assert_valid_blocks(shown)
    assert_safe(shown)  # the usage's "<rule>" goes as &lt;rule&gt;


def test_a_lead_turning_a_rule_off_is_recorded_with_who_and_why(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    said = command(app, api, "off", "rules off deflection too blunt for us", LEAD)
    assert "`ownership.deflection` is off in this team" in said["text"]
    assert "too blunt for us" in said["text"]
    learning = app.run(app.app.bot.state.learning())
    state = app.run(learning.states(HOME))["ownership.deflection"]
    assert (state.mode, state.by, state.why) == ("off", LEAD, "too blunt for us")
    command(app, api, "on", "rules on ownership.deflection", LEAD)


# -- acted on: an edit within 15 minutes ---------------------------------------------------------


def edit(
    app: RunningApp, ts: str, *, editor: str = AGENT, text: str = "Sorry, I'll fix it"
) -> None:
    payload = fixture("event_message_changed.json")
    payload["event_id"] = f"Ev0EDIT{ts}{editor}{len(text)}"
    changed = payload["event"]
    changed["message"].update(ts=ts, text=text, edited={"user": editor, "ts": ts})
    changed["previous_message"].update(ts=ts)
    assert app.send_event(payload).status == 200
    app.settle()


def test_an_edit_within_15_minutes_counts_as_acted_on_and_one_after_does_not(
    app: RunningApp, api: FakeSlackAPI, clock: Clock
) -> None:
    soon = new_ts()
    post(app, soon)
    assert row(app, soon).nudged
    clock.now += 14 * 60
    edit(app, soon)
    assert row(app, soon).acted_at is not None and row(app, soon).acted_how == "edited"

    late = new_ts()
    post(app, late)
    assert row(app, late).nudged
    clock.now += 16 * 60
    edit(app, late)
    assert row(app, late).acted_at is None


def test_changes_that_are_not_the_authors_edit_do_not_count(
    app: RunningApp, api: FakeSlackAPI, clock: Clock
) -> None:
    ts = new_ts()
    post(app, ts)
    edit(app, ts, editor="U0ADMIN")  # someone else edited it
    edit(app, ts, text=DEFLECTING)  # same words (an unfurl, language metadata)
    assert row(app, ts).acted_at is None
    edit(app, ts)
    assert row(app, ts).acted_at is not None


# -- muted after, and the customer's next message ------------------------------------------------


def test_muting_marks_the_nudges_just_before_as_muted_after(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    ref = nudged(app, api, MUTER)
    assert ref is not None
    payload = fixture("block_actions.json")
    payload["response_url"] = api.response_url("mute")
    payload["actions"][0].update(action_id="nudge_mute_hour", value=ref)
    payload["user"]["id"] = MUTER
    assert app.send_interaction(payload).status == 200
    app.settle()
    store = app.run(app.app.bot.state.open())
    assert app.run(store.review(int(ref))) is not None
    rows = app.run(_muted_after(app, int(ref)))
    assert rows is True


def test_turning_nudges_off_marks_the_nudges_just_before_as_muted_after(
    app: RunningApp, api: FakeSlackAPI, clock: Clock
) -> None:
    agent = AGENTS[2]
    old = nudged(app, api, agent)
    clock.now += 16 * 60  # too long before: not counted
    ref = nudged(app, api, agent)
    assert old is not None and ref is not None
    said = command(app, api, "off", "off", agent)
    assert "Live nudges are off" in said["text"]
    assert app.run(_muted_after(app, int(ref))) is True
    assert app.run(_muted_after(app, int(old))) is False
    command(app, api, "on", "on", agent)


async def _muted_after(app: RunningApp, review_id: int) -> bool:
    store = await app.app.bot.state.open()
    async with store._begin(write=False) as connection:
        query = select(reviews.c.muted_after).where(reviews.c.id == review_id)
        return bool((await connection.execute(query)).scalar_one())


def test_the_customers_next_message_in_the_thread_records_how_it_read(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    reply = "1700000900.000200"
    post(app, reply, thread_ts=THREAD)
    nudge = row(app, reply)
    assert nudge.nudged and nudge.thread_key == THREAD and nudge.heat_before is not None
    customer = {"user": CUSTOMER, "team": EXTERNAL, "user_team": EXTERNAL}
    post(
        app,
        "1700000900.000300",
        thread_ts=THREAD,
        text="This is a joke. I am furious, worst service ever!!",
        **customer,
    )
    assert row(app, reply).heat_after == 2  # upset
    elsewhere = new_ts()  # a top-level reply: the channel's conversation, not the thread's
    post(app, elsewhere)
    assert row(app, elsewhere).thread_key == "main" and row(app, elsewhere).heat_after is None


# -- leads' verdicts in the scorecard ------------------------------------------------------------


def scorecard(app: RunningApp, api: FakeSlackAPI, key: str) -> dict[str, Any]:
    link = f"<https://fake.slack.com/archives/{SUPPORT}/p{THREAD.replace('.', '')}>"
    app.send_command(api, key, f"review {link}", user_id=LEAD, channel_id=SUPPORT)
    app.settle()
    found = [c.params for c in api.calls_to("response_url") if c.params["key"] == key]
    assert len(found) == 3, found
    return found[-1]


def click(
    app: RunningApp, api: FakeSlackAPI, key: str, button: dict[str, Any], block_id: str, user: str
) -> None:
    payload = fixture("block_actions.json")
    payload["response_url"] = api.response_url(key)
    payload["user"]["id"] = user
    payload["actions"][0].update(
        action_id=button["action_id"], value=button["value"], block_id=block_id
    )
    assert app.send_interaction(payload).status == 200
    app.settle()


def test_a_lead_agrees_with_a_finding_and_the_row_says_so(
    app: RunningApp, api: FakeSlackAPI
) -> None:
    offered = scorecard(app, api, "card")
    rows = [b for b in offered["blocks"] if b["type"] == "actions"]
    first = rows[0]
    agree = first["elements"][0]
    assert agree["action_id"].startswith("judge_agree:")

    click(app, api, "intruder", agree, first["block_id"], AGENT)  # not a lead
    [refused] = [c.params for c in api.calls_to("response_url") if c.params["key"] == "intruder"]
    assert refused["text"] == NOT_A_LEAD

    click(app, api, "agree", agree, first["block_id"], LEAD)
    [answer] = [c.params for c in api.calls_to("response_url") if c.params["key"] == "agree"]
    assert answer["replace_original"] is True
    contexts = [b for b in answer["blocks"] if b.get("block_id") == first["block_id"]]
    assert contexts == [] and "You agreed." in str(answer["blocks"])
    assert len([b for b in answer["blocks"] if b["type"] == "actions"]) == len(rows) - 1

    learning = app.run(app.app.bot.state.learning())
    verdicts = app.run(learning.verdicts(channel=SUPPORT, message_ts="1700000900.000200"))
    assert list(verdicts.values()) == ["agree"]
    [(rule, lead)] = verdicts
    assert lead == LEAD and rule
    [case] = app.run(learning.labelled_cases(since=_epoch(0), until=_epoch(4e9), agents=False))
    assert case["draft"] == BAD_REPLY and case["needs_nudge"] is True
    assert case["thread"] == [{"role": "customer", "text": "My order is broken again!!"}]

    # Opened again, the scorecard shows the earlier verdict.
    again = scorecard(app, api, "card-again")
    assert "you agreed earlier" in str(again["blocks"])


def _epoch(seconds: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)
