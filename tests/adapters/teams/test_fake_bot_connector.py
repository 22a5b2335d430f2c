"""The FakeBotConnector answers like the Bot Connector and records every call."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from nudgebot.testing_teams import ISSUER, FakeBotConnector


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


def call(
    method: str, url: str, body: Any = None, *, token: str | None = None, form: bool = False
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_it_answers_and_records_the_connector_calls(connector: FakeBotConnector) -> None:
    connector.reset()
    base = connector.url + "v3/conversations"
    assert call("POST", base + "/a:1/activities", {"type": "message", "text": "hi"})[0] == 200
    status, body = call("PUT", base + "/a:1/activities/42", {"type": "message"})
    assert (status, body) == (200, {"id": "42"})
    assert call("POST", base + "/a:1/activities/42", {"type": "message"})[0] == 200
    assert call("DELETE", base + "/a:1/activities/42")[0] == 200
    status, created = call("POST", base, {"members": [{"id": "29:x"}]})
    assert created["id"].startswith("a:") and created["serviceUrl"] == connector.url
    assert call("GET", connector.url + "nowhere")[0] == 404
    kinds = [c.kind for c in connector.calls]
    assert kinds == ["create", "update", "reply", "delete", "create_conversation", "unknown"]
    assert connector.calls[0].activity["text"] == "hi"
    assert [c.kind for c in connector.messages()] == ["create", "reply"]


def test_it_lists_the_members_it_was_given(connector: FakeBotConnector) -> None:
    connector.reset()
    members = [{"id": "29:p", "name": "Priya Sharma", "aadObjectId": "6f1c"}]
    connector.set_members("19:team@thread.tacv2", members)
    base = connector.url + "v3/conversations/"
    assert call("GET", base + "19:team@thread.tacv2/members") == (200, members)
    status, _ = call("GET", base + "19:unknown@thread.tacv2/members")
    assert status == 404  # as Teams answers for a conversation the bot is not in
    connector.fail("members", 403)
    assert call("GET", base + "19:team@thread.tacv2/members")[0] == 403
    assert [c.status for c in connector.calls_to("members")] == [200, 404, 403]
    assert connector.calls_to("members")[0].conversation_id == "19:team@thread.tacv2"


def test_it_pages_the_members(connector: FakeBotConnector) -> None:
    connector.reset()
    people = [{"id": f"29:{n}", "name": f"Person {n}"} for n in range(5)]
    connector.set_members("19:big@thread.tacv2", people)
    url = connector.url + "v3/conversations/19:big@thread.tacv2/pagedMembers?pageSize=2"
    status, first = call("GET", url)
    assert status == 200 and first["members"] == people[:2]
    _, second = call("GET", url + "&continuationToken=" + first["continuationToken"])
    _, third = call("GET", url + "&continuationToken=" + second["continuationToken"])
    assert second["members"] == people[2:4]
    assert third == {"members": people[4:]}  # the last page has no token
    _, everyone = call("GET", connector.url + "v3/conversations/19:big@thread.tacv2/pagedMembers")
    assert everyone == {"members": people}


def test_fail_and_wait_for(connector: FakeBotConnector) -> None:
    connector.reset()
    connector.fail("create", 403, times=2)
    url = connector.url + "v3/conversations/a:1/activities"
    assert [call("POST", url, {})[0] for _ in range(3)] == [403, 403, 200]
    assert len(connector.wait_for("create")) == 1  # only the answered one
    with pytest.raises(TimeoutError, match="update called 0 of 1 times"):
        connector.wait_for("update", timeout=0.05)


def test_tokens_it_signs_and_checks(connector: FakeBotConnector) -> None:
    connector.reset()
    status, config = call("GET", connector.openid_url)
    assert config["issuer"] == ISSUER
    status, keys = call("GET", config["jwks_uri"])
    key = jwt.PyJWK(keys["keys"][0])
    claims = jwt.decode(
        connector.token_for("app-1"), key.key, algorithms=["RS256"], audience="app-1"
    )
    assert claims["serviceurl"] == connector.url
    form = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": "shh"}
    status, answer = call("POST", connector.base + "/tenant-1/oauth2/v2.0/token", form, form=True)
    assert status == 200 and answer["token_type"] == "Bearer"
    [token_call] = connector.calls_to("token")
    assert token_call.body["client_secret"] == "***"
    strict = FakeBotConnector(require_auth=True)
    with strict:
        url = strict.url + "v3/conversations/a:1/activities"
        assert call("POST", url, {})[0] == 401
        assert call("POST", url, {}, token=connector.bot_token())[0] == 401  # another fake's key
        assert call("POST", url, {}, token=strict.bot_token())[0] == 200
