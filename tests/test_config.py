from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nudgebot.config import (
    Settings,
    SettingsError,
    parse_bool,
    parse_float,
    parse_int,
    parse_list,
)

SECRETS = {
    "OPENAI_API_KEY": "sk-test-openai-0001",
    "AZURE_OPENAI_API_KEY": "azure-test-key-0002",
    "SLACK_BOT_TOKEN": "xoxb-test-0003",
    "SLACK_APP_TOKEN": "xapp-test-0004",
    "SLACK_SIGNING_SECRET": "signing-test-0005",
    "TEAMS_CLIENT_SECRET": "teams-test-0006",
    "DATABASE_URL": "postgresql://nudge:hunter2-0007@db.example/nudge",
}


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty directory, so no stray .env is picked up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    settings = Settings.load(env={})
    assert settings == Settings()
    assert settings.engine == "auto"
    assert settings.prompts_dir is None
    assert settings.no_color is False
    assert settings.max_draft_chars == 40_000
    assert settings.model == "gpt-4o-mini"
    assert settings.llm_timeout == 6.0
    assert settings.llm_gate is False
    assert settings.openai_api_key is None
    assert settings.watch_channels == ()
    assert settings.database_url == "sqlite:///nudgebot.db"
    assert settings.retention_days == 30
    assert settings.redact is True
    assert settings.llm_configured is False


def test_values_from_environment(tmp_path: Path) -> None:
    settings = Settings.load(
        env={
            "NUDGEBOT_ENGINE": "RULES",
            "NUDGEBOT_PROMPTS_DIR": str(tmp_path),
            "NO_COLOR": "1",
            "NUDGEBOT_MAX_DRAFT_CHARS": "500",
            "NUDGEBOT_LLM_TIMEOUT": "2.5",
            "NUDGEBOT_LLM_GATE": "Yes",
            "NUDGEBOT_WATCH_CHANNELS": " C1, ,C2,",
            "NUDGEBOT_AGENTS": "U1",
            "NUDGEBOT_LEADS": "",
            "OPENAI_BASE_URL": "http://127.0.0.1:9999/v1/",
            "NUDGEBOT_RETENTION_DAYS": "7",
            "NUDGEBOT_REDACT": "off",
            "OPENAI_API_KEY": "sk-x",
        }
    )
    assert settings.engine == "rules"
    assert settings.prompts_dir == tmp_path
    assert settings.no_color is True
    assert settings.max_draft_chars == 500
    assert settings.llm_timeout == 2.5
    assert settings.llm_gate is True
    assert settings.watch_channels == ("C1", "C2")
    assert settings.agents == ("U1",)
    assert settings.leads == ()
    assert settings.openai_base_url == "http://127.0.0.1:9999/v1"
    assert settings.retention_days == 7
    assert settings.redact is False
    assert settings.llm_configured is True


def test_dotenv_in_current_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# a comment\nNUDGEBOT_MODEL=gpt-test\nNUDGEBOT_RETENTION_DAYS=14\n"
        "OPENAI_API_KEY='sk-$dollar'\n",
        encoding="utf-8",
    )
    settings = Settings.load(env={})
    assert settings.model == "gpt-test"
    assert settings.retention_days == 14
    assert settings.openai_api_key == "sk-$dollar"


def test_explicit_dotenv_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    (elsewhere / "custom.env").write_text("NUDGEBOT_ENGINE=llm\n", encoding="utf-8")
    assert Settings.load(env={}, dotenv_path=elsewhere / "custom.env").engine == "llm"


def test_missing_explicit_dotenv_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"not found; see \.env\.example"):
        Settings.load(env={}, dotenv_path=tmp_path / "nope.env")


def test_environment_beats_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "NUDGEBOT_MODEL=from-dotenv\nNUDGEBOT_REDACT=maybe\nNUDGEBOT_AGENTS=U9\n",
        encoding="utf-8",
    )
    settings = Settings.load(env={"NUDGEBOT_MODEL": "from-env", "NUDGEBOT_REDACT": "no"})
    assert settings.model == "from-env"
    assert settings.redact is False  # the bad .env value is shadowed, so never parsed
    assert settings.agents == ("U9",)


def test_empty_value_means_default(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NUDGEBOT_MODEL=\nNUDGEBOT_REDACT=\n", encoding="utf-8")
    settings = Settings.load(env={"NUDGEBOT_RETENTION_DAYS": "  "})
    assert settings.model == "gpt-4o-mini"
    assert settings.redact is True
    assert settings.retention_days == 30


def test_environment_is_not_mutated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUDGEBOT_MODEL", raising=False)
    (tmp_path / ".env").write_text("NUDGEBOT_MODEL=from-dotenv\n", encoding="utf-8")
    before = dict(os.environ)
    assert Settings.load().model == "from-dotenv"
    assert dict(os.environ) == before


def test_os_environ_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUDGEBOT_MODEL", "from-os-environ")
    assert Settings.load().model == "from-os-environ"


def test_the_example_file_is_complete_and_valid() -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    settings = Settings.load(env={}, dotenv_path=example)
    assert settings == Settings()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example.read_text("utf-8"), re.M))
    source = (Path(__file__).resolve().parents[1] / "nudgebot" / "config.py").read_text("utf-8")
    expected = set(re.findall(r'(?<![.\w])(?:get|opt)\(\s*"([A-Z][A-Z0-9_]*)"', source))
    expected |= {"NO_COLOR", "NUDGEBOT_CACHE_DIR"}  # read directly, not through get()/opt()
    assert len(expected) > 30
    assert names == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NUDGEBOT_ENGINE", "gpt"),
        ("NUDGEBOT_PROMPTS_DIR", "/no/such/dir/for/nudgebot"),
        ("NUDGEBOT_MAX_DRAFT_CHARS", "lots"),
        ("NUDGEBOT_MAX_DRAFT_CHARS", "0"),
        ("OPENAI_BASE_URL", "api.openai.com"),
        ("AZURE_OPENAI_ENDPOINT", "ftp://x"),
        ("NUDGEBOT_LLM_TIMEOUT", "soon"),
        ("NUDGEBOT_LLM_TIMEOUT", "-1"),
        ("NUDGEBOT_LLM_TIMEOUT", "nan"),
        ("NUDGEBOT_LLM_GATE", "maybe"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_URL", "nudgebot.db"),
        ("NUDGEBOT_RETENTION_DAYS", "1.5"),
        ("NUDGEBOT_RETENTION_DAYS", "-3"),
        ("NUDGEBOT_REDACT", "2"),
        ("NUDGEBOT_PHONE_REGION", "Britain"),
        ("NUDGEBOT_PHONE_REGION", "XQ"),
    ],
)
def test_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(env={name: value})
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert message.startswith(name)
    assert "see .env.example" in message
    assert "\n" not in message


def test_bad_value_in_dotenv_says_so(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NUDGEBOT_REDACT=perhaps\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^NUDGEBOT_REDACT='perhaps' \(from \.env\): "):
        Settings.load(env={})


def test_bad_secret_value_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(env={"DATABASE_URL": "hunter2-password"})
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith("DATABASE_URL")


def test_secrets_not_in_repr() -> None:
    settings = Settings.load(env=SECRETS)
    assert settings.openai_api_key == SECRETS["OPENAI_API_KEY"]
    assert settings.slack_signing_secret == SECRETS["SLACK_SIGNING_SECRET"]
    shown = repr(settings) + str(settings)
    for value in SECRETS.values():
        assert value not in shown
    assert "hunter2" not in shown
    assert "gpt-4o-mini" in shown  # non-secret fields are still shown


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.model = "other"  # type: ignore[misc]


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_parse_bool_true(word: str) -> None:
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["0", "false", "False", "NO", "off"])
def test_parse_bool_false(word: str) -> None:
    assert parse_bool(word) is False


@pytest.mark.parametrize("word", ["", "2", "y", "n", "enabled", "truee"])
def test_parse_bool_rejects(word: str) -> None:
    with pytest.raises(ValueError):
        parse_bool(word)


def test_parse_numbers_and_lists() -> None:
    assert parse_int(" 42 ") == 42
    assert parse_float("8") == 8.0
    with pytest.raises(ValueError):
        parse_int("4.2")
    with pytest.raises(ValueError):
        parse_float("inf")
    assert parse_list(" a, b ,,c ,") == ("a", "b", "c")
    assert parse_list(" , ") == ()


def test_cache_dir_follows_xdg_and_can_be_turned_off(tmp_path: Path) -> None:
    assert Settings.load(env={"XDG_CACHE_HOME": str(tmp_path)}).cache_dir == tmp_path / "nudgebot"
    assert Settings.load(env={"NUDGEBOT_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
    assert Settings.load(env={"NUDGEBOT_CACHE_DIR": "off"}).cache_dir is None


def test_the_phone_region_defaults_to_gb_and_is_read_in_any_case() -> None:
    assert Settings.load(env={}).phone_region == "GB"
    assert Settings.load(env={"NUDGEBOT_PHONE_REGION": " in "}).phone_region == "IN"


def test_the_slack_app_and_team_ids_are_optional() -> None:
    assert (Settings.load(env={}).slack_app_id, Settings.load(env={}).slack_team_id) == (None, None)
    loaded = Settings.load(env={"SLACK_APP_ID": "A123", "SLACK_TEAM_ID": "T456"})
    assert (loaded.slack_app_id, loaded.slack_team_id) == ("A123", "T456")


def test_the_quiet_policy_comes_from_the_environment() -> None:
    from nudgebot.config import Settings, SettingsError

    settings = Settings.load(
        {
            "NUDGEBOT_QUIET_MIN_VOTES": "10",
            "NUDGEBOT_QUIET_SHARE": "0.75",
            "NUDGEBOT_QUIET_DAYS": "7",
        }
    )
    policy = settings.quiet_policy
    assert (policy.min_votes, policy.share, policy.days) == (10, 0.75, 7)
    assert Settings.load({}).quiet_policy.min_votes == 20
    import pytest

    with pytest.raises(SettingsError, match="NUDGEBOT_QUIET_SHARE"):
        Settings.load({"NUDGEBOT_QUIET_SHARE": "60"})
