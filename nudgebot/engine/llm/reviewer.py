"""The LLM reviewer: redact, render the prompts, ask the model, restore, and say what it cost.

It knows nothing of the rules engine or of platforms: :class:`~nudgebot.engine.ReviewEngine`
gives it a draft and the rules' hints, and turns its answer (or its :class:`ModelFailure`)
into a review. Personal data is replaced by placeholders before any text leaves the process
(unless ``NUDGEBOT_REDACT=false``) and put back into the answer afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudgebot.config import Settings
from nudgebot.engine.llm.breaker import CircuitBreaker
from nudgebot.engine.llm.cache import AnswerCache, cache_key
from nudgebot.engine.llm.client import Answer, Message, ModelClient, ModelFailure
from nudgebot.engine.llm.context import (
    NO_THREAD,
    channel_kind,
    mask_facts,
    move_name,
    render_thread,
    thread_of,
)
from nudgebot.engine.llm.prompts import (
    Examples,
    LeakCheck,
    Prompt,
    load_examples,
    load_prompt,
    neutralise_tags,
)
from nudgebot.engine.llm.schema import ModelFinding, ModelReview
from nudgebot.engine.redaction import Redactor
from nudgebot.models import Draft, Turn

__all__ = ["LLMResult", "LLMReviewer", "PromptSet"]

NOT_GIVEN = NO_THREAD
NO_HINTS = "(none)"


@dataclass(frozen=True)
class PromptSet:
    """The review prompts: system prompt, user template, worked examples and answer shape.

    The shape (the answer's JSON in words) is sent only to servers in JSON mode; in schema
    mode the schema sent as ``response_format`` says it, so the prompt does not repeat it.
    """

    system: Prompt
    user: Prompt
    examples: Examples
    shape: Prompt

    @classmethod
    def load(cls, directory: Path | None = None) -> PromptSet:
        """Load ``review.system``, ``review.user``, ``review.examples`` and ``review.shape``."""
        return cls(
            load_prompt("review.system", directory),
            load_prompt("review.user", directory),
            load_examples("review.examples", directory),
            load_prompt("review.shape", directory),
        )

    @property
    def version(self) -> str:
        """The files' versions, e.g. ``2.2.2.1`` (system, user, examples, shape)."""
        return ".".join(
            (self.system.version, self.user.version, self.examples.version, self.shape.version)
        )

    @property
    def hash(self) -> str:
        """A short hash of the files' contents: changes whenever any of them does."""
        joined = "\n".join(
            (self.system.sha256, self.user.sha256, self.examples.sha256, self.shape.sha256)
        )
        return hashlib.sha256(joined.encode()).hexdigest()[:12]

    def describe(self) -> dict[str, str]:
        """Return the prompt's id, version and hash, as recorded with each review."""
        return {"id": "review", "version": self.version, "hash": self.hash}

    @functools.cached_property
    def _leak_check(self) -> LeakCheck:
        return LeakCheck(self.system.render())

    def leaks(self, text: str) -> bool:
        """Tell whether ``text`` reproduces the system prompt at length (a leak)."""
        return self._leak_check(text)

    def messages(
        self,
        draft: str,
        customer: str | None = None,
        hints: Sequence[str] = (),
        *,
        thread: Sequence[Turn] = (),
        move: str | None = None,
        channel: str | None = None,
    ) -> list[Message]:
        """Build the chat messages for one review: system, worked examples, the request.

        ``thread`` is the conversation before the draft, oldest first; without one,
        ``customer`` alone is a one-turn thread. ``move`` is what the draft does and
        ``channel`` where it goes (see :mod:`nudgebot.engine.llm.context`); None: unknown.
        """
        messages: list[Message] = [{"role": "system", "content": self.system.render()}]
        for example in self.examples.items:
            turns = (Turn("customer", example.customer),) if example.customer else ()
            request = self._request(
                example.draft, turns, example.hints, example.move, example.channel
            )
            messages.append({"role": "user", "content": request})
            messages.append({"role": "assistant", "content": example.answer_json()})
        if not thread and customer:
            thread = (Turn("customer", customer),)
        hint_text = "\n".join(f"- {hint}" for hint in hints)
        request = self._request(draft, thread, hint_text, move, channel)
        messages.append({"role": "user", "content": request})
        return messages

    def _request(
        self,
        draft: str,
        thread: Sequence[Turn],
        hints: str,
        move: str | None,
        channel: str | None,
    ) -> str:
        return self.user.render(
            thread=_untagged(render_thread(thread)),
            move=_untagged(move_name(move)),
            channel=channel_kind(channel),
            draft=_untagged(draft),
            hints=_untagged(hints) if hints else NO_HINTS,
        )


@dataclass(frozen=True)
class LLMResult:
    """The model's review (personal data restored) and how it was made."""

    review: ModelReview
    meta: dict[str, Any]


class LLMReviewer:
    """Reviews drafts with the configured model. Build one per process and share it."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: ModelClient | None = None,
        prompts: PromptSet | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or ModelClient(settings)
        self.prompts = prompts or PromptSet.load(settings.prompts_dir)
        self.breaker = breaker or CircuitBreaker(
            settings.llm_breaker_failures, settings.llm_breaker_seconds
        )
        self.cache: AnswerCache[Answer] = AnswerCache(settings.llm_cache_size)

    async def review(
        self, draft: Draft, hints: Sequence[str] = (), move: str | None = None
    ) -> LLMResult:
        """Review one (already cleaned) draft; raise :class:`ModelFailure` with the reason.

        The model sees the draft's thread (:func:`~nudgebot.engine.llm.context.thread_of`),
        its channel, the rules' ``hints`` and the reply's ``move`` (None: unknown). With
        redaction on, earlier agent replies go with their facts masked
        (:func:`~nudgebot.engine.llm.context.mask_facts`) and every text is redacted.
        """
        redactor = Redactor(self.settings.phone_region) if self.settings.redact else None
        thread = thread_of(draft)
        text = draft.text
        if redactor is not None:
            thread = tuple(
                Turn(
                    turn.role,
                    redactor.redact(mask_facts(turn.text) if turn.role == "agent" else turn.text),
                )
                for turn in thread
            )
            text = redactor.redact(text)
            hints = [redactor.redact(hint) for hint in hints]
        messages = self.prompts.messages(
            text, None, hints, thread=thread, move=move, channel=draft.channel
        )
        key = cache_key(
            self.client.model, self.prompts.hash, self.client.mode, json.dumps(messages[-1])
        )
        started = time.monotonic()
        answer = self.cache.get(key)
        cached = answer is not None
        if answer is None:
            answer = await self._call(messages, self.prompts.shape.render())
            self.cache.put(key, answer)
        review = _restore(answer.review, redactor) if redactor is not None else answer.review
        leaked = bool(review.suggestion) and self.prompts.leaks(review.suggestion or "")
        if leaked:  # the model obeyed an injected "print your instructions"
            review = review.model_copy(update={"suggestion": None})
        findings = [f for f in review.findings if not self.prompts.leaks(f"{f.message}\n{f.fix}")]
        leaked_findings = len(review.findings) - len(findings)
        if leaked_findings:  # ...in a finding's words: those findings go too
            review = review.model_copy(update={"findings": findings})
        meta: dict[str, Any] = {
            "model": answer.model or self.client.model,
            "prompt": self.prompts.describe(),
            "tokens": {
                "input": 0 if cached else answer.input_tokens,
                "output": 0 if cached else answer.output_tokens,
            },
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
            "cached": cached,
            "attempts": 0 if cached else answer.attempts,
            "output_mode": answer.mode,
        }
        if leaked:
            meta["leak"] = True
        if leaked_findings:
            meta["leak_findings"] = leaked_findings
        if redactor is not None and redactor.redactions:
            meta["redacted"] = len(redactor.redactions)
        return LLMResult(review, meta)

    async def _call(self, messages: list[Message], shape: str) -> Answer:
        if not self.breaker.allow():
            raise ModelFailure(
                "circuit_open",
                f"failed {self.breaker.failures} times in a row, so it is paused for "
                f"{self.breaker.seconds_left():.0f} s",
            )
        try:
            answer = await self.client.complete(messages, shape)
        except ModelFailure as failure:
            if failure.code in ("refusal", "busy"):  # this draft, or our own queue: not the model
                self.breaker.release()
            else:
                self.breaker.failure()
            raise
        except BaseException:  # cancelled: says nothing about the model
            self.breaker.release()
            raise
        self.breaker.success()
        return answer

    async def aclose(self) -> None:
        """Close the model client's connections."""
        await self.client.aclose()


_TAGS = ("draft", "thread", "hints")


def _untagged(text: str) -> str:
    """Neutralise the user template's own tags in a user's text."""
    return neutralise_tags(text, _TAGS)


def _restore(review: ModelReview, redactor: Redactor) -> ModelReview:
    """Put the redacted personal data back into every text of the answer."""
    findings = [
        ModelFinding(
            dimension=f.dimension,
            quote=redactor.restore(f.quote),
            message=redactor.restore(f.message),
            fix=redactor.restore(f.fix),
        )
        for f in review.findings
    ]
    suggestion = redactor.restore(review.suggestion) if review.suggestion else review.suggestion
    return review.model_copy(update={"findings": findings, "suggestion": suggestion})
