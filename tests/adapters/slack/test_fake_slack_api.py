"""FakeSlackAPI answers like Slack's Web API, through the real SDK client and over plain HTTP."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.testing import FakeSlackAPI, slack_signature


def test_the_sdk_client_talks_to_the_fake() -> None:
    with FakeSlackAPI(team_id="T9", bot_user_id="U9") as api:
        api.add_history("C1", [{"ts": f"1.00000{n}", "text": str(n)} for n in range(5)])
        api.add_user("U1", "T9", real_name="Sam")
        client = AsyncWebClient(token="xoxb-test", base_url=api.url)

        async def talk() -> None:
            auth = await client.auth_test()
            assert (auth["team_id"], auth["user_id"]) == ("T9", "U9")
            history = await client.conversations_history(
                channel="C1", latest="1.000004", inclusive=False, limit=2
            )
            assert [m["text"] for m in history["messages"]] == ["3", "2"]
            user = await client.users_info(user="U1")
            assert user["user"]["real_name"] == "Sam"
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
            await client.chat_postEphemeral(channel="C1", user="U1", text="hi", blocks=blocks)
            opened = await client.views_open(trigger_id="t", view={"type": "modal"})
            assert opened["view"]["id"].startswith("V")
            with pytest.raises(SlackApiError) as refused:
                await client.api_call("no.such.method")
            assert refused.value.response["error"] == "unknown_method"
            with pytest.raises(SlackApiError) as unknown:
                await client.users_info(user="U404")
            assert unknown.value.response["error"] == "user_not_found"

        asyncio.run(talk())
        [ephemeral] = api.calls_to("chat.postEphemeral")
        assert ephemeral.params["blocks"][0]["text"]["text"] == "hi"  # JSON body, decoded
        assert ephemeral.token == "xoxb-test"
        assert [call.method for call in api.calls][:2] == ["auth.test", "conversations.history"]


def test_rate_limits_and_errors_on_demand() -> None:
    with FakeSlackAPI() as api:
        api.rate_limit("chat.postMessage", times=2, retry_after=7)
        api.fail("views.publish", "invalid_arguments")
        request = urllib.request.Request(
            api.url + "chat.postMessage",
            data=b"channel=C1&text=hi",
            headers={"Authorization": "Bearer xoxb-test"},
        )
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError) as limited:
                urllib.request.urlopen(request, timeout=5)
            assert limited.value.code == 429
            assert limited.value.headers["Retry-After"] == "7"
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["ok"] is True
        assert [c.status for c in api.calls_to("chat.postMessage")] == [429, 429, 200]
        assert api.calls_to("chat.postMessage")[-1].params == {"channel": "C1", "text": "hi"}
        assert len(api.wait_for("chat.postMessage")) == 1  # only answered calls count

        async def publish() -> str:
            client = AsyncWebClient(token="xoxb-test", base_url=api.url)
            try:
                await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
            except SlackApiError as error:
                return str(error.response["error"])
            return "ok"

        assert asyncio.run(publish()) == "invalid_arguments"
        assert asyncio.run(publish()) == "ok"  # only once


def test_tokens_response_urls_and_socket_mode() -> None:
    with FakeSlackAPI(socket_url="ws://127.0.0.1:1/link") as api:
        client = AsyncWebClient(base_url=api.url)

        async def calls() -> list[str]:
            answers = []
            for token, method in [
                (None, "auth.test"),
                ("xoxb-test", "apps.connections.open"),
                ("xapp-test", "apps.connections.open"),
            ]:
                try:
                    answer = await client.api_call(method, headers=_bearer(token))
                    answers.append(str(answer.get("url")))
                except SlackApiError as error:
                    answers.append(str(error.response["error"]))
            return answers

        assert asyncio.run(calls()) == [
            "not_authed",
            "not_allowed_token_type",
            "ws://127.0.0.1:1/link",
        ]
        body = json.dumps({"text": "Thanks", "replace_original": True}).encode()
        request = urllib.request.Request(
            api.response_url("abc"), data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.read() == b"ok"
        [posted] = api.wait_for("response_url")
        assert posted.params == {"key": "abc", "text": "Thanks", "replace_original": True}
        with pytest.raises(TimeoutError, match=r"chat\.postMessage called 0 of 1 times"):
            api.wait_for("chat.postMessage", timeout=0.05)


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_slack_signature_matches_slacks_documented_example() -> None:
    # The example request of Slack's "Verifying requests from Slack" guide.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = slack_signature("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": (
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        ),
    }


def test_server_errors_on_demand() -> None:
    with FakeSlackAPI() as api:
        api.server_error("chat.postEphemeral", 503, times=2)
        request = urllib.request.Request(
            api.url + "chat.postEphemeral",
            data=b"channel=C1&user=U1&text=hi",
            headers={"Authorization": "Bearer xoxb-test"},
        )
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(request, timeout=5)
            assert failed.value.code == 503
            assert failed.value.read() == b"503 upstream error"  # not JSON, like a proxy's page
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["ok"] is True
        assert [c.status for c in api.calls_to("chat.postEphemeral")] == [503, 503, 200]
        with pytest.raises(ValueError, match="5xx"):
            api.server_error("chat.postEphemeral", 429)
