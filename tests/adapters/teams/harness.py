"""Run the real Teams app in tests: uvicorn on a local socket, FakeBotConnector as Teams.

Activities recorded under tests/fixtures/teams are POSTed to ``/api/messages`` over the socket
with urllib, their ``serviceUrl`` pointing at the FakeBotConnector, where the tests read what
the bot sent.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudgebot.adapters.router import Router
from nudgebot.adapters.teams.app import TeamsApp, build_teams
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.testing_teams import ConnectorCall, FakeBotConnector
from tests.served import Served

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "teams"
APP_ID = "c5a1e7d2-3f4b-4a6c-8d9e-0f1a2b3c4d5e"
TENANT = "8d2f4c1e-5b7a-4c3d-9e21-7f6a1b2c3d4e"
BOT_ID = f"28:{APP_ID}"
AGENT_AAD = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
AGENT_ID = "29:1Qx7vAgentPriyaTeamsId0aBcDeFgHiJkLmNoPqRsTuVwXyZ"
LEAD_AAD = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
PERSONAL_CHAT = "a:1hN7qPersonalChatWithPriya2bC3dE4fG5hI6jK7lM8nO9pQ0rS"
CHANNEL = "19:e7Fg8hEscalationsChannel9iJ0kL1mN2oP3qR@thread.tacv2"
TEAM = "19:Kx3pSupportTeamGeneral0aB1cD2eF3gH4iJ5k@thread.tacv2"
THREAD = f"{CHANNEL};messageid=1763634000001"


def fixture(file: str, connector: FakeBotConnector | None = None, **fields: Any) -> dict[str, Any]:
    """A recorded activity (a fresh copy), its serviceUrl pointed at ``connector``.

    A message gets a new id each time, as a new message would (the app answers an id once).
    """
    activity: dict[str, Any] = json.loads((FIXTURES / file).read_text(encoding="utf-8"))
    if connector is not None:
        activity["serviceUrl"] = connector.url
    if activity.get("type") == "message":
        activity["id"] = _new_id()
    activity.update(copy.deepcopy(fields))
    return activity


def _new_id() -> str:
    return f"1{time.monotonic_ns() % 10**12:012d}"


def message(
    connector: FakeBotConnector, text: str, name: str = "message_personal.json", **fields: Any
) -> dict[str, Any]:
    """A personal-chat message (or another recorded one) with ``text`` and a fresh id."""
    activity = fixture(name, connector, **fields)
    activity["text"] = text
    activity.pop("attachments", None)  # the HTML copy would no longer match the text
    activity["id"] = fields.get("id") or _new_id()
    return activity


def dev_settings(connector: FakeBotConnector, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "engine": "rules",
        "teams_dev_no_auth": True,
        "teams_service_url": connector.url.rstrip("/"),
    }
    values.update(overrides)
    return Settings(**values)


def card_of(call: ConnectorCall) -> dict[str, Any]:
    [card] = call.cards
    return card


def element(card: dict[str, Any], element_id: str) -> dict[str, Any]:
    """The card element (or action) with ``id``, searched everywhere in the card."""
    found = list(_find(card, element_id))
    assert found, f"no element {element_id!r} in the card"
    return found[0]


def has_element(card: dict[str, Any], element_id: str) -> bool:
    return bool(list(_find(card, element_id)))


def _find(node: Any, element_id: str) -> Any:
    if isinstance(node, dict):
        if node.get("id") == element_id:
            yield node
        for value in node.values():
            yield from _find(value, element_id)
    elif isinstance(node, list):
        for item in node:
            yield from _find(item, element_id)


def text_of(node: Any) -> str:
    """All the text in a card element: TextBlocks and TextRuns, joined."""
    parts: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") in ("TextBlock", "TextRun") and isinstance(item.get("text"), str):
                parts.append(item["text"])
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(node)
    return (
        "".join(parts)
        if isinstance(node, dict) and node.get("type") == "RichTextBlock"
        else "\n".join(parts)
    )


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute in the card, in order."""
    found: list[dict[str, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == "Action.Execute":
                found.append(item)
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(card)
    return found


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RunningTeams(Served):
    """The app built by ``build_teams``, mounted on the production router, served by uvicorn."""

    thread_name = "teams-app"

    def __init__(
        self,
        settings: Settings,
        engine: ReviewEngine,
        *,
        mount: Callable[[Router], TeamsApp] | None = None,
        **build: Any,
    ) -> None:
        """Build with ``build_teams(settings, engine, **build)``, or ``mount(router)`` if given."""
        self.settings = settings
        router = Router()
        if mount is not None:
            self.teams: TeamsApp = mount(router)
        else:
            self.teams = build_teams(settings, engine, **build)
            self.teams.mount(router)
        super().__init__(router)

    # -- requests ----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        status, text, _ = self.http(method, path, body, headers)
        return Reply(status, text)

    def post(self, activity: dict[str, Any] | bytes, token: str | None = None) -> Reply:
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", "/api/messages", body, headers)

    # -- the app's loop ----------------------------------------------------------------------

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the work started by requests has finished."""
        assert self.run(self.teams.join(timeout), timeout + 1), "background work did not finish"
