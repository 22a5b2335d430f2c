"""The bot-token scopes Slack requires for each Web API method and event the app uses.

Taken from Slack's method and event documentation (docs.slack.dev/reference/methods/<method>
and /reference/events/<event>, "Scopes — Bot token") and, for the older methods, from the Web
API's OpenAPI specification (slackapi/slack-api-specs, ``web-api/slack_web_openapi_v2.json``,
``security.slackAuth`` per path; its ``chat:write:bot`` is today's ``chat:write``). When the
code starts calling a new method, add it here from its documentation page; the manifest test
fails until you do.

Methods that read or write a conversation need a different scope for each kind of
conversation (``channels:read`` for public channels, ``groups:read`` for private ones,
``im:read`` for direct messages, ``mpim:read`` for group DMs): the app works in all four (it
watches public and private channels, answers DMs, and the "Warm up this reply" shortcut and
``/nudge review <message link>`` reach any message), so it needs all four of each.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

CONVERSATION_KINDS = ("channels", "groups", "im", "mpim")
"""Public channels, private channels, direct messages, group direct messages."""


def _per_kind(verb: str) -> frozenset[str]:
    return frozenset(f"{kind}:{verb}" for kind in CONVERSATION_KINDS)


METHOD_SCOPES: dict[str, frozenset[str]] = {
    # no scope: any valid token may call them
    "auth.test": frozenset(),
    "views.open": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    # messages
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.startStream": frozenset({"chat:write"}),
    "chat.appendStream": frozenset({"chat:write"}),
    "chat.stopStream": frozenset({"chat:write"}),
    # the assistant pane (setStatus accepts chat:write too since 2026-03; the app asks for
    # assistant:write anyway for its suggested prompts)
    "assistant.threads.setStatus": frozenset({"assistant:write"}),
    "assistant.threads.setSuggestedPrompts": frozenset({"assistant:write"}),
    "assistant.threads.setTitle": frozenset({"assistant:write"}),
    # conversations
    "conversations.history": _per_kind("history"),
    "conversations.replies": _per_kind("history"),
    "conversations.info": _per_kind("read"),
    "conversations.members": _per_kind("read"),
    # the app only opens a direct message with one person (never a group DM or channel)
    "conversations.open": frozenset({"im:write"}),
    # files (files_upload_v2 = getUploadURLExternal + completeUploadExternal)
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    # people
    "users.info": frozenset({"users:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
}

EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
    "app_mention": frozenset({"app_mentions:read"}),
    "assistant_thread_started": frozenset({"assistant:write"}),
    "assistant_thread_context_changed": frozenset({"assistant:write"}),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
}

COMMANDS_SCOPE = "commands"
"""Slash commands and message shortcuts both need it."""

SDK_HELPERS: dict[str, tuple[str, ...]] = {
    # slack_sdk's client methods that call several Web API methods
    "files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal"),
    "chat_stream": ("chat.startStream", "chat.appendStream", "chat.stopStream"),
}

BOLT_UTILITIES: dict[str, tuple[str, ...]] = {
    # the listener arguments Bolt hands the app, and the Web API method each one calls
    "say": ("chat.postMessage",),
    "set_status": ("assistant.threads.setStatus",),
    "set_suggested_prompts": ("assistant.threads.setSuggestedPrompts",),
    "set_title": ("assistant.threads.setTitle",),
    "respond": (),  # posts to the response_url Slack gave: no token, no scope
}

CLIENT_NAMES = frozenset({"client", "_client", "web_client"})
"""Names the app's code gives a Slack Web API client (``client.x()``, ``self.client.x()``)."""

NOT_WEB_API = frozenset({"aclose", "session"})
"""Attributes of the client that are not Web API methods."""


def web_api_method(attribute: str) -> tuple[str, ...]:
    """Return the Web API methods a client method such as ``chat_postEphemeral`` calls."""
    if attribute in SDK_HELPERS:
        return SDK_HELPERS[attribute]
    return (attribute.replace("_", "."),)


def called_methods(sources: Iterable[Path]) -> dict[str, set[str]]:
    """Return each Web API method the code calls, with the files that call it."""
    found: dict[str, set[str]] = {}
    for path in sources:
        for method in _calls(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            found.setdefault(method, set()).add(path.name)
    return found


def _calls(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in BOLT_UTILITIES:
            yield from BOLT_UTILITIES[function.id]
        elif (
            isinstance(function, ast.Attribute)
            and _is_client(function.value)
            and function.attr not in NOT_WEB_API
        ):
            yield from web_api_method(function.attr)


def _is_client(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in CLIENT_NAMES
    return isinstance(node, ast.Attribute) and node.attr in CLIENT_NAMES


def required_scopes(
    methods: Iterable[str], events: Iterable[str], *, commands: bool
) -> dict[str, set[str]]:
    """Return each scope the methods and events need, with what needs it."""
    needs: dict[str, set[str]] = {}
    for method in methods:
        for scope in METHOD_SCOPES[method]:
            needs.setdefault(scope, set()).add(method)
    for event in events:
        for scope in EVENT_SCOPES[event]:
            needs.setdefault(scope, set()).add(f"event {event}")
    if commands:
        needs.setdefault(COMMANDS_SCOPE, set()).add("slash command / shortcut")
    return needs
