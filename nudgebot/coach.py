"""The coach: answers agents' questions ("how do I tell a customer we can't refund?").

:func:`looks_like_question` routes a direct message: a question to the bot goes to
:meth:`Coach.answer`, anything else (a pasted draft reply) to the review engine.

:class:`Coach` grounds every answer in the tip library (:mod:`nudgebot.tips`). With a model
client it sends the question (personal data redacted, unless ``NUDGEBOT_REDACT=false``) and the
most relevant tips to the model, restores the answer, and runs the guard's mention, markup and
new-promise checks on it, repairing once; without one, or when the model fails in any way, it
answers with the tips themselves and says why in ``note``. No platform imports.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nudgebot.engine import guard
from nudgebot.engine.llm.prompts import LeakCheck, Prompt, load_prompt, neutralise_tags
from nudgebot.engine.redaction import Redactor
from nudgebot.tips import Tip, TipLibrary

if TYPE_CHECKING:
    from nudgebot.engine.llm.breaker import CircuitBreaker
    from nudgebot.engine.llm.client import Message, ModelClient, TextAnswer

__all__ = [
    "MAX_QUESTION_CHARS",
    "Coach",
    "CoachPrompts",
    "Coaching",
    "looks_like_question",
]

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 4_000
"""The longest question the coach takes (a longer DM is not a question)."""
MAX_TIPS = 3
"""How many tips ground an answer (and make the rules answer)."""

# The guard's checks that make sense for a coaching answer: the question is not a draft, so
# dropped facts, new specifics, length and language are not held against the answer.
_GUARDED = frozenset({"mention", "markup", "new_promise"})
# A repaired answer shorter than this (in words) has lost its substance: the tips do better.
_MIN_WORDS = 8

RULES_INTRO = "A few pointers from the team's coaching tips:"
GENERAL_INTRO = "I have no tip for exactly that, but these help in most hard moments:"


@dataclass(frozen=True)
class Coaching:
    """An answer to an agent's question, the tips behind it, and how it was made."""

    text: str
    tips: tuple[Tip, ...]
    engine: Literal["llm", "rules"]
    note: str | None = None
    """What is worth saying about the answer (the reason for a fallback, a correction...)."""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """How the answer was made: tip ids, model, prompt, tokens, latency, fallback code..."""


# --------------------------------------------------------------------------------------------
# Routing a direct message
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
# "<@U0BOT> how do I...": the bot's mention in front of a question in a channel.
_LEADING_MENTION = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^<>]*)?>[\s,:]*)+")
# A greeting to the bot before the question: "hi", "hey nudgebot,", "hello there!".
# A greeting with a name ("Hi Sam,") greets a customer instead.
_BOT_GREETING = re.compile(
    r"^(?:hi|hello|hey|yo|morning|good (?:morning|afternoon|evening))"
    r"(?: (?:there|nudgebot|nudge|bot|coach|team))?\b[,.!:;]*\s*"
)
# How questions to a coach begin (after any greeting).
_OPENER = re.compile(
    r"^(?:"
    r"how (?!(?:can|may) (?:i|we) help\b)(?:do|does|should|can|could|would|might|to|best|else)\b"
    r"|what (?:do|does|should|can|could|would|is|are|if|to)\b"
    r"|what's\b|whats\b|which\b|why (?:do|does|is|are|should|can't|won't)\b"
    r"|when (?:should|do|can|is)\b"
    r"|(?:any|some|got any|need|quick) (?:tips?|advice|ideas|suggestions|help|pointers)\b"
    r"|tips?\b|advice\b|ideas?\b|suggestions?\b|help(?: me\b| with\b| please\b|[!?]*$)"
    r"|(?:can|could|would|will) you (?:help|suggest|give|tell me|recommend|explain|show|coach"
    r"|check|review|rephrase|reword)\b"
    r"|should (?:i|we)\b|is (?:it|this|that) (?:ok|okay|fine|alright|allowed|acceptable|right"
    r"|wrong|rude|better)\b|is there (?:a|any)\b|do (?:i|we) (?:need|have|say|tell|offer)\b"
    r"|can (?:i|we)\b|may i\b|i (?:need|want|would like) (?:help|advice|tips|ideas|to know)\b"
    r"|i(?:'m| am) (?:not sure|unsure|stuck|struggling)\b|not sure (?:how|what|whether|if)\b"
    r"|best way\b|question\b|quick question\b|wondering\b|i was wondering\b|i wonder\b"
    r"|(?:cómo|como|qué|que debo|comment|que dois|wie|was soll|come|cosa)\b|¿"
    r")"
)
# Asking for coaching anywhere in the text.
_COACHING_ASK = re.compile(
    r"\b(?:what (?:do|should|can|would) (?:i|we) (?:say|write|tell|reply|respond|do|offer)"
    r"|how (?:do|should|can|would) (?:i|we) (?:say|tell|word|phrase|reply|respond|handle|deal"
    r"|explain|approach|apologi[sz]e|break|let|calm)"
    r"|how to (?:say|tell|word|phrase|reply|respond|handle|deal|explain|approach|apologi[sz]e)"
    r"|what to (?:say|write|tell|do)(?! you\b)|any (?:tips|advice|ideas)|tips (?:for|on)"
    r"|advice (?:on|for)|best way to|help me (?:word|phrase|write|say|respond|reply|with)"
    r"|what would you (?:say|do|write))\b"
)
# The customer in the third person: "a customer", "the client's", "customer keeps calling",
# "she keeps saying...". (Not "guest", "member", "user": drafts speak of other guests too.)
_THIRD_PERSON = re.compile(
    r"\b(?:a|an|the|my|this|that|our|one|angry|upset|elderly|new|same|another)"
    r"(?: \w+)? (?:customer|client|caller)s?\b"
    r"(?! (?:service|services|care|support|experience|team|success|relations|portal|number"
    r"|id|reference)\b)"
    r"|\b(?:customer|client|caller)(?:'s|’s|s')"
    r"|^(?:customer|client|caller)s? (?!service|care|support)\w+"
    r"|^(?:he|she|they) (?:keeps?|wants?|says?|said|is|are|was|were|has|have|won't|refuses?"
    r"|insists?|demands?|threatens?)\b"
)
# What a reply to a customer sounds like.
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b")
_SIGN_OFF = re.compile(
    r"(?:kind|best|warm|many) regards|regards,|best wishes|many thanks|thanks again|sincerely"
    r"|all the best|speak soon|talk soon|have a (?:great|good|lovely|nice) (?:day|weekend|evening)"
    r"|\n(?:best|thanks|cheers|regards),?\s*\n"
)
_TO_CUSTOMER = re.compile(
    r"\b(?:thank you for (?:contacting|reaching|your|getting|letting|bringing|waiting|being)"
    r"|thanks for (?:reaching|contacting|your|getting|letting|waiting|bearing)"
    r"|(?:i'm|i am|we're|we are) (?:so |really |very |truly )?sorry (?:for|about|to hear|that)"
    r"|sorry for (?:the|any|this|keeping)|apologi[sz]e for|we apologi[sz]e"
    r"|i(?:'ve| have) (?:checked|looked|refunded|sent|arranged|booked|escalated|raised|passed"
    r"|spoken|updated|cancelled|processed|credited|reissued)"
    r"|i(?:'ll| will) (?:be|get|send|call|email|update|check|look|make|arrange|chase|follow)"
    r"|please (?:find|allow|let us know|let me know|note|be advised|don't hesitate|feel free)"
    r"|let me know if|feel free to|don't hesitate|hope this helps|as discussed"
    r"|how (?:can|may) (?:i|we) help|anything else (?:i|we) can"
    r"|your (?:order|parcel|package|account|booking|refund|payment|delivery|item|ticket|case"
    r"|reference|claim|card|bill|invoice|subscription|request|patience))\b"
)
# "your order", "your engineer": the customer addressed (not "your advice", to the bot).
_YOUR = re.compile(
    r"\byour\b(?! (?:advice|help|thoughts|opinion|view|take|suggestions?|ideas?|tips?)\b)"
)
# A question to the customer: "Could you send me a photo?" "Do you have the order number?"
_ASKS_CUSTOMER = re.compile(
    r"^(?:could|can|would|will|do|did|have|are|were|is) you\b(?! (?:help|suggest|give|tell me"
    r"|recommend|explain|show|coach|check|review|rephrase|reword)\b)"
    r"|^(?:can|could|may) i (?:just |quickly |please )?(?:check|confirm|ask|take|get|grab|have"
    r"|call|arrange|book|offer you|help you)\b"
)


def looks_like_question(text: str) -> bool:
    """Tell whether a direct message is a question to the coach rather than a draft reply.

    "How do I tell a customer we can't refund?", "any tips for angry callers",
    "customer's husband died and wants to close the account" are questions; "Hi Sam, sorry
    for the delay...", "Could you send me a photo of the damage?" are drafts to review.

    The message is scored: a coaching opener ("how do I", "what should I say", "any tips",
    "is it ok to") or a coaching ask anywhere counts for it, the customer spoken of in the
    third person counts for it, a closing question mark or a very short message counts a
    little (one of them is not enough); a greeting with a name, a question put to the customer
    ("could you send me..."), a sign-off, phrases addressed to a customer ("thank you for
    contacting us", "your order") and length count against it. English only, beyond a few
    openers in Spanish, French, German and Italian.
    """
    text = _LEADING_MENTION.sub("", text)
    flat = _WS.sub(" ", text.replace("’", "'")).strip().lower()
    if not flat:
        return False
    words = flat.split()
    score = 0
    rest = _BOT_GREETING.sub("", flat, count=1)
    if _ASKS_CUSTOMER.match(rest):
        score -= 2  # "Could you send me...", "Can I just check...": asks the customer
    elif _OPENER.match(rest):
        score += 4
    elif _GREETING.match(flat):
        score -= 3  # "Hi Sam, ..." greets a customer, not the bot
    if _COACHING_ASK.search(flat):
        score += 3
    if _THIRD_PERSON.search(flat):
        score += 2
    if flat.endswith("?"):
        score += 1
    if _YOUR.search(flat):
        score -= 1
    if _SIGN_OFF.search(text.lower()):
        score -= 3
    score -= 2 * min(2, len(_TO_CUSTOMER.findall(flat)))
    if len(words) > 60:
        score -= 2
    if "\n\n" in text.strip():
        score -= 1
    if len(words) <= 3 and not _GREETING.match(flat):
        score += 1  # "refunds?", "angry callers": too short to be a reply
    return score >= 2


# --------------------------------------------------------------------------------------------
# Prompts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachPrompts:
    """The coach's prompts: ``coach.system.md`` and ``coach.user.md``."""

    system: Prompt
    user: Prompt

    @classmethod
    def load(cls, directory: Path | None = None) -> CoachPrompts:
        """Load both prompt files from ``directory`` (None: the bundled prompts folder)."""
        return cls(load_prompt("coach.system", directory), load_prompt("coach.user", directory))

    def describe(self) -> dict[str, str]:
        """Return the prompts' id, versions and a short hash of both files."""
        joined = f"{self.system.sha256}\n{self.user.sha256}"
        return {
            "id": "coach",
            "version": f"{self.system.version}.{self.user.version}",
            "hash": hashlib.sha256(joined.encode()).hexdigest()[:12],
        }

    def messages(self, question: str, tips: tuple[Tip, ...]) -> list[Message]:
        """Build the chat messages: the system prompt, then the question with its tips."""
        lines = "\n".join(f"- ({tip.dimension}) {tip.text}" for tip in tips) or "(none)"
        user = self.user.render(question=_untagged(question), tips=_untagged(lines))
        return [
            {"role": "system", "content": self.system.render()},
            {"role": "user", "content": user},
        ]


_TAGS = ("question", "tips")
_WORD = re.compile(r"\w+")


def _untagged(text: str) -> str:
    """Neutralise the user template's own tags in a question, so it cannot close its tag."""
    return neutralise_tags(text, _TAGS)


# --------------------------------------------------------------------------------------------
# The coach
# --------------------------------------------------------------------------------------------


class Coach:
    """Answers agents' questions with coaching grounded in the tip library.

    ``client`` is optional: without one every answer is made of tips. Build one Coach per
    process and share it (it holds no per-question state).
    """

    def __init__(
        self,
        library: TipLibrary,
        client: ModelClient | None = None,
        prompts_dir: Path | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.library = library
        self.client = client
        self.breaker = breaker  # shared with the reviewer: a dead model is not waited on here
        self.prompts = CoachPrompts.load(prompts_dir) if client is not None else None
        self._leaks = LeakCheck(self.prompts.system.render(), run=10) if self.prompts else None

    async def answer(self, question: str) -> Coaching:
        """Answer one question; never raises for a model failure (the tips answer instead).

        Raises :class:`ValueError` when the question is empty or longer than
        :data:`MAX_QUESTION_CHARS`.
        """
        question = question.strip()
        if not question:
            raise ValueError(
                "the question is empty: ask something like "
                "'how do I tell a customer we can't refund?'"
            )
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question is {len(question):,} characters long; "
                f"ask in at most {MAX_QUESTION_CHARS:,}"
            )
        tips = tuple(self.library.relevant(question, MAX_TIPS))
        if self.client is None or self.prompts is None:
            return self.rules_answer(question, tips)
        return await self._model_answer(question, tips, self.client, self.prompts)

    def rules_answer(
        self,
        question: str,
        tips: tuple[Tip, ...] | None = None,
        *,
        note: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Coaching:
        """Answer with the tips themselves: a short intro and one line per tip."""
        if tips is None:
            tips = tuple(self.library.relevant(question, MAX_TIPS))
        intro = RULES_INTRO if self.library.matches(question) else GENERAL_INTRO
        text = "\n".join([intro, *(f"• {tip.text}" for tip in tips)])
        data: dict[str, Any] = {"tips": [tip.id for tip in tips], **(meta or {})}
        return Coaching(text, tips, "rules", note, data)

    async def _model_answer(
        self, question: str, tips: tuple[Tip, ...], client: ModelClient, prompts: CoachPrompts
    ) -> Coaching:
        """Ask the model, check its answer, and fall back to the tips if anything is wrong."""
        from nudgebot.engine.llm.client import ModelFailure

        redactor = Redactor(client.settings.phone_region) if client.settings.redact else None
        sent = redactor.redact(question) if redactor is not None else question
        messages = prompts.messages(sent, tips)
        started = time.monotonic()

        def fallback(code: str, reason: str) -> Coaching:
            elapsed = round((time.monotonic() - started) * 1000, 1)
            return self.rules_answer(
                question,
                tips,
                note=f"{reason}, so these tips come from the tip library",
                meta={"fallback": code, "model_ms": elapsed},
            )

        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            paused = f"the model is paused for {breaker.seconds_left():.0f} s after failing"
            return fallback("circuit_open", paused)
        try:
            answer: TextAnswer = await client.complete_text(messages)
        except ModelFailure as failure:
            if breaker is not None and failure.code == "refusal":
                breaker.release()
            elif breaker is not None:
                breaker.failure()
            return fallback(failure.code, f"the model {failure.reason}")
        except Exception as error:  # a bug or an odd server must still leave the agent tips
            if breaker is not None:
                breaker.release()
            logger.exception("coach model call failed unexpectedly")
            return fallback("error", f"the model call failed unexpectedly ({type(error).__name__})")
        if breaker is not None:
            breaker.success()
        latency = round((time.monotonic() - started) * 1000, 1)
        text = redactor.restore(answer.text) if redactor is not None else answer.text
        if self._leaks is not None and self._leaks(text):
            return fallback("leak", "the model's answer repeated its own instructions")

        notes: list[str] = []
        problems = [p for p in guard.check(question, text) if p.kind in _GUARDED]
        guard_kinds = sorted({p.kind for p in problems})
        if problems:
            repaired = guard.repair(question, text, problems)
            left = [p for p in guard.check(question, repaired) if p.kind in _GUARDED]
            if left or len(_WORD.findall(repaired)) < _MIN_WORDS:
                return fallback("guard", f"the model's answer {guard.describe(problems)}")
            text = repaired
            notes.append(f"the answer was corrected: it {guard.describe(problems)}")

        meta: dict[str, Any] = {
            "tips": [tip.id for tip in tips],
            "model": answer.model or client.model,
            "prompt": prompts.describe(),
            "tokens": {"input": answer.input_tokens, "output": answer.output_tokens},
            "latency_ms": latency,
            "attempts": answer.attempts,
        }
        if guard_kinds:
            meta["guard"] = guard_kinds
        if redactor is not None and redactor.redactions:
            meta["redacted"] = len(redactor.redactions)
        return Coaching(text, tips, "llm", "; ".join(notes) or None, meta)

    async def aclose(self) -> None:
        """Close the model client's connections, if there is a client."""
        if self.client is not None:
            await self.client.aclose()
