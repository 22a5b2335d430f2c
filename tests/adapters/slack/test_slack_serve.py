"""``nudgebot serve``: clear errors for missing settings, and a real server for ``--http``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nudgebot.cli import main
from nudgebot.testing import FakeSlackAPI, slack_signature
from tests.adapters.slack.harness import AGENT, SECRET, event, preload
from tests.served import ctrl_c_delivered, wait_until_healthy

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture(autouse=True)
def _clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .env and no Slack or model variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "NUDGEBOT_", "OPENAI_", "AZURE_OPENAI_")):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("env", "args", "words"),
    [
        ({}, [], "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, [], "SLACK_BOT_TOKEN does not look like a bot"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-test"},
            [],
            "SLACK_APP_TOKEN is not set (needed for Socket Mode; use --http for the Events API)",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xoxb-test"},
            [],
            "SLACK_APP_TOKEN does not look like an app-level token",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-test"}, ["--http"], "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_API_URL": "slack.example"}, [], "SLACK_API_URL"),
    ],
)
def test_missing_or_malformed_settings_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    words: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status = main(["serve", *args])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("nudgebot: ") and err.count("\n") == 1, err
    assert words in err
    assert "see .env.example" in err
    assert "xoxb-test" not in err and "xoxp-user-token" not in err  # no secret echoed


def test_a_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--http", "--port", "70000"]) == 2
    assert "not a port number: 70000" in capsys.readouterr().err


@pytest.fixture
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        preload(fake)
        yield fake


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_http_runs_the_app_under_uvicorn(api: FakeSlackAPI, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url,
        "NUDGEBOT_WATCH_CHANNELS": "C0SUPPORT",
        "NUDGEBOT_ENGINE": "rules",
    }
    command = [sys.executable, "-m", "nudgebot", "serve", "--http", "--port", str(port)]
    with subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_delivered,
    ) as server:
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(server, base, timeout=15)
            body = json.dumps(event("event_message.json"))
            headers = {"Content-Type": "application/json", **slack_signature(SECRET, body)}
            request = urllib.request.Request(base + "/slack/events", body.encode(), headers)
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 200
            [nudge] = api.wait_for("chat.postEphemeral", timeout=10)
            assert nudge.params["user"] == AGENT
        finally:
            server.send_signal(signal.SIGINT)
            _, err = server.communicate(timeout=15)
    assert server.returncode == 130, err  # interrupted, as by Ctrl-C, after a clean shutdown
    assert "Application shutdown complete" in err
    assert "WARNING" not in err and "Traceback" not in err, err
    assert "xoxb-test" not in err and SECRET not in err


def test_serve_teams_needs_credentials_or_the_dev_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("TEAMS_"):
            monkeypatch.delenv(name)
    assert main(["serve", "--teams"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TEAMS_CLIENT_ID" in err and "see .env.example" in err


def test_serve_http_and_teams_share_one_server_and_one_database(
    api: FakeSlackAPI, tmp_path: Path
) -> None:
    from nudgebot.testing_teams import FakeBotConnector
    from tests.adapters.teams.harness import fixture as teams_fixture

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url,
        "NUDGEBOT_WATCH_CHANNELS": "C0SUPPORT",
        "NUDGEBOT_ENGINE": "rules",
        "NUDGEBOT_TEAMS_DEV_NO_AUTH": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'both.db'}",
    }
    command = [sys.executable, "-m", "nudgebot", "serve", "--http", "--teams", "--port", str(port)]
    with (
        FakeBotConnector() as connector,
        subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_delivered,
        ) as server,
    ):
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(server, base, timeout=20)
            body = json.dumps(event("event_message.json", "Ev0BOTH"))
            headers = {"Content-Type": "application/json", **slack_signature(SECRET, body)}
            request = urllib.request.Request(base + "/slack/events", body.encode(), headers)
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 200
            api.wait_for("chat.postEphemeral", timeout=10)
            activity = teams_fixture("message_personal.json", connector)
            request = urllib.request.Request(
                base + "/api/messages",
                json.dumps(activity).encode(),
                {"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 200
            deadline = time.monotonic() + 10
            while not any(call.cards for call in connector.messages()):  # after "typing..."
                assert time.monotonic() < deadline, "no review card reached Teams"
                time.sleep(0.05)
        finally:
            server.send_signal(signal.SIGINT)
            _, err = server.communicate(timeout=20)
    assert server.returncode == 130, err
    assert "Traceback" not in err, err


def test_every_missing_setting_is_reported_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("TEAMS_"):
            monkeypatch.delenv(name)
    assert main(["serve", "--http", "--teams"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for variable in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_CLIENT_ID"):
        assert f"{variable}" in err, err


@pytest.mark.parametrize(
    ("method", "code", "args", "words"),
    [
        ("auth.test", "invalid_auth", ["--http"], "Slack does not accept SLACK_BOT_TOKEN"),
        ("auth.test", "token_revoked", [], "Slack does not accept SLACK_BOT_TOKEN"),
        (
            "apps.connections.open",
            "invalid_auth",
            [],
            "Slack does not accept SLACK_APP_TOKEN",
        ),
    ],
)
def test_a_token_slack_refuses_stops_the_start_and_is_named(
    api: FakeSlackAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    method: str,
    code: str,
    args: list[str],
    words: str,
) -> None:
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url,
    }.items():
        monkeypatch.setenv(name, value)
    api.fail(method, code)
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nudgebot: ") and err.count("\n") == 1, err
    assert words in err and code not in err
    assert "xoxb-test" not in err and "xapp-test" not in err
    assert api.calls_to(method)  # asked Slack itself, at the configured URL


def test_socket_mode_with_slack_unreachable_logs_one_line_per_try(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import asyncio
    import contextlib
    import logging

    from nudgebot.adapters.slack.app import build_app
    from nudgebot.adapters.slack.server import serve_socket_mode
    from nudgebot.config import Settings
    from nudgebot.engine import ReviewEngine

    port = free_port()  # nothing listens there
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=f"http://127.0.0.1:{port}/api/",
        engine="rules",
        database_url="sqlite+aiosqlite:///:memory:",
    )
    app = build_app(settings, ReviewEngine.from_settings(settings))

    async def run() -> None:
        task = asyncio.ensure_future(
            serve_socket_mode(app, "xapp-test", first_wait=0.2, longest_wait=0.8)
        )
        await asyncio.sleep(3.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.INFO):
        asyncio.run(run())
    tries = [r for r in caplog.records if "could not open a Socket Mode connection" in r.message]
    assert 3 <= len(tries) <= 8  # 0.2, 0.4, 0.8, 0.8... s apart: not a storm
    assert "trying again in 1 s" in caplog.text or "trying again in 0 s" in caplog.text
    assert all(r.exc_info is None for r in caplog.records)  # no traceback anywhere
    assert "Traceback" not in caplog.text
    assert len(caplog.records) <= 2 * len(tries) + 6, [r.message for r in caplog.records]
