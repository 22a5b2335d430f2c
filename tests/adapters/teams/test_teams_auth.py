"""Authentication: the SDK's JWT validation in front of /api/messages, and the settings for it.

With credentials configured, every request needs the bearer token Teams signs. The
FakeBotConnector signs tokens and serves its public keys; the app is given a cloud whose key
URL points at it (``connector.cloud()``), so the SDK's real validation runs offline: a token
the fake signed passes, a forged, expired or misaddressed one does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nudgebot.adapters.teams.app import build_teams, teams_settings_problem
from nudgebot.config import Settings, SettingsError
from nudgebot.engine import ReviewEngine
from nudgebot.testing_teams import FakeBotConnector
from tests.adapters.teams.harness import APP_ID, TENANT, RunningTeams, card_of, fixture

SECRET = "teams-secret-for-tests-only"


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector(require_auth=True) as fake:
        yield fake


@pytest.fixture(scope="module")
def engine() -> ReviewEngine:
    return ReviewEngine.from_settings(Settings(engine="rules"))


def production(connector: FakeBotConnector, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "engine": "rules",
        "teams_client_id": APP_ID,
        "teams_client_secret": SECRET,
        "teams_tenant_id": TENANT,
        "teams_service_url": connector.url.rstrip("/"),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def app(connector: FakeBotConnector, engine: ReviewEngine) -> Iterator[RunningTeams]:
    """Credentials configured; the bot's own token comes from the fake (not from Entra)."""
    settings = production(connector)
    with RunningTeams(settings, engine, cloud=connector.cloud(), token=connector.bot_token) as a:
        yield a


def refused(app: RunningTeams, connector: FakeBotConnector, token: str | None) -> None:
    connector.reset()
    reply = app.post(fixture("message_personal.json", connector), token=token)
    assert reply.status == 401, reply
    app.settle()
    assert connector.calls_to("create") == []


def test_a_request_without_a_token_is_refused(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    refused(app, connector, None)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c: "not-a-jwt", id="garbage"),
        pytest.param(lambda c: c.token_for(APP_ID, forged=True), id="forged"),
        pytest.param(lambda c: c.token_for(APP_ID, expires_in=-3600), id="expired"),
        pytest.param(lambda c: c.token_for("someone-elses-app"), id="wrong-audience"),
        pytest.param(lambda c: c.token_for(APP_ID, issuer="https://evil.example"), id="issuer"),
        pytest.param(
            lambda c: c.token_for(APP_ID, service_url="https://smba.trafficmanager.net/emea/"),
            id="other-service-url",
        ),
    ],
)
def test_a_request_with_a_bad_token_is_refused(
    app: RunningTeams, connector: FakeBotConnector, make: Any
) -> None:
    refused(app, connector, make(connector))


def test_a_signed_request_is_answered_with_the_bots_own_token(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    connector.reset()
    activity = fixture("message_personal.json", connector)
    reply = app.post(activity, token=connector.token_for(APP_ID))
    assert reply.status == 200
    app.settle()
    [sent] = connector.messages()  # the fake refuses (401) any call without its token
    assert card_of(sent)["version"] == "1.5"
    assert sent.token is not None
    assert sent.token != connector.token_for(APP_ID)  # the bot's own, not the inbound one


def test_a_proactive_message_carries_the_bots_token(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    from nudgebot.adapters.teams.references import ConversationRef

    connector.reset()
    ref = ConversationRef(conversation_id="a:chat", service_url=connector.url, kind="personal")
    app.run(app.teams.send_proactive(ref, "Hello"))
    [sent] = connector.wait_for("create")
    assert sent.token


def test_listing_members_carries_the_bots_token(
    app: RunningTeams, connector: FakeBotConnector
) -> None:
    from nudgebot.adapters.teams.references import ConversationRef

    connector.reset()
    connector.set_members("19:team@thread.tacv2", [{"id": "29:p", "name": "Priya Sharma"}])
    ref = ConversationRef("19:team@thread.tacv2", connector.url, "channel", tenant_id=TENANT)
    page = app.run(app.teams.members(ref))  # the fake refuses (401) a call without its token
    assert [member.name for member in page.members] == ["Priya Sharma"]
    [listed] = connector.calls_to("paged_members")
    assert listed.token and listed.status == 200


def test_neither_the_dev_setting_nor_the_sdks_variables_switch_auth_off(
    connector: FakeBotConnector, engine: ReviewEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once credentials are set, NUDGEBOT_TEAMS_DEV_NO_AUTH is ignored; the SDK's own
    variables (DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS, CLIENT_ID...) are never read."""
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    monkeypatch.setenv("CLIENT_ID", "from-the-environment")
    monkeypatch.setenv("CLIENT_SECRET", "from-the-environment")
    monkeypatch.setenv("SERVICE_URL", "https://elsewhere.example")
    settings = production(connector, teams_dev_no_auth=True)
    with RunningTeams(
        settings, engine, cloud=connector.cloud(), token=connector.bot_token
    ) as secured:
        refused(secured, connector, None)
        assert secured.teams.sdk.id == APP_ID
    dev = build_teams(Settings(teams_dev_no_auth=True), engine)
    assert dev.sdk.credentials is None
    assert dev.sdk.api.service_url == "https://smba.trafficmanager.net/teams"


# -- settings ---------------------------------------------------------------------------------


def test_without_credentials_the_app_refuses_to_start(engine: ReviewEngine) -> None:
    with pytest.raises(SettingsError) as caught:
        build_teams(Settings(), engine)
    message = str(caught.value)
    assert "\n" not in message
    for name in (
        "TEAMS_CLIENT_ID",
        "TEAMS_CLIENT_SECRET",
        "TEAMS_TENANT_ID",
        "NUDGEBOT_TEAMS_DEV_NO_AUTH",
    ):
        assert name in message
    assert message.endswith("see .env.example")


def test_incomplete_credentials_name_what_is_missing(engine: ReviewEngine) -> None:
    settings = Settings(teams_client_id=APP_ID, teams_dev_no_auth=True)
    problem = teams_settings_problem(settings)
    assert problem is not None
    assert problem.startswith("TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID are not set")
    with pytest.raises(SettingsError):
        build_teams(settings, engine)
    assert teams_settings_problem(settings.__class__(teams_dev_no_auth=True)) is None
    with_token = Settings(teams_client_id=APP_ID, teams_tenant_id=TENANT)
    assert teams_settings_problem(with_token, token=True) is None
    assert teams_settings_problem(with_token) == (
        "TEAMS_CLIENT_SECRET is not set (Teams needs TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and "
        "TEAMS_TENANT_ID together)"
    )


def test_teams_settings_are_read_from_the_environment() -> None:
    settings = Settings.load(
        env={
            "TEAMS_CLIENT_ID": APP_ID,
            "TEAMS_CLIENT_SECRET": SECRET,
            "TEAMS_TENANT_ID": TENANT,
            "TEAMS_SERVICE_URL": "https://smba.trafficmanager.net/emea/",
            "NUDGEBOT_TEAMS_DEV_NO_AUTH": "yes",
        },
        dotenv_path=None,
    )
    assert settings.teams_service_url == "https://smba.trafficmanager.net/emea"
    assert settings.teams_dev_no_auth is True
    assert SECRET not in repr(settings)
    assert Settings.load(env={}).teams_dev_no_auth is False
    for name, value in (("NUDGEBOT_TEAMS_DEV_NO_AUTH", "maybe"), ("TEAMS_SERVICE_URL", "smba")):
        with pytest.raises(SettingsError, match=f"^{name}"):
            Settings.load(env={name: value})


def test_importing_the_adapter_leaves_the_environment_alone(tmp_path: Path) -> None:
    """The SDK loads a .env into os.environ when imported; nudgebot's import of it does not.

    And the plain modules (cards, conversion, references, hooks, the bot) import no SDK at all.
    """
    (tmp_path / ".env").write_text("CLIENT_ID=from-dotenv\n", encoding="utf-8")
    code = "; ".join(
        [
            "import logging, os, sys",
            "from nudgebot.adapters.teams import bot, cards, convert, hooks, references",
            "print(any(name.startswith('microsoft_teams') for name in sys.modules))",
            "import nudgebot.adapters.teams.app",
            "print('CLIENT_ID' in os.environ)",
            "print(logging.getLogger('microsoft_teams').level)",
        ]
    )
    env = {k: v for k, v in os.environ.items() if k != "CLIENT_ID"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "20"]  # and the SDK's DEBUG logs are off
