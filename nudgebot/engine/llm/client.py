"""Calling the model: one OpenAI-compatible chat completion per review, within a time budget.

:class:`ModelClient` wraps the ``openai`` package's async client (OpenAI, Azure OpenAI, or any
OpenAI-compatible server through ``OPENAI_BASE_URL``) and adds what a live bot needs:

- **structured output** against :class:`~nudgebot.engine.llm.schema.ModelReview`'s JSON schema, and
  a tolerant JSON-mode path for servers that reject ``json_schema`` (switched to once, then
  remembered);
- **one time budget per review** covering the wait for a free slot, every attempt and every
  back-off; past it the call fails with a reason;
- **bounded retries** on 408/409/429/5xx and connection errors, with jittered exponential
  back-off, honouring ``Retry-After`` (and ``retry-after-ms``) when it fits in the budget;
- **a concurrency limit**, so a burst of reviews does not open a connection each.

:meth:`ModelClient.complete_text` asks for plain text instead (the coach's answers), through
the same budget, retries and concurrency limit.

Every way a call can fail becomes :class:`ModelFailure` with a machine ``code`` (for counters)
and a ``reason`` written to be read by a user (for the review's note). ``openai`` is imported
on first use: it takes about a second, and ``nudgebot check --engine rules`` never pays it.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from nudgebot.config import Settings
from nudgebot.engine.llm.schema import AnswerError, ModelReview, parse_answer

if TYPE_CHECKING:
    import openai

__all__ = [
    "Answer",
    "ModelClient",
    "ModelFailure",
    "OutputMode",
    "TextAnswer",
    "response_format",
]

OutputMode = Literal["schema", "json"]
Message = dict[str, str]
_T = TypeVar("_T")

_BACKOFF_BASE = 0.25
_BACKOFF_CAP = 2.0
_RETRY_STATUS = frozenset({408, 409, 429})


class ModelFailure(Exception):
    """The model gave no usable answer. ``code`` is for counters; ``reason`` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    """A usable answer, with what it cost."""

    review: ModelReview
    input_tokens: int | None
    output_tokens: int | None
    model: str
    mode: OutputMode
    attempts: int


@dataclass(frozen=True)
class TextAnswer:
    """A usable plain-text answer (see :meth:`ModelClient.complete_text`), with what it cost."""

    text: str
    input_tokens: int | None
    output_tokens: int | None
    model: str
    attempts: int


def response_format(mode: OutputMode) -> dict[str, Any]:
    """Return the ``response_format`` request field for an output mode."""
    if mode == "json":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": "review", "strict": True, "schema": _SCHEMA},
    }


def _lean(schema: Any) -> Any:
    """Drop titles and descriptions from a JSON schema.

    The prompt explains the fields, and every token of the schema is paid for on every request.
    """
    if isinstance(schema, dict):
        return {
            key: _lean(value)
            for key, value in schema.items()
            if key not in ("title", "description") or isinstance(value, dict)
        }
    if isinstance(schema, list):
        return [_lean(item) for item in schema]
    return schema


_SCHEMA: dict[str, Any] = _lean(ModelReview.model_json_schema())


class ModelClient:
    """Sends review requests to the configured model. Build one per process and share it."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not settings.llm_configured:
            raise ModelFailure("no_model", "is not configured (set OPENAI_API_KEY)")
        self.settings = settings
        self.model = settings.azure_openai_deployment or settings.model
        self.budget = settings.llm_timeout
        self.retries = settings.llm_retries
        self.mode: OutputMode = "json" if settings.llm_output == "json" else "schema"
        self._fixed_mode = settings.llm_output != "auto"
        self._sleep = sleep
        self._jitter = jitter
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._slots: asyncio.Semaphore | None = None

    # -- set-up ------------------------------------------------------------------------------

    def _bind(self) -> tuple[Any, asyncio.Semaphore]:
        """Return the openai client and the slots for the running loop (built on first use)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None or self._slots is None:
            self._client = _build_client(self.settings, self.budget)
            self._slots = asyncio.Semaphore(self.settings.llm_concurrency)
            self._loop = loop
        return self._client, self._slots

    async def aclose(self) -> None:
        """Close the HTTP connections (the client is rebuilt if used again)."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- calls -------------------------------------------------------------------------------

    async def complete(self, messages: Sequence[Message], shape: str | None = None) -> Answer:
        """Ask the model for a review; raise :class:`ModelFailure` when there is no usable one.

        ``shape`` describes the answer's JSON in words. It is sent (appended to the first
        message) only in JSON mode: in schema mode the schema itself says it, once.
        """
        return await self._call(
            messages,
            structured=True,
            read=lambda response, attempt: _answer(response, self.mode, attempt),
            shape=shape,
        )

    async def complete_text(self, messages: Sequence[Message]) -> TextAnswer:
        """Ask the model for a plain-text answer (no ``response_format``).

        Same time budget, retries and concurrency limit as :meth:`complete`; raises
        :class:`ModelFailure` when there is no usable answer (``empty``, ``truncated``,
        ``refusal``, or any failure of the call itself).
        """
        return await self._call(messages, structured=False, read=_text_answer)

    async def _call(
        self,
        messages: Sequence[Message],
        *,
        structured: bool,
        read: Callable[[Any, int], _T],
        shape: str | None = None,
    ) -> _T:
        """Make one call within the time budget and a concurrency slot; ``read`` its answer."""
        client, slots = self._bind()
        started = time.monotonic()
        got_slot: float | None = None
        try:
            async with asyncio.timeout(self.budget):
                async with slots:
                    got_slot = time.monotonic()
                    return await self._attempts(client, messages, started, structured, read, shape)
        except TimeoutError:
            waited = (got_slot if got_slot is not None else time.monotonic()) - started
            if waited >= self.budget / 2:  # mostly queued behind our own calls: not the model
                raise ModelFailure(
                    "busy",
                    f"was busy: all {self.settings.llm_concurrency} calls were in flight for "
                    f"{waited:.1f} s of the {self.budget:g} s",
                ) from None
            raise ModelFailure("timeout", f"took longer than {self.budget:g} s") from None

    async def _attempts(
        self,
        client: Any,
        messages: Sequence[Message],
        started: float,
        structured: bool,
        read: Callable[[Any, int], _T],
        shape: str | None = None,
    ) -> _T:
        """Send the request, retrying what is worth retrying; return ``read(response, attempt)``.

        ``structured`` asks for the review's JSON (``response_format`` of :attr:`mode`, switched
        to JSON mode once if the server rejects schemas, and then with ``shape`` added to the
        first message); otherwise the request asks for text.
        """
        import openai

        attempt = 0
        while True:
            attempt += 1
            extra: dict[str, Any] = (
                {"response_format": response_format(self.mode)} if structured else {}
            )
            sent = list(messages)
            if structured and shape and self.mode == "json" and sent:
                first = sent[0]
                sent[0] = {**first, "content": f"{first['content']}\n\n{shape}"}
            try:
                response = await client.chat.completions.create(
                    model=self.model, messages=sent, **extra
                )
            except openai.BadRequestError as error:
                if (
                    structured
                    and not self._fixed_mode
                    and self.mode == "schema"
                    and _rejects_schema(error)
                ):
                    self.mode = "json"  # the server only does JSON mode: remember, ask again
                    attempt -= 1
                    continue
                raise _status_failure(error) from None
            except (openai.APIStatusError, openai.APIConnectionError) as error:
                failure = _failure(error, attempt)
                if failure.code not in ("rate_limited", "server_error", "connection"):
                    raise failure from None
                if attempt > self.retries:
                    raise failure from None
                delay = self._delay(error, attempt)
                left = self.budget - (time.monotonic() - started)
                if delay >= left:
                    raise ModelFailure(
                        failure.code, f"{failure.reason}, and asked to wait {delay:.1f} s"
                    ) from None
                await self._sleep(delay)
                continue
            return read(response, attempt)

    def _delay(self, error: Exception, attempt: int) -> float:
        """Seconds to wait before the next attempt: Retry-After if given, else back-off."""
        response = getattr(error, "response", None)
        if response is not None:
            told = retry_after(response.headers)
            if told is not None:
                return told
        ceiling: float = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())


def retry_after(headers: Any, now: Callable[[], float] = time.time) -> float | None:
    """Seconds a server asked us to wait (``retry-after-ms``, ``Retry-After``), or None."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def _build_client(settings: Settings, budget: float) -> openai.AsyncOpenAI:
    import openai

    common: dict[str, Any] = {"max_retries": 0, "timeout": budget}
    if settings.azure_openai_endpoint:
        return openai.AsyncAzureOpenAI(
            azure_endpoint=settings.azure_openai_endpoint,
            azure_deployment=settings.azure_openai_deployment,
            api_version=settings.azure_openai_api_version or "2024-10-21",
            api_key=settings.azure_openai_api_key or settings.openai_api_key,
            **common,
        )
    return openai.AsyncOpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, **common
    )


def _rejects_schema(error: Exception) -> bool:
    """Tell whether a 400 says the server does not do ``json_schema`` response formats."""
    text = str(error).lower()
    return "response_format" in text or "json_schema" in text or "structured" in text


def _failure(error: Exception, attempt: int) -> ModelFailure:
    import openai

    tries = f" after {attempt} tries" if attempt > 1 else ""
    if isinstance(error, openai.APITimeoutError):
        return ModelFailure("connection", f"did not answer in time{tries}")
    if isinstance(error, openai.APIConnectionError):
        return ModelFailure("connection", f"could not be reached{tries}")
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        if status == 429:
            return ModelFailure("rate_limited", f"was rate limited (429){tries}")
        if status >= 500 or status in _RETRY_STATUS:
            return ModelFailure("server_error", f"answered with an error ({status}){tries}")
        return _status_failure(error)
    return ModelFailure("error", f"failed ({type(error).__name__})")


def _status_failure(error: Any) -> ModelFailure:
    status = getattr(error, "status_code", 0)
    if status in (401, 403):
        return ModelFailure("auth", f"refused the credentials ({status}): check OPENAI_API_KEY")
    if status == 404:
        return ModelFailure("not_found", f"does not know this model or URL ({status})")
    return ModelFailure("bad_request", f"rejected the request ({status})")


def _message(response: Any, task: str) -> Any:
    """Return the first choice's message of a completion, or raise :class:`ModelFailure`.

    Fails when there is no choice, when the model refused (``task`` says what it declined:
    "review this draft"), and when the answer was cut off.
    """
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise ModelFailure("empty", "answered with nothing")
    choice = choices[0]
    message = choice.message
    if getattr(message, "refusal", None):
        raise ModelFailure("refusal", f"declined to {task}")
    if choice.finish_reason == "content_filter":
        raise ModelFailure("refusal", f"declined to {task} (content filter)")
    if choice.finish_reason == "length":
        raise ModelFailure("truncated", "was cut off before finishing its answer")
    return message


def _text_answer(response: Any, attempts: int) -> TextAnswer:
    """Check a completion and read its text, or raise :class:`ModelFailure`."""
    message = _message(response, "answer")
    text = message.content if isinstance(message.content, str) else ""
    if not text.strip():
        raise ModelFailure("empty", "answered with nothing")
    usage = getattr(response, "usage", None)
    return TextAnswer(
        text=text.strip(),
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
        model=getattr(response, "model", None) or "",
        attempts=attempts,
    )


def _answer(response: Any, mode: OutputMode, attempts: int) -> Answer:
    """Check a completion and read its review, or raise :class:`ModelFailure`."""
    message = _message(response, "review this draft")
    try:
        review = parse_answer(message.content)
    except AnswerError as error:
        code = "empty" if error.reason == "answered with nothing" else "malformed"
        if error.reason.startswith("answered in the wrong shape"):
            code = "schema"
        raise ModelFailure(code, str(error)) from None
    usage = getattr(response, "usage", None)
    return Answer(
        review=review,
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
        model=getattr(response, "model", None) or "",
        mode=mode,
        attempts=attempts,
    )
