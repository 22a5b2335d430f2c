"""The review engine: a draft in, a review out. No platform code lives here.

:meth:`ReviewEngine.review` runs the rules first (they are cheap, they give the model hints,
and they are the answer whenever the model is not asked or fails), then the LLM reviewer when
one is configured, then the guard on whatever suggestion came out. Every model failure ends
in the rules' review with ``engine: "rules"`` and a note naming the reason; the user always
gets a review. Unusable input (an empty draft, one past the length limit) raises
:class:`DraftError` with a message fit to show the user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudgebot.config import Settings
from nudgebot.engine import guard
from nudgebot.engine.calibration import Calibration, default_calibration
from nudgebot.engine.facts import fact_texts
from nudgebot.engine.llm.context import hint_lines, thread_of
from nudgebot.engine.politeness import respect_score
from nudgebot.engine.reading import read
from nudgebot.engine.rules import default_rulebook
from nudgebot.engine.rules.checker import Context, Hit, check
from nudgebot.engine.rules.language import guess_language
from nudgebot.engine.rules.rewrite import rewrite
from nudgebot.engine.rules.rulebook import Rulebook
from nudgebot.engine.rules.text import clean, word_count
from nudgebot.models import DIMENSIONS, Draft, Finding, Level, Review, Scores, Turn, bound_thread

if TYPE_CHECKING:
    from nudgebot.engine.llm.reviewer import LLMReviewer
    from nudgebot.engine.llm.schema import ModelFinding, ModelReview

logger = logging.getLogger(__name__)

MAX_DRAFT_CHARS = 40_000
MAX_HINTS = 6
EDIT_FLOOR = 0.5
"""Findings below this share of the live threshold are shown but don't drive the rewrite."""
NO_REWRITE = "I couldn't write a better version on my own; here is what to change"
"""The note when the rules give coaching points instead of a suggested reply."""
NO_MODEL = "no model is configured (set OPENAI_API_KEY, see .env.example)"


class DraftError(ValueError):
    """A draft that cannot be reviewed; the message says why in one line."""


def score(findings: tuple[Finding, ...] | list[Finding], text: str | None = None) -> Scores:
    """Score each dimension 100 minus the cost of its findings (never below 0).

    With the draft's ``text``, respect also weighs how polite it reads (see
    :func:`nudgebot.engine.politeness.respect_score`).
    """
    lost = dict.fromkeys(DIMENSIONS, 0)
    for finding in findings:
        lost[finding.dimension] += finding.cost
    scores = {d: max(0, 100 - lost[d]) for d in DIMENSIONS}
    return Scores(**{**scores, "respect": respect_score(lost["respect"], text)})


class ReviewEngine:
    """Reviews drafts. Build one per process; it is safe to share."""

    def __init__(
        self,
        rulebook: Rulebook | None = None,
        *,
        max_chars: int = MAX_DRAFT_CHARS,
        llm: LLMReviewer | None = None,
        gate: bool = False,
        calibration: Calibration | None = None,
    ) -> None:
        self.rulebook = rulebook or default_rulebook()
        self.calibration = calibration or default_calibration()
        self.max_chars = max_chars
        self.llm = llm
        self.gate = gate

    @classmethod
    def from_settings(cls, settings: Settings, engine: str | None = None) -> ReviewEngine:
        """Build the engine the settings describe: rules, plus the model when one is set.

        ``engine`` overrides ``settings.engine``; with ``rules`` no model client is built.
        """
        llm = None
        if settings.llm_configured and (engine or settings.engine) != "rules":
            from nudgebot.engine.llm.reviewer import LLMReviewer

            llm = LLMReviewer(settings)
        return cls(
            default_rulebook(settings.prompts_dir, settings.cache_dir),
            max_chars=settings.max_draft_chars,
            llm=llm,
            gate=settings.llm_gate,
            calibration=default_calibration(settings.prompts_dir),
        )

    @classmethod
    def from_prompts(
        cls,
        prompts: Path | None,
        *,
        max_chars: int = MAX_DRAFT_CHARS,
        cache_dir: Path | None = None,
    ) -> ReviewEngine:
        """Build an engine whose rules come from ``prompts`` (None: the bundled ones)."""
        return cls(
            default_rulebook(prompts, cache_dir),
            max_chars=max_chars,
            calibration=default_calibration(prompts),
        )

    def prepare(self, draft: Draft) -> tuple[Draft, list[str]]:
        """Check a draft is usable and clean it; return it with notes on what was changed."""
        if not draft.text or not draft.text.strip():
            raise DraftError("the draft is empty: paste the reply you want reviewed")
        if len(draft.text) > self.max_chars:
            raise DraftError(
                f"the draft is {len(draft.text):,} characters; the limit is {self.max_chars:,}"
            )
        text, invisible = clean(draft.text)
        customer = clean(draft.last_customer)[0] if draft.last_customer else None
        thread = bound_thread([Turn(t.role, clean(t.text)[0]) for t in draft.thread])
        notes = [f"removed {invisible} invisible character(s)"] if invisible else []
        return replace(draft, text=text, customer=customer, thread=thread), notes

    def review_rules(
        self, draft: Draft, *, live: bool = False, quiet: Collection[str] = ()
    ) -> Review:
        """Review a draft with the rules engine alone.

        ``live``: nobody asked (a watched channel), so a suggestion is written only when a nudge
        will go out; an agent who asks gets one whenever there is a point to raise. ``quiet``:
        rules that must not make the live decision (a team quieted them); their findings still
        show and still count in the scores.
        """
        return self._rules(*self.prepare(draft), live=live, quiet=quiet)[0]

    def heat(self, text: str) -> int:
        """How heated a customer's message reads: 0 calm or thankful, 1 a problem, 2 upset."""
        context = Context(self.rulebook, "", clean(text)[0] if text else None)
        return _heat(context)

    def _rules(
        self, draft: Draft, notes: list[str], *, live: bool = False, quiet: Collection[str] = ()
    ) -> tuple[Review, Context | None]:
        """Return the rules' review of a prepared draft, and its context (None if not judged)."""
        if word_count(draft.text) == 0:
            notes.append("nothing to review: the draft has no words")
            return Review(False, Scores(), (), None, "rules", _note(notes), judged=False), None
        language = guess_language(draft.text)
        if not language.english:
            looks_like = (
                f"looks like '{language.language}'"
                if language.language != "und"
                else "does not look like English"
            )
            notes.append(f"the rules are written for English and this draft {looks_like}")
            return Review(False, Scores(), (), None, "rules", _note(notes), judged=False), None
        context = Context(self.rulebook, draft.text, draft.customer, draft.thread)
        hits = check(context)
        findings = self.calibration.rate(tuple(hit.finding for hit in hits), context)
        deciding = self.calibration.deciding(findings, context)
        # a quieted rule still counts towards the reply's confidence, but never nudges alone
        live_rules = [f.rule for f in deciding if f.rule not in quiet]
        needs_nudge = bool(live_rules)
        suggestion = None
        if needs_nudge or (not live and any(f.level == "nudge" for f in findings)):
            suggestion = self._suggest(draft, context, hits, findings, notes)
        reading = read(context)
        review = Review(
            needs_nudge,
            score(findings, draft.text),
            findings,
            suggestion,
            "rules",
            _note(notes),
            meta=_meta(reading.describe(), live_rules, deciding, _heat(context)),
            move=reading.move,
        )
        return review, context

    def _suggest(
        self,
        draft: Draft,
        context: Context,
        hits: list[Hit],
        findings: tuple[Finding, ...],
        notes: list[str],
    ) -> str | None:
        """Return the rules' rewrite, or None (with a note) when it can't beat the draft.

        Only findings at or above :data:`EDIT_FLOOR` of the live threshold drive edits, and only
        those at the threshold may add a sentence; the most confident of those is the main
        point, and a rewrite that leaves it untouched is no suggestion;
        a rewrite that would drop a fact or add a promise is tried again with additions only.
        """
        threshold = self.calibration.threshold
        rated = list(zip(hits, findings, strict=True))
        sure = [
            h for h, f in rated if f.confidence is None or f.confidence >= threshold * EDIT_FLOOR
        ]
        confident = {
            h.rule.id for h, f in rated if f.confidence is None or f.confidence >= threshold
        }
        facts = fact_texts(draft.text)
        main = max(
            ((h, f) for h, f in rated if h.rule.id in confident and f.level == "nudge"),
            key=lambda pair: pair[1].confidence or 0.0,
            default=None,
        )
        must_fix = main[0].rule.id if main is not None else None
        suggestion = (
            rewrite(context, sure, facts, confident=confident, must_fix=must_fix) if sure else None
        )
        if suggestion is not None:
            basis = _recased(draft.text, suggestion)
            checked = guard.guard(basis, suggestion, customer=draft.customer)
            if checked.text is None or checked.repaired:  # never drop a fact or add a promise
                suggestion = rewrite(
                    context,
                    sure,
                    facts,
                    additions_only=True,
                    confident=confident,
                    must_fix=must_fix,
                )
                if suggestion is not None and guard.check(
                    draft.text, suggestion, customer=draft.customer
                ):
                    suggestion = None
                elif suggestion is not None:
                    notes.append("the draft's own words are kept as written, so no fact is lost")
        if suggestion is None:
            notes.append(NO_REWRITE)
        return suggestion

    async def review(
        self,
        draft: Draft,
        engine: str = "auto",
        *,
        live: bool = False,
        quiet: Collection[str] = (),
    ) -> Review:
        """Review a draft with the chosen engine (``auto``, ``rules`` or ``llm``).

        ``auto`` asks the model when one is configured; ``llm`` asks it and says so in the
        note when none is. Either way a model that is missing or fails leaves the rules'
        review, with the reason in ``note`` and ``meta["fallback"]``. Each review is counted
        in :data:`nudgebot.metrics.METRICS`. ``live`` and ``quiet`` are as for
        :meth:`review_rules`.
        """
        from nudgebot.metrics import METRICS  # here: the command line's rules path never pays

        decided = await self._review(draft, engine, live, frozenset(quiet))
        METRICS.review_done(decided)
        return decided

    async def _review(
        self, draft: Draft, engine: str, live: bool = False, quiet: frozenset[str] = frozenset()
    ) -> Review:
        prepared, notes = self.prepare(draft)
        rules, context = self._rules(prepared, list(notes), live=live, quiet=quiet)
        if engine == "rules" or (engine == "auto" and self.llm is None):
            return rules
        if self.llm is None:
            return _fallback(rules, "no_model", NO_MODEL)
        if rules.note and "no words" in rules.note:
            return rules
        calm = context is not None and not context.signal("customer_upset")
        if self.gate and calm and not rules.findings:
            return replace(rules, meta={**rules.meta, "gate": "skipped the model"})
        from nudgebot.engine.llm.client import ModelFailure

        started = time.monotonic()
        hints = hint_lines(rules.findings, MAX_HINTS)
        try:
            result = await self.llm.review(prepared, hints, rules.move)
        except ModelFailure as failure:
            elapsed = round((time.monotonic() - started) * 1000, 1)
            return _fallback(rules, failure.code, f"the model {failure.reason}", elapsed)
        except Exception as error:  # a bug or an odd server must still leave the user a review
            logger.exception("model review failed unexpectedly")
            elapsed = round((time.monotonic() - started) * 1000, 1)
            reason = f"the model call failed unexpectedly ({type(error).__name__})"
            return _fallback(rules, "error", reason, elapsed)
        if result.meta.get("leak"):
            notes.append("the model's suggestion repeated its own instructions, so it is not shown")
        if result.meta.get("leak_findings"):
            notes.append("findings that repeated the model's instructions are not shown")
        return _quieted(
            self._from_model(prepared, result.review, result.meta, rules, notes), quiet, rules
        )

    def _from_model(
        self,
        draft: Draft,
        answer: ModelReview,
        meta: dict[str, Any],
        rules: Review,
        notes: list[str],
    ) -> Review:
        """Turn the model's answer into a review, with the guard on its suggestion."""
        level: Level = "nudge" if answer.needs_nudge else "hint"
        context = _said_before(draft)
        kept = [f for f in answer.findings if _finding_safe(draft.text, f, context)]
        if len(kept) < len(answer.findings):
            meta = {**meta, "guard_findings": len(answer.findings) - len(kept)}
            notes.append(_dropped_findings(len(answer.findings) - len(kept)))
        findings = tuple(_finding(draft.text, f, level) for f in kept)
        suggestion = answer.suggestion if answer.needs_nudge else None
        if answer.needs_nudge and not (suggestion and suggestion.strip()):
            suggestion = rules.suggestion
            if suggestion:
                notes.append("the model gave no suggestion, so the rules' rewrite is shown")
        if suggestion:
            checked = guard.guard(draft.text, suggestion, customer=context)
            if checked.text is not None:
                if checked.repaired:
                    notes.append(
                        f"the suggestion was corrected: it {guard.describe(checked.problems)}"
                    )
                suggestion = checked.text
            else:
                problem = guard.describe(checked.problems)
                meta = {**meta, "guard": [p.kind for p in checked.problems]}
                if rules.suggestion and not guard.check(
                    draft.text, rules.suggestion, customer=context
                ):
                    notes.append(
                        f"the model's suggestion {problem}, so the rules' rewrite is shown"
                    )
                    suggestion = rules.suggestion
                else:
                    notes.append(f"the model's suggestion {problem}, so it is not shown")
                    suggestion = None
        given = answer.scores.model_dump()
        scores = Scores(**given)
        # the live decision: the model's verdict, when it is sure enough (model.toml); an
        # agent who asks sees its findings and suggestion either way
        live = answer.needs_nudge and min(given.values()) < self.calibration.model_live_below
        if answer.needs_nudge and not live:
            meta = {**meta, "model_live": "not sure enough for a live nudge"}
        return Review(
            live,
            scores,
            findings,
            suggestion,
            "llm",
            _note(notes),
            meta=meta,
            move=rules.move,
        )

    async def aclose(self) -> None:
        """Close the model client's connections, if there is one."""
        if self.llm is not None:
            await self.llm.aclose()


def _recased(draft: str, suggestion: str) -> str:
    """Return the draft with shouted facts in the rewrite's case ("3 MARCH" -> "3 March").

    Lowering shouting is the one edit that may touch a fact, and only its case; the guard then
    checks every other fact verbatim.
    """
    for fact in fact_texts(draft):
        if fact.isupper() and fact not in suggestion:
            at = suggestion.lower().find(fact.lower())
            if at >= 0:
                draft = draft.replace(fact, suggestion[at : at + len(fact)])
    return draft


def _said_before(draft: Draft) -> str | None:
    """Return the conversation before the draft as one text: what a suggestion may repeat."""
    turns = thread_of(draft)
    return "\n".join(turn.text for turn in turns) if turns else None


def _finding_safe(draft: str, finding: ModelFinding, context: str | None) -> bool:
    """Tell whether a model's finding adds nothing the draft did not say (see guard)."""
    return not guard.check_text(draft, f"{finding.message}\n{finding.fix}", customer=context)


def _dropped_findings(count: int) -> str:
    """Say that ``count`` of the model's findings were held back by the guard."""
    what = "one of the model's findings" if count == 1 else f"{count} of the model's findings"
    verb = "it is" if count == 1 else "they are"
    return f"{what} added terms the draft did not offer, so {verb} not shown"


def _finding(draft: str, finding: ModelFinding, level: Level) -> Finding:
    """Make a model's finding a :class:`Finding`; a quote not in the draft is dropped."""
    quote = finding.quote.strip()
    start = draft.find(quote) if quote else -1
    folded = draft.lower()
    if start < 0 and quote and len(folded) == len(draft):  # same offsets after lower()
        start = folded.find(quote.lower())
    start_end: tuple[int | None, int | None] = (None, None)
    if start < 0:
        quote = ""
    else:
        quote = draft[start : start + len(quote)]
        start_end = (start, start + len(quote))
    return Finding(
        finding.dimension,
        f"llm.{finding.dimension}",
        quote,
        finding.message,
        finding.fix,
        level=level,
        start=start_end[0],
        end=start_end[1],
    )


def _fallback(rules: Review, code: str, reason: str, elapsed_ms: float | None = None) -> Review:
    """Return the rules' review, saying why the model did not write it."""
    note = f"{reason}, so the rules reviewed this draft"
    meta: dict[str, Any] = {**rules.meta, "fallback": code}
    if elapsed_ms is not None:
        meta["model_ms"] = elapsed_ms
    return replace(rules, note=_note([note, *([rules.note] if rules.note else [])]), meta=meta)


def _note(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None


def review(text: str, customer: str | None = None, thread: Sequence[Turn] = ()) -> Review:
    """Review one draft with the bundled rules: the shortest way in.

    ``thread`` is the conversation before the draft, oldest first; ``customer`` alone is a
    one-turn thread.
    """
    return ReviewEngine().review_rules(Draft(text=text, customer=customer, thread=tuple(thread)))


def _heat(context: Context) -> int:
    """0 calm or thankful, 1 a problem, 2 upset: the customer's last message, as read."""
    if not context.customer:
        return 0
    if context.signal("customer_upset") or context.signal("customer_shouts"):
        return 2
    if context.signal("customer_thanks"):
        return 0
    return 1 if context.signal("customer_problem") else 0


def _meta(
    situation: list[str],
    live_rules: list[str],
    deciding: tuple[Finding, ...],
    heat: int,
) -> dict[str, Any]:
    """Return the rules review's meta.

    The situation, the rules that made the live decision (and those a team quieted), and how
    heated the customer read.
    """
    meta: dict[str, Any] = {"heat": heat}
    if situation:
        meta["situation"] = situation
    if live_rules:
        meta["live_rules"] = live_rules
    held = sorted({f.rule for f in deciding} - set(live_rules))
    if held:
        meta["quieted"] = held
    return meta


def _quieted(review: Review, quiet: frozenset[str], rules: Review) -> Review:
    """Return the model's review under a team's quieted rules.

    Its live rules are its nudge-level findings' (``llm.<dimension>``); when all of them are
    quieted, no live nudge.
    """
    meta = dict(review.meta)
    if "heat" in rules.meta:
        meta["heat"] = rules.meta["heat"]
    if not review.needs_nudge:
        return replace(review, meta=meta)
    deciding = [f.rule for f in review.findings if f.level == "nudge"] or [
        f.rule for f in review.findings
    ]
    live_rules = [rule for rule in dict.fromkeys(deciding) if rule not in quiet]
    if deciding and not live_rules:
        meta["quieted"] = sorted(set(deciding))
        return replace(review, needs_nudge=False, meta=meta)
    meta["live_rules"] = live_rules
    return replace(review, meta=meta)
