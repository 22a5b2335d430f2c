"""The Slack app manifest declares everything the app listens to, and nothing it does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from nudgebot.adapters.slack.app import build_app
from nudgebot.adapters.slack.chat import PROMPTS
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine

MANIFEST = Path(__file__).resolve().parents[3] / "slack-app-manifest.json"
MESSAGE_EVENTS = {"message.channels", "message.groups", "message.im"}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What build_app registers: each AsyncApp registration method and its first argument."""
    calls: dict[str, list[Any]] = {}

    def recording(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def record(self: AsyncApp, *args: Any, **kwargs: Any) -> Any:
            calls.setdefault(name, []).append(args[0] if args else None)
            return original(self, *args, **kwargs)

        return record

    for name in ("event", "command", "message_shortcut", "shortcut", "action", "view", "assistant"):
        monkeypatch.setattr(AsyncApp, name, recording(name, getattr(AsyncApp, name)))
    settings = Settings(slack_bot_token="xoxb-test", slack_signing_secret="s", engine="rules")
    build_app(settings, ReviewEngine())
    return calls


def test_every_event_the_app_listens_to_is_subscribed_and_back(
    manifest: dict[str, Any], registered: dict[str, list[Any]]
) -> None:
    declared = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    listened = set(registered["event"])
    assert "message" in listened
    expected = (listened - {"message"}) | MESSAGE_EVENTS
    if registered.get("assistant"):
        expected |= {"assistant_thread_started", "assistant_thread_context_changed"}
    assert declared == expected


def test_the_command_and_the_shortcut_are_declared(
    manifest: dict[str, Any], registered: dict[str, list[Any]]
) -> None:
    features = manifest["features"]
    assert {c["command"] for c in features["slash_commands"]} == set(registered["command"])
    shortcuts = {s["callback_id"]: s for s in features["shortcuts"]}
    assert set(shortcuts) == set(registered["message_shortcut"])
    assert all(s["type"] == "message" for s in shortcuts.values())
    assert shortcuts["warm_up_reply"]["name"] == "Warm up this reply"
    assert not registered.get("shortcut")  # no global shortcuts to declare


def test_actions_need_interactivity_and_socket_mode_is_on(
    manifest: dict[str, Any], registered: dict[str, list[Any]]
) -> None:
    assert registered["action"]
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_scopes_cover_the_surfaces(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "assistant:write",
        "channels:history",
        "chat:write",
        "commands",
        "groups:history",
        "im:history",
        "im:write",
        "mpim:history",
        "usergroups:read",
        "users:read",
    }


def test_the_app_home_and_the_assistant_view(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assistant = features["assistant_view"]
    assert assistant["assistant_description"]
    assert assistant["suggested_prompts"]
    assert all(prompt in PROMPTS for prompt in assistant["suggested_prompts"])
