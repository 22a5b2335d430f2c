"""The pure parts of learning on Slack: edits, thread keys, the rules list, the verdict buttons.

Every payload goes through this suite's Block Kit validator (``assert_valid_blocks``) and
slack_sdk's own block models (``Block.parse(...).validate_json()``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from nudgebot.adapters.slack.convert import MAIN, edited_by_author, thread_key
from nudgebot.adapters.slack.rules import rules_message
from nudgebot.adapters.slack.verdicts import (
    ACTIONS,
    Judged,
    Reply,
    acknowledged,
    button_value,
    read_value,
    verdicts_message,
)
from nudgebot.engine import ReviewEngine
from nudgebot.learning import QuietPolicy, RuleFigures, RuleState
from nudgebot.models import Draft, Review
from tests.adapters.slack.harness import BAD_REPLY, GOOD_REPLY, fixture
from tests.adapters.slack.test_blocks import assert_safe, assert_valid_blocks

ENGINE = ReviewEngine()


def sdk_valid(payload: dict[str, Any]) -> None:
    for block in payload["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def review(text: str, customer: str | None = "Where is my parcel?") -> Review:
    return ENGINE.review_rules(Draft(text=text, customer=customer))


# -- message_changed -----------------------------------------------------------------------------


def changed(**message: Any) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(fixture("event_message_changed.json")["event"])
    event["message"].update(message)
    return event


def test_an_authors_edit_names_the_message() -> None:
    assert edited_by_author(changed()) == ("C0SUPPORT", "1700000300.000400")


@pytest.mark.parametrize(
    "event",
    [
        changed(edited={"user": "U0ADMIN", "ts": "1700000310.000000"}),  # someone else
        changed(text="Not our problem, contact the courier."),  # the same words
        {**changed(), "message": {**changed()["message"], "edited": None}},  # an unfurl
        {**changed(), "subtype": "message_deleted"},
        {**changed(), "message": "nonsense"},
        {**changed(), "channel": None},
    ],
)
def test_other_changes_are_not_an_authors_edit(event: dict[str, Any]) -> None:
    assert edited_by_author(event) is None


def test_a_reply_in_a_thread_is_keyed_by_its_thread_and_a_top_level_one_by_the_channel() -> None:
    assert thread_key({"ts": "2.0", "thread_ts": "1.0"}) == "1.0"
    assert thread_key({"ts": "1.0", "thread_ts": "1.0"}) == MAIN  # a thread's root
    assert thread_key({"ts": "1.0"}) == MAIN


# -- /nudge rules --------------------------------------------------------------------------------


def test_the_rules_list_shows_figures_and_states_in_valid_blocks() -> None:
    figures = [
        RuleFigures("ownership.deflection", "ownership", 25, 2, 20, 5, 1),
        RuleFigures("respect.curt", "respect", 4, 3, 1, 0, 0),
    ]
    states = {
        "ownership.deflection": RuleState("ownership.deflection", "auto", quiet=True),
        "empathy.no-acknowledgement": RuleState("empathy.no-acknowledgement", "off", by="U0L"),
    }
    message = rules_message(figures, states, policy=QuietPolicy(), names={"respect.curt": "Curt"})
    assert_valid_blocks(message)
    assert_safe(message)
    sdk_valid(message)
    shown = json.dumps(message["blocks"])
    assert "ownership.deflection: quieted by feedback; 25 live nudges, 2 helpful" in shown
    assert (
        "respect.curt (Curt): auto" in shown and "empathy.no-acknowledgement: off (lead)" in shown
    )
    assert "2 not nudging live" in message["text"]
    assert "60% of at least 20 votes in 30 days" in shown


def test_a_long_rules_list_still_fits_one_message() -> None:
    figures = [
        RuleFigures(f"ownership.rule-{n:03d}-{'x' * 60}", "ownership", n) for n in range(400)
    ]
    message = rules_message(figures, {}, policy=QuietPolicy())
    assert_valid_blocks(message)
    sdk_valid(message)


def test_an_empty_rules_list_says_so() -> None:
    message = rules_message([], {}, policy=QuietPolicy(days=7))
    assert_valid_blocks(message)
    assert "in the last 7 days" in json.dumps(message["blocks"])


# -- verdict buttons -----------------------------------------------------------------------------


def test_each_finding_gets_agree_and_disagree_and_a_passed_reply_gets_missed() -> None:
    bad, good = review(BAD_REPLY), review(GOOD_REPLY)
    assert bad.needs_nudge and not good.needs_nudge
    replies = [Reply(1, "U0AGENT", "1.000100", bad), Reply(2, "U0AGENT", "2.000100", good)]
    earlier = {("1.000100", bad.findings[0].rule): "agree"}
    message = verdicts_message("C0SUPPORT", "1.000000", replies, earlier)  # type: ignore[arg-type]
    assert message is not None
    assert_valid_blocks(message)
    assert_safe(message, BAD_REPLY + GOOD_REPLY, extra=("<@U0AGENT>",))
    sdk_valid(message)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    kinds = [button["action_id"].split(":")[0] for button in buttons]
    shown_findings = min(len(bad.findings), 5) + min(len(good.findings), 5)
    assert kinds.count(ACTIONS["agree"]) == kinds.count(ACTIONS["disagree"]) == shown_findings
    assert kinds.count(ACTIONS["missed"]) == 1
    missed = next(b for b in buttons if b["action_id"].startswith(ACTIONS["missed"]))
    assert read_value(missed["value"]) == Judged("C0SUPPORT", "1.000000", "2.000100", "", None)
    assert "you agreed earlier" in json.dumps(message["blocks"])


def test_a_clicked_row_becomes_what_the_lead_said() -> None:
    message = verdicts_message("C0SUPPORT", "1.0", [Reply(1, "U0A", "1.5", review(BAD_REPLY))])
    assert message is not None
    row = next(b for b in message["blocks"] if b["type"] == "actions")
    after = acknowledged(message, row["block_id"], "disagree")
    assert_valid_blocks(after)
    assert row not in after["blocks"] and "You disagreed." in json.dumps(after["blocks"])
    assert len(after["blocks"]) == len(message["blocks"])


def test_a_long_conversation_keeps_to_fifty_blocks() -> None:
    bad = review(BAD_REPLY)
    replies = [Reply(n, "U0A", f"{n}.000100", bad) for n in range(1, 60)]
    message = verdicts_message("C0SUPPORT", "1.0", replies)
    assert message is not None
    assert_valid_blocks(message)
    assert "More replies than fit" in json.dumps(message["blocks"][-1])


def test_nothing_to_judge_sends_nothing() -> None:
    unjudged = dataclasses.replace(review(BAD_REPLY), judged=False)
    assert verdicts_message("C0SUPPORT", "1.0", [Reply(1, "U0A", "1.0", unjudged)]) is None
    assert verdicts_message("C0SUPPORT", "1.0", []) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "[]",
        "not json",
        json.dumps({"c": "C1", "t": "1.0", "m": "x", "r": "a.b"}),  # not a ts
        json.dumps({"c": "c<bad>", "t": "1.0", "m": "1.0", "r": "a.b"}),
        json.dumps({"c": "C1", "t": "1.0", "m": "1.0", "r": "a.b", "d": "kindness"}),
        json.dumps({"c": "C1", "t": "1.0", "m": "1.0", "r": "x" * 101}),
    ],
)
def test_a_malformed_button_value_names_nothing(value: str) -> None:
    assert read_value(value) is None


def test_a_button_value_reads_back() -> None:
    judged = Judged("C0SUPPORT", "1700000900.000100", "1700000900.000200", "a.b", "respect")
    assert read_value(button_value(judged)) == judged
