"""The Teams bot's ``review`` and ``tips`` commands, and its daily tips, on the shared core.

- ``review [7d | 30d | since 2026-11-01]``: a lead's review of the tenant's stored Teams
  replies (the same report as Slack's ``/nudge review`` and ``nudgebot report``), as an
  Adaptive Card (:mod:`.report_card`) with the trend chart under it. Agents are named by their
  display names, from the members of the conversations the bot is in (:mod:`.members`).
  Leads are the Microsoft Entra object ids in ``NUDGEBOT_LEADS``; anyone else gets the same
  refusal whatever they asked. Teams has no private replies in a channel and the report names
  agents, so it is only given in the bot's 1:1 chat.
- ``tips [on [TIME] [ZONE] [weekdays] | off | now]``: a channel's daily tips
  (:func:`nudgebot.tip_service.answer_tips`), posted proactively to the stored conversation.
- :func:`teams_tips` is the service posting the Teams channels' due tips while the app runs,
  with the same exactly-once claims as Slack's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from nudgebot.adapters.router import Router
from nudgebot.adapters.teams.app import TeamsApp, build_teams
from nudgebot.adapters.teams.chart_image import teams_png
from nudgebot.adapters.teams.hooks import CommandAnswer, CommandCall, ImageAnswer
from nudgebot.adapters.teams.members import MemberNames
from nudgebot.adapters.teams.memory import PLATFORM, StoredReferences, TeamsMemory
from nudgebot.adapters.teams.outgoing import TeamsSendError
from nudgebot.adapters.teams.references import ConversationRef
from nudgebot.adapters.teams.report_card import report_card, report_summary
from nudgebot.adapters.teams.team_learning import TeamsLearning
from nudgebot.chart import chart_alt_text, chart_title
from nudgebot.coach import Coach
from nudgebot.config import Settings
from nudgebot.engine import ReviewEngine
from nudgebot.reports import (
    LEADS_ONLY,
    Report,
    ThreadQuery,
    load_report,
    parse_review_args,
    rule_labels,
    trend_chart_png,
    zone_or_utc,
)
from nudgebot.scheduler import PostRefused
from nudgebot.storage import Store, TipSubscription
from nudgebot.storage.lazy import Database
from nudgebot.tip_service import PlatformTipStore, TipsCall, TipService, answer_tips
from nudgebot.tips import TipLibrary

__all__ = ["REFUSAL", "TeamsCommands", "mount_teams", "teams_tips"]

logger = logging.getLogger("nudgebot.teams")

REFUSAL = LEADS_ONLY
USAGE = "Usage: `review [7d | 30d | since 2026-11-01]`, in a 1:1 chat with me."


class TeamsCommands:
    """The ``review`` and ``tips`` hooks; :attr:`app` is set once the Teams app is built."""

    def __init__(
        self,
        database: Database,
        engine: ReviewEngine,
        *,
        leads: tuple[str, ...],
        tips: TipLibrary | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.engine = engine
        self.leads = frozenset(leads)
        self.tips = tips
        self.clock = clock
        self.app: TeamsApp | None = None
        self.names: MemberNames | None = None
        """Where agents' display names come from (set with the app; None: no names)."""

    def is_lead(self, call: CommandCall) -> bool:
        """Whether the caller is a lead (by Entra object id, or by Teams id)."""
        return bool({call.user_aad_id, call.user_id} & self.leads)

    async def review(self, call: CommandCall) -> CommandAnswer:
        """Answer ``review``: the team's report, for a lead, in the 1:1 chat."""
        if not self.is_lead(call):
            return REFUSAL
        if call.conversation.kind != "personal":
            return (
                "The review names agents, so I only show it in our 1:1 chat: send me "
                "`review` there."
            )
        zone = zone_or_utc(call.conversation.timezone)
        try:
            query = parse_review_args(call.text, now=self.clock(), tz=zone)
        except ValueError as error:
            return f"{error} {USAGE}"
        if isinstance(query, ThreadQuery) or query.channels or query.users or query.groups:
            return f"In Teams I review the whole team for a period. {USAGE}"
        store = await self.database.open()
        labels = rule_labels(self.engine.rulebook.rules)
        tenant = call.conversation.tenant_id
        report = await load_report(store, query, labels=labels, team=tenant)
        report = await self.with_names(report, call)
        chart = await asyncio.to_thread(_small_chart, report)  # the same chart as in Slack
        if chart is None:
            return report_card(report)
        card = report_card(report, chart_alt=chart_alt_text(report))
        return ImageAnswer(report_summary(report), chart, f"{chart_title(report)}.png", card)

    async def with_names(self, report: Report, call: CommandCall) -> Report:
        """Return ``report`` with its agents' display names (in ``report.query.names``)."""
        users = {agent.user for agent in report.agents}
        if report.kudos is not None and report.kudos.user:
            users.add(report.kudos.user)
        if not users:
            return report
        names: dict[str, str] = {}
        if self.names is not None:
            names = await self.names.names(users, tenant_id=call.conversation.tenant_id)
        if call.user_name:  # the lead may be one of the agents
            for ident in (call.user_aad_id, call.user_id):
                if ident in users:
                    names.setdefault(ident, call.user_name)
        query = replace(report.query, names=(*report.query.names, *names.items()))
        return replace(report, query=query)

    async def tips_command(self, call: CommandCall) -> CommandAnswer:
        """Answer ``tips`` for the conversation it was sent in."""
        conversation = call.conversation
        tips_call = TipsCall(
            text=call.text,
            user=call.user_aad_id or call.user_id,
            channel=conversation.conversation_id,
            where="this channel" if conversation.kind == "channel" else "this chat",
            is_lead=self.is_lead(call),
            default_timezone=conversation.timezone or "UTC",
            can_post=conversation.kind != "personal",
            command="tips",
            invite="add me to this team (Apps, then nudgebot, then Add to a team)",
        )

        async def post(message: str) -> None:
            if self.app is None:  # pragma: no cover - wired by serve before any request
                raise RuntimeError("the Teams app is not set up")
            await post_refusable(self.app, conversation, message)

        if tips_call.is_lead and tips_call.can_post:
            # The daily tips will be posted here later, maybe by another instance: keep where.
            await StoredReferences(self.database.open).save(conversation)
        view = PlatformTipStore(await self.database.open(), PLATFORM)
        answer = await answer_tips(tips_call, view, self.tips, post, now=self.clock())
        return answer.text


def _small_chart(report: Report) -> bytes | None:
    """Return the report's trend chart small enough for a Teams message (None: no chart)."""
    png = trend_chart_png(report)
    return None if png is None else teams_png(png)


async def post_refusable(app: TeamsApp, ref: ConversationRef, message: str) -> None:
    """Post a tip proactively; a refusal from Teams (4xx) becomes :class:`PostRefused`."""
    try:
        await app.send_proactive(ref, message)
    except TeamsSendError as error:
        if error.status is not None and 400 <= error.status < 500 and error.status != 429:
            raise PostRefused(f"HTTP {error.status}") from error
        raise


def teams_tips(app: TeamsApp, database: Database, library: TipLibrary) -> TipService:
    """Return the service posting the Teams channels' daily tips (start it in the app's loop)."""
    references = StoredReferences(database.open)

    async def view() -> PlatformTipStore:
        store: Store = await database.open()
        return PlatformTipStore(store, PLATFORM)

    async def post(sub: TipSubscription, message: str) -> None:
        ref = await references.get(sub.channel)
        if ref is None:
            raise PostRefused("no conversation reference: was the bot removed?")
        await post_refusable(app, ref, message)

    return TipService(view, library, post)


def mount_teams(
    router: Router,
    settings: Settings,
    engine: ReviewEngine,
    database: Database,
    *,
    coach: Coach | None = None,
    tips: TipLibrary | None = None,
    **build: Any,
) -> TeamsApp:
    """Build the Teams app on the shared ``database`` and mount it at ``/api/messages``.

    References, reviewed replies and feedback go to the database (:mod:`.memory`), and what
    the team's reactions teach (:mod:`.team_learning`); the ``review``, ``tips`` and ``rules``
    commands are wired; with ``tips``, the daily tips are posted while
    the server runs. ``build`` goes to :func:`~.app.build_teams` (tests pass a token and a
    cloud). Raises :class:`~nudgebot.config.SettingsError` like ``build_teams``.
    """
    commands = TeamsCommands(database, engine, leads=settings.leads, tips=tips)
    learning = TeamsLearning(
        database.open, engine, leads=settings.leads, policy=settings.quiet_policy
    )
    memory = TeamsMemory(database.open, learning)
    app = build_teams(
        settings,
        engine,
        coach=coach,
        tips=tips,
        references=StoredReferences(database.open),
        feedback=memory.feedback,
        record_review=memory.record_review,
        on_review=commands.review,
        on_tips=commands.tips_command,
        on_rules=learning.rules,
        learning=learning,
        **build,
    )
    commands.app = app
    commands.names = MemberNames(app.members, StoredReferences(database.open))
    app.mount(router)
    if tips:
        service = teams_tips(app, database, tips)

        async def start_tips() -> None:
            service.start()

        router.on_startup.append(start_tips)
        router.on_shutdown.insert(0, service.stop)
    return app
