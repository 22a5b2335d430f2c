"""Whether a (correctly signed) Slack request is meant for this app in its own workspace.

A signing secret proves a request came from Slack, not that it is for this app: an app that
shares the secret, or a payload replayed from another install, carries another ``api_app_id``
or ``team_id``. :func:`foreign` says so; :class:`SameApp` refuses such requests before any
listener runs.

What counts as this app's: ``SLACK_APP_ID`` and ``SLACK_TEAM_ID`` when set, else the workspace
``auth.test`` reported (Bolt asks it once, before the first listener). What is not known is not
checked, so nothing is blocked before then.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

__all__ = ["SameApp", "foreign"]

logger = logging.getLogger("nudgebot.slack")


def foreign(body: Mapping[str, Any], *, app_id: str | None, team_id: str | None) -> str | None:
    """Return what a request is for if not this app in its workspace ("another app"...), or None.

    ``app_id`` and ``team_id`` are this app's (None: unknown, not checked). A request that
    names no app or no workspace is not refused for it; one from an Enterprise Grid org-wide
    install is checked for its app only (its workspace varies).
    """
    sent_app = body.get("api_app_id")
    if app_id and isinstance(sent_app, str) and sent_app and sent_app != app_id:
        return "another app"
    if team_id and not _enterprise_install(body):
        teams = _teams(body)
        if teams and team_id not in teams:
            return "another workspace"
    return None


def _teams(body: Mapping[str, Any]) -> set[str]:
    """Every workspace a payload says it is for (events, commands and interactions alike)."""
    found = {body.get("team_id"), body.get("context_team_id")}
    team = body.get("team")
    if isinstance(team, Mapping):
        found.add(team.get("id"))
    authorizations = body.get("authorizations")
    if isinstance(authorizations, list):
        found.update(a.get("team_id") for a in authorizations if isinstance(a, Mapping))
    return {value for value in found if isinstance(value, str) and value}


def _enterprise_install(body: Mapping[str, Any]) -> bool:
    if body.get("is_enterprise_install") in (True, "true"):
        return True
    authorizations = body.get("authorizations")
    return isinstance(authorizations, list) and any(
        isinstance(a, Mapping) and a.get("is_enterprise_install") is True for a in authorizations
    )


class SameApp(AsyncMiddleware):
    """Refuse (403, nothing run, nothing of the payload logged) requests :func:`foreign` names."""

    def __init__(self, app_id: str | None, team_id: str | None) -> None:
        self.app_id = app_id
        self.team_id = team_id

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Stop a request for another app or workspace here; let everything else through."""
        team_id = self.team_id
        if team_id is None and req.context.authorize_result is not None:
            team_id = req.context.authorize_result.team_id
        body = req.body if isinstance(req.body, Mapping) else {}
        refused = foreign(body, app_id=self.app_id, team_id=team_id)
        if refused is not None:
            logger.warning("refused a signed request meant for %s", refused)
            return BoltResponse(status=403, body="")
        return await next()
