"""Structured logs: JSON lines or text, and never a message's words or a token in them."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from nudgebot.adapters.router import Router, http_server
from nudgebot.config import Settings, SettingsError
from nudgebot.engine import ReviewEngine
from nudgebot.logs import REDACTED, JsonFormatter, installed, setup_logging
from nudgebot.testing import FakeModelServer, FakeSlackAPI
from tests.adapters.slack.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    EXTERNAL,
    SECRET,
    RunningApp,
    event,
    make_settings,
    preload,
)

MODEL_KEY = "sk-logs-test-key-000000"
CHANNEL = "C0LOGS"
# Words no log line may hold: the draft's, and the customer's message's.
DRAFT = "Not our problem, Zanzibarquux, contact the courier about it."
CUSTOMER = "Where is my parcel Flumpington?? It's been 2 weeks"
MARKERS = ("Zanzibarquux", "Flumpington", "contact the courier", "Where is my parcel")


@pytest.fixture
def logs() -> Iterator[None]:
    """Put back the root logger (and Bolt's app logger, named ``nudgebot``) after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    bolt_level = logging.getLogger("nudgebot").level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("nudgebot").setLevel(bolt_level)


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert lines, "nothing was logged"
    records = [json.loads(line) for line in lines]  # each line one JSON object
    for record in records:
        assert isinstance(record, dict)
        assert {"time", "level", "logger", "message"} <= set(record), record
    return records


# -- settings ----------------------------------------------------------------------------------


def test_the_log_settings_and_their_defaults() -> None:
    default = Settings.load({}, None)
    assert (default.log_format, default.log_level) == ("text", "INFO")
    chosen = Settings.load({"NUDGEBOT_LOG_FORMAT": "JSON", "NUDGEBOT_LOG_LEVEL": "debug"}, None)
    assert (chosen.log_format, chosen.log_level) == ("json", "DEBUG")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("NUDGEBOT_LOG_FORMAT", "xml", "expected one of text, json"),
        ("NUDGEBOT_LOG_LEVEL", "loud", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("NUDGEBOT_METRICS", "maybe", "expected one of 1/true/yes/on"),
    ],
)
def test_a_bad_log_setting_is_one_line_naming_it(name: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.load({name: value}, None)
    assert str(raised.value).startswith(f"{name}=") and words in str(raised.value)


# -- the formats -------------------------------------------------------------------------------


def test_a_json_line_has_time_level_logger_message_and_extra_fields() -> None:
    record = logging.LogRecord(
        "nudgebot.slack", logging.WARNING, "x.py", 1, "shed %s", ("x",), None
    )
    record.channel = "C0123"
    record.attempt = 2
    record.when = object()  # not JSON: written as its str
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "nudgebot.slack"
    assert line["message"] == "shed x"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert line["channel"] == "C0123" and line["attempt"] == 2
    assert line["when"].startswith("<object")
    assert not {"args", "msg", "levelno", "pathname"} & set(line)


def test_an_exception_keeps_its_type_and_traceback_but_not_its_words() -> None:
    try:
        raise ValueError(f"could not parse {DRAFT}")
    except ValueError:
        logger = logging.getLogger("nudgebot.test")
        record = logger.makeRecord(
            logger.name, logging.ERROR, "x.py", 1, "failed", (), exc_info=sys.exc_info()
        )
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert line["exception"]["type"] == "ValueError"
    assert "test_logs.py" in line["exception"]["traceback"]
    assert "Zanzibarquux" not in text


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_logged_exception_never_shows_its_message(logs: None, form: str) -> None:
    stream = io.StringIO()
    setup_logging(Settings(log_format=form), stream)  # type: ignore[arg-type]
    try:
        raise ValueError(f"could not parse {DRAFT}")
    except ValueError:
        logging.getLogger("nudgebot.test").exception("model review failed unexpectedly")
    out = stream.getvalue()
    assert "model review failed unexpectedly" in out and "ValueError" in out
    assert "test_logs.py" in out  # where it happened
    assert "Zanzibarquux" not in out


def test_setup_logging_writes_text_or_json_and_replaces_only_its_own_handler(logs: None) -> None:
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    text, lines = io.StringIO(), io.StringIO()
    setup_logging(Settings(), text)
    assert installed()
    logging.getLogger("nudgebot.test").info("started on port %d", 3000)
    setup_logging(Settings(log_format="json"), lines)  # again: the text handler goes
    logging.getLogger("nudgebot.test").info("started on port %d", 3001)
    logging.getLogger().removeHandler(other)
    assert text.getvalue().rstrip().endswith("INFO nudgebot.test: started on port 3000")
    assert text.getvalue().count("\n") == 1
    [line] = json_lines(lines.getvalue())
    assert line["message"] == "started on port 3001"
    assert other not in logging.getLogger().handlers  # removed by the test, not by setup


def test_debug_is_for_nudgebot_only_and_other_libraries_stay_at_info(logs: None) -> None:
    stream = io.StringIO()
    setup_logging(Settings(log_format="json", log_level="DEBUG"), stream)
    logging.getLogger("nudgebot.slack").debug("skipped a message event (%s)", "bot")
    logging.getLogger("slack_sdk.web").debug("Received the following response - body: %s", DRAFT)
    logging.getLogger("nudgebot").debug("Responding with body: %s", DRAFT)  # Bolt's app logger
    logging.getLogger("slack_sdk.web").info("a library's info line")
    messages = [line["message"] for line in json_lines(stream.getvalue())]
    assert messages == ["skipped a message event (bot)", "a library's info line"]


def test_warning_level_keeps_nudgebot_quiet_too(logs: None) -> None:
    stream = io.StringIO()
    setup_logging(Settings(log_level="WARNING"), stream)
    logging.getLogger("nudgebot.slack").info("an info line")
    logging.getLogger("nudgebot.slack").warning("a warning line")
    assert stream.getvalue().count("\n") == 1 and "a warning line" in stream.getvalue()


@pytest.mark.parametrize("form", ["text", "json"])
def test_secrets_are_redacted_wherever_they_would_appear(logs: None, form: str) -> None:
    settings = Settings(
        log_format=form,  # type: ignore[arg-type]
        slack_bot_token="xoxb-123456-abcdef",
        slack_signing_secret='sign"ing-secret-1',
        openai_api_key=MODEL_KEY,
        database_url="postgresql://nudge:hunter22pw@db.internal/nudgebot",
    )
    stream = io.StringIO()
    setup_logging(settings, stream)
    log = logging.getLogger("nudgebot.test")
    log.warning("token %s and secret %s", settings.slack_bot_token, settings.slack_signing_secret)
    log.warning("key %s, url %s", MODEL_KEY, settings.database_url)
    log.warning("header Authorization: Bearer abcdefghijklmnop and xoxp-9999999-888888")
    out = stream.getvalue()
    for secret in ("xoxb-123456-abcdef", "sign", "ing-secret-1", MODEL_KEY, "hunter22pw"):
        assert secret not in out, out
    assert "xoxp-9999999" not in out and "abcdefghijklmnop" not in out
    assert out.count(REDACTED) >= 6
    assert "Bearer " + REDACTED in out
    if form == "json":
        json_lines(out)


def test_a_database_user_without_a_password_is_not_taken_for_a_secret(logs: None) -> None:
    stream = io.StringIO()
    setup_logging(Settings(database_url="postgresql://nudgebot@db.internal/nudgebot"), stream)
    logging.getLogger("nudgebot.test").warning("the nudgebot database is slow")
    assert REDACTED not in stream.getvalue()


def test_once_set_up_the_servers_own_lines_go_through_the_same_handler(logs: None) -> None:
    def handlers(server: Any) -> Any:
        return server.config.log_config["loggers"]["uvicorn"]["handlers"]

    assert handlers(http_server(Router())) == ["default"]  # uvicorn's own configuration
    stream = io.StringIO()
    setup_logging(Settings(log_format="json"), stream)
    assert handlers(http_server(Router())) == []
    logging.getLogger("uvicorn.error").info("Started server process")
    [line] = json_lines(stream.getvalue())
    assert line["logger"] == "uvicorn.error"


# -- the app, end to end -----------------------------------------------------------------------


def test_a_review_through_the_slack_app_logs_json_without_words_or_tokens(logs: None) -> None:
    stream = io.StringIO()
    with FakeSlackAPI() as api, FakeModelServer() as model:
        preload(api)
        customer = {"type": "message", "user": "U0CUSTOMER", "user_team": EXTERNAL}
        api.add_history(CHANNEL, [{**customer, "ts": "1700000050.000100", "text": CUSTOMER}])
        settings = make_settings(
            api,
            watch_channels=(CHANNEL,),
            engine="auto",
            openai_api_key=MODEL_KEY,
            openai_base_url=model.url,
            llm_cache_size=0,
            log_format="json",
            log_level="DEBUG",
        )
        setup_logging(settings, stream)
        with RunningApp(settings, ReviewEngine.from_settings(settings)) as app:
            live = {"channel": CHANNEL, "text": DRAFT, "blocks": []}
            # A live nudge (the model reviews it), and one Slack refuses to post.
            assert app.send_event(event("event_message.json", "Ev0LOG1", **live)).status == 200
            [nudge] = api.wait_for("chat.postEphemeral", timeout=10)
            assert "Zanzibarquux" in json.dumps(nudge.params)  # the words did go to Slack
            app.settle()
            api.fail("chat.postEphemeral", "channel_not_found", times=2)
            second = event("event_message.json", "Ev0LOG2", ts="1700000300.000200", **live)
            assert app.send_event(second).status == 200
            app.settle()
            # An edit (skipped, at DEBUG), a draft by DM and one by /nudge.
            edit = event("event_message_changed.json", "Ev0LOG3")
            assert app.send_event(edit).status == 200
            dm = event("event_message_im.json", "Ev0LOG4", text=DRAFT, blocks=[])
            assert app.send_event(dm).status == 200
            api.wait_for("chat.postMessage", timeout=10)
            assert app.send_command(api, "logs", DRAFT).status == 200
            api.wait_for("response_url", timeout=10)
            app.settle()
        assert model.requests, "the model was not asked"
        assert any(DRAFT in json.dumps(request) for request in model.requests)
    out = stream.getvalue()
    records = json_lines(out)
    loggers = {record["logger"] for record in records}
    assert any(r["level"] == "DEBUG" and r["logger"].startswith("nudgebot.") for r in records)
    assert any(r["level"] == "WARNING" and "could not be posted" in r["message"] for r in records)
    assert "nudgebot.slack" in loggers
    assert not any(
        r["level"] == "DEBUG" and not r["logger"].startswith("nudgebot.") for r in records
    )
    for words in (*MARKERS, DRAFT, CUSTOMER):
        assert words not in out, words
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET, MODEL_KEY):
        assert secret not in out, secret
    assert REDACTED not in out  # nothing even tried to log a secret
