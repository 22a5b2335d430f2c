"""The ``/nudge`` slash command: a small dispatcher of subcommands, the rest is a draft.

``/nudge`` and ``/nudge help`` explain; ``on`` / ``off`` switch live nudges for the caller;
``watch`` / ``unwatch`` (leads only) add or remove the current channel; ``review`` is a lead's
review (:mod:`.leads`); ``rules`` lists each rule's figures and state in this team, and lets
leads turn a rule off, on or back to auto (:mod:`.rules`); ``tips`` sets the channel's daily
tips (:mod:`.daily_tips`); ``forget`` deletes what is stored about the caller; ``check
<draft>`` and any other text review the draft privately. Every answer is ephemeral, sent
through the command's ``response_url``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks, daily_tips, leads, rules
from nudgebot.adapters.slack.bot import SlackBot, home_team
from nudgebot.adapters.slack.convert import split_command
from nudgebot.models import Draft

__all__ = ["COMMAND", "HANDLERS", "TAKES_TEXT", "Call", "register"]

COMMAND = "/nudge"


@dataclass(frozen=True)
class Call:
    """One ``/nudge`` call: who, where, and the text after the subcommand."""

    bot: SlackBot
    user: str
    channel: str
    text: str
    client: AsyncWebClient
    respond: Callable[..., Awaitable[object]]
    """Answers through the ``response_url`` (for a handler answering more than once)."""
    team: str | None = None
    """The workspace (the app's own, as the live path names it)."""


Handler = Callable[[Call], Awaitable[dict[str, Any] | None]]
"""Returns the answer, or None when it answered through ``call.respond`` itself."""


def _note(text: str) -> dict[str, Any]:
    return {"text": text}


async def _help(call: Call) -> dict[str, Any]:
    return blocks.help_message()


async def _on(call: Call) -> dict[str, Any]:
    await call.bot.state.set_live(call.user, True)
    return _note(
        "Live nudges are on: when a reply in a watched channel could land better, I'll "
        "suggest a warmer version that only you can see."
    )


async def _off(call: Call) -> dict[str, Any]:
    await call.bot.state.set_live(call.user, False)
    await (await call.bot.state.learning()).muted(call.user)  # the nudges just before count it
    return _note(
        "Live nudges are off. You can still send me drafts any time; "
        "`/nudge on` turns them back on."
    )


async def _watch(call: Call) -> dict[str, Any]:
    refusal = await _lead_only(call, "choose which channels I watch")
    if refusal is not None:
        return refusal
    if not await call.bot.state.watch(call.channel, call.user):
        return _note(f"I'm already watching <#{call.channel}>.")
    return _note(
        f"I'm now watching <#{call.channel}>: agents replying here get private nudges "
        "when a reply could land better. Make sure I'm a member of the channel "
        "(`/invite @nudgebot`) so I can see the replies."
    )


async def _unwatch(call: Call) -> dict[str, Any]:
    refusal = await _lead_only(call, "choose which channels I watch")
    if refusal is not None:
        return refusal
    if call.channel in call.bot.state.configured:
        return _note(
            f"<#{call.channel}> is watched by the bot's configuration "
            "(`NUDGEBOT_WATCH_CHANNELS`): ask whoever runs nudgebot to remove it there."
        )
    if not await call.bot.state.unwatch(call.channel):
        return _note(f"I wasn't watching <#{call.channel}>.")
    return _note(f"I've stopped watching <#{call.channel}>.")


async def _lead_only(call: Call, what: str) -> dict[str, Any] | None:
    """Return a polite refusal unless the caller is a lead, in a channel (None: go ahead)."""
    if not await call.bot.directory.is_lead(call.user):
        return _note(
            f"Sorry, only team leads can {what}. Ask your lead if you'd like "
            "nudges in this channel."
        )
    if call.channel.startswith("D"):
        return _note("Run this in the channel you'd like me to watch, not in a direct message.")
    return None


async def _review(call: Call) -> None:
    await leads.run_review(call.bot, call.client, call.user, call.text, call.respond)


async def _rules(call: Call) -> dict[str, Any]:
    return await rules.run_rules(call.bot, call.user, call.team, call.text)


async def _tips(call: Call) -> dict[str, Any]:
    return await daily_tips.run_tips(call.bot, call.client, call.user, call.channel, call.text)


async def _forget(call: Call) -> dict[str, Any]:
    touched = await call.bot.state.forget(call.user)
    if not touched:
        return _note("I had nothing stored about you, so there was nothing to delete.")
    return _note(
        "Done: I've deleted the words of your replies I had kept, your nudge settings and "
        "your feedback, and taken your name off your scores (they stay, anonymous, in the "
        "team's totals). Live nudges start again at their defaults; `/nudge off` stops them."
    )


async def _draft(call: Call) -> dict[str, Any]:
    draft = Draft(text=call.text, channel=call.channel, author=call.user)
    review = await call.bot.review(draft)
    return blocks.review_message(review, draft.text)


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "on": _on,
    "off": _off,
    "watch": _watch,
    "unwatch": _unwatch,
    "review": _review,
    "rules": _rules,
    "tips": _tips,
    "forget": _forget,
    "check": _draft,
}
"""Subcommands by name; add one here and it is dispatched."""
TAKES_TEXT = frozenset({"review", "rules", "tips", "check"})
"""Subcommands that take text after their name (the others only match alone)."""


def _as_draft(answer: dict[str, Any], text: str) -> dict[str, Any]:
    """Add a line to a draft's review when the draft starts with a subcommand's name.

    ``on``, ``watch`` and the other subcommands taking nothing run only alone; followed by
    more words they are a draft ("On Monday we shipped it"), and the review says how to run
    the subcommand to a caller who meant it (``/nudge watch #support``).
    """
    first = text.split(maxsplit=1)[0].lower() if text.strip() else ""
    if first not in HANDLERS or first in TAKES_TEXT:
        return answer
    line = (
        f"I reviewed this as a draft. `/nudge {first}` takes nothing after it: "
        "send it on its own to run it."
    )
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}
    return {**answer, "blocks": [*answer.get("blocks", ()), context][: blocks.MAX_BLOCKS]}


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to ``/nudge``: ack at once, answer through the ``response_url``."""

    async def on_command(
        command: dict[str, Any],
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        name, text = split_command(str(command.get("text") or ""), HANDLERS, TAKES_TEXT)
        user, channel = str(command["user_id"]), str(command["channel_id"])
        team = home_team(context) or command.get("team_id")
        call = Call(bot, user, channel, text, client, respond, str(team) if team else None)

        async def tell(message: dict[str, Any]) -> None:
            await respond(**message, response_type="ephemeral")

        async def work() -> None:
            answer = await HANDLERS[name or "check"](call)
            if answer is not None:
                await tell(_as_draft(answer, text) if name is None else answer)

        bot.spawn(work(), what=f"/nudge {name or 'draft'}", notify=tell)

    app.command(COMMAND)(on_command)
