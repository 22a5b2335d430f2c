"""What the Teams app does with an activity, without the Teams SDK: routing and answers.

:meth:`TeamsBot.route` reads a message and decides what it asks for (an :class:`Ask`): a
review of a draft (pasted in the 1:1 chat, after an @mention, or a quoted reply in a thread),
coaching for a question, a command, or help. :meth:`TeamsBot.answer` makes the
:class:`Reply` messages for it. :meth:`TeamsBot.card_action` answers a click on a review card;
:meth:`TeamsBot.installed` and :meth:`TeamsBot.removed` keep the conversation references.

The app (:mod:`.app`) sends what these return; slow work runs in :class:`Background` after
Teams has had its answer, and a failure there is logged (its type and traceback, never the
message text) and the agent gets a short apology instead of silence.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from nudgebot.adapters import background
from nudgebot.adapters.background import MAX_PENDING
from nudgebot.adapters.conversation_memory import ConversationMemory, clip
from nudgebot.adapters.teams import cards
from nudgebot.adapters.teams.convert import (
    Activity,
    activity_order,
    base_conversation_id,
    bot_mentioned,
    conversation_kind,
    draft_from_activity,
    is_review_request,
    message_text,
    quoted_message,
    quoted_turn,
    reference_from_activity,
    sender,
    split_command,
)
from nudgebot.adapters.teams.hooks import (
    CommandAnswer,
    CommandCall,
    CommandHook,
    Feedback,
    FeedbackHook,
    FeedbackKind,
    ImageAnswer,
    MemoryFeedback,
    ReviewedDraft,
    ReviewRecorder,
    Surface,
    not_set_up,
    record_nothing,
)
from nudgebot.adapters.teams.references import ConversationRef, MemoryReferences, ReferenceStore
from nudgebot.coach import Coach, looks_like_question
from nudgebot.engine import DraftError, ReviewEngine
from nudgebot.learning import Judgement, Verdict
from nudgebot.models import Draft, Review, Turn
from nudgebot.tips import TipLibrary

if TYPE_CHECKING:
    from nudgebot.adapters.teams.team_learning import TeamsLearning

__all__ = [
    "BUSY",
    "FAILED",
    "GREETING",
    "NO_COACH",
    "Ask",
    "Background",
    "CardAnswer",
    "Reply",
    "TeamsBot",
    "card_response",
    "error_response",
    "message_response",
    "sentence",
]

logger = logging.getLogger("nudgebot.teams")

NO_COACH = (
    "I can't answer questions yet, but I can review a reply: paste your draft here and I'll "
    "suggest a warmer version."
)
FAILED = "Something went wrong on my side, so I couldn't finish that. Please try again."
BUSY = "I'm very busy right now and couldn't get to that. Please try again in a minute."
GREETING = (
    "Hi! I'm nudgebot, your reply coach. Paste a reply you're about to send and I'll suggest "
    "a warmer version, or ask me anything about handling a tricky customer. Type `help` to "
    "see everything I can do."
)
OTHERS_BUTTONS = "Only the person who asked for this review can use its buttons."
UNKNOWN_BUTTON = "That button isn't one I know any more. Send me the draft again for a new review."
#: What a card's ``ref`` may look like: a stored review's id or an id the app made (bounded).
_CARD_REF = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
JUDGING_GONE = (
    "That review is no longer at hand (I may have restarted). Ask me about the reply again "
    "to give your verdict."
)
SUGGESTION_GONE = (
    "That suggestion is no longer at hand (I may have restarted). Send me the draft again and "
    "I'll write a new one."
)

REMEMBERED_CARDS = 5_000
"""Review cards kept in memory so a click can rebuild them (the oldest are forgotten)."""
SEEN_ACTIVITIES = 10_000

T = TypeVar("T")

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
ERROR_RESPONSE = "application/vnd.microsoft.error"


def sentence(text: str) -> str:
    """Return ``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


@dataclass(frozen=True)
class Reply:
    """A message for the app to send: Teams markdown ``text`` (our words only) or a ``card``.

    ``ai_generated`` adds Teams' "AI generated" label; ``feedback_loop`` turns on Teams' own
    thumbs up and down under the message.
    """

    text: str | None = None
    card: dict[str, Any] | None = None
    ai_generated: bool = False
    feedback_loop: bool = False
    image: bytes | None = None
    """A PNG shown inline under the text (the leads' trend chart)."""
    image_name: str = "image.png"


@dataclass(frozen=True)
class Ask:
    """What a message asks of the bot, as :meth:`TeamsBot.route` read it."""

    kind: Literal["ignore", "help", "command", "question", "review", "customer"]
    """``customer``: a customer's message in a watched conversation (recorded, not answered)."""
    text: str = ""
    command: str | None = None
    draft: Draft | None = None
    surface: Surface = "personal"

    @property
    def slow(self) -> bool:
        """Whether answering takes a while (worth a typing indicator)."""
        return self.kind in ("command", "question", "review")

    @property
    def unasked(self) -> bool:
        """Whether nobody asked the bot anything: nothing may be said in the conversation."""
        return self.kind == "customer" or self.surface == "live"


@dataclass(frozen=True)
class CardAnswer:
    """The answer to a click on a review card.

    ``response`` is the body of the ``adaptiveCard/action`` invoke response; ``card`` is the
    new card (also in ``response``), to put in place of the old one for everyone in a shared
    conversation, or None when the card stays as it is.
    """

    response: dict[str, Any]
    card: dict[str, Any] | None = None
    ai_generated: bool = False


Notify = Callable[[Reply], Awaitable[object]]


class Background(background.Background[Reply]):
    """Teams' :class:`~nudgebot.adapters.background.Background`: plain apologies."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        super().__init__(
            platform="teams",
            busy=Reply(text=BUSY),
            failed=Reply(text=FAILED),
            limit=limit,
            logger=logger,
        )


@dataclass(frozen=True)
class _Judging:
    """Where a reply a lead reviews sits, for the lead's verdicts on its findings."""

    channel: str
    message_ts: str
    team: str | None
    author: str | None
    thread: tuple[dict[str, str], ...]


@dataclass
class _Remembered:
    review: Review
    draft: str
    requester: str | None
    feedback: bool | None = None
    closed: dict[str, Any] | None = None
    """The card that replaced the review once it was used or dismissed."""
    judging: _Judging | None = None
    verdicts: dict[str, str] = field(default_factory=dict)
    """A lead's verdicts so far, by rule ("" for a miss)."""
    live: bool = False
    """A live nudge (nobody asked): its card can mute nudges."""

    def card(self, ref: str) -> dict[str, Any]:
        """Return the review's card as it stands: the feedback given, a lead's verdicts so far."""
        return cards.review_card(
            self.review,
            self.draft,
            ref=ref,
            requester=self.requester,
            feedback_given=self.feedback,
            verdicts=self.verdicts if self.judging is not None else None,
            live=self.live,
        )


class _Recent(OrderedDict[str, Any]):
    """A dict forgetting its oldest entries past ``size``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class TeamsBot:
    """The pieces the Teams handlers share (built by :func:`~.app.build_teams`)."""

    engine: ReviewEngine
    coach: Coach | None = None
    tips: TipLibrary | None = None
    references: ReferenceStore = field(default_factory=MemoryReferences)
    feedback: FeedbackHook = field(default_factory=MemoryFeedback)
    record_review: ReviewRecorder = record_nothing
    on_review: CommandHook = not_set_up
    on_tips: CommandHook | None = None
    """None: today's tip from :attr:`tips` when there is a library, else "not set up yet"."""
    on_rules: CommandHook = not_set_up
    learning: TeamsLearning | None = None
    """What the team's reactions teach (quieted rules, edits, customers' replies); None: off."""
    agents: frozenset[str] = frozenset()
    """The agents' Entra object ids or Teams ids (``NUDGEBOT_AGENTS``): with them, messages
    not addressed to the bot in a conversation it reads are reviewed live (an agent's) or
    taken for the customer's (anyone else's); without them such messages are read as before."""
    tasks: Background = field(default_factory=Background)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    conversations: ConversationMemory = field(default_factory=ConversationMemory)
    """The turns each channel thread and group chat showed the bot (:meth:`_in_conversation`)."""
    _cards: _Recent = field(default_factory=lambda: _Recent(REMEMBERED_CARDS), repr=False)
    _seen: _Recent = field(default_factory=lambda: _Recent(SEEN_ACTIVITIES), repr=False)

    # -- messages ----------------------------------------------------------------------------

    def first_time(self, activity: Activity) -> bool:
        """Whether this activity was not seen before (Teams may deliver one twice)."""
        key = f"{_get(activity, 'conversation', 'id')}|{activity.get('id')}"
        if key in self._seen:
            return False
        self._seen.put(key, True)
        return True

    def route(self, activity: Activity) -> Ask:
        """Read what a message asks for (pure: no I/O)."""
        user_id, _, _ = sender(activity)
        bot_id = _get(activity, "recipient", "id")
        if not user_id or user_id == bot_id or _get(activity, "from", "role") == "bot":
            return Ask("ignore")
        kind = conversation_kind(activity)
        surface: Surface = "personal" if kind == "personal" else "mention"
        text = message_text(activity)
        if kind != "personal" and self.agents and not bot_mentioned(activity):
            return self._watched(activity, text)
        quoted = quoted_message(activity)
        if quoted is not None and kind != "personal" and is_review_request(text):
            author = _aad_from_mri(quoted.sender_id)
            draft = draft_from_activity(activity, text=quoted.text, author=author)
            if quoted.message_id:  # the reply reviewed is the quoted message (its edits count)
                draft = replace(draft, id=quoted.message_id)
            return Ask("review", text=quoted.text, draft=draft, surface="reply")
        if not text:
            return Ask("ignore") if activity.get("value") is not None else Ask("help")
        command, rest = split_command(text)
        if command == "help":
            return Ask("help")
        if command is not None:
            return Ask("command", text=rest, command=command, surface=surface)
        if looks_like_question(text):
            return Ask("question", text=text, surface=surface)
        thread: tuple[Turn, ...] = ()
        if quoted is not None and quoted.sender_id != bot_id:
            own = quoted.sender_id in (user_id, f"8:orgid:{sender(activity)[1]}")
            if not own or kind == "personal":  # in the 1:1 chat, a quote is what was pasted
                thread = (Turn("customer", quoted.text),)
        draft = draft_from_activity(activity, text=text, thread=thread)
        return Ask("review", text=text, draft=draft, surface=surface)

    def _watched(self, activity: Activity, text: str) -> Ask:
        """Read a message nobody addressed to the bot, in a conversation it watches.

        Teams delivers those only with the resource-specific permissions to read a team's
        channels or a chat (``ChannelMessage.Read.Group``, ``ChatMessage.Read.Chat``), and
        they are told apart by :attr:`agents` (``NUDGEBOT_AGENTS``): an agent's message is
        reviewed live (a nudge, privately, only when a coach would interrupt), anyone else's
        is the customer's.
        """
        if not text:
            return Ask("ignore")
        user_id, aad_id, _ = sender(activity)
        if not {user_id, aad_id} & self.agents:
            return Ask("customer", text=text)
        draft = draft_from_activity(activity, text=text)
        return Ask("review", text=text, draft=draft, surface="live")

    async def answer(self, ask: Ask, activity: Activity) -> list[Reply]:
        """Make the replies to what a message asked (coaching, a review, a command, help)."""
        if ask.kind == "help":
            return [Reply(text=cards.help_text())]
        if ask.kind == "command":
            return await self._command(ask, activity)
        if ask.kind == "question":
            return [await self._coaching(ask.text, activity)]
        if ask.kind == "review" and ask.draft is not None:
            reply = await self._review(ask, activity)
            return [] if reply is None else [reply]
        if ask.kind == "customer":
            await self._customer_message(ask, activity)
        return []

    async def note_conversation(self, activity: Activity) -> None:
        """Keep the reference of a personal chat the bot had none for (to reach the agent)."""
        if conversation_kind(activity) != "personal":
            return
        ref = reference_from_activity(activity)
        if ref is None:
            return

        async def note(ref: ConversationRef) -> None:
            if await self.references.get(ref.conversation_id) is None:
                await self.references.save(ref)

        await _safely(note(ref), "keeping a conversation reference")

    async def _in_conversation(self, ask: Ask, activity: Activity) -> Draft:
        """Return the draft with the turns before it, remembering the ones this message shows.

        In a channel thread or a group chat, each message quoted to the bot is remembered as
        a turn of that conversation (the agent's own reply, or the customer's message), so a
        later review there gets every turn shown so far (bounded: see
        :class:`~nudgebot.adapters.conversation_memory.ConversationMemory`), oldest first. A
        quoted reply under review is the agent's turn, and gets the turns before it. The 1:1
        chat is practice: its drafts get only the message they quote.
        """
        assert ask.draft is not None
        draft = ask.draft
        key = _get(activity, "conversation", "id")
        if not isinstance(key, str) or not key or conversation_kind(activity) == "personal":
            return draft
        quoted = quoted_turn(activity)
        memory = self.conversations
        if ask.surface == "live":  # an agent's own message, not addressed to the bot
            order = activity_order(activity)
            thread = memory.before(key, order).turns
            memory.add(key, order, Turn("agent", clip(draft.text)))
        elif ask.surface == "reply":
            if quoted is None:  # pragma: no cover - a reply surface always quotes
                return draft
            order, turn = quoted
            thread = memory.before(key, order).turns
            memory.add(key, order, Turn("agent", turn.text))
        else:
            if quoted is not None:
                memory.add(key, *quoted)
                if quoted[1].role == "customer" and not self._is_agent_quoted(activity):
                    await self._customer_said(activity, quoted[0], quoted[1].text)
            thread = memory.before(key, activity_order(activity)).turns or draft.thread
        customer = next((t.text for t in reversed(thread) if t.role == "customer"), None)
        return replace(draft, thread=thread, customer=customer)

    def _is_agent_quoted(self, activity: Activity) -> bool:
        """Whether the message quoted is one of :attr:`agents`' (so not the customer's)."""
        quoted = quoted_message(activity)
        return quoted is not None and _aad_from_mri(quoted.sender_id) in self.agents

    async def _customer_message(self, ask: Ask, activity: Activity) -> None:
        """Remember a customer's message as a turn of its conversation; record its heat."""
        key = _get(activity, "conversation", "id")
        if not isinstance(key, str) or not key:
            return
        order = activity_order(activity)
        self.conversations.add(key, order, Turn("customer", clip(ask.text)))
        await self._customer_said(activity, order, ask.text)

    async def _review(self, ask: Ask, activity: Activity) -> Reply | None:
        """Review a draft; None for a live review that would not interrupt the agent."""
        assert ask.draft is not None
        ask = replace(ask, draft=await self._in_conversation(ask, activity))
        assert ask.draft is not None
        where = reference_from_activity(activity)
        quiet: frozenset[str] = frozenset()
        live = ask.surface == "live"
        if live and not await self._nudges_on(ask.draft.author):
            return None  # the agent muted live nudges (or turned them off)
        if ask.surface in ("reply", "live") and self.learning is not None and where is not None:
            # A reply in a conversation is the live path: the team's quieted rules don't nudge.
            found = await _safely(self.learning.quiet(where.tenant_id), "reading quiet rules")
            quiet = found or frozenset()
        try:
            review = await self.engine.review(ask.draft, "auto", live=live, quiet=quiet)
        except DraftError as error:
            if live:
                return None
            return Reply(text=f"I couldn't review that: {sentence(str(error))}")
        user_id, aad_id, _ = sender(activity)
        ref = None
        if where is not None:
            thread_key = _get(activity, "conversation", "id")
            item = ReviewedDraft(
                ask.draft, review, ask.surface, user_id, aad_id, where, thread_key=thread_key
            )
            ref = await _safely(self.record_review(item), "storing a review")
        judging = None
        lead = self._is_lead(user_id, aad_id)
        if lead and ref is not None and where is not None and ask.surface == "reply":
            # A lead's look at an agent's reply in a conversation: verdicts on its findings.
            thread = tuple({"role": t.role, "text": t.text} for t in ask.draft.thread)
            message_ts = ask.draft.id or ""
            judging = _Judging(
                where.conversation_id, message_ts, where.tenant_id, ask.draft.author, thread
            )
        if live and not review.needs_nudge:
            return None  # nobody asked, and a coach would not interrupt
        ref = ref or uuid.uuid4().hex
        requester = aad_id or user_id
        remembered = _Remembered(review, ask.draft.text, requester, judging=judging, live=live)
        self._cards.put(ref, remembered)
        card = cards.review_card(
            review,
            ask.draft.text,
            ref=ref,
            requester=requester,
            verdicts={} if judging is not None else None,
            live=live,
        )
        return Reply(card=card, ai_generated=review.engine == "llm")

    async def _nudges_on(self, user: str | None) -> bool:
        if self.learning is None or not user:
            return True
        on = await _safely(self.learning.nudges_on(user), "reading an agent's nudge settings")
        return on is not False

    def _is_lead(self, user_id: str, aad_id: str | None) -> bool:
        return self.learning is not None and bool({user_id, aad_id} & self.learning.leads)

    async def _coaching(self, question: str, activity: Activity) -> Reply:
        if self.coach is None:
            return Reply(text=NO_COACH)
        try:
            answer = await self.coach.answer(question)
        except ValueError as error:  # an empty or overlong question
            return Reply(text=f"I couldn't answer that: {sentence(str(error))}")
        card = cards.coaching_card(
            question, answer.text, [tip.text for tip in answer.tips], answer.note
        )
        personal = conversation_kind(activity) == "personal"
        return Reply(card=card, ai_generated=answer.engine == "llm", feedback_loop=personal)

    async def _command(self, ask: Ask, activity: Activity) -> list[Reply]:
        where = reference_from_activity(activity)
        user_id, aad_id, name = sender(activity)
        if where is None:  # pragma: no cover - a message always says where it is
            return [Reply(text=FAILED)]
        call = CommandCall(ask.command or "", ask.text, user_id, aad_id, name, where)
        hooks = {"review": self.on_review, "rules": self.on_rules}
        hook = hooks.get(ask.command or "") or self.on_tips or self._tip_of_the_day
        answer: CommandAnswer = await hook(call)
        if isinstance(answer, dict):
            return [Reply(card=answer)]
        if isinstance(answer, ImageAnswer):
            if answer.card is not None:  # two messages: Teams caps each at about 28 KB
                image = Reply(image=answer.image, image_name=answer.name)
                return [Reply(card=answer.card), image]
            return [Reply(text=answer.text, image=answer.image, image_name=answer.name)]
        return [Reply(text=str(answer))]

    async def _tip_of_the_day(self, call: CommandCall) -> CommandAnswer:
        if not self.tips:
            return await not_set_up(call)
        tip = list(self.tips)[self.clock().date().toordinal() % len(self.tips)]
        return cards.text_card(tip.text, title="Today's tip")

    async def _customer_said(self, activity: Activity, order: tuple[int, int], text: str) -> None:
        """Tell the learning core a customer's message in this conversation (the outcome).

        ``order`` is the message's time in epoch milliseconds (0 when Teams did not say).
        """
        if self.learning is None:
            return
        thread_key = str(_get(activity, "conversation", "id") or "")
        if not thread_key:
            return
        at = datetime.fromtimestamp(order[0] / 1000, UTC) if order[0] > 0 else None
        work = self.learning.customer_said(
            channel=base_conversation_id(thread_key), thread_key=thread_key, text=text, at=at
        )
        await _safely(work, "recording a customer's message")

    async def edited(self, activity: Activity) -> bool:
        """Record Teams' ``messageUpdate`` / ``editMessage``: a nudged reply edited is acted on.

        Teams sends it for messages the bot received (with the ``ChannelMessage.Read.Group``
        or ``ChatMessage.Read.Chat`` permission: every message of the conversation); its
        ``id`` is the edited message's. Returns whether a nudged review was marked.
        """
        if self.learning is None or _get(activity, "channelData", "eventType") != "editMessage":
            return False
        message_id = activity.get("id")
        conversation = base_conversation_id(str(_get(activity, "conversation", "id") or ""))
        if not isinstance(message_id, str) or not message_id or not conversation:
            return False
        work = self.learning.edited(channel=conversation, message_id=message_id)
        return bool(await _safely(work, "recording an edit"))

    # -- card buttons ------------------------------------------------------------------------

    async def card_action(self, activity: Activity) -> CardAnswer:
        """Answer a click on a review card's button, recording the agent's feedback.

        The answer is the card to put in its place (so the button can't be clicked twice):
        the suggestion alone once used, a short note once dismissed, the review with a
        thank-you instead of its Helpful / Not helpful buttons. A click from someone else than
        the agent the review is for changes nothing and says so; a click repeated before the
        card changed is not recorded twice.
        """
        verb = _get(activity, "value", "action", "verb")
        data = _get(activity, "value", "action", "data")
        ref = data.get("ref") if isinstance(data, dict) else None
        if verb in cards.JUDGE_VERBS and isinstance(data, dict) and isinstance(ref, str):
            return await self._judge(activity, cards.JUDGE_VERBS[verb], data, ref)
        if verb == cards.VERB_MUTE and isinstance(ref, str):
            return await self._mute(activity, ref)
        if (
            verb not in cards.VERBS
            or not isinstance(data, dict)
            or not isinstance(ref, str)
            or not _CARD_REF.fullmatch(ref)
        ):
            logger.info("a card click with an unknown verb or no usable ref")
            return CardAnswer(error_response(UNKNOWN_BUTTON))
        user_id, aad_id, _ = sender(activity)
        remembered: _Remembered | None = self._cards.get(ref)
        # Whose review it is: what the bot remembers, else what its card says (a card from
        # before a restart). A click that can't be tied to its agent changes nothing.
        requester = remembered.requester if remembered is not None else data.get("for")
        if not requester:
            logger.info("a card click for a review of nobody known")
            return CardAnswer(error_response(UNKNOWN_BUTTON))
        if requester not in (user_id, aad_id):
            return CardAnswer(message_response(OTHERS_BUTTONS))
        conversation = base_conversation_id(str(_get(activity, "conversation", "id") or ""))
        ai = remembered is not None and remembered.review.engine == "llm"
        kind: FeedbackKind | None = None
        if remembered is not None and remembered.closed is not None:
            card = remembered.closed  # clicked again before the card changed: the same outcome
        elif verb == cards.VERB_USE:
            suggestion = data.get("suggestion")
            if not isinstance(suggestion, str) and remembered is not None:
                suggestion = remembered.review.suggestion
            if not isinstance(suggestion, str) or not suggestion.strip():
                return CardAnswer(message_response(SUGGESTION_GONE))
            card, kind = cards.used_card(suggestion), "used"
        elif verb == cards.VERB_DISMISS:
            card, kind = cards.dismissed_card(), "dismissed"
        else:
            helpful = verb == cards.VERB_HELPFUL
            kind = "helpful" if helpful else "not_helpful"
            if remembered is None:
                card = cards.thanks_card(helpful)
            else:
                if remembered.feedback is not None:
                    kind = None  # answered already: keep the first answer
                else:
                    remembered.feedback = helpful
                card = remembered.card(ref)
        if remembered is not None and verb in (cards.VERB_USE, cards.VERB_DISMISS):
            remembered.closed = card  # before any await: a second click sees it at once
        if kind is not None:
            item = Feedback(ref, kind, user_id, aad_id, conversation, at=self.clock())
            await _safely(self.feedback(item), "recording feedback")
        return CardAnswer(card_response(card), card, ai)

    async def _judge(
        self, activity: Activity, verdict: Verdict, data: dict[str, Any], ref: str
    ) -> CardAnswer:
        """Record a lead's verdict on a finding (or a miss); answer with the card showing it."""
        remembered: _Remembered | None = self._cards.get(ref)
        if remembered is None or remembered.judging is None or self.learning is None:
            return CardAnswer(message_response(JUDGING_GONE))
        user_id, aad_id, _ = sender(activity)
        if remembered.requester not in (user_id, aad_id):
            return CardAnswer(message_response(OTHERS_BUTTONS))
        rule = data.get("rule")
        found = {f.rule: f for f in remembered.review.findings}
        if not isinstance(rule, str) or (verdict == "missed") != (rule == ""):
            return CardAnswer(error_response(UNKNOWN_BUTTON))
        if rule and rule not in found:
            return CardAnswer(error_response(UNKNOWN_BUTTON))
        where = remembered.judging
        judgement = Judgement(
            channel=where.channel,
            message_ts=where.message_ts,
            rule=rule,
            verdict=verdict,
            user=aad_id or user_id,
            dimension=found[rule].dimension if rule else None,
            text=remembered.draft,
            thread=where.thread,
            platform="teams",
            team=where.team,
            author=where.author,
        )
        try:
            await self.learning.judge(judgement)
        except Exception as error:
            logger.error("recording a verdict failed (%s)", type(error).__name__)
            return CardAnswer(error_response(FAILED, 500))
        remembered.verdicts[rule] = verdict
        card = remembered.card(ref)  # judging is set here: the verdicts show
        return CardAnswer(card_response(card), card, remembered.review.engine == "llm")

    async def _mute(self, activity: Activity, ref: str) -> CardAnswer:
        """Mute the agent's live nudges for an hour (the card stays as it is)."""
        remembered: _Remembered | None = self._cards.get(ref)
        user_id, aad_id, _ = sender(activity)
        requester = remembered.requester if remembered is not None else None
        if self.learning is None or requester is None:
            return CardAnswer(error_response(UNKNOWN_BUTTON))
        if requester not in (user_id, aad_id):
            return CardAnswer(message_response(OTHERS_BUTTONS))
        try:
            until = await self.learning.mute(requester)
        except Exception as error:
            logger.error("muting nudges failed (%s)", type(error).__name__)
            return CardAnswer(error_response(FAILED, 500))
        when = until.strftime("%H:%M UTC")
        return CardAnswer(message_response(f"Noted: no live nudges until {when}."))

    async def feedback_loop(self, activity: Activity) -> None:
        """Record a click on Teams' own thumbs up or down under one of the bot's messages."""
        reaction = _get(activity, "value", "actionValue", "reaction")
        if reaction not in ("like", "dislike"):
            logger.info("a feedback invoke without a like or dislike")
            return
        comment = _feedback_text(_get(activity, "value", "actionValue", "feedback"))
        user_id, aad_id, _ = sender(activity)
        conversation = base_conversation_id(str(_get(activity, "conversation", "id") or ""))
        ref = str(activity.get("replyToId") or "")
        kind: FeedbackKind = "like" if reaction == "like" else "dislike"
        item = Feedback(ref, kind, user_id, aad_id, conversation, comment, self.clock())
        await _safely(self.feedback(item), "recording feedback")

    # -- installation ------------------------------------------------------------------------

    async def installed(self, activity: Activity) -> bool:
        """Keep the reference of a conversation the bot was added to; True if it was saved."""
        ref = reference_from_activity(activity)
        if ref is None:
            logger.info("an installation without a conversation or service URL")
            return False
        await self.references.save(ref)
        logger.info("added to a %s conversation", ref.kind)
        return True

    async def removed(self, activity: Activity) -> None:
        """Forget a conversation the bot was removed from."""
        ref = reference_from_activity(activity)
        if ref is not None:
            await self.references.remove(ref.conversation_id)
            logger.info("removed from a %s conversation", ref.kind)


async def _safely(work: Awaitable[T], what: str) -> T | None:
    """Await a hook; if it fails, log that (its type, never its words) and return None.

    Storage that is down must not cost the agent their review or their card.
    """
    try:
        return await work
    except Exception as error:
        logger.error("%s failed (%s)", what, type(error).__name__)
        return None


def _get(data: Any, *keys: str) -> Any:
    """Return ``data[k1][k2]...``, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _aad_from_mri(mri: str | None) -> str | None:
    """Return the Entra object id in a Teams MRI (``8:orgid:<id>``), else the MRI itself."""
    if mri and mri.startswith("8:orgid:"):
        return mri[len("8:orgid:") :]
    return mri


def _feedback_text(raw: Any) -> str | None:
    """Return what the agent typed in Teams' feedback form (sent as JSON text), if anything."""
    if isinstance(raw, dict):
        data: Any = raw
    elif isinstance(raw, str) and raw.strip():
        try:
            data = json.loads(raw)
        except ValueError:
            return raw.strip() or None
    else:
        return None
    text = data.get("feedbackText") if isinstance(data, dict) else None
    return text.strip() or None if isinstance(text, str) else None


def card_response(card: dict[str, Any]) -> dict[str, Any]:
    """Return the ``adaptiveCard/action`` response body that puts ``card`` in place."""
    return {"statusCode": 200, "type": ADAPTIVE_CARD, "value": card}


def message_response(text: str) -> dict[str, Any]:
    """Return the ``adaptiveCard/action`` response body that shows ``text`` (card unchanged)."""
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}


def error_response(text: str, status: int = 400) -> dict[str, Any]:
    """Return the ``adaptiveCard/action`` response body for a click that could not be handled."""
    code = "BadRequest" if status < 500 else "InternalServerError"
    return {
        "statusCode": status,
        "type": ERROR_RESPONSE,
        "value": {"code": code, "message": text},
    }
