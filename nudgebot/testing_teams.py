"""A fake of Microsoft Teams' Bot Connector API, for tests and benchmarks: FakeBotConnector.

:class:`FakeBotConnector` is a real HTTP server on 127.0.0.1 (a
:class:`~nudgebot.testing.LocalHTTPServer`) answering what a bot calls:

- ``POST /v3/conversations/{id}/activities``: a new message (a reply when it has ``replyToId``)
- ``POST /v3/conversations/{id}/activities/{activityId}``: a reply to a message
- ``PUT /v3/conversations/{id}/activities/{activityId}``: a message updated (a card replaced)
- ``DELETE /v3/conversations/{id}/activities/{activityId}``
- ``POST /v3/conversations``: a conversation opened (the 1:1 chat a proactive message needs)
- ``GET /v3/conversations/{id}/pagedMembers?pageSize=N&continuationToken=T`` and the older
  ``GET /v3/conversations/{id}/members``: who is in a conversation (for a channel, its team),
  as set with :meth:`~FakeBotConnector.set_members`; 404 for a conversation never set
- ``POST /{tenant}/oauth2/v2.0/token``: Microsoft Entra's client-credentials token endpoint
- ``GET /v1/.well-known/openidconfiguration`` and ``/v1/.well-known/keys``: the keys the
  Bot Framework signs its tokens with

Give its :attr:`~FakeBotConnector.url` as the ``serviceUrl`` of the activities a test POSTs to
the app: the SDK answers there, and every call lands in :attr:`~FakeBotConnector.calls`.

It also signs tokens like the Bot Framework does. :meth:`~FakeBotConnector.token_for` is the
bearer token Teams sends the bot; an app built with ``cloud=connector.cloud()`` checks it
against this fake's keys (a forged one fails). :meth:`~FakeBotConnector.bot_token` stands in
for the token the bot gets for its own calls (pass it as ``build_teams(token=...)``; the
SDK's client-secret path goes to Microsoft Entra over HTTPS only). With ``require_auth``
the fake refuses calls without a token it signed::

    with FakeBotConnector() as connector:
        activity = {..., "serviceUrl": connector.url}
        ...  # POST the activity to the app, then:
        [reply] = connector.wait_for("create")
        reply.activity["attachments"][0]["content"]  # the Adaptive Card the bot sent
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from nudgebot.testing import LocalHTTPServer

__all__ = ["ISSUER", "ConnectorCall", "FakeBotConnector"]

ISSUER = "https://api.botframework.com"
"""The issuer of the tokens Teams signs (the SDK checks it)."""
KEY_ID = "fake-connector-key"


@dataclass(frozen=True)
class ConnectorCall:
    """One request the fake received.

    ``kind`` is ``create`` (a new message), ``reply``, ``update``, ``delete``,
    ``create_conversation``, ``members``, ``paged_members``, ``token``, ``keys``, ``openid``
    or ``unknown``; ``body`` is the parsed JSON (or form) body, ``token`` the bearer token sent
    (None without one), ``query`` the URL's query parameters. A token request's
    ``client_secret`` is recorded as ``"***"``.
    """

    kind: str
    method: str
    path: str
    conversation_id: str | None = None
    activity_id: str | None = None
    body: Any = None
    status: int = 200
    token: str | None = field(default=None, repr=False)
    query: dict[str, str] = field(default_factory=dict)

    @property
    def activity(self) -> dict[str, Any]:
        """The activity the bot sent (the body, for message calls)."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to the activity."""
        return [
            attachment["content"]
            for attachment in self.activity.get("attachments") or []
            if isinstance(attachment, dict)
            and attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
            and isinstance(attachment.get("content"), dict)
        ]


class FakeBotConnector(LocalHTTPServer):
    """The Bot Connector API on 127.0.0.1: answers like Teams, records every call.

    ``region`` is the path of :attr:`url` (Teams' service URLs look like
    ``https://smba.trafficmanager.net/amer/``). ``require_auth`` refuses (401) the calls to
    ``/v3/`` without a bearer token this fake signed. :meth:`fail` makes calls of a kind
    answer an error status a few times (403 when the bot was removed, 429, 502...).
    """

    thread_name = "fake-bot-connector"

    def __init__(self, *, region: str = "amer", require_auth: bool = False) -> None:
        self.region = region.strip("/")
        self.require_auth = require_auth
        self.calls: list[ConnectorCall] = []
        self._trouble: dict[str, list[list[int | None]]] = {}
        self._members: dict[str, list[dict[str, Any]]] = {}
        self._changed = threading.Condition()
        self._serial = 0
        self._key: Any = None
        super().__init__()

    # -- addresses and tokens ----------------------------------------------------------------

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The service URL to put in activities (ends with a slash, as Teams' do)."""
        return f"{self.base}/{self.region}/" if self.region else f"{self.base}/"

    @property
    def openid_url(self) -> str:
        """The OpenID metadata URL of the fake's token keys."""
        return f"{self.base}/v1/.well-known/openidconfiguration"

    def cloud(self) -> Any:
        """Return the Teams SDK's public cloud with its token keys served by this fake."""
        from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides

        return with_overrides(PUBLIC, openid_metadata_url=self.openid_url, token_issuer=ISSUER)

    def token_for(
        self,
        app_id: str,
        *,
        service_url: str | None = None,
        expires_in: int = 3600,
        issuer: str = ISSUER,
        forged: bool = False,
    ) -> str:
        """Return the bearer token Teams would send the bot ``app_id`` for ``service_url``.

        ``service_url`` defaults to :attr:`url`; ``forged`` signs with another key (with the
        fake's key id), ``expires_in`` below 0 gives an expired token.
        """
        import jwt

        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": app_id,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + expires_in,
            "serviceurl": service_url if service_url is not None else self.url,
        }
        key = _new_key() if forged else self._signing_key()
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})

    def bot_token(self, scope: str | None = None, tenant_id: str | None = None) -> str:
        """Return a token for the bot's own calls (a JWT-shaped stand-in, signed by this fake).

        Its signature is what ``require_auth`` checks. Usable as ``build_teams(token=...)``.
        """
        import jwt

        now = int(time.time())
        claims = {
            "iss": f"https://login.microsoftonline.com/{tenant_id or 'botframework.com'}/v2.0",
            "aud": "https://api.botframework.com",
            "scp": scope or "https://api.botframework.com/.default",
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self._signing_key(), algorithm="RS256", headers={"kid": KEY_ID})

    def _signing_key(self) -> Any:
        with self._changed:
            if self._key is None:
                self._key = _new_key()
            return self._key

    def _jwks(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        public = json.loads(RSAAlgorithm.to_jwk(self._signing_key().public_key()))
        public.update(kid=KEY_ID, use="sig", alg="RS256")
        return {"keys": [public]}

    def _signed_here(self, token: str | None) -> bool:
        if not token:
            return False
        import jwt

        try:
            jwt.decode(
                token,
                self._signing_key().public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return False
        return True

    # -- what the test sets up ---------------------------------------------------------------

    def fail(
        self, kind: str, status: int, times: int = 1, *, retry_after: int | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``kind`` (``create``, ``update``...) ``status``.

        ``retry_after`` adds a ``Retry-After`` header (seconds), as Teams sends with a 429.
        """
        with self._changed:
            self._trouble.setdefault(kind, []).append([status, times, retry_after])

    def set_members(self, conversation_id: str, members: list[dict[str, Any]]) -> None:
        """Set who is in a conversation, as Teams lists them (``GET .../members``).

        Each member is a ``TeamsChannelAccount``: ``{"id": "29:...", "name": "Priya Patel",
        "aadObjectId": "..."}`` (more fields, like ``email`` or ``userRole``, may be given).
        Members stay set across :meth:`reset`.
        """
        with self._changed:
            self._members[conversation_id] = [dict(member) for member in members]

    # -- what the bot did --------------------------------------------------------------------

    def calls_to(self, kind: str) -> list[ConnectorCall]:
        """Return the calls of ``kind`` so far (answered or not)."""
        with self._changed:
            return [call for call in self.calls if call.kind == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[ConnectorCall]:
        """Block until ``count`` calls of ``kind`` were answered 200; return them.

        Raises :class:`TimeoutError` naming what arrived instead, after ``timeout`` seconds.
        """
        with self._changed:
            done = self._changed.wait_for(
                lambda: len(self._answered(kind)) >= count, timeout=timeout
            )
            if not done:
                seen = sorted({call.kind for call in self.calls})
                raise TimeoutError(
                    f"{kind} called {len(self._answered(kind))} of {count} times in {timeout}s; "
                    f"calls so far: {', '.join(seen) or 'none'}"
                )
            return self._answered(kind)

    def messages(self) -> list[ConnectorCall]:
        """Return the answered calls that sent a message (new ones and replies), typing left out."""
        with self._changed:
            return [
                call
                for call in self.calls
                if call.kind in ("create", "reply")
                and call.status == 200
                and call.activity.get("type", "message") == "message"
            ]

    def reset(self) -> None:
        """Forget the calls recorded so far (and any failures still set)."""
        with self._changed:
            self.calls.clear()
            self._trouble.clear()

    def _answered(self, kind: str) -> list[ConnectorCall]:
        return [call for call in self.calls if call.kind == kind and call.status == 200]

    # -- serving -----------------------------------------------------------------------------

    async def handle(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request as the Bot Connector (or Entra's token endpoint) would."""
        parts = request_line.split(" ")
        method = parts[0].upper() if parts else "GET"
        target = parts[1] if len(parts) > 1 else "/"
        path = urllib.parse.unquote(target.partition("?")[0])
        query = dict(urllib.parse.parse_qsl(target.partition("?")[2]))
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        parsed = _parse_body(headers.get("content-type", ""), body)
        kind, conversation_id, activity_id = _route(method, path)
        if kind == "token" and isinstance(parsed, dict) and "client_secret" in parsed:
            parsed = {**parsed, "client_secret": "***"}
        trouble = self._next_trouble(kind) if kind in _MESSAGING else None
        if trouble is not None:
            status, retry_after = trouble
            answer: Any = {"error": {"code": "Failed", "message": "the fake failed on purpose"}}
            extra = {} if retry_after is None else {"Retry-After": str(retry_after)}
        else:
            status, answer = self._answer(kind, conversation_id, activity_id, token, query)
            extra = {}
        call = ConnectorCall(
            kind, method, path, conversation_id, activity_id, parsed, status, token, query
        )
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return status, extra, answer

    def _answer(
        self,
        kind: str,
        conversation_id: str | None,
        activity_id: str | None,
        token: str | None,
        query: dict[str, str],
    ) -> tuple[int, Any]:
        if kind == "openid":
            return 200, {
                "issuer": ISSUER,
                "jwks_uri": f"{self.base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if kind == "keys":
            return 200, self._jwks()
        if kind == "token":
            return 200, {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": self.bot_token(),
            }
        if kind == "unknown":
            return 404, {"error": {"code": "NotFound", "message": "no such endpoint"}}
        if self.require_auth and not self._signed_here(token):
            return 401, {"message": "Authorization has been denied for this request."}
        if kind == "create_conversation":
            new_id = f"a:fake-chat-{self._next()}"
            return 200, {"id": new_id, "serviceUrl": self.url}
        if kind == "delete":
            return 200, {}
        if kind in ("members", "paged_members"):
            with self._changed:
                members = self._members.get(conversation_id or "")
            if members is None:
                return 404, {"error": {"code": "ConversationNotFound", "message": "unknown"}}
            if kind == "members":
                return 200, [dict(member) for member in members]
            return 200, _page(members, query)
        if kind == "update":
            return 200, {"id": activity_id}
        return 200, {"id": f"1{self._next():012d}"}

    def _next(self) -> int:
        with self._changed:
            self._serial += 1
            return self._serial

    def _next_trouble(self, kind: str) -> tuple[int, int | None] | None:
        with self._changed:
            queue = self._trouble.get(kind)
            if not queue:
                return None
            status, times, retry_after = queue[0]
            if times is None or times <= 1:
                queue.pop(0)
            else:
                queue[0][1] = times - 1
            return int(status or 500), retry_after


_MESSAGING = frozenset(
    {"create", "reply", "update", "delete", "create_conversation", "members", "paged_members"}
)
PAGE_SIZE = 200
"""Members in a ``pagedMembers`` page when the bot does not say (Teams' default)."""


def _page(members: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """Return one page of ``members``: the continuation token is the next page's start."""
    try:
        size = max(1, min(int(query.get("pageSize", PAGE_SIZE)), 500))
        start = int(query.get("continuationToken", "0"))
    except ValueError:
        size, start = PAGE_SIZE, 0
    page: dict[str, Any] = {"members": [dict(m) for m in members[start : start + size]]}
    if start + size < len(members):
        page["continuationToken"] = str(start + size)
    return page


def _new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _route(method: str, path: str) -> tuple[str, str | None, str | None]:
    """Return a request's kind, conversation id and activity id."""
    if path.endswith("/v1/.well-known/openidconfiguration"):
        return "openid", None, None
    if path.endswith("/v1/.well-known/keys"):
        return "keys", None, None
    if path.endswith("/oauth2/v2.0/token") and method == "POST":
        return "token", None, None
    marker = "/v3/conversations"
    at = path.find(marker)
    if at < 0:
        return "unknown", None, None
    rest = path[at + len(marker) :].strip("/")
    if not rest:
        return ("create_conversation", None, None) if method == "POST" else ("unknown", None, None)
    pieces = rest.split("/")
    conversation = pieces[0]
    if len(pieces) == 2 and pieces[1] == "activities" and method == "POST":
        return "create", conversation, None
    if len(pieces) == 2 and pieces[1] == "members" and method == "GET":
        return "members", conversation, None
    if len(pieces) == 2 and pieces[1] == "pagedMembers" and method == "GET":
        return "paged_members", conversation, None
    if len(pieces) == 3 and pieces[1] == "activities":
        kinds = {"POST": "reply", "PUT": "update", "DELETE": "delete"}
        if method in kinds:
            return kinds[method], conversation, pieces[2]
    return "unknown", conversation, None


def _parse_body(content_type: str, body: bytes) -> Any:
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        return dict(urllib.parse.parse_qsl(body.decode()))
    return body.decode("utf-8", "replace")
