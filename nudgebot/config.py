"""Settings: the only reader of the environment and of ``.env``.

Every other module takes a :class:`Settings` (or the values it needs) as an argument and never
looks at ``os.environ`` itself. Values come from the process environment first, then from a
``.env`` file in the current directory; ``os.environ`` is never changed. A value that cannot be
used raises :class:`SettingsError` with one line naming the variable.

An empty value (``NAME=``) means "not set", so a copy of ``.env.example`` is a valid ``.env``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from nudgebot.learning import QuietPolicy

__all__ = [
    "DEFAULT_DATABASE_URL",
    "EngineChoice",
    "LogFormat",
    "OutputChoice",
    "Settings",
    "SettingsError",
    "parse_bool",
    "parse_float",
    "parse_int",
    "parse_list",
]

EngineChoice = Literal["auto", "rules", "llm"]
OutputChoice = Literal["auto", "schema", "json"]
LogFormat = Literal["text", "json"]
_LOG_FORMATS: dict[str, LogFormat] = {"text": "text", "json": "json"}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_OUTPUTS: dict[str, OutputChoice] = {"auto": "auto", "schema": "schema", "json": "json"}
_ENGINES: dict[str, EngineChoice] = {"auto": "auto", "rules": "rules", "llm": "llm"}
DEFAULT_DATABASE_URL = "sqlite:///nudgebot.db"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_T = TypeVar("_T")
_N = TypeVar("_N", int, float)


class SettingsError(ValueError):
    """A setting has a value nudgebot cannot use; the message is one line naming the variable."""


def parse_bool(text: str) -> bool:
    """Read ``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is an error."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("expected one of 1/true/yes/on or 0/false/no/off")


def parse_int(text: str) -> int:
    """Read a whole number such as ``30``."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None


def parse_float(text: str) -> float:
    """Read a finite number such as ``8`` or ``2.5``."""
    try:
        number = float(text.strip())
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def parse_list(text: str) -> tuple[str, ...]:
    """Read a comma-separated list, stripping spaces and dropping empty items."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _positive(number: _N) -> _N:
    if not number > 0:
        raise ValueError("must be greater than 0")
    return number


def _url(text: str) -> str:
    url = text.strip()
    if not url.startswith(("http://", "https://")):
        raise ValueError("expected a URL starting with http:// or https://")
    return url.rstrip("/")


def _database_url(text: str) -> str:
    url = text.strip()
    if "://" not in url:
        raise ValueError("expected a database URL such as sqlite:///nudgebot.db")
    return url


def _engine(text: str) -> EngineChoice:
    try:
        return _ENGINES[text.strip().lower()]
    except KeyError:
        raise ValueError("expected one of auto, rules, llm") from None


def _output(text: str) -> OutputChoice:
    try:
        return _OUTPUTS[text.strip().lower()]
    except KeyError:
        raise ValueError("expected one of auto, schema, json") from None


def _log_format(text: str) -> LogFormat:
    try:
        return _LOG_FORMATS[text.strip().lower()]
    except KeyError:
        raise ValueError("expected one of text, json") from None


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}")
    return level


def _region(text: str) -> str:
    region = text.strip().upper()
    if len(region) != 2 or not region.isalpha() or not region.isascii():
        raise ValueError("expected a two-letter country code such as GB, DE or IN")
    import phonenumbers  # only when a region is set: the library is imported lazily elsewhere

    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{region} is not a country code with a phone numbering plan")
    return region


def _not_negative(number: int) -> int:
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _directory(text: str) -> Path:
    path = Path(text.strip()).expanduser()
    if not path.is_dir():
        raise ValueError("no such directory")
    return path


def _text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True)
class Settings:
    """Everything nudgebot reads from its environment, parsed and checked.

    Build one with :meth:`Settings.load`; ``Settings()`` gives the defaults. Secret fields are
    kept out of ``repr()`` so a logged or printed ``Settings`` leaks nothing.
    """

    # Review engine
    engine: EngineChoice = "auto"
    prompts_dir: Path | None = None
    max_draft_chars: int = 40_000
    cache_dir: Path | None = field(default_factory=lambda: Path.home() / ".cache" / "nudgebot")
    """Where derived data may be cached (the rules' prefilter); None: no cache."""
    no_color: bool = False
    # LLM
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    model: str = "gpt-4o-mini"
    azure_openai_endpoint: str | None = None
    azure_openai_deployment: str | None = None
    azure_openai_api_version: str | None = None
    azure_openai_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 6.0
    """Seconds a whole model review may take (waiting, retries and back-off included)."""
    llm_gate: bool = False
    llm_retries: int = 2
    llm_concurrency: int = 256
    llm_output: OutputChoice = "auto"
    llm_cache_size: int = 1024
    llm_breaker_failures: int = 5
    llm_breaker_seconds: float = 30.0
    # Slack
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    slack_app_id: str | None = None
    """This app's id (A...): requests for another app are refused (None: from auth.test)."""
    slack_team_id: str | None = None
    """The workspace's id (T...): requests from another one are refused (None: auth.test)."""
    watch_channels: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    # Teams
    teams_client_id: str | None = None
    teams_client_secret: str | None = field(default=None, repr=False)
    teams_tenant_id: str | None = None
    teams_service_url: str | None = None
    """Default Bot Connector URL for proactive messages (None: the SDK's, Microsoft's own)."""
    teams_dev_no_auth: bool = False
    """Accept Teams requests without credentials or a signed token: local development only."""
    # Storage and privacy
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    retention_days: int = 30
    redact: bool = True
    phone_region: str = "GB"
    """Where national-format phone numbers are read first when redacting (ISO 3166 code)."""
    # Operations
    metrics: bool = True
    """Serve ``GET /metrics`` (Prometheus text) in HTTP mode."""
    lease_seconds: float = 60.0
    """How long an instance holds live work before another may take it over (killed, stopped)."""
    log_format: LogFormat = "text"
    log_level: str = "INFO"
    # Learning from the team: when the feedback quiets a rule in a team's channels
    quiet_min_votes: int = 20
    """Helpful / not helpful votes a rule needs before the feedback can quiet it."""
    quiet_share: float = 0.6
    """The share of those votes saying not helpful that quiets it (0-1)."""
    quiet_days: int = 30
    """The period of votes that counts, in days."""

    @property
    def quiet_policy(self) -> QuietPolicy:
        """The policy by which a team's feedback quiets a rule (see :mod:`nudgebot.learning`)."""
        return QuietPolicy(self.quiet_min_votes, self.quiet_share, self.quiet_days)

    @property
    def llm_configured(self) -> bool:
        """Whether enough is set to call a model (OpenAI key, or an Azure endpoint and key)."""
        if self.azure_openai_endpoint:
            return bool(self.azure_openai_api_key or self.openai_api_key)
        return bool(self.openai_api_key)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Read settings from ``env`` (default ``os.environ``) over a ``.env`` file.

        ``dotenv_path`` defaults to ``.env`` in the current directory, which may be absent; a
        path given explicitly must exist. Raises :class:`SettingsError` on any bad value.
        """
        values = _read_dotenv(dotenv_path)
        sources = dict.fromkeys(values, ".env")
        environment = os.environ if env is None else env
        for name, value in environment.items():
            values[name] = value
            sources[name] = "environment"

        def get(name: str, parse: Callable[[str], _T], default: _T, secret: bool = False) -> _T:
            raw = values.get(name)
            if raw is None or not raw.strip():
                return default
            try:
                return parse(raw)
            except ValueError as error:
                shown = "" if secret else f"={_short(raw)}"
                raise SettingsError(
                    f"{name}{shown} (from {sources[name]}): {error}; see .env.example"
                ) from None

        def opt(name: str, parse: Callable[[str], str] = _text, secret: bool = False) -> str | None:
            return get(name, parse, None, secret)

        return cls(
            engine=get("NUDGEBOT_ENGINE", _engine, "auto"),
            prompts_dir=get("NUDGEBOT_PROMPTS_DIR", _directory, None),
            max_draft_chars=get(
                "NUDGEBOT_MAX_DRAFT_CHARS", lambda s: _positive(parse_int(s)), 40_000
            ),
            cache_dir=_cache_dir(values.get("NUDGEBOT_CACHE_DIR"), values),
            # NO_COLOR convention (no-color.org): present and non-empty disables colour.
            no_color=bool(values.get("NO_COLOR")),
            openai_api_key=opt("OPENAI_API_KEY", secret=True),
            openai_base_url=opt("OPENAI_BASE_URL", _url),
            model=get("NUDGEBOT_MODEL", _text, "gpt-4o-mini"),
            azure_openai_endpoint=opt("AZURE_OPENAI_ENDPOINT", _url),
            azure_openai_deployment=opt("AZURE_OPENAI_DEPLOYMENT"),
            azure_openai_api_version=opt("AZURE_OPENAI_API_VERSION"),
            azure_openai_api_key=opt("AZURE_OPENAI_API_KEY", secret=True),
            llm_timeout=get("NUDGEBOT_LLM_TIMEOUT", lambda s: _positive(parse_float(s)), 6.0),
            llm_gate=get("NUDGEBOT_LLM_GATE", parse_bool, False),
            llm_retries=get("NUDGEBOT_LLM_RETRIES", lambda s: _not_negative(parse_int(s)), 2),
            llm_concurrency=get("NUDGEBOT_LLM_CONCURRENCY", lambda s: _positive(parse_int(s)), 256),
            llm_output=get("NUDGEBOT_LLM_OUTPUT", _output, "auto"),
            llm_cache_size=get(
                "NUDGEBOT_LLM_CACHE_SIZE", lambda s: _not_negative(parse_int(s)), 1024
            ),
            llm_breaker_failures=get(
                "NUDGEBOT_LLM_BREAKER_FAILURES", lambda s: _positive(parse_int(s)), 5
            ),
            llm_breaker_seconds=get(
                "NUDGEBOT_LLM_BREAKER_SECONDS", lambda s: _positive(parse_float(s)), 30.0
            ),
            slack_bot_token=opt("SLACK_BOT_TOKEN", secret=True),
            slack_app_token=opt("SLACK_APP_TOKEN", secret=True),
            slack_signing_secret=opt("SLACK_SIGNING_SECRET", secret=True),
            slack_api_url=opt("SLACK_API_URL", _url),
            slack_app_id=opt("SLACK_APP_ID"),
            slack_team_id=opt("SLACK_TEAM_ID"),
            watch_channels=get("NUDGEBOT_WATCH_CHANNELS", parse_list, ()),
            agents=get("NUDGEBOT_AGENTS", parse_list, ()),
            leads=get("NUDGEBOT_LEADS", parse_list, ()),
            teams_client_id=opt("TEAMS_CLIENT_ID"),
            teams_client_secret=opt("TEAMS_CLIENT_SECRET", secret=True),
            teams_tenant_id=opt("TEAMS_TENANT_ID"),
            teams_service_url=opt("TEAMS_SERVICE_URL", _url),
            teams_dev_no_auth=get("NUDGEBOT_TEAMS_DEV_NO_AUTH", parse_bool, False),
            database_url=get("DATABASE_URL", _database_url, DEFAULT_DATABASE_URL, secret=True),
            retention_days=get("NUDGEBOT_RETENTION_DAYS", lambda s: _positive(parse_int(s)), 30),
            redact=get("NUDGEBOT_REDACT", parse_bool, True),
            phone_region=get("NUDGEBOT_PHONE_REGION", _region, "GB"),
            metrics=get("NUDGEBOT_METRICS", parse_bool, True),
            lease_seconds=get("NUDGEBOT_LEASE_SECONDS", lambda s: _positive(parse_float(s)), 60.0),
            log_format=get("NUDGEBOT_LOG_FORMAT", _log_format, "text"),
            log_level=get("NUDGEBOT_LOG_LEVEL", _log_level, "INFO"),
            quiet_min_votes=get("NUDGEBOT_QUIET_MIN_VOTES", lambda s: _positive(parse_int(s)), 20),
            quiet_share=get("NUDGEBOT_QUIET_SHARE", _share, 0.6),
            quiet_days=get("NUDGEBOT_QUIET_DAYS", lambda s: _positive(parse_int(s)), 30),
        )


def _share(text: str) -> float:
    value = parse_float(text)
    if not 0 < value <= 1:
        raise ValueError("expected a share above 0 and at most 1, e.g. 0.6")
    return value


def _cache_dir(value: str | None, environment: Mapping[str, str]) -> Path | None:
    """NUDGEBOT_CACHE_DIR, "off" for none, default $XDG_CACHE_HOME/nudgebot or ~/.cache."""
    if value and value.strip().lower() == "off":
        return None
    if value and value.strip():
        return Path(value.strip()).expanduser()
    base = environment.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nudgebot"


def _read_dotenv(path: Path | None) -> dict[str, str]:
    if path is None:
        path = Path.cwd() / ".env"
        if not path.is_file():
            return {}
    elif not path.is_file():
        raise SettingsError(f"env file {path} not found; see .env.example")
    from dotenv import dotenv_values  # only when there is a .env: saves start-up time

    # No ${VAR} interpolation: secrets may contain "$", and it would read os.environ.
    raw = dotenv_values(path, interpolate=False, encoding="utf-8")
    return {name: value for name, value in raw.items() if value is not None}


def _short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
