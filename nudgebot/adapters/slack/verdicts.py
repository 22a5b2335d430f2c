"""Leads' verdicts in the conversation scorecard: agree, disagree, or "you missed this one".

After a lead's scorecard of one conversation (``/nudge review <message link>``, :mod:`.leads`)
comes a second ephemeral message, :func:`verdicts_message`: each finding of each agent reply
with *Agree* / *Disagree* buttons, and a reply the bot passed (no nudge) with *Missed*. A click
records the lead's verdict (:meth:`~nudgebot.storage.learning.Learning.judge`: judging the
same finding again replaces the verdict) with the reply's words and the turns before it, read
again from Slack (so a button can't name words that aren't in the conversation), and the
clicked row turns into "You agreed." (the rest of the message stays).

A button's value names the conversation, the reply and the finding (:func:`button_value`);
the lead must still be a lead, able to read the channel, when they click.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack.blocks import (
    LABELS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_TEXT,
    truncate,
)
from nudgebot.adapters.slack.bot import SlackBot, home_team
from nudgebot.adapters.slack.conversation import agent_replies, read_thread
from nudgebot.engine.guard import escape_mrkdwn
from nudgebot.learning import Judgement, RulesCommandError, Verdict, resolve_rule
from nudgebot.models import Draft, Finding, Review
from nudgebot.wording import trim_quote

__all__ = [
    "ACTIONS",
    "Judged",
    "Reply",
    "button_value",
    "memory_key",
    "read_value",
    "register",
    "verdicts_message",
]

logger = logging.getLogger("nudgebot.slack")

ACTIONS: dict[Verdict, str] = {
    "agree": "judge_agree",
    "disagree": "judge_disagree",
    "missed": "judge_missed",
}
"""The action id prefix of each verdict's button (``judge_agree:3``: unique in a message)."""
DONE: dict[Verdict, str] = {
    "agree": ":white_check_mark: You agreed.",
    "disagree": ":x: You disagreed.",
    "missed": ":mag: You said I missed something in this reply.",
}
EARLIER: dict[Verdict, str] = {
    "agree": "you agreed earlier",
    "disagree": "you disagreed earlier",
    "missed": "you said I missed something here earlier",
}
MOST_FINDINGS = 5
"""Findings of one reply offered for a verdict at most (the top ones)."""
NOT_A_LEAD = "Only team leads can judge the findings, so nothing was recorded."
CANT_SEE = "You can't read that conversation's channel now, so nothing was recorded."
GONE = "I couldn't find that reply in the conversation any more, so nothing was recorded."
ODD = "That button doesn't point at a finding I know, so nothing was recorded."
_TS = re.compile(r"\d{1,12}\.\d{1,8}")
_ID = re.compile(r"[A-Z0-9]{1,40}")


@dataclass(frozen=True)
class Reply:
    """One agent reply of the conversation, as the scorecard reviewed it."""

    position: int
    author: str
    ts: str
    review: Review


@dataclass(frozen=True)
class Judged:
    """What a verdict button names: the conversation, the reply, the finding (rule "": missed)."""

    channel: str
    thread: str
    message: str
    rule: str
    dimension: str | None


def button_value(judged: Judged) -> str:
    """Return a button's value for ``judged`` (compact JSON, well under Slack's 2,000)."""
    data = {"c": judged.channel, "t": judged.thread, "m": judged.message, "r": judged.rule}
    if judged.dimension:
        data["d"] = judged.dimension
    return json.dumps(data, separators=(",", ":"))


def read_value(value: str) -> Judged | None:
    """Return what a button's value names, or None for anything malformed."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    channel, thread, message = data.get("c"), data.get("t"), data.get("m")
    rule, dimension = data.get("r", ""), data.get("d")
    if not (isinstance(channel, str) and _ID.fullmatch(channel)):
        return None
    if not all(isinstance(ts, str) and _TS.fullmatch(ts) for ts in (thread, message)):
        return None
    if not isinstance(rule, str) or len(rule) > 100:
        return None
    if dimension is not None and dimension not in LABELS:
        return None
    return Judged(channel, cast(str, thread), cast(str, message), rule, dimension)


def memory_key(lead: str, channel: str, thread: str) -> str:
    """Name a lead's verdicts message in the bot's memory of ephemeral messages."""
    return f"verdicts:{lead}:{channel}:{thread}"


def verdicts_message(
    channel: str,
    thread: str,
    replies: Sequence[Reply],
    earlier: Mapping[tuple[str, str], Verdict] | None = None,
) -> dict[str, Any] | None:
    """Return the buttons to judge each reply's findings; None when there is nothing to judge.

    ``earlier``: this lead's verdicts already recorded, by ``(reply ts, rule)`` (shown next to
    the finding; judging again replaces them).
    """
    earlier = earlier or {}
    blocks: list[dict[str, Any]] = [
        _section(
            "*Do you agree with me?* Your verdicts teach me what your team counts as a good "
            "reply (only leads see these buttons)."
        )
    ]
    room = MAX_BLOCKS - 2  # one left for "more than fit"
    shown = 0
    for reply in replies:
        if not reply.review.judged:
            continue
        rows = _reply_rows(channel, thread, reply, earlier, serial=len(blocks))
        if len(blocks) + len(rows) > room:
            blocks.append(_context("_More replies than fit here: judge them in a shorter thread._"))
            break
        blocks += rows
        shown += 1
    if shown == 0:
        return None
    return {"text": "Judge my findings in this conversation", "blocks": blocks}


def _reply_rows(
    channel: str,
    thread: str,
    reply: Reply,
    earlier: Mapping[tuple[str, str], Verdict],
    *,
    serial: int,
) -> list[dict[str, Any]]:
    review = reply.review
    head = f"*Reply {reply.position}* · <@{reply.author}>"
    if not review.needs_nudge:
        head += " · no nudge from me"
    rows = [_section(head)]
    findings = sorted(review.findings, key=lambda f: (f.level != "nudge", -f.cost))[:MOST_FINDINGS]
    for finding in findings:
        judged = Judged(channel, thread, reply.ts, finding.rule, finding.dimension)
        said = earlier.get((reply.ts, finding.rule))
        note = f" · _{EARLIER[said]}_" if said else ""
        rows.append(_section(_finding_text(finding) + note))
        n = serial + len(rows)
        rows.append(
            _actions(
                f"judge:{n}",
                [
                    _button("Agree", f"{ACTIONS['agree']}:{n}", judged, "primary"),
                    _button("Disagree", f"{ACTIONS['disagree']}:{n}", judged),
                ],
            )
        )
    if not review.needs_nudge:
        judged = Judged(channel, thread, reply.ts, "", None)
        said = earlier.get((reply.ts, ""))
        if said:
            rows.append(_context(f"_{EARLIER[said]}_"))
        n = serial + len(rows)
        missed = _button("I'd have nudged: you missed it", f"{ACTIONS['missed']}:{n}", judged)
        rows.append(_actions(f"judge:{n}", [missed]))
    return rows


def _finding_text(finding: Finding) -> str:
    quote = trim_quote(finding.quote)
    about = f" (“{escape_mrkdwn(truncate(quote, 200, '…'))}”)" if quote else ""
    label = LABELS.get(finding.dimension, finding.dimension)
    return f"*{label}* · `{escape_mrkdwn(finding.rule)}`: {escape_mrkdwn(finding.message)}{about}"


def acknowledged(message: Mapping[str, Any], block_id: str, verdict: Verdict) -> dict[str, Any]:
    """Return ``message`` with the clicked row (``block_id``) replaced by what the lead said."""
    blocks = [
        _context(DONE[verdict]) if block.get("block_id") == block_id else block
        for block in message.get("blocks", ())
    ]
    return {"text": str(message.get("text") or "Judge my findings"), "blocks": blocks}


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to the verdict buttons of the scorecard."""

    async def on_verdict(
        body: dict[str, Any],
        action: dict[str, Any],
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        action_id = str(action.get("action_id") or "")
        verdict = next(v for v, prefix in ACTIONS.items() if action_id.startswith(prefix))
        lead = str(body["user"]["id"])
        judged = read_value(str(action.get("value") or ""))

        async def note(text: str) -> None:
            await respond(text=text, replace_original=False, response_type="ephemeral")

        async def record() -> None:
            if judged is None or (verdict == "missed") != (judged.rule == ""):
                await note(ODD)
                return
            if not await bot.directory.is_lead(lead):
                await note(NOT_A_LEAD)
                return
            if await bot.directory.can_see(lead, judged.channel) != "yes":
                await note(CANT_SEE)
                return
            rule = judged.rule
            if rule:
                try:
                    rule = resolve_rule(rule, [r.id for r in bot.engine.rulebook.rules])
                except RulesCommandError:
                    await note(ODD)
                    return
            found = await _reply_of(bot, client, judged, home_team(context))
            if found is None:
                await note(GONE)
                return
            author, draft = found
            learning = await bot.state.learning()
            await learning.judge(
                Judgement(
                    channel=judged.channel,
                    message_ts=judged.message,
                    rule=rule,
                    verdict=verdict,
                    user=lead,
                    dimension=judged.dimension,
                    text=draft.text,
                    thread=tuple({"role": t.role, "text": t.text} for t in draft.thread),
                    platform="slack",
                    team=home_team(context),
                    author=author,
                )
            )
            key = memory_key(lead, judged.channel, judged.thread)
            shown = bot.nudge(key)
            if shown is None:  # not remembered (a restart): say it in a note instead
                await note(DONE[verdict])
                return
            updated = acknowledged(shown, str(action.get("block_id")), verdict)
            bot.remember_nudge(key, updated)
            await respond(**updated, replace_original=True, response_type="ephemeral")

        bot.spawn(record(), what="recording a lead's verdict")

    for prefix in ACTIONS.values():
        app.action(re.compile(rf"^{prefix}(:\d+)?$"))(on_verdict)


async def _reply_of(
    bot: SlackBot, client: AsyncWebClient, judged: Judged, home: str | None
) -> tuple[str, Draft] | None:
    """Read the conversation again and return the judged reply: its author and its draft."""
    messages = await read_thread(client, judged.channel, judged.thread)
    for author, draft in await agent_replies(bot, judged.channel, messages, home):
        if draft.id == judged.message:
            return author, draft
    return None


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}]}


def _actions(block_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _button(text: str, action_id: str, judged: Judged, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT, "…")},
        "action_id": action_id,
        "value": button_value(judged),
    }
    if style:
        button["style"] = style
    return button
