"""Teams activities to the core's language: pure functions over the activity's JSON, no I/O.

An activity is read in its wire shape (camelCase keys, as Teams posts it and as the recorded
fixtures hold it). Message text arrives with Teams' markup: ``<at>name</at>`` for a mention,
``<quoted messageId="..."/>`` where a quoted reply sits, now and then HTML tags and entities.
:func:`message_text` turns that into the plain text the engine reviews: the bot's own mention
taken out, other mentions kept as the name shown, links kept with their address.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nudgebot.adapters.conversation_memory import Order, clip
from nudgebot.adapters.teams.references import KINDS, ConversationRef, Kind
from nudgebot.models import Draft, Turn

__all__ = [
    "COMMANDS",
    "Activity",
    "Quoted",
    "activity_order",
    "base_conversation_id",
    "bot_mentioned",
    "conversation_kind",
    "draft_from_activity",
    "html_to_text",
    "is_review_request",
    "message_text",
    "quoted_message",
    "quoted_turn",
    "reference_from_activity",
    "sender",
    "split_command",
]

Activity = Mapping[str, Any]

COMMANDS = ("help", "review", "tips", "rules")
"""The bot's commands (listed in the app manifest)."""
COMMAND_WORDS = 6
"""Most words a command's text may have; past it (or ending like a sentence) it is a draft."""
_RULES_WORDS = ("list", "stats", "show", "on", "off", "auto")
HTML_REPLY_SCHEMA = "http://schema.skype.com/Reply"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------------------------
# Where and who
# --------------------------------------------------------------------------------------------


def base_conversation_id(conversation_id: str) -> str:
    """Return a conversation id without its thread part (``;messageid=...``)."""
    return conversation_id.split(";", 1)[0]


def conversation_kind(activity: Activity) -> Kind:
    """Return the conversation's type: ``personal``, ``groupChat`` or ``channel``."""
    conversation = _dict(activity.get("conversation"))
    kind = conversation.get("conversationType")
    if kind in KINDS:
        return kind  # type: ignore[no-any-return]
    if _dict(activity.get("channelData")).get("channel") or _dict(activity.get("channelData")).get(
        "team"
    ):
        return "channel"
    return "groupChat" if conversation.get("isGroup") else "personal"


def sender(activity: Activity) -> tuple[str, str | None, str | None]:
    """Return who sent an activity: Teams id, Microsoft Entra object id, display name."""
    who = _dict(activity.get("from"))
    return str(who.get("id") or ""), _str(who.get("aadObjectId")), _str(who.get("name"))


def reference_from_activity(activity: Activity) -> ConversationRef | None:
    """Return the reference of the conversation an activity came from (None if it lacks one)."""
    conversation = _dict(activity.get("conversation"))
    service_url = _str(activity.get("serviceUrl"))
    conversation_id = _str(conversation.get("id"))
    if service_url is None or conversation_id is None:
        return None
    channel_data = _dict(activity.get("channelData"))
    team, channel = _dict(channel_data.get("team")), _dict(channel_data.get("channel"))
    kind = conversation_kind(activity)
    bot = _dict(activity.get("recipient"))
    user_id, user_aad_id, user_name = sender(activity) if kind == "personal" else ("", None, None)
    tenant = _str(conversation.get("tenantId")) or _str(_dict(channel_data.get("tenant")).get("id"))
    return ConversationRef(
        conversation_id=base_conversation_id(conversation_id),
        service_url=service_url,
        kind=kind,
        tenant_id=tenant,
        bot_id=_str(bot.get("id")),
        bot_name=_str(bot.get("name")),
        team_id=_str(team.get("id")),
        team_name=_str(team.get("name")),
        channel_name=_str(channel.get("name")) if kind == "channel" else None,
        user_id=user_id or None,
        user_aad_id=user_aad_id,
        user_name=user_name,
        timezone=_str(activity.get("localTimezone")),
    )


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

_QUOTED_PLACEHOLDER = re.compile(r"<quoted\b[^<>]*?/?>(?:\s*</quoted>)?", re.I)
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote)>", re.I)
_LINK = re.compile(r"<a\b[^<>]*?\bhref=\"([^\"]*)\"[^<>]*>(.*?)</a>", re.I | re.S)
_TAG = re.compile(
    r"</?(?:p|div|span|b|strong|i|em|u|s|strike|del|ins|code|pre|blockquote|ul|ol|li|h[1-6]"
    r"|font|table|tbody|thead|tr|td|th|img|hr|systemtag|emoji)(?:\s[^<>]*)?/?>",
    re.I,
)
_MENTION = re.compile(r"<at\b[^<>]*>(.*?)</at>", re.I | re.S)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.I)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def html_to_text(markup: str) -> str:
    """Return the text of Teams' light HTML: tags out, line breaks kept, entities decoded.

    Only the tags Teams writes are removed, so "a<b" or "<3" in a message stays as typed;
    a link keeps its address after the label ("the form (https://x.example/f)").
    """

    def link(match: re.Match[str]) -> str:
        href, label = html.unescape(match.group(1)).strip(), match.group(2)
        shown = _TAG.sub("", label).strip()
        if not href or html.unescape(shown) == href or href.startswith("mailto:"):
            return label
        return f"{label} ({href})"

    text = _LINK.sub(link, markup)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    if _ENTITY.search(text):
        text = html.unescape(text)
    text = text.replace("\xa0", " ").replace("\r\n", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _bot_mention_texts(activity: Activity) -> list[str]:
    """Return the texts (``<at>nudgebot</at>``) of the activity's mentions of the bot."""
    bot = _dict(activity.get("recipient"))
    bot_id, bot_name = bot.get("id"), _str(bot.get("name"))
    texts = []
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        if entity.get("type") != "mention":
            continue
        mentioned = _dict(entity.get("mentioned"))
        if bot_id and mentioned.get("id") == bot_id:
            texts.append(_str(entity.get("text")) or f"<at>{mentioned.get('name') or ''}</at>")
    if bot_name:
        texts.append(f"<at>{bot_name}</at>")
    return texts


def bot_mentioned(activity: Activity) -> bool:
    """Whether a message mentions the bot (by a mention entity naming the bot's id)."""
    bot_id = _dict(activity.get("recipient")).get("id")
    return bool(bot_id) and any(
        _dict(entity).get("type") == "mention"
        and _dict(_dict(entity).get("mentioned")).get("id") == bot_id
        for entity in activity.get("entities") or []
    )


def _without_bot(text: str, activity: Activity) -> str:
    for mention in _bot_mention_texts(activity):
        text = text.replace(mention, " ")
    return _MENTION.sub(lambda match: match.group(1), text)


def message_text(activity: Activity) -> str:
    """Return what the sender wrote, as plain text, without the bot's mention or a quote.

    When the message quotes another the old way (the quote inside an HTML attachment),
    the text comes from that attachment with the quote left out.
    """
    legacy = _legacy_reply(activity)
    if legacy is not None:
        body = _LEGACY_QUOTE.sub(" ", legacy)
        for mention in _bot_mention_texts(activity):
            body = body.replace(mention, " ")
        body = re.sub(
            r"<at\b[^<>]*>([^<]*)</at>", lambda m: _unless_bot(m.group(1), activity), body
        )
        return _squeeze(html_to_text(body))
    raw = str(activity.get("text") or "")
    raw = _QUOTED_PLACEHOLDER.sub(" ", raw)
    return _squeeze(html_to_text(_without_bot(raw, activity)))


def _unless_bot(name: str, activity: Activity) -> str:
    bot_name = _str(_dict(activity.get("recipient")).get("name"))
    return " " if bot_name and name.strip() == bot_name else name


def _squeeze(text: str) -> str:
    """Collapse the runs of spaces a removed mention leaves; keep line breaks."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


# --------------------------------------------------------------------------------------------
# Quoted replies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quoted:
    """A message the sender quoted (Teams' "Reply" on a message), as far as Teams told us."""

    text: str
    sender_id: str | None
    sender_name: str | None
    message_id: str | None
    time: str | None = None
    """When the quoted message was sent, as Teams gives it (epoch milliseconds)."""

    @property
    def order(self) -> Order | None:
        """Where the quoted message sits in its conversation (its time), if Teams said."""
        for value in (self.time, self.message_id):
            if value and value.isdigit():
                return int(value), 0
        return None


_LEGACY_QUOTE = re.compile(
    r"<blockquote\b[^<>]*itemtype=\"" + re.escape(HTML_REPLY_SCHEMA) + r"\"[^<>]*>.*?</blockquote>",
    re.I | re.S,
)
_LEGACY_PREVIEW = re.compile(r"<p\b[^<>]*itemprop=\"preview\"[^<>]*>(.*?)</p>", re.I | re.S)
_LEGACY_SENDER = re.compile(
    r"<strong\b[^<>]*itemprop=\"mri\"[^<>]*?itemid=\"([^\"]*)\"[^<>]*>(.*?)</strong>", re.I | re.S
)
_LEGACY_ID = re.compile(r"<blockquote\b[^<>]*?itemid=\"([^\"]*)\"", re.I)


def _legacy_reply(activity: Activity) -> str | None:
    """Return the HTML attachment of a message quoting another the old way, if it is one."""
    for attachment in activity.get("attachments") or []:
        attachment = _dict(attachment)
        content = attachment.get("content")
        if (
            attachment.get("contentType") == "text/html"
            and isinstance(content, str)
            and _LEGACY_QUOTE.search(content)
        ):
            return content
    return None


def quoted_message(activity: Activity) -> Quoted | None:
    """Return the message the sender quoted: Teams' ``quotedReply`` entity, or the old HTML quote.

    Teams sends the quoted message's preview, which it may have shortened.
    """
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        if entity.get("type") != "quotedReply":
            continue
        data = _dict(entity.get("quotedReply"))
        if data.get("isReplyDeleted"):
            continue
        text = html_to_text(str(data.get("preview") or ""))
        if text:
            return Quoted(
                text,
                _str(data.get("senderId")),
                _str(data.get("senderName")),
                _str(data.get("messageId")),
                _str(data.get("time")),
            )
    legacy = _legacy_reply(activity)
    if legacy is None:
        return None
    block = _LEGACY_QUOTE.search(legacy)
    if block is None:  # pragma: no cover - _legacy_reply found one
        return None
    preview = _LEGACY_PREVIEW.search(block.group(0))
    text = html_to_text(preview.group(1)) if preview else ""
    if not text:
        return None
    who = _LEGACY_SENDER.search(block.group(0))
    message_id = _LEGACY_ID.search(block.group(0))
    return Quoted(
        text,
        html.unescape(who.group(1)) if who else None,
        html_to_text(who.group(2)) if who else None,
        message_id.group(1) if message_id else None,
    )


_REQUEST = re.compile(
    r"^(?:(?:please|pls|hey|hi|hello|can you|could you|would you|quick)[\s,]+)*"
    r"(?:review|check|nudge|look(?: at| over)?|rate|score|assess|warm(?: it| this)? up|thoughts"
    r"|feedback|opinion|how (?:does|did|is|would)|is (?:this|it) (?:ok|okay|good|fine|alright))\b",
    re.I,
)
_REQUEST_WORDS = 12


def is_review_request(text: str) -> bool:
    """Whether the words beside a quoted reply ask for that reply to be reviewed.

    Nothing at all ("@nudgebot" alone on a quoted reply) or a short ask ("review this",
    "thoughts?", "is this ok?") is a request; anything longer is a draft of its own.
    """
    words = text.split()
    if not words:
        return True
    return len(words) <= _REQUEST_WORDS and _REQUEST.match(text.strip()) is not None


# --------------------------------------------------------------------------------------------
# Commands and drafts
# --------------------------------------------------------------------------------------------


def split_command(text: str) -> tuple[str | None, str]:
    """Split a message into a bot command and its text; ``(None, text)`` for anything else.

    A message is a command when its first word is ``help``, ``review``, ``tips`` or ``rules``
    standing alone, ``rules`` followed by ``list``, ``on``, ``off`` or ``auto`` (and anything
    after), or (``review``, ``tips`` and ``rules``) followed by a few words that do not end like a
    sentence: "tips angry callers" is a command, "Tips for the road: ..." or "Review your
    order below." is a draft. An empty message is ``("help", "")``.
    """
    stripped = text.strip()
    if not stripped:
        return "help", ""
    first, *more = stripped.split(maxsplit=1)
    name = first.lower().strip("/:,.!")
    rest = more[0].strip() if more else ""
    if name not in COMMANDS:
        return None, stripped
    if name == "rules" and (not rest or rest.split()[0].lower() in _RULES_WORDS):
        return name, rest  # a lead's reason may be a sentence: ``rules off x it nags.``
    if not rest:
        return name, ""
    short = len(rest.split()) <= COMMAND_WORDS and "\n" not in rest
    if name != "help" and short and not rest.endswith((".", "!", "?", ":")):
        return name, rest
    return None, stripped


def draft_from_activity(
    activity: Activity,
    *,
    text: str | None = None,
    customer: str | None = None,
    author: str | None = None,
    thread: Sequence[Turn] = (),
) -> Draft:
    """Return the :class:`Draft` a message holds (``text`` and ``author`` override its own).

    ``thread`` is the conversation before the draft, oldest first; ``customer`` defaults to
    its last customer turn.
    """
    user_id, aad_id, _ = sender(activity)
    conversation_id = _str(_dict(activity.get("conversation")).get("id"))
    if customer is None:
        customer = next((turn.text for turn in reversed(thread) if turn.role == "customer"), None)
    return Draft(
        text=message_text(activity) if text is None else text,
        customer=customer,
        channel=base_conversation_id(conversation_id) if conversation_id else None,
        author=author or aad_id or user_id or None,
        id=_str(activity.get("id")),
        thread=tuple(thread),
    )


# --------------------------------------------------------------------------------------------
# Turns of the conversation
# --------------------------------------------------------------------------------------------


def activity_order(activity: Activity) -> Order:
    """Return where a message sits in its conversation: its time in epoch milliseconds.

    Teams' message ids in channels and chats are that time; otherwise the ``timestamp`` is
    read; (0, 0) when neither says.
    """
    message_id = _str(activity.get("id"))
    if message_id and message_id.isdigit():
        return int(message_id), 0
    stamp = _str(activity.get("timestamp"))
    if stamp:
        try:
            moment = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", stamp))
        except ValueError:
            return 0, 0
        return int(moment.timestamp() * 1000), 0
    return 0, 0


def quoted_turn(activity: Activity) -> tuple[Order, Turn] | None:
    """Return the message the sender quoted as a turn of the conversation, with its place.

    The sender's own message is the agent's turn, anyone else's the customer's (Teams has no
    directory of customers: someone else quoted by an agent is taken for the customer); the
    bot's own messages are no turn. The place is the quoted message's time, else just before
    the quoting message.
    """
    quoted = quoted_message(activity)
    bot_id = _dict(activity.get("recipient")).get("id")
    if quoted is None or (bot_id and quoted.sender_id == bot_id):
        return None
    user_id, aad_id, _ = sender(activity)
    own = quoted.sender_id is not None and quoted.sender_id in (user_id, f"8:orgid:{aad_id}")
    order = quoted.order
    if order is None:
        seconds, _ = activity_order(activity)
        order = (seconds - 1, 0)
    return order, Turn("agent" if own else "customer", clip(quoted.text))
