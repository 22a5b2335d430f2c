"""The leads' review as an Adaptive Card: a :class:`~nudgebot.reports.Report` for Teams.

A pure builder beside :mod:`.cards`, with the same rules: an Adaptive Card 1.5; our own words
in ``TextBlock`` elements and ``FactSet`` facts; words from elsewhere (display names from
Teams, the anonymised example quotes, the best reply) in ``TextRun`` elements, shown as typed;
the card's JSON within :data:`~.cards.MAX_CARD_BYTES` (Teams caps a message at about 28 KB).

Agents are shown by display name (``report.query.names``: the caller resolves them, in Teams
from the conversations' members, :mod:`.members`); an agent without a known name is shown as
"agent 1", "agent 2"..., never by an Entra object id. The card goes to the lead alone (the
bot's 1:1 chat), so it names the agents.

The trend chart is not inside the card (its PNG alone is bigger than a card may be): it is
sent in the same message, and the card says so and describes it in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nudgebot.adapters.teams.cards import MAX_CARD_BYTES, _card, _ours, _theirs, card_size, shorten
from nudgebot.learning_report import outcome_words
from nudgebot.reports import Report, ScoreChange
from nudgebot.wording import LABELS, SCORES_LEGEND, plural

__all__ = ["MAX_NAME", "agent_labels", "change_words", "report_card", "report_summary"]

MAX_NAME = 60
"""Display names longer than this are shortened."""

_NAMES: dict[str, str] = {"overall": "Overall"} | {str(d): label for d, label in LABELS.items()}
_RAW_ID = re.compile(
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{1,2}:\S+)\Z", re.I
)
"""An Entra object id, or a Teams id (``29:...``, ``8:orgid:...``): never shown as a name."""


@dataclass(frozen=True)
class _Budget:
    """How much of a report one card shows; tried in order until the card fits."""

    agents: int
    example: int
    kudos: int


_BUDGETS = (
    _Budget(40, 200, 300),
    _Budget(25, 160, 200),
    _Budget(15, 120, 160),
    _Budget(8, 80, 120),
    _Budget(3, 60, 80),
)


def _clean_name(name: str | None) -> str | None:
    """Return a display name on one line and shortened, or None if it is empty or an id."""
    if not name:
        return None
    text = " ".join(name.split())
    if not text or _RAW_ID.match(text):
        return None
    return shorten(text, MAX_NAME, "…")


def agent_labels(report: Report) -> dict[str, str]:
    """Return ``{user id: what the card calls them}`` for every agent the report shows.

    The display name from ``report.query.names`` when there is one; otherwise ``agent 1``,
    ``agent 2``... in the order of the per-agent rows (the best reply's author among them).
    """
    users = [agent.user for agent in report.agents]
    if report.kudos is not None and report.kudos.user and report.kudos.user not in users:
        users.append(report.kudos.user)
    labels: dict[str, str] = {}
    unnamed = 0
    for user in users:
        name = _clean_name(report.query.name(user))
        if name is None:
            unnamed += 1
            name = f"agent {unnamed}"
        labels[user] = name
    return labels


def change_words(score: ScoreChange) -> str:
    """Return a score's change against the previous period, with an arrow and in words."""
    change = score.change
    if change is None:
        return "no earlier period to compare"
    if round(change, 1) == 0:
        return "= the same as the previous period"
    if change > 0:
        return f"▲ up {change:.1f} on the previous period"
    return f"▼ down {-change:.1f} on the previous period"


def _score_value(score: ScoreChange) -> str:
    mean = "no score" if score.mean is None else f"{score.mean:.0f}"
    return f"{mean} · {change_words(score)}"


def _period(report: Report) -> str:
    query = report.query
    since, until = query.since.astimezone(query.tz), query.until.astimezone(query.tz)
    zone = until.tzname() or ""
    return f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {zone}".rstrip()


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def report_summary(report: Report) -> str:
    """Return the report in one sentence (the card's fallback text and notification)."""
    label = report.query.period_label
    if not report.replies:
        return f"Team review, {label}: no replies were reviewed."
    overall = report.overall
    said = f"Team review, {label}: {plural(report.replies, 'reply', 'replies')} reviewed"
    if overall.mean is not None:
        said += f", overall {overall.mean:.0f} ({change_words(overall)})"
    return said + "."


def _scores(report: Report) -> list[dict[str, Any]]:
    facts = [
        {"title": _NAMES.get(score.name, score.name.capitalize()), "value": _score_value(score)}
        for score in (report.overall, *report.scores)
    ]
    return [
        _ours("**Scores**", spacing="Medium"),
        {"type": "FactSet", "id": "scores", "facts": facts},
        _ours(SCORES_LEGEND, isSubtle=True, size="Small", spacing="Small"),
    ]


def _issues(report: Report, budget: _Budget) -> list[dict[str, Any]]:
    if not report.issues:
        return [_ours("No issue came up more than once in this period.", spacing="Medium")]
    items: list[dict[str, Any]] = [_ours("**Most frequent issues**")]
    for number, issue in enumerate(report.issues, start=1):
        area = LABELS.get(issue.dimension, issue.dimension.capitalize())
        head = f"{number}. {issue.label} ({area}), in {plural(issue.count, 'reply', 'replies')}"
        items.append(_theirs((head, {"weight": "Bolder"})))
        if issue.example:
            example = shorten(issue.example, budget.example, "…")
            items.append(
                _theirs(("For example: ", {"isSubtle": True}), (f"“{example}”", {"italic": True}))
            )
    return [{"type": "Container", "id": "issues", "items": items, "spacing": "Medium"}]


def _kudos(report: Report, labels: dict[str, str], budget: _Budget) -> list[dict[str, Any]]:
    kudos = report.kudos
    if kudos is None:
        return []
    by = labels.get(kudos.user or "")
    head: list[str | tuple[str, dict[str, Any]]] = [
        ("⭐ Reply of the period", {"weight": "Bolder"})
    ]
    if by:
        head += [", by ", (by, {"weight": "Bolder"})]
    head.append(f" (overall {kudos.overall})")
    items = [
        _theirs(*head),
        _theirs((f"“{shorten(kudos.text, budget.kudos, '…')}”", {"italic": True})),
    ]
    return [{"type": "Container", "id": "kudos", "items": items, "spacing": "Medium"}]


def _acceptance(report: Report) -> dict[str, Any]:
    acceptance = report.acceptance
    if not acceptance.nudges:
        return _ours("**Nudges**: none were sent in this period.", id="acceptance")
    if acceptance.answered:
        said = (
            f"agents answered {acceptance.answered} of them and found {acceptance.helpful} "
            f"helpful ({_percent(acceptance.share)})."
        )
    else:
        said = "no agent has said yet whether they helped."
    return _ours(f"**Nudges**: {plural(acceptance.nudges, 'nudge')} sent; {said}", id="acceptance")


def _learning(report: Report, budget: _Budget) -> list[dict[str, Any]]:
    """Return the learning part, briefly (rules by their labels; no lead is named by id)."""
    learning = report.learning
    if learning is None:
        return []
    items: list[dict[str, Any]] = [_ours("**What your team finds helpful**")]
    top, bottom = learning.helpful()
    if not top:
        items.append(_ours("No votes on live nudges in this period.", spacing="Small"))
    for mark, rows in (("👍", top), ("👎", bottom)):
        for row in rows:
            f = row.figures
            items.append(
                _ours(
                    f"{mark} {learning.label(row.rule)}: {_percent(f.acceptance)} of "
                    f"{plural(f.votes, 'vote')} helpful, {f.acted_on:,} acted on",
                    spacing="Small",
                )
            )
    shown = learning.quieted[: max(1, budget.agents // 8)]
    if shown:
        items.append(_ours("**Not nudging live**", spacing="Small"))
    for item in shown:
        state = item.state
        who = "the team's feedback" if not state.by else "a lead"
        head = f"{learning.label(state.rule)}: {state.label}, by {who}"
        if state.why:
            why = shorten(state.why, budget.example, "…")
            items.append(_theirs((head, {}), (f" ({why})", {"italic": True})))
        else:
            items.append(_ours(head, spacing="Small"))
    hidden = len(learning.quieted) - len(shown)
    if hidden:
        items.append(_ours(f"…and {plural(hidden, 'more rule')}.", isSubtle=True, size="Small"))
    agreement = learning.agreement
    said = (
        f"{agreement.agreed} of {agreement.judged} findings judged agreed with "
        f"({_percent(agreement.rate)})"
        if agreement.judged
        else "no findings judged"
    )
    items.append(
        _ours(f"**Leads' agreement**: {said}; {plural(agreement.missed, 'miss', 'misses')}.")
    )
    if learning.outcomes:
        items.append(
            _ours("The customer's next message after a nudge (figures, not causes):", isSubtle=True)
        )
        facts = [
            {"title": learning.label(o.rule), "value": outcome_words(o)}
            for o in learning.outcomes[: max(1, budget.agents // 8)]
        ]
        items.append({"type": "FactSet", "id": "outcomes", "facts": facts})
    return [{"type": "Container", "id": "learning", "items": items, "spacing": "Medium"}]


_WIDTHS = ("4", "2", "2", "2", "2")
_HEADINGS = ("Agent", "Replies", "Overall", "Nudges", "Helpful")


def _row(cells: list[dict[str, Any]], *, first: bool = False) -> dict[str, Any]:
    columns = [
        {"type": "Column", "width": width, "items": [cell], "verticalContentAlignment": "Center"}
        for width, cell in zip(_WIDTHS, cells, strict=True)
    ]
    return {"type": "ColumnSet", "columns": columns, "spacing": "Small", "separator": first}


def _agents(report: Report, labels: dict[str, str], budget: _Budget) -> list[dict[str, Any]]:
    if not report.agents:
        return []
    shown = report.agents[: budget.agents]
    rows = [
        _row(
            [_ours(f"**{heading}**", size="Small", spacing="None") for heading in _HEADINGS],
            first=True,
        )
    ]
    for agent in shown:
        figures = (
            f"{agent.replies:,}",
            f"{agent.overall:.0f}",
            f"{agent.nudges:,}",
            _percent(agent.helpful_share),
        )
        name = _theirs(labels.get(agent.user, "an agent"))
        rows.append(_row([name, *(_ours(f, spacing="None") for f in figures)]))
    hidden = len(report.agents) - len(shown)
    items: list[dict[str, Any]] = [_ours("**By agent** (only you can see this)"), *rows]
    if hidden:
        more = (
            f"…and {plural(hidden, 'more agent')} with fewer replies, left out to keep this "
            "card within Teams' size limit."
        )
        items.append(_ours(more, isSubtle=True, size="Small", id="agents-more"))
    return [{"type": "Container", "id": "agents", "items": items, "spacing": "Medium"}]


def _chart(report: Report, alt: str | None) -> list[dict[str, Any]]:
    if alt is None:
        return []
    return [
        _ours("**Daily trend**: the chart below this card.", spacing="Medium", id="chart"),
        _ours(alt, isSubtle=True, size="Small", spacing="Small", id="chart-alt"),
    ]


def report_card(report: Report, *, chart_alt: str | None = None) -> dict[str, Any]:
    """Return the card of a lead's review.

    Title and period; replies reviewed; the overall and five scores with their change against
    the previous period (▲/▼ and words) and what the scores mean; the most frequent issues
    with their labels and an anonymised example each; the reply of the period and its author;
    nudge acceptance; what the team's reactions say, when the report carries it (what helps,
    rules not nudging live, leads' agreement, outcomes); a row per agent (by display name,
    most replies first). ``chart_alt``
    is the trend chart's description when the chart is sent with the card (None: no chart).

    The card stays within :data:`~.cards.MAX_CARD_BYTES`: with many agents the rows with the
    fewest replies are left out ("…and 12 more agents"), then the quotes are shortened.
    """
    card: dict[str, Any] = {}
    for budget in _BUDGETS:
        card = _report_card(report, chart_alt, budget)
        if card_size(card) <= MAX_CARD_BYTES:
            return card
    return card  # the last budget fits: three agents and a few short quotes


def _report_card(report: Report, chart_alt: str | None, budget: _Budget) -> dict[str, Any]:
    query = report.query
    body: list[dict[str, Any]] = [
        _ours(f"Team review · {query.period_label}", id="title", weight="Bolder", size="Medium"),
        _ours(_period(report), id="period", isSubtle=True, spacing="None"),
    ]
    if not report.replies:
        body.append(
            _ours(
                "No replies were reviewed in this period. Try a longer one, like `review 30d`.",
                id="replies",
            )
        )
        return _card(body, report_summary(report))
    body.append(
        _ours(
            f"**{plural(report.replies, 'reply', 'replies')} reviewed** "
            f"(previous period: {report.previous_replies:,}).",
            id="replies",
        )
    )
    labels = agent_labels(report)
    body += _scores(report)
    body += _issues(report, budget)
    body += _kudos(report, labels, budget)
    body.append(_acceptance(report))
    body += _learning(report, budget)
    body += _agents(report, labels, budget)
    body += _chart(report, chart_alt)
    return _card(body, report_summary(report))
