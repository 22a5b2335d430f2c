"""Block Kit builders for leads' reviews: a :class:`~nudgebot.reports.Report` as a Slack message.

Pure functions, like :mod:`nudgebot.adapters.slack.blocks`, with the same rules: every piece
of stored text (labels, example quotes, the kudos reply, display names) is escaped with
:func:`~nudgebot.engine.guard.escape_mrkdwn`; the only markup emitted is built here
from validated ids (``<#C123>``, and in the private view ``<@U123>`` / ``<!subteam^S123>``);
50 blocks and 3,000 characters per section at most.

``private=True`` is the lead's own view (an ephemeral message or a DM to the lead): it names
the agents (the kudos author, the per-agent rows). ``private=False`` is safe to post where
others read it: no agent is named or mentioned, and user groups are only counted, since a
``<!subteam^...>`` token would notify the whole group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from nudgebot.adapters.slack.blocks import (
    LABELS,
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_TEXT,
    slack_len,
    truncate,
)
from nudgebot.engine.guard import escape_mrkdwn
from nudgebot.learning_report import TeamLearning, outcome_words
from nudgebot.models import DIMENSIONS
from nudgebot.reports import (
    Report,
    ReviewQuery,
    ScoreChange,
    ThreadQuery,
    ThreadScorecard,
)
from nudgebot.wording import SCORES_LEGEND, trim_quote

__all__ = ["progress_message", "report_blocks", "scorecard_blocks"]

_ID = re.compile(r"[A-Z0-9]+\Z")
_FALLBACK = 300
_AGENT_LINE = 200
_QUIETED = 5
_NAMES: dict[str, str] = {"overall": "Overall"} | {str(d): label for d, label in LABELS.items()}


def _esc(text: str) -> str:
    return escape_mrkdwn(" ".join(text.split()))


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER, "…")},
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text.strip() or "…")}}


def _fields(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(t, 2000, "…")} for t in texts[:10]],
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text or "…")}]}


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _token(prefix: str, ident: str) -> str:
    """Return a Slack markup token for an id (only ids of capitals and digits are trusted)."""
    return f"<{prefix}{ident}>" if _ID.match(ident) else _esc(ident)


def _scope(query: ReviewQuery, *, private: bool) -> str:
    """Return who the report covers, as mrkdwn: channels, and agents and groups if private."""
    parts = [_token("#", channel) for channel in query.channels]
    if private:
        parts += [_token("@", user) for user in query.users]
        parts += [_token("!subteam^", group) for group in query.groups]
    else:
        if query.users:
            parts.append(_plural(len(query.users), "agent"))
        if query.groups:
            parts.append(_plural(len(query.groups), "group"))
    return ", ".join(parts) if parts else "all reviewed replies"


def _period(query: ReviewQuery) -> str:
    """Return the period's bounds in the lead's time zone: ``2026-11-08 12:00 to ... UTC``."""
    since, until = query.since.astimezone(query.tz), query.until.astimezone(query.tz)
    zone = _esc(until.tzname() or "")
    return f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {zone}".rstrip()


def _change(score: ScoreChange) -> str:
    change = score.change
    if change is None:
        return "no earlier data"
    if round(change, 1) == 0:
        return "no change"
    return f"{'▲' if change > 0 else '▼'} {abs(change):.1f}"


def _score_field(score: ScoreChange) -> str:
    mean = "–" if score.mean is None else f"{score.mean:.0f}"
    return f"*{_NAMES.get(score.name, score.name)}*\n{mean}  _{_change(score)}_"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _agent_sections(report: Report) -> list[dict[str, Any]]:
    """Return the per-agent rows as bulleted sections, each within the section limit."""
    lines = []
    for agent in report.agents:
        line = (
            f"• {_token('@', agent.user)} · {_plural(agent.replies, 'reply', 'replies')} · "
            f"overall {agent.overall:.0f} · {_plural(agent.nudges, 'nudge')} · "
            f"{_percent(agent.helpful_share)} helpful"
        )
        lines.append(truncate(line, _AGENT_LINE, "…"))
    sections: list[dict[str, Any]] = []
    current = "*By agent* (only you can see this)"
    for line in lines:
        if slack_len(current) + 1 + slack_len(line) > MAX_TEXT:
            sections.append(_section(current))
            current = line
        else:
            current += "\n" + line
    sections.append(_section(current))
    return sections


def _fit(
    blocks: list[dict[str, Any]], tail: list[dict[str, Any]], what: str, where: str
) -> list[dict[str, Any]]:
    """Return ``blocks + tail`` within the block limit, saying what was left out."""
    room = MAX_BLOCKS - len(blocks)
    if len(tail) <= room:
        return blocks + tail
    kept = tail[: room - 1]
    hidden = len(tail) - len(kept)
    return [*blocks, *kept, _context(f"…and {_plural(hidden, what)} left out{where}.")]


def _learning_sections(learning: TeamLearning, *, private: bool) -> list[dict[str, Any]]:
    """Return the learning part, briefly: what helps, what doesn't nudge, agreement, outcomes.

    Rules are named by their labels; the lead who changed a rule is mentioned only when
    ``private`` ("a lead" otherwise); a lead's reason is escaped like any stored text.
    """
    lines = ["*What your team finds helpful*"]
    top, bottom = learning.helpful()
    if not top:
        lines.append("No votes on live nudges in this period.")
    for mark, rows in ((":thumbsup:", top), (":thumbsdown:", bottom)):
        for row in rows:
            f = row.figures
            line = (
                f"{mark} {_esc(learning.label(row.rule))} · {_percent(f.acceptance)} of "
                f"{_plural(f.votes, 'vote')} helpful · {f.acted_on:,} acted on"
            )
            lines.append(truncate(line, _AGENT_LINE, "…"))
    sections = [_section("\n".join(lines))]
    if learning.quieted:
        quiet = ["*Not nudging live*"]
        for item in learning.quieted[:_QUIETED]:
            state = item.state
            if not state.by:
                who = "the team's feedback"
            else:
                who = _token("@", state.by) if private else "a lead"
            why = f": _{_esc(truncate(state.why, 120, '…'))}_" if state.why else ""
            quiet.append(
                truncate(
                    f"• {_esc(learning.label(state.rule))} · {state.label} · by {who}{why}",
                    _AGENT_LINE,
                    "…",
                )
            )
        if len(learning.quieted) > _QUIETED:
            quiet.append(f"…and {len(learning.quieted) - _QUIETED:,} more")
        sections.append(_section("\n".join(quiet)))
    agreement = learning.agreement
    said = (
        "no findings judged"
        if not agreement.judged
        else (
            f"{agreement.agreed} of {agreement.judged} findings judged agreed with "
            f"({_percent(agreement.rate)})"
        )
    )
    notes = [f"*Leads' agreement*: {said} · {_plural(agreement.missed, 'miss', 'misses')}"]
    for outcome in learning.outcomes[:_QUIETED]:
        notes.append(f"{_esc(learning.label(outcome.rule))}: {outcome_words(outcome)}")
    if learning.outcomes:
        notes.insert(1, "_The customer's next message after a nudge (figures, not causes):_")
    sections.append(_section("\n".join(notes)))
    return sections


def report_blocks(report: Report, *, private: bool) -> dict[str, Any]:
    """Return the Slack message of a lead's review: ``{"text": ..., "blocks": [...]}``.

    Header and scope; replies reviewed; the overall and five scores with ▲▼ changes against
    the previous period; the three most frequent issues with an anonymised example each; the
    best reply (kudos, its author named only when ``private``); nudge acceptance; what the
    team's reactions say, when the report carries it (:func:`_learning_sections`); and, only
    when ``private``, a row per agent.
    """
    query = report.query
    scope = _scope(query, private=private)
    blocks: list[dict[str, Any]] = [
        _header(f"Team review · {query.period_label}"),
        _context(f"{scope} · {_period(query)}"),
    ]
    if report.unreviewed:
        blocks.append(
            _context(
                f"{_plural(report.unreviewed, 'message')} not reviewed: the app was overloaded, "
                "or reviewing failed."
            )
        )
    if not report.replies:
        blocks.append(
            _section("No replies were reviewed in this period. Try a longer one, like `30d`.")
        )
        text = f"Team review, {query.period_label}: no replies were reviewed."
        return {"text": truncate(text, _FALLBACK, "…"), "blocks": blocks}
    before = report.previous_replies
    blocks.append(
        _section(
            f"*{_plural(report.replies, 'reply', 'replies')} reviewed* "
            f"(previous period: {before:,})"
        )
    )
    blocks.append(_fields([_score_field(s) for s in (report.overall, *report.scores)]))
    blocks.append(_context(SCORES_LEGEND))
    if report.issues:
        lines = ["*Most frequent issues*"]
        for number, issue in enumerate(report.issues, start=1):
            lines.append(
                f"{number}. *{_esc(issue.label)}* · {LABELS.get(issue.dimension, '')} · "
                f"{_plural(issue.count, 'reply', 'replies')}"
            )
            if issue.example:
                lines.append(f"> _“{_esc(issue.example)}”_")
        blocks.append(_section("\n".join(lines)))
    if report.kudos is not None:
        kudos = report.kudos
        by = ""
        if private and kudos.user:
            by = f" by {_token('@', kudos.user)}"
            if kudos.channel:
                by += f" in {_token('#', kudos.channel)}"
        blocks.append(
            _section(
                f":star: *Reply of the period*{by} (overall {kudos.overall})\n> {_esc(kudos.text)}"
            )
        )
    acceptance = report.acceptance
    if acceptance.nudges:
        said = (
            f"{acceptance.helpful} of {acceptance.answered} answered found it helpful "
            f"({_percent(acceptance.share)})"
            if acceptance.answered
            else "no answers yet"
        )
        blocks.append(
            _section(f"*Nudge acceptance*: {_plural(acceptance.nudges, 'nudge')} sent · {said}")
        )
    else:
        blocks.append(_section("*Nudge acceptance*: no nudges were sent in this period."))
    if report.learning is not None:
        blocks += [{"type": "divider"}, *_learning_sections(report.learning, private=private)]
    if private and report.agents:
        blocks = _fit(
            [*blocks, {"type": "divider"}],
            _agent_sections(report),
            "more section",
            ": the CSV export has every agent",
        )
    overall = report.overall
    mean = "" if overall.mean is None else f", overall {overall.mean:.0f} ({_change(overall)})"
    text = f"Team review, {query.period_label}: {_plural(report.replies, 'reply', 'replies')}{mean}"
    return {"text": truncate(text, _FALLBACK, "…"), "blocks": blocks[:MAX_BLOCKS]}


def progress_message(query: ReviewQuery, replies: int | None = None) -> dict[str, Any]:
    """Return the placeholder shown while a review runs ("Reviewing 340 replies...").

    Post it first and update it in place with :func:`report_blocks` when the report is ready.
    """
    counted = "your team's replies" if replies is None else _plural(replies, "reply", "replies")
    text = f":hourglass_flowing_sand: Reviewing {counted} ({query.period_label})…"
    return {"text": truncate(text, _FALLBACK, "…"), "blocks": [_section(text)]}


def scorecard_blocks(thread: ThreadQuery, card: ThreadScorecard) -> dict[str, Any]:
    """Return the QA scorecard of one conversation: each agent reply's scores and top finding.

    It names the agents (``<@U123>``): send it to the lead privately.
    """
    blocks: list[dict[str, Any]] = [
        _header("Conversation scorecard"),
        _context(f"Thread in {_token('#', thread.channel)}"),
    ]
    if not card.rows:
        blocks.append(_section("I found no agent replies to score in this conversation."))
        return {"text": "Conversation scorecard: no agent replies to score.", "blocks": blocks}
    blocks.append(_context(SCORES_LEGEND))
    if card.means:
        means = " · ".join(
            f"{_NAMES[name]} {card.means[name]:.0f}" for name in ("overall", *DIMENSIONS)
        )
        blocks.append(
            _section(f"*Mean over {_plural(len(card.rows), 'reply', 'replies')}*\n{means}")
        )
    rows = []
    for row in card.rows:
        head = f"*Reply {row.position}* · {_token('@', row.user)}"
        if not row.judged:
            rows.append(_section(f"{head}\n_Not scored: I couldn't judge this one._"))
            continue
        scores = row.scores.to_dict()
        line = " · ".join(f"{LABELS[d]} {scores[d]}" for d in DIMENSIONS)
        text = (
            f"{head} · overall {row.scores.overall}{' · :bell: nudge' if row.needs_nudge else ''}"
        )
        text += f"\n{line}"
        if row.top is not None:
            quote = trim_quote(row.top.quote)
            about = (
                f" (“{_esc(truncate(quote, 200, '…'))}”)"
                if quote and quote not in row.top.message
                else ""
            )
            text += (
                f"\n_Top finding_: *{LABELS[row.top.dimension]}*: {_esc(row.top.message)}{about}"
            )
        rows.append(_section(text))
    blocks = _fit(blocks, rows, "more reply", " to keep this short")
    mean = card.means.get("overall")
    summary = "Conversation scorecard: " + _plural(len(card.rows), "reply", "replies")
    if mean is not None:
        summary += f", overall {mean:.0f}"
    return {"text": truncate(summary, _FALLBACK, "…"), "blocks": blocks}
