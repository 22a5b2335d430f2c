"""How a review is put into words, whichever platform shows it.

The Slack Block Kit builders (:mod:`nudgebot.adapters.slack.blocks`) and the Teams Adaptive
Card builders (:mod:`nudgebot.adapters.teams.cards`) format differently (mrkdwn and markdown,
sections and containers) but say the same things: the dimensions' names, the one-line verdict
with the five scores, what a good reply does well. Those words live here, once; each builder
adds only its own markup. Pure functions, no I/O.
"""

from __future__ import annotations

from nudgebot.models import DIMENSIONS, Dimension, Finding, Review

__all__ = [
    "LABELS",
    "STRENGTHS",
    "plural",
    "quotes_itself",
    "review_summary",
    "scores_line",
    "strengths",
]

LABELS: dict[Dimension, str] = {
    "respect": "Respect",
    "empathy": "Empathy",
    "adaptable": "Adaptable",
    "learn": "Learn",
    "ownership": "Ownership",
}
"""Each dimension's name as shown to people."""

STRENGTHS: dict[Dimension, str] = {
    "respect": "it's courteous",
    "empathy": "it shows you care how they feel",
    "adaptable": "it's flexible about what you can do",
    "learn": "it stays open to what they tell you",
    "ownership": "it owns what happens next",
}
"""What a reply scoring well on each dimension does, for a word of encouragement."""


def plural(count: int, noun: str, plural: str | None = None) -> str:
    """Return ``"1 thing"`` / ``"3 things"`` (``plural`` for irregular nouns)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def scores_line(review: Review) -> str:
    """Return the five scores on one line: ``"Respect 90 · Empathy 35 · ..."``."""
    scores = review.scores.to_dict()
    return " · ".join(f"{LABELS[d]} {scores[d]}" for d in DIMENSIONS)


def review_summary(review: Review) -> str:
    """Return one line for a review: its verdict and, when judged, the five scores."""
    if not review.judged:
        return "I couldn't review this one."
    nudges = sum(1 for finding in review.findings if finding.level == "nudge")
    if review.points_raised:
        verdict = f"{plural(max(nudges, 1), 'thing')} could land better"
    else:
        verdict = "This reply reads well"
    return f"{verdict} · {scores_line(review)}"


def strengths(review: Review) -> str | None:
    """Return up to three things a reply does well, as one phrase (None: nothing scores 80+).

    ``"it's courteous, it shows you care how they feel and it owns what happens next"``.
    """
    scores = review.scores.to_dict()
    best = sorted((d for d in DIMENSIONS if scores[d] >= 80), key=lambda d: -scores[d])[:3]
    if not best:
        return None
    found = [STRENGTHS[d] for d in DIMENSIONS if d in best]
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1])
    if len(found) > 1:
        listed += " and " + found[-1]
    return listed


def quotes_itself(finding: Finding) -> bool:
    """Tell whether the finding's message already quotes its words, in quotation marks."""
    words, message = " ".join(finding.quote.split()), " ".join(finding.message.split())
    return any(f"{a}{words}{b}" in message for a, b in ("“”", '""', "''", "‘’"))
