"""The "Warm up this reply" shortcut, the nudge's buttons, and the App Home.

The shortcut opens a "Reviewing…" modal at once (a ``trigger_id`` lasts three seconds), then
fills it with the review. Helpful / Not helpful record the agent's verdict and Mute pauses live
nudges for an hour; either way only the nudge's button row changes (into a short "Thanks —
noted."), so the suggestion stays there to copy. The App Home shows the agent's recent
scores, streak, nudge setting (with a toggle) and today's tip.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, home_team
from nudgebot.adapters.slack.convert import draft_from_message, slack_time
from nudgebot.adapters.slack.state import review_id_of
from nudgebot.adapters.slack.thread import thread_before
from nudgebot.models import Turn

__all__ = ["SHORTCUT", "register"]

logger = logging.getLogger("nudgebot.slack")

SHORTCUT = "warm_up_reply"
TITLE = "Warm up this reply"
THANKS = "Thanks — noted. Your feedback helps me get better at this."
NOT_A_REVIEW = "That button doesn't point at a review I know, so nothing was recorded."
NOT_YOURS = "Those buttons belong to a review of someone else's reply, so nothing was recorded."


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Listen to the message shortcut, the nudge buttons, App Home opens and its toggle."""

    async def on_shortcut(
        shortcut: dict[str, Any],
        ack: AsyncAck,
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        opened: dict[str, str] = {}

        async def tell(message: dict[str, Any]) -> None:
            if "view" in opened:
                await client.views_update(view_id=opened["view"], view=_modal(message["blocks"]))
            else:
                await respond(**message, response_type="ephemeral")

        work = _warm_up(bot, client, shortcut, home_team(context), opened)
        bot.spawn(work, what="the Warm up shortcut", notify=tell)

    async def keep_the_nudge(
        body: dict[str, Any], ref: str, note: str, respond: AsyncRespond
    ) -> None:
        """Replace only the nudge's button row with ``note``; the suggestion stays."""
        shown = body.get("message") if isinstance(body.get("message"), dict) else None
        nudge = shown or bot.nudge(ref)
        if nudge is None:  # not remembered (a restart): leave the nudge as it is
            await respond(text=note, replace_original=False, response_type="ephemeral")
            return
        await respond(**blocks.nudge_without_buttons(nudge, note), replace_original=True)

    async def on_feedback(
        body: dict[str, Any], action: dict[str, Any], ack: AsyncAck, respond: AsyncRespond
    ) -> None:
        await ack()
        helpful = action.get("action_id") == blocks.ACTION_HELPFUL
        ref, user = str(action.get("value")), str(body["user"]["id"])

        async def record() -> None:
            if review_id_of(ref) is None:
                await respond(text=NOT_A_REVIEW, replace_original=False, response_type="ephemeral")
                return
            if not await bot.state.owns_review(ref, user):
                await respond(text=NOT_YOURS, replace_original=False, response_type="ephemeral")
                return
            if await bot.state.record_feedback(ref, user, helpful):
                await _learn_from_vote(bot, ref)
            await keep_the_nudge(body, ref, THANKS, respond)

        bot.spawn(record(), what="recording feedback")

    async def on_mute(
        body: dict[str, Any], action: dict[str, Any], ack: AsyncAck, respond: AsyncRespond
    ) -> None:
        await ack()

        async def mute() -> None:
            user = str(body["user"]["id"])
            until = await bot.state.mute(user)
            await (await bot.state.learning()).muted(user)  # the nudges just before count it
            text = (
                f"Thanks — noted. Live nudges are muted until {slack_time(until)}; "
                "`/nudge on` turns them back on sooner."
            )
            await keep_the_nudge(body, str(action.get("value")), text, respond)

        bot.spawn(mute(), what="muting nudges")

    async def on_home(event: dict[str, Any], client: AsyncWebClient, ack: AsyncAck) -> None:
        await ack()
        if event.get("tab", "home") == "home":
            bot.spawn(_publish(bot, client, str(event["user"])), what="publishing the App Home")

    async def on_toggle(
        body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, ack: AsyncAck
    ) -> None:
        await ack()
        user = str(body["user"]["id"])

        async def toggle() -> None:
            on = action.get("value") == "on"
            await bot.state.set_live(user, on)
            if not on:
                await (await bot.state.learning()).muted(user)
            await _publish(bot, client, user)

        bot.spawn(toggle(), what="switching live nudges")

    app.message_shortcut(SHORTCUT)(on_shortcut)
    app.action(blocks.ACTION_HELPFUL)(on_feedback)
    app.action(blocks.ACTION_NOT_HELPFUL)(on_feedback)
    app.action(blocks.ACTION_MUTE)(on_mute)
    app.event("app_home_opened")(on_home)
    app.action(blocks.ACTION_TOGGLE_NUDGES)(on_toggle)


async def _learn_from_vote(bot: SlackBot, ref: str) -> None:
    """After a vote: the team's feedback may quiet (or bring back) the nudge's live rules.

    A change made here shows on this instance's next live review at once.
    """
    review_id = review_id_of(ref)
    if review_id is None:
        return
    changes = await (await bot.state.learning()).feedback_given(review_id)
    for team in {change.team for change in changes}:
        bot.state.forget_quiet(team)
    if changes:
        logger.info("the team's feedback changed the state of %d rule(s)", len(changes))


async def _warm_up(
    bot: SlackBot,
    client: AsyncWebClient,
    shortcut: dict[str, Any],
    home: str | None,
    opened: dict[str, str],
) -> None:
    """Open the modal, review the message, and show the review in the modal."""
    loading = [{"type": "section", "text": {"type": "mrkdwn", "text": ":hourglass: Reviewing…"}}]
    answer = await client.views_open(trigger_id=shortcut["trigger_id"], view=_modal(loading))
    opened["view"] = str(answer["view"]["id"])
    user = str(shortcut["user"]["id"])
    channel = str(shortcut["channel"]["id"])
    message = {**shortcut.get("message", {}), "channel": channel}
    ts = str(message.get("ts") or "")
    watched = not channel.startswith("D") and await bot.state.is_watched(channel)
    thread: tuple[Turn, ...] = ()
    if ts:
        root = message.get("thread_ts")
        thread = await thread_before(bot, channel, ts, root, home, keep=watched)
    draft = draft_from_message(message, thread=thread)
    review = await bot.review(draft)
    own = message.get("user") == user and ts and not channel.startswith("D")
    if own and not watched:  # (a watched one is stored already)
        # The agent's own reply in a channel counts like a live one (reports, App Home).
        await bot.state.record_review(
            review,
            user=user,
            channel=channel,
            team=home,
            text=draft.text,
            customer=draft.customer,
            message_ts=ts,
        )
    await client.views_update(view_id=opened["view"], view=blocks.review_modal(review, draft.text))


async def _publish(bot: SlackBot, client: AsyncWebClient, user: str) -> None:
    """Publish ``user``'s App Home."""
    state = bot.state
    until = await state.muted_until(user)
    recent = await state.recent(user)
    view = blocks.home_view(
        recent=[(f"{r.day}{' · nudged' if r.nudged else ''}", r.score) for r in recent],
        streak=state.streak(recent),
        live_nudges=await state.live_enabled(user),
        muted_until=None if until is None else slack_time(until),
        tip=bot.todays_tip(state.clock()),
    )
    await client.views_publish(user_id=user, view=view)


def _modal(content: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a modal around ``content`` (the loading note, or an error)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": content,
    }
