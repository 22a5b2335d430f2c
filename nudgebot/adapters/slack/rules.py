"""``/nudge rules``: what each rule's live nudges earned in this team, and leads steering them.

Anyone in the workspace may list the rules (``/nudge rules``): each rule that nudged live
over the quiet policy's window (30 days by default) or whose state was changed, with its
nudges, votes, acceptance, acted on, muted after, and its state (``auto``, ``quieted by
feedback``, ``on (lead)``, ``off (lead)``). Only leads may change one:
``/nudge rules off <rule> [why]`` stops it nudging live in this team, ``on`` keeps it nudging
whatever the feedback, ``auto`` gives it back to the feedback. Every change is recorded with
who, when and why (:meth:`~nudgebot.storage.learning.Learning.set_mode`), and shows on this
instance's next live review at once (on others within ten seconds).

:func:`rules_message` is the pure Block Kit builder; :func:`run_rules` the command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from nudgebot.adapters.slack.blocks import MAX_BLOCKS, MAX_HEADER, MAX_TEXT, slack_len, truncate
from nudgebot.adapters.slack.bot import SlackBot, sentence
from nudgebot.engine.guard import escape_mrkdwn
from nudgebot.learning import (
    QuietPolicy,
    RuleFigures,
    RulesCommandError,
    RuleState,
    parse_rules_command,
    rules_lines,
)
from nudgebot.reports import rule_labels

__all__ = ["LEADS_ONLY", "rules_message", "run_rules"]

LEADS_ONLY = (
    "Sorry, only team leads can change a rule. `/nudge rules` shows each rule's figures and "
    "state to anyone."
)
STEER = (
    "Team leads: `/nudge rules off &lt;rule&gt; [why]` stops a rule nudging live in this team, "
    "`/nudge rules on &lt;rule&gt;` keeps it nudging, `/nudge rules auto &lt;rule&gt;` lets the "
    "team's feedback decide again."
)
_DONE = {
    "off": "is off in this team: it no longer nudges live here (it still counts in scores and "
    "still shows when an agent asks)",
    "on": "is on in this team: it nudges live whatever the feedback says",
    "auto": "is back to auto in this team: the team's feedback decides",
}


def rules_message(
    figures: Sequence[RuleFigures],
    states: Mapping[str, RuleState],
    *,
    policy: QuietPolicy,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the answer to ``/nudge rules``: one line per rule, its figures and its state."""
    lines = rules_lines(figures, states, names=names)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("Rules in this team")},
        _context(
            f"Live nudges over the last {policy.days} days. Automatically, "
            f"{escape_mrkdwn(policy.describe())}."
        ),
    ]
    if not lines:
        blocks.append(
            _section(
                f"No rule has nudged live here in the last {policy.days} days, and no lead "
                "has changed one."
            )
        )
    sections = _packed([f"• {escape_mrkdwn(line)}" for line in lines])
    room = MAX_BLOCKS - len(blocks) - 1
    if len(sections) > room:
        sections = [*sections[: room - 1], "_…and more: not all fit in one message._"]
    blocks += [_section(text) for text in sections]
    blocks.append(_context(STEER))
    quiet = sum(1 for state in states.values() if not state.live)
    summary = f"Rules in this team: {len(lines)} listed, {quiet} not nudging live."
    return {"text": summary, "blocks": blocks}


async def run_rules(bot: SlackBot, user: str, team: str | None, text: str) -> dict[str, Any]:
    """Answer ``/nudge rules <text>`` for ``user`` in ``team`` (the workspace)."""
    known = [rule.id for rule in bot.engine.rulebook.rules]
    try:
        command = parse_rules_command(text, known)
    except RulesCommandError as error:  # it says how to write it (`rules off <rule>`)
        return _note(escape_mrkdwn(sentence(str(error))))
    state = bot.state
    learning = await state.learning()
    if command.action == "list":
        now = state.now()
        policy = learning.policy
        figures = await learning.rule_figures(
            since=now - policy.window, until=now + timedelta(seconds=1), team=team
        )
        states = await learning.states(team)
        names = rule_labels(bot.engine.rulebook.rules)
        return rules_message(figures, states, policy=policy, names=names)
    if not await bot.directory.is_lead(user):
        return _note(LEADS_ONLY)
    assert command.rule is not None  # (on, off and auto always name one)
    changed = await learning.set_mode(team, command.rule, command.action, by=user, why=command.why)
    state.forget_quiet(team)
    said = f"`{command.rule}` {_DONE[command.action]}."
    if command.action == "auto":
        said += " Right now it is " + (
            "quieted by the feedback." if changed.quiet else "nudging live."
        )
    if command.why:
        said += f" Why: {escape_mrkdwn(command.why)}"
    return _note(said)


def _packed(lines: Sequence[str]) -> list[str]:
    """Join lines into as few section texts as fit Slack's 3,000 characters each."""
    texts: list[str] = []
    for line in lines:
        line = truncate(line, MAX_TEXT // 2, "…")
        if texts and slack_len(texts[-1]) + 1 + slack_len(line) <= MAX_TEXT:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, MAX_HEADER, "…")}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text)}]}


def _note(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [_section(text)]}
