"""`nudgebot check/eval --engine llm` end to end: a real process, a real local model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nudgebot.testing import FakeModelServer

DRAFT = "Not our problem, contact the courier about ORD-55120."


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


def nudgebot(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENAI_", "AZURE_", "NUDGEBOT_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "nudgebot", *args],
        cwd=tmp_path,  # no .env there
        env={**base, "NUDGEBOT_CACHE_DIR": "off", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_with_a_model_reviews_with_it(tmp_path: Path, server: FakeModelServer) -> None:
    env = {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": server.url}
    done = nudgebot(tmp_path, env, "check", "--engine", "llm", "--format", "json", DRAFT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["engine"] == "llm"
    assert "ORD-55120" in result["suggestion"]
    assert result["meta"]["prompt"]["id"] == "review"
    assert len(server.requests) == 1
    assert "fake-key" not in done.stdout + done.stderr


def test_auto_uses_the_model_once_configured(tmp_path: Path, server: FakeModelServer) -> None:
    env = {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": server.url}
    done = nudgebot(tmp_path, env, "check", "--format", "json", DRAFT)
    assert json.loads(done.stdout)["engine"] == "llm"
    rules = nudgebot(tmp_path, env, "check", "--engine", "rules", "--format", "json", DRAFT)
    assert json.loads(rules.stdout)["engine"] == "rules"
    assert len(server.requests) == 1  # --engine rules never called the model


def test_a_failing_model_still_gives_a_review_and_exit_0(tmp_path: Path) -> None:
    with FakeModelServer(fail_rate=1.0) as failing:
        env = {
            "OPENAI_API_KEY": "fake-key",
            "OPENAI_BASE_URL": failing.url,
            "NUDGEBOT_LLM_RETRIES": "1",
        }
        done = nudgebot(tmp_path, env, "check", "--engine", "llm", "--format", "json", DRAFT)
        assert len(failing.requests) == 2
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["engine"] == "rules"
    assert "503" in result["note"]


def test_eval_runs_with_the_model(tmp_path: Path, server: FakeModelServer) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"id": "a", "draft": DRAFT, "needs_nudge": True, "dimensions": ["ownership"]},
        {"id": "b", "draft": "I'm sorry! I've refunded ORD-1 today.", "needs_nudge": False},
    ]
    cases.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": server.url}
    done = nudgebot(tmp_path, env, "eval", str(cases), "--engine", "llm", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cases"] == 2
    assert len(server.requests) >= 2


def test_eval_with_the_model_runs_cases_concurrently_and_bounded(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"id": f"c{i}", "draft": f"Contact the courier about ORD-{55100 + i}.", "needs_nudge": True}
        for i in range(20)
    ]
    cases.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with FakeModelServer(delay=0.3) as slow:
        env = {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": slow.url}
        done = nudgebot(tmp_path, env, "eval", str(cases), "--engine", "llm", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cases"] == 20
    assert 2 <= slow.peak_in_flight <= 8  # concurrent, and never more than 8 at a time


def test_eval_with_the_model_sends_each_cases_thread(
    tmp_path: Path, server: FakeModelServer
) -> None:
    cases = tmp_path / "cases.jsonl"
    thread = [
        {"role": "customer", "text": "Order ORD-55120 never came."},
        {"role": "agent", "text": "Checking with the courier now."},
        {"role": "customer", "text": "Still nothing, two days on."},
    ]
    line = {"id": "t", "draft": DRAFT, "needs_nudge": True, "thread": thread}
    cases.write_text(json.dumps(line) + "\n")
    env = {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": server.url}
    done = nudgebot(tmp_path, env, "eval", str(cases), "--engine", "llm", "--format", "json")
    assert done.returncode == 0, done.stderr
    request = server.requests[0]["messages"][-1]["content"]
    assert "agent: Checking with the courier now.\ncustomer: Still nothing, two days on." in request
