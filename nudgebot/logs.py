"""Logging for ``nudgebot serve``: text for people, or one JSON object per line for collectors.

:func:`setup_logging` puts one handler on the root logger (stderr), formatted as the settings
say (``NUDGEBOT_LOG_FORMAT``, ``NUDGEBOT_LOG_LEVEL``). The rule nudgebot's own log calls keep
is that a log line never holds message text or a token: they name what happened, ids and
exception types. These guards keep other code to it:

- ``NUDGEBOT_LOG_LEVEL=DEBUG`` shows nudgebot's own debug lines only (loggers ``nudgebot.*``);
  the handler drops every other logger's below INFO, since some libraries write whole request
  and response bodies at DEBUG (slack_sdk's Web API client, openai's request options,
  aiosqlite's SQL parameters, Bolt's responses), and those hold what agents and customers
  wrote. (Bolt names its app logger after the app, ``nudgebot``: that one counts as Bolt's.)
  The root logger itself is then at DEBUG, so a handler someone else adds to it would see
  those bodies; nudgebot adds none.
- Bolt's request verification logs a request that fails its signature check, whole body
  included, at INFO: that line is filtered out at its loggers
  (:func:`nudgebot.adapters.slack.app.quiet_request_verification`), and the signature is
  checked before Bolt anyway (:mod:`nudgebot.adapters.slack.gate`), with a line of our own
  that names what was wrong, never the body.
- An exception is logged as its type and traceback, without its own words (which could quote
  a message), in both formats.
- Every secret the settings hold (tokens, keys, the signing secret, the database URL) is
  replaced by ``[redacted]`` wherever it would appear in a line, as are strings shaped like
  Slack tokens and ``Bearer`` credentials.

Once :func:`setup_logging` has run, the HTTP server's own loggers (uvicorn's) go through the
same handler (see :func:`nudgebot.adapters.router.http_server`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urlsplit

from nudgebot.config import Settings

__all__ = ["REDACTED", "TEXT_FORMAT", "JsonFormatter", "installed", "setup_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# The attributes every LogRecord has; anything else on a record came from ``extra=``
# (but for uvicorn's ``color_message``, its message again with terminal colour codes).
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}
)
_TOKEN_SHAPES = re.compile(
    r"\bxox[a-z]-[A-Za-z0-9-]{6,}|\bxapp-[A-Za-z0-9-]{6,}|\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"
)
_MIN_SECRET = 6  # shorter "secrets" (test values, typos) would blank out ordinary words


class _Scrubber:
    """Replaces known secrets, and anything shaped like a token, in a piece of log text."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = tuple(sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len))[::-1]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPES.sub(_shape, text)


def _shape(match: re.Match[str]) -> str:
    scheme = match.group(1)
    return f"{scheme} {REDACTED}" if scheme else REDACTED


def _trace(tb: TracebackType | None) -> str:
    return "".join(traceback.format_tb(tb)).rstrip()


class _TextFormatter(logging.Formatter):
    """``TEXT_FORMAT`` lines; an exception as its type and traceback (see the module docs)."""

    def __init__(self, scrub: _Scrubber) -> None:
        super().__init__(TEXT_FORMAT)
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as text (never the cached ``exc_text`` another handler made)."""
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            text += f"\nTraceback (most recent call last):\n{_trace(tb)}\n"
            text += f"{kind.__name__} (its message is not logged)"
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return self.scrub(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message``, and extras.

    ``time`` is ISO 8601 in UTC with milliseconds; fields passed with ``extra=`` are added as
    they are (anything JSON can't hold, as its ``str``). An exception becomes ``exception``:
    its type and traceback, without the exception's own words (which could quote a message).
    """

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.scrub = _Scrubber(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            line["exception"] = {"type": kind.__name__, "traceback": _trace(trace)}
        if record.stack_info:
            line["stack"] = record.stack_info
        text = json.dumps(line, ensure_ascii=False, default=str)
        return self.scrub(text)


def _secrets(settings: Settings) -> tuple[str, ...]:
    values = (
        settings.openai_api_key,
        settings.azure_openai_api_key,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.teams_client_secret,
    )
    found = [value for value in values if value]
    found += [json.dumps(value)[1:-1] for value in found]  # as a JSON string would hold it
    try:
        password = urlsplit(settings.database_url).password
    except ValueError:
        password = None
    if password:
        found += [settings.database_url, password]
    return tuple(found)


class _OwnDebugOnly(logging.Filter):
    """Let nudgebot's own records through at any level, everyone else's from ``floor`` up."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record if it is at least ``floor``, or comes from ``nudgebot.*``."""
        return record.levelno >= self.floor or record.name.startswith("nudgebot.")


def installed() -> bool:
    """Whether :func:`setup_logging` has put its handler on the root logger."""
    return any(getattr(h, "_nudgebot", False) for h in logging.getLogger().handlers)


def setup_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Log to ``stream`` (default stderr) as the settings say; return the handler.

    Calling it again replaces the handler it installed before (and no other).
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    secrets = _secrets(settings)
    formatter: logging.Formatter = (
        JsonFormatter(secrets)
        if settings.log_format == "json"
        else _TextFormatter(_Scrubber(secrets))
    )
    handler.setFormatter(formatter)
    level = logging.getLevelNamesMapping()[settings.log_level]
    handler.addFilter(_OwnDebugOnly(max(level, logging.INFO)))
    handler._nudgebot = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_nudgebot", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Bolt's app logger, "nudgebot", is the parent of nudgebot's own: Bolt sets its level to
    # the root's when an app is built, so an app built before this would hold it back.
    logging.getLogger("nudgebot").setLevel(level)
    return handler
