"""The review engine: a draft in, a review out. No platform code lives here.

Today it reviews with the rules; the LLM reviewer plugs in behind :meth:`ReviewEngine.review`
and falls back to the rules when it is missing or fails. Unusable input (an empty draft, one
past the length limit) raises :class:`DraftError` with a message fit to show the user.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nudgebot.facts import fact_texts
from nudgebot.models import DIMENSIONS, Draft, Finding, Review, Scores
from nudgebot.rules import default_rulebook
from nudgebot.rules.checker import Context, check
from nudgebot.rules.language import guess_language
from nudgebot.rules.rewrite import rewrite
from nudgebot.rules.rulebook import Rulebook
from nudgebot.rules.text import clean, word_count

MAX_DRAFT_CHARS = 40_000


class DraftError(ValueError):
    """A draft that cannot be reviewed; the message says why in one line."""


def score(findings: tuple[Finding, ...] | list[Finding]) -> Scores:
    """Score each dimension 100 minus the cost of its findings (never below 0)."""
    lost = dict.fromkeys(DIMENSIONS, 0)
    for finding in findings:
        lost[finding.dimension] += finding.cost
    return Scores(**{d: max(0, 100 - lost[d]) for d in DIMENSIONS})


class ReviewEngine:
    """Reviews drafts. Build one per process; it is safe to share."""

    def __init__(
        self, rulebook: Rulebook | None = None, *, max_chars: int = MAX_DRAFT_CHARS
    ) -> None:
        self.rulebook = rulebook or default_rulebook()
        self.max_chars = max_chars

    @classmethod
    def from_prompts(
        cls,
        prompts: Path | None,
        *,
        max_chars: int = MAX_DRAFT_CHARS,
        cache_dir: Path | None = None,
    ) -> ReviewEngine:
        """Build an engine whose rules come from ``prompts`` (None: the bundled ones)."""
        return cls(default_rulebook(prompts, cache_dir), max_chars=max_chars)

    def prepare(self, draft: Draft) -> tuple[Draft, list[str]]:
        """Check a draft is usable and clean it; return it with notes on what was changed."""
        if not draft.text or not draft.text.strip():
            raise DraftError("the draft is empty: paste the reply you want reviewed")
        if len(draft.text) > self.max_chars:
            raise DraftError(
                f"the draft is {len(draft.text):,} characters; the limit is {self.max_chars:,}"
            )
        text, invisible = clean(draft.text)
        customer = clean(draft.customer)[0] if draft.customer else draft.customer
        notes = [f"removed {invisible} invisible character(s)"] if invisible else []
        return replace(draft, text=text, customer=customer), notes

    def review_rules(self, draft: Draft) -> Review:
        """Review a draft with the rules engine alone."""
        draft, notes = self.prepare(draft)
        if word_count(draft.text) == 0:
            notes.append("nothing to review: the draft has no words")
            return Review(False, Scores(), (), None, "rules", _note(notes), judged=False)
        language = guess_language(draft.text)
        if not language.english:
            looks_like = (
                f"looks like '{language.language}'"
                if language.language != "und"
                else "does not look like English"
            )
            notes.append(f"the rules are written for English and this draft {looks_like}")
            return Review(False, Scores(), (), None, "rules", _note(notes), judged=False)
        context = Context(self.rulebook, draft.text, draft.customer)
        hits = check(context)
        findings = tuple(hit.finding for hit in hits)
        needs_nudge = any(f.level == "nudge" for f in findings)
        suggestion = None
        if needs_nudge:
            facts = fact_texts(draft.text)
            suggestion = rewrite(context, hits, facts)
            if any(fact not in suggestion for fact in facts):  # never drop a fact
                notes.append("the draft's own words are kept as written, so no fact is lost")
                suggestion = rewrite(context, hits, facts, additions_only=True)
                if any(fact not in suggestion for fact in facts):  # tidying touched a fact
                    suggestion = draft.text
        return Review(needs_nudge, score(findings), findings, suggestion, "rules", _note(notes))

    async def review(self, draft: Draft, engine: str = "auto") -> Review:
        """Review a draft with the chosen engine; the rules answer when no model is configured."""
        review = self.review_rules(draft)
        if engine == "llm":
            note = "no model is configured, so the rules reviewed this draft"
            return replace(review, note=_note([note, *([review.note] if review.note else [])]))
        return review


def _note(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None


def review(text: str, customer: str | None = None) -> Review:
    """Review one draft with the bundled rules: the shortest way in."""
    return ReviewEngine().review_rules(Draft(text=text, customer=customer))
