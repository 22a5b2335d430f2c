"""The Teams app: the Teams SDK's ``App`` around a :class:`~.bot.TeamsBot`, as an ASGI app.

:func:`build_teams` returns a :class:`TeamsApp`, an ASGI app for ``POST /api/messages``.
Mount it in the server's router next to Slack, so one uvicorn server hosts both::

    teams = build_teams(settings, engine, coach=coach, tips=tips)
    teams.mount(router)  # the path, and the start and stop hooks

Each request goes through the SDK's own pipeline: its JWT validation, then its activity
routing to the handlers here. The SDK checks the bearer token Teams signs every request with:
the signature against Microsoft's published keys, the issuer, the audience (the bot's client
id), the expiry, and that the token was issued for the activity's ``serviceUrl``. Without a
valid token the answer is 401. Without credentials the app refuses to be built, unless
``NUDGEBOT_TEAMS_DEV_NO_AUTH`` allows unsigned requests for local development.

Messages are answered after Teams gets its 200 (a review or a model call may take seconds;
Teams waits 15 at most), in :class:`~.bot.Background`; card clicks are answered in the
response itself, with the card that replaces the clicked one. Activities the SDK does not
know are answered 200 and ignored, malformed ones 400; what is logged names the activity's
type, never its text.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from nudgebot.adapters.teams import sdk
from nudgebot.adapters.teams.bot import (
    FAILED,
    GREETING,
    Background,
    CardAnswer,
    Reply,
    TeamsBot,
    error_response,
)
from nudgebot.adapters.teams.convert import conversation_kind, reference_from_activity, sender
from nudgebot.adapters.teams.endpoint import (
    MAX_BODY,
    Receive,
    Scope,
    SdkRoutes,
    Send,
    read_activity,
    request_headers,
    screen,
    send_json,
)
from nudgebot.adapters.teams.hooks import (
    CommandHook,
    FeedbackHook,
    MemoryFeedback,
    ReviewRecorder,
    not_set_up,
    record_nothing,
)
from nudgebot.adapters.teams.members import Member, MembersPage
from nudgebot.adapters.teams.outgoing import (
    TeamsSendError,
    outgoing,
    retrying,
    send_error,
    typing,
)
from nudgebot.adapters.teams.references import ConversationRef, MemoryReferences, ReferenceStore
from nudgebot.coach import Coach
from nudgebot.config import Settings, SettingsError
from nudgebot.engine import ReviewEngine
from nudgebot.engine.normalize import mend
from nudgebot.tips import TipLibrary

if TYPE_CHECKING:
    from nudgebot.adapters.teams.team_learning import TeamsLearning

__all__ = [
    "CANT_REACH_PRIVATELY",
    "DEFAULT_SERVICE_URL",
    "MAX_BODY",
    "MESSAGES_PATH",
    "SENT_PRIVATELY",
    "TeamsApp",
    "TeamsSendError",
    "TokenProvider",
    "build_teams",
    "teams_settings_problem",
]

logger = logging.getLogger("nudgebot.teams")

SENT_PRIVATELY = "I've sent you my notes on that reply in our private chat."
CANT_REACH_PRIVATELY = (
    "I couldn't reach you in a private chat, so I've kept my notes to myself. Add nudgebot as "
    "a personal app (Apps, then nudgebot, then Add) and mention me again."
)
MESSAGES_PATH = "/api/messages"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
DRAIN_SECONDS = 10.0

Router = Any
"""Anything with ``mount(path, app)`` and ``on_startup`` / ``on_shutdown`` lists of hooks."""
TokenProvider = sdk.TokenProvider
"""``(scope, tenant_id) -> token`` (a string, or an awaitable of one): the bot's own tokens."""


def teams_settings_problem(settings: Settings, *, token: bool = False) -> str | None:
    """Say what is missing for serving Teams (None when all is in place).

    Production needs ``TEAMS_CLIENT_ID``, ``TEAMS_CLIENT_SECRET`` and ``TEAMS_TENANT_ID``
    (no secret with ``token``, a token provider of one's own). With none of them set,
    ``NUDGEBOT_TEAMS_DEV_NO_AUTH=true`` allows local development without credentials.
    """
    values = {
        "TEAMS_CLIENT_ID": settings.teams_client_id,
        "TEAMS_CLIENT_SECRET": settings.teams_client_secret or ("token" if token else None),
        "TEAMS_TENANT_ID": settings.teams_tenant_id,
    }
    missing = [name for name, value in values.items() if not value]
    if not missing:
        return None
    if len(missing) == len(values) and settings.teams_dev_no_auth:
        return None
    if len(missing) == len(values):
        return (
            "Teams needs TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID "
            "(or NUDGEBOT_TEAMS_DEV_NO_AUTH=true for local development without credentials)"
        )
    verb = "is" if len(missing) == 1 else "are"
    return (
        f"{' and '.join(missing)} {verb} not set (Teams needs TEAMS_CLIENT_ID, "
        "TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID together)"
    )


class _SdkApp(sdk.App):
    """The SDK's ``App``, with credentials given rather than read from ``CLIENT_ID`` & co."""

    def __init__(self, credentials: sdk.Credentials | None, **options: Any) -> None:
        self._given_credentials = credentials
        super().__init__(**options)

    def _init_credentials(self) -> sdk.Credentials | None:
        return self._given_credentials


class TeamsApp:
    """The Teams bot as an ASGI app for ``POST /api/messages`` (build it with :func:`build_teams`).

    Also served alone (it answers ASGI lifespan events), though it is meant to be mounted
    with :meth:`mount`. :meth:`send_proactive` and :meth:`open_personal_chat` post to Teams
    outside any request (daily tips, a word to an agent).
    """

    path = MESSAGES_PATH

    def __init__(self, app: _SdkApp, routes: SdkRoutes, bot: TeamsBot) -> None:
        self.sdk = app
        """The Teams SDK's ``App`` (its ``api`` client, its events...)."""
        self.bot = bot
        self._routes = routes
        self._started = False
        self._closed = False
        self._register()

    # -- serving -----------------------------------------------------------------------------

    def mount(self, router: Router) -> None:
        """Mount the app at ``/api/messages`` in ``router``, with its start and stop hooks."""
        router.mount(self.path, self)
        router.on_startup.append(self.start)
        router.on_shutdown.append(self.stop)

    async def start(self) -> None:
        """Set up the SDK's request pipeline (done by the first request if not before)."""
        if self._started:
            return
        await self.sdk.initialize()
        process = self.sdk.server.on_request
        if self._started or process is None:  # pragma: no cover - a concurrent start won
            return

        async def screened(event: sdk.ActivityEvent) -> Any:
            problem = screen(event)
            return problem if problem is not None else await process(event)

        self.sdk.server.on_request = screened
        self._started = True

    async def stop(self) -> None:
        """Wait a little for work still running, then close the HTTP connections to Teams."""
        if self._closed:
            return
        self._closed = True
        if not await self.bot.tasks.join(DRAIN_SECONDS):
            logger.warning("stopped with %d piece(s) of work unfinished", self.bot.tasks.pending)
        for client in (self.sdk.http_client, self.sdk.api.http):
            await client.http.aclose()

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until the work started by requests is done (True), or ``timeout`` seconds."""
        return await self.bot.tasks.join(timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection: ``POST`` an activity, get the SDK's answer."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope.get("method") != "POST":
            await send_json(send, 405, {"error": "POST an activity"}, [(b"allow", b"POST")])
            return
        activity = await read_activity(receive)
        if isinstance(activity, tuple):  # not an activity: (status, why)
            await send_json(send, activity[0], {"error": activity[1]})
            return
        await self.start()
        handler = self._routes.handlers[self.path]
        try:
            result = await handler({"body": activity, "headers": request_headers(scope)})
        except Exception as error:  # the SDK catches its own; this is a last resort
            logger.error("the Teams request failed (%s)", type(error).__name__)
            await send_json(send, 500, {"error": "internal error"})
            return
        await send_json(send, int(result.get("status") or 200), result.get("body"))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- handlers ----------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.sdk
        app.on_message(self._on_message)
        app.on_conversation_update(self._on_conversation_update)
        app.on_install_add(self._on_install)
        app.on_install_remove(self._on_uninstall)
        app.on_message_submit_feedback(self._on_feedback_loop)
        app.on_message_update(self._on_message_update)
        app.router.add_handler(_is_card_action, self._on_card_action)

    async def _on_message(self, ctx: sdk.ActivityContext[sdk.MessageActivity]) -> None:
        activity = _wire(ctx.activity)
        bot = self.bot
        if not bot.first_time(activity):
            logger.info("skipped a message delivered again")
            return
        ask = bot.route(activity)
        if ask.kind == "ignore":
            return

        async def tell(reply: Reply) -> None:
            await retrying(lambda: ctx.send(outgoing(reply)), "a reply")

        private = ask.kind == "review" and conversation_kind(activity) != "personal"

        async def work() -> None:
            await bot.note_conversation(activity)
            if ask.slow and not private:
                await typing(ctx)
            replies = await bot.answer(ask, activity)
            if private:
                # A review is for the person who asked: never in front of the channel.
                if not replies:  # a live review that would not interrupt
                    return
                sent = await self._to_personal_chat(activity, replies)
                if not ask.unasked:
                    await tell(Reply(text=SENT_PRIVATELY if sent else CANT_REACH_PRIVATELY))
                return
            for reply in replies:
                await tell(reply)

        # Nobody asked for a live review or a customer's message: a failure stays in the log.
        notify = None if ask.unasked else tell
        bot.tasks.spawn(work(), what=f"an answer to a {ask.kind}", notify=notify)

    async def _to_personal_chat(self, activity: dict[str, Any], replies: list[Reply]) -> bool:
        """Send ``replies`` to the 1:1 chat of the activity's sender; False if it can't be had.

        Teams gives the same 1:1 chat back each time it is asked for one (it is kept as a
        conversation reference too); that needs the app installed for the person (personally,
        or in a team they are in).
        """
        user_id, _, _ = sender(activity)
        where = reference_from_activity(activity)
        if not user_id or where is None or not where.tenant_id:
            return False
        try:
            chat = await self.open_personal_chat(
                user_id,
                tenant_id=where.tenant_id,
                service_url=where.service_url,
                bot_id=where.bot_id,
            )
            for reply in replies:
                await self.send_proactive(chat, reply)
        except (TeamsSendError, ValueError) as error:
            logger.warning("could not reach an agent's personal chat (%s)", error)
            return False
        return True

    async def _on_card_action(self, ctx: sdk.ActivityContext[Any]) -> dict[str, Any]:
        activity = _wire(ctx.activity)
        try:
            answer = await self.bot.card_action(activity)
        except Exception as error:
            logger.error("a card click failed (%s)", type(error).__name__)
            answer = CardAnswer(error_response(FAILED, 500))
        message_id = activity.get("replyToId")
        if answer.card is not None and message_id and conversation_kind(activity) != "personal":
            # The answer replaces the card for whoever clicked; in a channel or group chat the
            # message itself is updated too, so nobody else can click the old buttons.
            update = outgoing(Reply(card=answer.card, ai_generated=answer.ai_generated))
            update.id = str(message_id)
            work = retrying(lambda: ctx.send(update), "a card update")
            self.bot.tasks.spawn(work, what="updating a card for everyone")
        return {"status": 200, "body": answer.response}

    async def _on_message_update(self, ctx: sdk.ActivityContext[sdk.MessageUpdateActivity]) -> None:
        try:
            await self.bot.edited(_wire(ctx.activity))
        except Exception as error:
            logger.error("recording an edit failed (%s)", type(error).__name__)

    async def _on_feedback_loop(
        self, ctx: sdk.ActivityContext[sdk.MessageSubmitActionInvokeActivity]
    ) -> None:
        try:
            await self.bot.feedback_loop(_wire(ctx.activity))
        except Exception as error:
            logger.error("recording feedback failed (%s)", type(error).__name__)

    async def _on_conversation_update(
        self, ctx: sdk.ActivityContext[sdk.ConversationUpdateActivity]
    ) -> None:
        activity = _wire(ctx.activity)
        bot_id = (activity.get("recipient") or {}).get("id")

        def has_bot(key: str) -> bool:
            members = activity.get(key) or []
            return any(isinstance(m, dict) and m.get("id") == bot_id for m in members)

        try:
            if has_bot("membersAdded"):
                saved = await self.bot.installed(activity)
                if saved and conversation_kind(activity) == "personal":
                    greeting = ctx.send(outgoing(Reply(text=GREETING)))
                    self.bot.tasks.spawn(greeting, what="greeting an agent")
            if has_bot("membersRemoved"):
                await self.bot.removed(activity)
        except Exception as error:
            logger.error("keeping a conversation reference failed (%s)", type(error).__name__)

    async def _on_install(self, ctx: sdk.ActivityContext[sdk.InstalledActivity]) -> None:
        try:
            await self.bot.installed(_wire(ctx.activity))
        except Exception as error:
            logger.error("keeping a conversation reference failed (%s)", type(error).__name__)

    async def _on_uninstall(self, ctx: sdk.ActivityContext[sdk.UninstalledActivity]) -> None:
        try:
            await self.bot.removed(_wire(ctx.activity))
        except Exception as error:
            logger.error("forgetting a conversation reference failed (%s)", type(error).__name__)

    # -- proactive messages ------------------------------------------------------------------

    async def send_proactive(
        self, ref: ConversationRef, content: str | dict[str, Any] | Reply
    ) -> str:
        """Post a message into a stored conversation; return the new message's id.

        ``content`` is Teams markdown text (our own words: escape anything else), an Adaptive
        Card, or a :class:`~.bot.Reply`. In a team's channel the message starts a new post.

        Raises:
            TeamsSendError: Teams refused the message (``status`` 403 or 404: the bot is no
                longer in that conversation) or could not be reached.

        """
        await self.start()
        if isinstance(content, Reply):
            reply = content
        elif isinstance(content, dict):
            reply = Reply(card=content)
        else:
            reply = Reply(text=content)
        message = outgoing(reply)
        message.from_ = sdk.Account(id=ref.bot_id or self._bot_id() or "", name=ref.bot_name)
        message.conversation = sdk.ConversationAccount(
            id=ref.conversation_id, tenant_id=ref.tenant_id, conversation_type=ref.kind
        )
        api = self.sdk.api.clone(service_url=ref.service_url)
        try:
            sent = await retrying(
                lambda: api.conversations.create_activity(ref.conversation_id, message),
                "a proactive message",
            )
        except Exception as error:
            raise send_error(error, "a proactive message") from None
        return str(sent.id)

    async def members(
        self, ref: ConversationRef, continuation: str | None = None, *, page_size: int = 500
    ) -> MembersPage:
        """Return a page of a stored conversation's members (a channel's: its team's).

        ``GET /v3/conversations/{id}/pagedMembers`` through the SDK, at the reference's service
        URL (Teams throttles the unpaged ``/members`` to five calls a minute and is retiring
        it); pass the page's ``continuation`` back for the next one. Tried again after a 429
        or a 5xx like every call to Teams.

        Raises:
            TeamsSendError: Teams refused (403 or 404: the bot is no longer there) or could
                not be reached.

        """
        await self.start()
        api = self.sdk.api.clone(service_url=ref.service_url)
        try:
            page = await retrying(
                lambda: api.conversations.members_client.get_paged(
                    ref.conversation_id, page_size, continuation
                ),
                "listing members",
            )
        except Exception as error:
            raise send_error(error, "listing a conversation's members") from None
        members = [Member(a.id, a.aad_object_id, a.name) for a in page.members]
        return MembersPage(members, page.continuation_token or None)

    async def open_personal_chat(
        self,
        user_id: str,
        *,
        tenant_id: str,
        service_url: str | None = None,
        bot_id: str | None = None,
    ) -> ConversationRef:
        """Open (or find) the bot's 1:1 chat with an agent; keep and return its reference.

        ``user_id`` is the agent's Teams id (``29:...``) or Entra object id; the app must be
        installed for the agent (personally, or in a team they are in). ``service_url``
        defaults to ``TEAMS_SERVICE_URL`` (else Microsoft's own); ``bot_id`` to ``28:`` and
        the client id.

        Raises:
            TeamsSendError: Teams refused or could not be reached.
            ValueError: no ``bot_id`` and no client id to make it from.

        """
        await self.start()
        bot = bot_id or self._bot_id()
        if not bot:
            raise ValueError("bot_id is needed when TEAMS_CLIENT_ID is not set")
        url = (service_url or self.sdk.api.service_url).rstrip("/")
        params = sdk.CreateConversationParams.model_validate(
            {
                "members": [{"id": user_id}],
                "tenantId": tenant_id,
                "channelData": {"tenant": {"id": tenant_id}},
                "bot": {"id": bot},  # the SDK's model lacks these two; the Connector wants them
                "isGroup": False,
            }
        )
        api = self.sdk.api.clone(service_url=url)
        try:
            created = await retrying(lambda: api.conversations.create(params), "a new chat")
        except Exception as error:
            raise send_error(error, "opening a personal chat") from None
        ref = ConversationRef(
            conversation_id=created.id,
            service_url=(created.service_url or url),
            kind="personal",
            tenant_id=tenant_id,
            bot_id=bot,
            user_id=user_id if not _looks_like_guid(user_id) else None,
            user_aad_id=user_id if _looks_like_guid(user_id) else None,
        )
        await self.bot.references.save(ref)
        return ref

    def _bot_id(self) -> str | None:
        return f"28:{self.sdk.id}" if self.sdk.id else None


def build_teams(
    settings: Settings,
    engine: ReviewEngine,
    *,
    coach: Coach | None = None,
    tips: TipLibrary | None = None,
    references: ReferenceStore | None = None,
    feedback: FeedbackHook | None = None,
    record_review: ReviewRecorder | None = None,
    on_review: CommandHook | None = None,
    on_tips: CommandHook | None = None,
    on_rules: CommandHook | None = None,
    learning: TeamsLearning | None = None,
    token: TokenProvider | None = None,
    cloud: sdk.CloudEnvironment | None = None,
) -> TeamsApp:
    """Build the Teams app around ``engine``.

    Args:
        settings: the Teams credentials (``teams_client_id``, ``teams_client_secret``,
            ``teams_tenant_id``), ``teams_dev_no_auth``, ``teams_service_url``, and
            ``agents`` (who is an agent in a conversation the bot reads every message of).
        engine: reviews the drafts.
        coach: answers questions; without it a question gets a short "send me a draft".
        tips: the tip library, for the ``tips`` command until ``on_tips`` is given.
        references: keeps conversation references (default: in memory).
        feedback: records feedback (default: :class:`~.hooks.MemoryFeedback`).
        record_review: stores each review and returns its id (default: stores nothing).
        on_review: answers the ``review`` command (default: "not set up yet").
        on_tips: answers the ``tips`` command (default: today's tip from ``tips``, else
            "not set up yet").
        on_rules: answers the ``rules`` command (default: "not set up yet").
        learning: what the team's reactions teach: quieted rules for reviews of replies in a
            conversation, edits of nudged replies, customers' next messages (default: none).
        token: the bot's own token provider instead of the client secret (a managed identity,
            a test); needs the client and tenant ids.
        cloud: the SDK's cloud endpoints (default: Microsoft's public cloud; tests point the
            token keys at a local fake).

    Raises:
        SettingsError: the credentials are incomplete, or missing without
            ``NUDGEBOT_TEAMS_DEV_NO_AUTH``; the message is one line naming the variables.

    """
    problem = teams_settings_problem(settings, token=token is not None)
    if problem is not None:
        raise SettingsError(f"{problem}; see .env.example")
    credentials: sdk.Credentials | None = None
    if settings.teams_client_id and token is not None:
        credentials = sdk.TokenCredentials(
            client_id=settings.teams_client_id, tenant_id=settings.teams_tenant_id, token=token
        )
    elif settings.teams_client_id and settings.teams_client_secret:
        credentials = sdk.ClientCredentials(
            client_id=settings.teams_client_id,
            client_secret=settings.teams_client_secret,
            tenant_id=settings.teams_tenant_id,
        )
    else:
        logger.warning(
            "NUDGEBOT_TEAMS_DEV_NO_AUTH is on and no Teams credentials are set: %s accepts "
            "requests without a signed token (local development only)",
            MESSAGES_PATH,
        )
    routes = SdkRoutes()
    app = _SdkApp(
        credentials,
        client_id=settings.teams_client_id,
        tenant_id=settings.teams_tenant_id,
        http_server_adapter=routes,
        messaging_endpoint=MESSAGES_PATH,
        dangerously_allow_unauthenticated_requests=credentials is None,
        service_url=settings.teams_service_url or DEFAULT_SERVICE_URL,
        cloud=cloud or sdk.PUBLIC,
        state=False,
        telemetry={"agent365": False},
    )
    bot = TeamsBot(
        engine,
        coach=coach,
        tips=tips,
        references=references if references is not None else MemoryReferences(),
        feedback=feedback if feedback is not None else MemoryFeedback(),
        record_review=record_review or record_nothing,
        on_review=on_review or not_set_up,
        on_tips=on_tips,
        on_rules=on_rules or not_set_up,
        learning=learning,
        agents=frozenset(settings.agents),
        tasks=Background(),
    )
    return TeamsApp(app, routes, bot)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _is_card_action(activity: Any) -> bool:
    return (
        getattr(activity, "type", None) == "invoke"
        and getattr(activity, "name", None) == "adaptiveCard/action"
    )


def _wire(activity: Any) -> dict[str, Any]:
    """Return an SDK activity in its wire shape (camelCase keys), as the converters read it.

    A lone surrogate in any of its strings (half a character, from a JSON escape like U+D800) is
    replaced, so the text can be stored and sent back (:func:`~nudgebot.engine.normalize.mend`).
    """
    data: dict[str, Any] = mend(activity.model_dump(mode="json", by_alias=True, exclude_none=True))
    return data


def _looks_like_guid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(
        all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )
