"""What ``nudgebot serve`` checks before it serves, so it fails at once and says why.

Settings first, all at once (:func:`slack_settings_problems`): every missing or malformed
variable in one message, not one per run. Then the credentials, against the services
themselves (:func:`slack_credential_problems`, :func:`teams_credential_problem`): Slack's
``auth.test`` for the bot token (at ``SLACK_API_URL`` when set) and ``apps.connections.open``
for the app-level token of Socket Mode; a token from Entra for the Teams app. A credential the
service *refuses* stops the start with a sentence naming the variable; a service that can't
be reached is only logged (Socket Mode keeps trying, with a back-off).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from nudgebot.config import Settings

if TYPE_CHECKING:
    from nudgebot.adapters.teams.app import TeamsApp

__all__ = [
    "REFUSED_TOKEN",
    "slack_credential_problems",
    "slack_settings_problems",
    "teams_credential_problem",
]

logger = logging.getLogger("nudgebot.startup")

REFUSED_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
"""Slack's answers meaning "this token is not one I accept"."""
CHECK_TIMEOUT = 10
"""Seconds a check waits for Slack."""


def slack_settings_problems(settings: Settings, http: bool) -> list[str]:
    """Return every missing or malformed setting for serving Slack (empty: all in place)."""
    mode = "--http" if http else "Socket Mode"
    problems = []
    if not settings.slack_bot_token:
        problems.append(f"SLACK_BOT_TOKEN is not set (the bot token, xoxb-..., needed for {mode})")
    elif not settings.slack_bot_token.startswith("xoxb-"):
        problems.append(
            "SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-)"
        )
    if http:
        if not settings.slack_signing_secret:
            problems.append(
                "SLACK_SIGNING_SECRET is not set (needed for --http, to verify requests from Slack)"
            )
    elif not settings.slack_app_token:
        problems.append(
            "SLACK_APP_TOKEN is not set (needed for Socket Mode; use --http for the Events API)"
        )
    elif not settings.slack_app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-)"
        )
    return problems


async def slack_credential_problems(settings: Settings, *, socket_mode: bool) -> list[str]:
    """Ask Slack whether it accepts the bot token (and the app token for Socket Mode).

    Returns a sentence per token Slack refused. When Slack can't be reached, that is logged
    once and the tokens count as fine: the app starts and keeps trying.
    """
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    base = settings.slack_api_url or AsyncWebClient.BASE_URL
    where = f" at {settings.slack_api_url}" if settings.slack_api_url else ""
    client = AsyncWebClient(
        token=settings.slack_bot_token, base_url=base, timeout=CHECK_TIMEOUT, retry_handlers=[]
    )

    async def test_auth() -> object:
        return await client.auth_test()

    checks: list[tuple[str, str, Callable[[], Awaitable[object]]]] = [
        ("SLACK_BOT_TOKEN", "the bot token", test_auth)
    ]
    if socket_mode and settings.slack_app_token:
        app_token = settings.slack_app_token

        async def open_connection() -> object:
            return await client.apps_connections_open(app_token=app_token)

        checks.append(("SLACK_APP_TOKEN", "the app-level token", open_connection))
    problems = []
    for variable, what, call in checks:
        try:
            await call()
        except SlackApiError as error:
            code = str((error.response or {}).get("error") or "")
            if error.response is not None and error.response.status_code == 200:
                problems.append(_refused(variable, what, code))
            else:
                logger.warning(
                    "Slack%s answered HTTP %s when checking %s; starting anyway",
                    where,
                    getattr(error.response, "status_code", "?"),
                    variable,
                )
        except Exception as error:  # unreachable: DNS, refused connection, timeout
            logger.warning(
                "could not reach Slack%s to check %s (%s); starting anyway",
                where,
                variable,
                type(error).__name__,
            )
            break  # the next check would fail the same way
    return problems


def _refused(variable: str, what: str, code: str) -> str:
    if code in REFUSED_TOKEN:
        return (
            f"Slack does not accept {variable}: {what} is not valid (mistyped, revoked, or from "
            "an app that was uninstalled); copy it again from the app's settings"
        )
    if code == "not_allowed_token_type":
        return f"Slack does not accept {variable}: it is not {what} (check which token is which)"
    return f"Slack refused {variable} ({code or 'no reason given'})"


async def teams_credential_problem(app: TeamsApp) -> str | None:
    """Ask Entra for the bot's token with the configured Teams credentials.

    None when a token came back (or no credentials are configured: development without
    auth); otherwise a sentence naming the variables to check.
    """
    from microsoft_teams.apps.token_manager import TokenManager

    if app.sdk.credentials is None:
        return None
    # Its own token manager: nothing of the app's (HTTP clients bound to an event loop) is
    # touched before the server runs.
    tokens = TokenManager(app.sdk.credentials, app.sdk.cloud)
    try:
        token = await tokens.get_bot_token()
    except Exception as error:
        logger.warning("Teams credentials were refused (%s)", type(error).__name__)
        token = None
    if token:
        return None
    return (
        "Microsoft Entra did not give the Teams bot a token: check TEAMS_CLIENT_ID, "
        "TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID (the app registration's client id, a current "
        "client secret, and your tenant id)"
    )
