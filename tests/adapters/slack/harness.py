"""Run the real Slack app in tests: uvicorn on a local socket, FakeSlackAPI standing in for Slack.

Requests are signed like Slack signs them (HMAC v0) and sent over the socket with urllib; the
app's Web API calls go to the FakeSlackAPI, where the tests read them.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudgebot.adapters.slack.app import NudgeApp, build_app
from nudgebot.adapters.slack.server import asgi_app
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.testing import FakeSlackAPI, slack_signature
from tests.served import Served

SECRET = "fake-signing-secret-for-tests-only"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"

HOME = "T0HOME"
EXTERNAL = "T0EXTERNAL"
SUPPORT = "C0SUPPORT"
AGENT = "U0AGENT"
CUSTOMER = "U0CUSTOMER"
LEAD = "U0LEAD"
GROUP_LEAD = "U0LEADTWO"
LEADS_GROUP = "S0LEADS"
ASSISTANT_THREAD = "1700001000.000100"
CUSTOMER_MESSAGE = "Where is my parcel?? It's been 2 weeks"
BAD_REPLY = "Not our problem, your parcel should arrive soon."
GOOD_REPLY = (
    "Hi Priya, I'm sorry your parcel is late. I've just called the courier and it's booked for "
    "delivery tomorrow before 1pm; I'll check the tracking at 2pm and call you if it hasn't "
    "arrived."
)


def fixture(name: str) -> Any:
    """A recorded payload from tests/fixtures/slack (a fresh copy each time)."""
    path = FIXTURES / name
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8")


def event(name: str, event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """An Events API payload from a fixture, with its event's ``fields`` replaced."""
    payload: dict[str, Any] = copy.deepcopy(fixture(name))
    payload["event"].update(fields)
    if event_id is not None:
        payload["event_id"] = event_id
    return payload


def make_settings(api: FakeSlackAPI, **overrides: Any) -> Settings:
    """Settings for a test app: fake tokens, the fake API, one watched channel, two leads."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_app_token": APP_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": api.url.rstrip("/"),
        "watch_channels": (SUPPORT,),
        "leads": (LEAD, LEADS_GROUP),
        "engine": "rules",
        "database_url": "sqlite://",  # in memory: each app its own database
    }
    values.update(overrides)
    return Settings(**values)


def preload(api: FakeSlackAPI) -> None:
    """What the fake Slack knows: a customer from another workspace, threads, a leads group."""
    api.add_user(CUSTOMER, EXTERNAL)
    api.add_user(AGENT, HOME)
    api.add_usergroup(LEADS_GROUP, [GROUP_LEAD])
    customer = {"type": "message", "user": CUSTOMER, "user_team": EXTERNAL, "team": EXTERNAL}
    api.add_history(SUPPORT, [{**customer, "ts": "1700000050.000100", "text": CUSTOMER_MESSAGE}])
    # The assistant thread: Slack's root message, then the bot's greeting carrying the context.
    api.add_replies(
        "D0AGENTDM",
        ASSISTANT_THREAD,
        [
            {
                "type": "message",
                "subtype": "assistant_app_thread",
                "user": "U0BOT",
                "ts": ASSISTANT_THREAD,
                "text": "New chat",
            },
            {
                "type": "message",
                "user": "U0BOT",
                "bot_id": "B0BOT",
                "ts": "1700001000.000500",
                "thread_ts": ASSISTANT_THREAD,
                "text": "Hi!",
                "blocks": [],
                "metadata": {
                    "event_type": "assistant_thread_context",
                    "event_payload": {"channel_id": SUPPORT, "team_id": HOME},
                },
            },
        ],
    )
    for root in ("1700000150.000100", "1700000450.000100"):
        api.add_replies(
            SUPPORT,
            root,
            [
                {**customer, "ts": root, "text": CUSTOMER_MESSAGE, "thread_ts": root},
                {
                    "type": "message",
                    "user": AGENT,
                    "team": HOME,
                    "ts": root.replace(".000100", ".000150"),
                    "text": "Let me check.",
                    "thread_ts": root,
                },
            ],
        )


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer and how long it took."""

    status: int
    body: str
    seconds: float


class RunningApp(Served):
    """The app built by ``build_app``, served by uvicorn in a background thread."""

    thread_name = "slack-app"

    def __init__(self, settings: Settings, engine: ReviewEngine, **build: Any) -> None:
        self.settings = settings
        self.app: NudgeApp = build_app(settings, engine, **build)
        super().__init__(asgi_app(self.app))

    # -- requests ----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        return Reply(*self.http(method, path, body, headers))

    def signed(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        retry: int | None = None,
    ) -> Reply:
        headers = {"Content-Type": content_type, **slack_signature(secret, body, timestamp)}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.request("POST", "/slack/events", body.encode(), headers)

    def send_event(self, payload: dict[str, Any], **options: Any) -> Reply:
        return self.signed(json.dumps(payload), "application/json", **options)

    def send_command(self, api: FakeSlackAPI, key: str, text: str, **fields: str) -> Reply:
        form = dict(urllib.parse.parse_qsl(fixture("command_nudge.txt")))
        form.update(text=text, response_url=api.response_url(key), **fields)
        return self.signed(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    def send_interaction(self, payload: dict[str, Any]) -> Reply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.signed(body, "application/x-www-form-urlencoded")

    # -- waiting -----------------------------------------------------------------------------

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the work started after acks has finished."""
        assert self.run(self.app.bot.tasks.join(timeout), timeout + 1), (
            "background work did not finish"
        )
