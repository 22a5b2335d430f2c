"""What ``nudgebot serve`` checks before serving: every setting at once, credentials for real."""

from __future__ import annotations

import asyncio
import time

import jwt

from nudgebot.adapters.teams.app import build_teams
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.startup import slack_settings_problems, teams_credential_problem

CLIENT_ID = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"


def test_all_the_missing_slack_settings_at_once() -> None:
    problems = slack_settings_problems(Settings(), http=True)
    assert [p.split(" ")[0] for p in problems] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    socket = slack_settings_problems(Settings(slack_bot_token="xoxp-1", slack_app_token="x"), False)
    assert len(socket) == 2 and "xoxb-" in socket[0] and "xapp-" in socket[1]
    assert (
        slack_settings_problems(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), False)
        == []
    )


def teams_with(token: object) -> object:
    settings = Settings(teams_client_id=CLIENT_ID, teams_tenant_id=TENANT)
    return build_teams(settings, ReviewEngine(), token=token)  # type: ignore[arg-type]


def test_a_teams_token_that_comes_back_passes() -> None:
    claims = {"aud": CLIENT_ID, "exp": int(time.time()) + 3600}
    token = jwt.encode(claims, "a-test-key-of-at-least-32-bytes!", algorithm="HS256")
    app = teams_with(lambda scope, tenant=None: token)
    assert asyncio.run(teams_credential_problem(app)) is None  # type: ignore[arg-type]


def test_teams_credentials_entra_refuses_are_named() -> None:
    def refuse(scope: str, tenant: str | None = None) -> str:
        raise RuntimeError("AADSTS7000215: Invalid client secret provided.")

    said = asyncio.run(teams_credential_problem(teams_with(refuse)))  # type: ignore[arg-type]
    assert said is not None
    assert "TEAMS_CLIENT_ID" in said and "TEAMS_CLIENT_SECRET" in said and "TEAMS_TENANT_ID" in said
    assert "AADSTS" not in said  # words, not the identity platform's code


def test_without_credentials_there_is_nothing_to_check() -> None:
    settings = Settings(teams_dev_no_auth=True)
    app = build_teams(settings, ReviewEngine())
    assert asyncio.run(teams_credential_problem(app)) is None
