"""The Slack app manifest declares everything the app listens to, and nothing it does not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from nudgebot.adapters.slack.app import build_app
from nudgebot.adapters.slack.chat import PROMPTS
from nudgebot.adapters.slack.command import HANDLERS
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from tests.adapters.slack.scopes import METHOD_SCOPES, called_methods, required_scopes

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


SLACK_CODE = Path(__file__).resolve().parents[3] / "nudgebot" / "adapters" / "slack"


def test_the_scan_finds_the_calls_it_is_meant_to_find() -> None:
    found = called_methods(sorted(SLACK_CODE.glob("*.py")))
    # one of each way the code reaches the Web API: a client method, an SDK helper that calls
    # two methods, a client held by an object, and a Bolt listener utility
    assert "chat.postEphemeral" in found
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= set(found)
    assert "people.py" in found["conversations.info"]
    assert "chat.postMessage" in found  # say()
    assert "assistant.threads.setStatus" in found  # set_status()


def test_every_method_the_code_calls_is_in_the_scope_table() -> None:
    found = called_methods(sorted(SLACK_CODE.glob("*.py")))
    unknown = {
        method: sorted(files) for method, files in found.items() if method not in METHOD_SCOPES
    }
    assert not unknown, f"look up these methods' scopes in Slack's docs and add them: {unknown}"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_needs(manifest: dict[str, Any]) -> None:
    found = called_methods(sorted(SLACK_CODE.glob("*.py")))
    features = manifest["features"]
    needs = required_scopes(
        found,
        manifest["settings"]["event_subscriptions"]["bot_events"],
        commands=bool(features.get("slash_commands") or features.get("shortcuts")),
    )
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    missing = {scope: sorted(why) for scope, why in needs.items() if scope not in declared}
    unused = declared - set(needs)
    assert not missing, f"the manifest lacks scopes the code needs: {missing}"
    assert not unused, f"the manifest asks for scopes nothing uses: {sorted(unused)}"


def test_the_checks_see_a_missing_and_an_unused_scope() -> None:
    needs = required_scopes({"files.completeUploadExternal"}, {"app_mention"}, commands=False)
    assert set(needs) == {"files:write", "app_mentions:read"}
    assert "commands" in required_scopes((), (), commands=True)
    assert set(required_scopes({"conversations.info"}, (), commands=False)) == {
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
    }


def test_the_app_home_and_the_assistant_view(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assistant = features["assistant_view"]
    assert assistant["assistant_description"]
    assert assistant["suggested_prompts"]
    assert all(prompt in PROMPTS for prompt in assistant["suggested_prompts"])


def test_the_command_hint_lists_every_subcommand(manifest: dict[str, Any]) -> None:
    [nudge] = manifest["features"]["slash_commands"]
    hint = nudge["usage_hint"].replace("[", " ").replace("]", " ").replace("|", " ").split()
    assert set(HANDLERS) <= set(hint), set(HANDLERS) - set(hint)
    assert all(name in nudge["description"] for name in HANDLERS if name != "check")
    assert len(nudge["description"]) <= 100 and len(nudge["usage_hint"]) <= 1000


def test_the_setup_guide_explains_exactly_the_manifests_scopes(manifest: dict[str, Any]) -> None:
    guide = (MANIFEST.parent / "docs" / "setup-slack.md").read_text(encoding="utf-8")
    explained = set(re.findall(r"^\| `([a-z_:.]+)` \|", guide, flags=re.MULTILINE))
    assert explained == set(manifest["oauth_config"]["scopes"]["bot"])
