"""How a review is put into words, whichever platform shows it.

The Slack Block Kit builders (:mod:`nudgebot.adapters.slack.blocks`) and the Teams Adaptive
Card builders (:mod:`nudgebot.adapters.teams.cards`) format differently (mrkdwn and markdown,
sections and containers) but say the same things: the dimensions' names, the one-line verdict
with the five scores, what a good reply does well. Those words live here, once; each builder
adds only its own markup. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from nudgebot.models import DIMENSIONS, Dimension, Finding, Review

__all__ = [
    "FILL_IN",
    "LABELS",
    "LANGUAGE_NAMES",
    "READY",
    "SCORES_LEGEND",
    "STRENGTHS",
    "finding_message",
    "fresh_tips",
    "language_name",
    "note_for_people",
    "one_per_phrase",
    "plural",
    "quotes_itself",
    "review_summary",
    "scores_line",
    "scores_verdict",
    "strengths",
    "suggestion_label",
    "suggestion_state",
    "trim_quote",
    "weight_words",
]

READY = "Ready to copy"
"""Said of a suggestion with nothing left to fill in (``Review.suggestion_ready``)."""
FILL_IN = "Fill in the [brackets] and send"
"""Said of a suggestion with [placeholders] the agent must fill in first."""
SCORES_LEGEND = (
    "Scores are out of 100: 80 or more reads well, 50 to 79 could be warmer, under 50 needs work."
)
"""What the five scores mean, wherever they are shown."""

LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "bn": "Bengali",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "gu": "Gujarati",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "kn": "Kannada",
    "ko": "Korean",
    "lo": "Lao",
    "ml": "Malayalam",
    "nl": "Dutch",
    "no": "Norwegian",
    "pa": "Punjabi",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "si": "Sinhala",
    "sv": "Swedish",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tr": "Turkish",
    "zh": "Chinese",
}
"""The names of the languages the engine's language guess can answer (ISO 639-1 codes)."""

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
    nudges = sum(1 for finding in one_per_phrase(review.findings) if finding.level == "nudge")
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


# -- suggestions -------------------------------------------------------------------------------


def suggestion_state(review: Review) -> str:
    """Return :data:`READY` or :data:`FILL_IN`: what the agent does with the suggestion."""
    return READY if review.suggestion_ready else FILL_IN


def suggestion_label(review: Review) -> str:
    """Return the heading over a suggestion: what it is, and whether it can go out as it is.

    ``"A warmer version. Ready to copy:"`` or ``"A warmer version. Fill in the [brackets] and
    send:"``; for a reply that needs no nudge, ``"If you'd like, a little extra warmth. ..."``.
    """
    what = "A warmer version" if review.points_raised else "If you'd like, a little extra warmth"
    return f"{what}. {suggestion_state(review)}:"


# -- scores ------------------------------------------------------------------------------------


def scores_verdict(review: Review) -> str:
    """Return the five scores in words: which dimensions need work, which could be warmer.

    ``"Empathy (35) needs work; Ownership (70) could be warmer; the rest read well."``
    """
    scores = review.scores.to_dict()
    need = [f"{LABELS[d]} ({scores[d]})" for d in DIMENSIONS if scores[d] < 50]
    warmer = [f"{LABELS[d]} ({scores[d]})" for d in DIMENSIONS if 50 <= scores[d] < 80]
    parts = []
    if need:
        parts.append(f"{_and(need)} {'needs' if len(need) == 1 else 'need'} work")
    if warmer:
        parts.append(f"{_and(warmer)} could be warmer")
    if not parts:
        return "All five read well."
    if len(need) + len(warmer) < len(DIMENSIONS):
        parts.append("the rest read well")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def weight_words(finding: Finding) -> str:
    """Return how much a finding weighs, in words (instead of the points it costs)."""
    if finding.cost >= 25:
        return "a big one"
    if finding.cost >= 10:
        return "worth fixing"
    return "a small thing"


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- findings ----------------------------------------------------------------------------------


def trim_quote(text: str) -> str:
    """Return quoted words without the punctuation and spaces around them.

    ``"“, contact the courier.”"`` gives ``"contact the courier"``; inner punctuation stays.
    """
    start, end = 0, len(text)
    while start < end and _loose(text[start]):
        start += 1
    while end > start and _loose(text[end - 1]):
        end -= 1
    return " ".join(text[start:end].split())


def _loose(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def finding_message(finding: Finding) -> str:
    """Return the finding's message with its quoted words trimmed where it quotes them.

    A rule's message may quote the words as found (``“, contact the courier.” passes ...``);
    people read ``“contact the courier” passes ...``.
    """
    message = " ".join(finding.message.split())
    raw, trimmed = " ".join(finding.quote.split()), trim_quote(finding.quote)
    if not raw or raw == trimmed:
        return message
    for left, right in ("“”", '""', "''", "‘’"):
        message = message.replace(f"{left}{raw}{right}", f"{left}{trimmed}{right}")
    return message


def _phrase_key(finding: Finding) -> str:
    return trim_quote(finding.quote).casefold()


def one_per_phrase(findings: Iterable[Finding]) -> list[Finding]:
    """Return the findings with one per quoted phrase.

    The same words flagged under two dimensions count once (the first, in the order given).
    Findings without a quote (something missing) are all kept.
    """
    seen: set[str] = set()
    kept: list[Finding] = []
    for finding in findings:
        key = _phrase_key(finding)
        if key:
            if key in seen:
                continue
            seen.add(key)
        kept.append(finding)
    return kept


# -- coaching ----------------------------------------------------------------------------------


def fresh_tips(answer: str, tips: Iterable[str]) -> list[str]:
    """Return the tips the answer doesn't already say (each once), to list after it."""
    said = _squash(answer)
    listed: list[str] = []
    for tip in tips:
        key = _squash(tip)
        if key and key not in said and key not in (_squash(t) for t in listed):
            listed.append(" ".join(tip.split()))
    return listed


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


# -- notes -------------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """Return a language's name for a code such as ``"fr"`` (``"another language"`` if unknown)."""
    return LANGUAGE_NAMES.get(code.strip().lower(), "another language")


_LOOKS_LIKE = re.compile(r"this draft looks like '([a-z-]+)'")
_INVISIBLE = re.compile(r"removed (\d+) invisible character\(s\)")


def note_for_people(note: str | None) -> str | None:
    """Return an engine note (``Review.note``) as full sentences for people, no codes.

    The note of ``nudgebot check --format json`` is left as it is; what a person reads says,
    for instance, "I can only review English for now, and this draft looks like French."
    """
    if not note or not note.strip():
        return None
    sentences = [_sentence_for(part.strip()) for part in note.split("; ") if part.strip()]
    return " ".join(sentences) or None


def _sentence_for(part: str) -> str:
    if "the draft has no words" in part:
        return "There was nothing to review: the draft has no words in it."
    found = _LOOKS_LIKE.search(part)
    if found:
        return (
            "I can only review English for now, and this draft looks like it's in "
            f"{language_name(found.group(1))}."
        )
    if "does not look like English" in part:
        return "I can only review English for now, and this draft doesn't look like English."
    counted = _INVISIBLE.search(part)
    if counted:
        count = int(counted.group(1))
        return f"I removed {plural(count, 'invisible character')} before reviewing."
    if part.startswith("the draft's own words are kept as written"):
        return "I kept your own words as written, so no fact is lost."
    text = part[:1].upper() + part[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
