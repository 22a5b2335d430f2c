"""``/nudge review``: a lead's review of the team, or the QA scorecard of one conversation.

Leads only (``NUDGEBOT_LEADS``: user ids and user groups). Anyone else gets the same polite
refusal whatever they asked for, before their arguments are even read, so a refusal never
says whether a channel, person or conversation exists.

``/nudge review [#channel | @agent | @group ...] [7d | 30d | since 2026-11-01] [csv]`` reads the
stored reviews of the scope and period (the lead's Slack time zone sets the days), shows a
progress note at once ("Reviewing 340 replies...") and replaces it with the report: the
scores against the previous period, the top issues with anonymised examples, the reply of the
period, nudge acceptance and a row per agent. Everything is ephemeral, for the lead alone; the
trend chart (a PNG) and, with ``csv``, the CSV export go to the lead's direct messages with
the bot, where files can be private.

``/nudge review <message link>`` fetches that thread, reviews each agent reply in order (with
the turns before it as its thread) and shows the scorecard, provided the lead can read the
channel: a member of a private channel, or any member of the workspace for a public
one. These reviews are not stored: the conversation is looked at, not counted again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from nudgebot.adapters.slack import blocks
from nudgebot.adapters.slack.bot import SlackBot, sentence
from nudgebot.adapters.slack.conversation import agent_replies, read_thread
from nudgebot.adapters.slack.convert import slack_error
from nudgebot.adapters.slack.problems import explain
from nudgebot.adapters.slack.report_blocks import (
    progress_message,
    report_blocks,
    scorecard_blocks,
)
from nudgebot.adapters.slack.verdicts import Reply, memory_key, verdicts_message
from nudgebot.chart import chart_alt_text, chart_title
from nudgebot.engine import DraftError
from nudgebot.learning import Verdict
from nudgebot.models import Draft, Review
from nudgebot.reports import (
    LEADS_ONLY,
    Report,
    ReviewQuery,
    ThreadQuery,
    load_report,
    parse_review_args,
    report_csv,
    rule_labels,
    thread_scorecard,
    trend_chart_png,
    zone_or_utc,
)
from nudgebot.wording import plural

__all__ = ["REFUSAL", "USAGE", "run_review"]

logger = logging.getLogger("nudgebot.slack")

Respond = Callable[..., Awaitable[object]]

REFUSAL = LEADS_ONLY
USAGE = (
    "Usage: `/nudge review [#channel | @agent | @group] [7d | 30d | since 2026-11-01] [csv]`, "
    "or `/nudge review <message link>` for the scorecard of one conversation."
)
CANT_SEE = (
    "I can't read that conversation because I'm not in it. If it's in a channel, invite me "
    "there (`/invite @nudgebot`) and try again."
)
CANT_CHECK_ACCESS = (
    "I can't check who may read that conversation: Slack hasn't given nudgebot permission to "
    "look up channels (`channels:read`, `groups:read`, `im:read` and `mpim:read`). A workspace "
    "admin can add them in the app's settings (OAuth & Permissions) and reinstall the app."
)
CSV_WORDS = frozenset({"csv", "export"})


async def run_review(
    bot: SlackBot, client: AsyncWebClient, user: str, text: str, respond: Respond
) -> None:
    """Answer ``/nudge review <text>`` for ``user`` through ``respond`` (ephemeral)."""
    if not await bot.directory.is_lead(user):
        await respond(text=REFUSAL, response_type="ephemeral")
        return
    words = text.split()
    want_csv = any(word.lower() in CSV_WORDS for word in words)
    text = " ".join(word for word in words if word.lower() not in CSV_WORDS)
    zone = zone_or_utc(await bot.directory.timezone(user))
    try:
        asked = parse_review_args(text, now=bot.state.now(), tz=zone)
    except ValueError as error:
        message = blocks.error_message(f"{sentence(str(error))}\n{USAGE}")
        await respond(**message, response_type="ephemeral")
        return
    if isinstance(asked, ThreadQuery):
        await _scorecard(bot, client, user, asked, respond)
    else:
        await _team_review(bot, client, user, asked, respond, want_csv=want_csv)


# -- the team's review -------------------------------------------------------------------------


async def _team_review(
    bot: SlackBot,
    client: AsyncWebClient,
    lead: str,
    query: ReviewQuery,
    respond: Respond,
    *,
    want_csv: bool,
) -> None:
    store = await bot.state.open()
    users = await _scope_users(bot, query)
    channels = list(query.channels) or None
    found = await store.score_sums(
        since=query.since, until=query.until, channels=channels, users=users
    )
    await respond(**progress_message(query, found.count), response_type="ephemeral")
    labels = rule_labels(bot.engine.rulebook.rules)
    report = await load_report(store, query, labels=labels, users=users)
    message = report_blocks(report, private=True)
    note = await _send_files(client, lead, report, want_csv=want_csv)
    if note:
        message["blocks"].append({"type": "context", "elements": [_mrkdwn(note)]})
    await respond(**message, replace_original=True, response_type="ephemeral")


async def _scope_users(bot: SlackBot, query: ReviewQuery) -> list[str] | None:
    """Return the agents of the scope (named ones and groups' members); None: everyone."""
    if not query.users and not query.groups:
        return None
    users = list(query.users)
    for group in query.groups:
        users.extend(sorted(await bot.directory.group_members(group)))
    return list(dict.fromkeys(users))


async def _send_files(
    client: AsyncWebClient, lead: str, report: Report, *, want_csv: bool
) -> str | None:
    """DM the lead the trend chart (when there is one) and the CSV (when asked for)."""
    uploads: list[dict[str, Any]] = []
    chart = await asyncio.to_thread(trend_chart_png, report) if report.replies else None
    if chart is not None:
        uploads.append(
            {
                "content": chart,
                "filename": "nudgebot-trend.png",
                "title": chart_title(report),
                "alt_txt": chart_alt_text(report),  # what screen readers say instead
            }
        )
    if want_csv:
        uploads.append(
            {
                "content": report_csv(report).encode(),
                "filename": "nudgebot-review.csv",
                "title": "Team review (CSV)",
            }
        )
    if not uploads:
        return None
    what = " and ".join(
        name for name, wanted in (("trend chart", chart), ("CSV", want_csv)) if wanted
    )
    try:
        opened = await client.conversations_open(users=lead)
        dm = str((opened.get("channel") or {})["id"])
        await client.files_upload_v2(
            channel=dm,
            file_uploads=uploads,
            initial_comment=f"Your team review ({report.query.period_label}): the {what}.",
        )
    except Exception as error:  # the files are extras: the report goes out regardless
        reason = slack_error(error) if isinstance(error, SlackApiError) else "an upload failed"
        logger.warning("could not send a review's files: %s (%s)", reason, type(error).__name__)
        return explain(error, f"send you the {what}")
    return f"I've sent you the {what} in a direct message."


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


# -- one conversation's scorecard ----------------------------------------------------------------


async def _scorecard(
    bot: SlackBot, client: AsyncWebClient, lead: str, thread: ThreadQuery, respond: Respond
) -> None:
    access = await bot.directory.can_see(lead, thread.channel)
    if access == "no":
        await respond(
            text="You aren't a member of that conversation's channel, so I can't show it to you.",
            response_type="ephemeral",
        )
        return
    if access == "no-permission":
        await respond(text=CANT_CHECK_ACCESS, response_type="ephemeral")
        return
    problem: str | None = CANT_SEE
    messages = None
    try:
        messages = await read_thread(client, thread.channel, thread.ts) if access == "yes" else None
    except SlackApiError as error:
        logger.info("could not read a thread for a scorecard: %s", slack_error(error))
        problem = explain(error, "read that conversation")
    if messages is None:
        await respond(text=problem, response_type="ephemeral")
        return
    home = (await client.auth_test()).get("team_id")
    pairs = await agent_replies(bot, thread.channel, messages, str(home) if home else None)
    counted = plural(len(pairs), "agent reply", "agent replies")
    if pairs:  # nothing to score is said by the scorecard itself, at once
        await respond(
            text=f":hourglass_flowing_sand: Scoring {counted} in that conversation…",
            response_type="ephemeral",
        )
    reviews = await asyncio.gather(*(_review(bot, draft) for _, draft in pairs))
    scored: list[tuple[str, Review]] = [
        (author, review)
        for (author, _), review in zip(pairs, reviews, strict=True)
        if review is not None
    ]
    card = thread_scorecard(scored)
    await respond(
        **scorecard_blocks(thread, card), replace_original=True, response_type="ephemeral"
    )
    replies = [
        Reply(position, author, str(draft.id), review)
        for position, ((author, draft), review) in enumerate(zip(pairs, reviews, strict=True), 1)
        if review is not None
    ]
    await _offer_verdicts(bot, lead, thread, replies, respond)


async def _offer_verdicts(
    bot: SlackBot, lead: str, thread: ThreadQuery, replies: list[Reply], respond: Respond
) -> None:
    """Send the lead the buttons to judge each finding (:mod:`.verdicts`), after the card."""
    learning = await bot.state.learning()
    earlier: dict[tuple[str, str], Verdict] = {}
    for reply in replies:
        said = await learning.verdicts(channel=thread.channel, message_ts=reply.ts)
        earlier.update({(reply.ts, rule): v for (rule, who), v in said.items() if who == lead})
    message = verdicts_message(thread.channel, thread.ts, replies, earlier)
    if message is None:
        return
    bot.remember_nudge(memory_key(lead, thread.channel, thread.ts), message)
    await respond(**message, replace_original=False, response_type="ephemeral")


async def _review(bot: SlackBot, draft: Draft) -> Review | None:
    """Review one reply of the thread; None for one that can't be (empty, oversized)."""
    try:
        return await bot.review(draft)
    except DraftError:
        return None
