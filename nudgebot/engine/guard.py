"""Guard rails run on every suggested reply, whichever engine wrote it, before anyone sees it.

:func:`check` lists what is wrong with a suggestion compared with the agent's draft (and the
customer's message): a fact of the draft dropped, a new amount, date, time, link or address,
a new promise (refund, voucher, credit, "free of charge", a guarantee...), a new mention or
broadcast, other new Slack markup, too much length, another language. :func:`repair` mends
what can be mended in one pass (new specifics become placeholders such as ``[amount]``,
sentences with new promises go, new markup goes, a long text is cut at a sentence end);
:func:`guard` checks, repairs once and checks again.

Square-bracket placeholders are harmless: the rules rewrite writes ``[by when]`` where only the
agent knows the answer, and redaction writes ``[EMAIL_1]`` for what it took out.

Suggestions are plain text; :func:`escape_mrkdwn` makes one safe for Slack, keeping only the
markup copied from the draft (:func:`slack_tokens`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nudgebot.engine.facts import Fact, extract_facts, fact_texts
from nudgebot.engine.letter import frame
from nudgebot.engine.normalize import normalize
from nudgebot.engine.rules.language import guess_language
from nudgebot.engine.rules.text import Sentence, fold, sentence_at, sentences

__all__ = [
    "Guarded",
    "Problem",
    "check",
    "check_text",
    "describe",
    "escape_mrkdwn",
    "guard",
    "repair",
    "required_facts",
    "slack_tokens",
]

MAX_CHARS = 40_000
"""The longest suggestion ever allowed (the engine's limit on a draft)."""

# Confidence a guess of the suggestion's language needs before it can count against it.
_LANGUAGE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suggestion; ``detail`` quotes the words, e.g. "dropped 'X'"."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Guarded:
    """A suggestion after the guard: ``text`` is None when it is not safe even after repair.

    ``problems`` are those of the suggestion as given (plus any left after the repair);
    ``repaired`` tells whether ``text`` differs from the suggestion because of a repair.
    """

    text: str | None
    problems: tuple[Problem, ...]
    repaired: bool


@dataclass(frozen=True)
class _Issue:
    """A problem with where it is: the edit ``text[start:end] -> fix`` mends it (None: no edit)."""

    problem: Problem
    start: int = 0
    end: int = 0
    fix: str | None = None


# What repair cannot mend: it never invents a fact or translates.
_UNREPAIRABLE = frozenset({"fact_dropped", "language", "empty"})

# Kinds of fact a suggestion may not invent, and the placeholder a repair puts in their place.
_PLACEHOLDERS = {
    "money": "[amount]",
    "percent": "[amount]",
    "date": "[date]",
    "time": "[time]",
    "duration": "[how long]",
    "url": "[link]",
    "email": "[email address]",
    "phone": "[phone number]",
}
_PLACEHOLDER = re.compile(r"\[(?:[a-z][a-z0-9'’/ -]{0,60}|[A-Z]+_\d+)\]")
# "Friday at 5pm" is one fact: its parts are checked one by one.
_JOINED = re.compile(r"[ \t]+(?:at|on)[ \t]+|(?<=day)[ \t]+(?=\d)")
_FOLD_PAIRS = (("\u2013", "-"), ("\u2014", "-"), ("\u2019", "'"), ("\u2018", "'"))

# Commitment words, by what they commit to, on the lower-cased text; one group per kind so a
# draft mentioning "refund" allows "reimburse" too.
_B = r"(?<![\w/.@#-])"  # not inside a word, a link or an address
_PROMISES = re.compile(
    rf"{_B}(?:"
    r"(?P<refund>refund\w*|reimburs\w*|money back|cash ?back)"
    r"|(?P<discount>discount\w*|\d+% off|[£$€]\d[\d,.]* off|coupons?|promo(?:tion(?:al)?)? codes?)"
    r"|(?P<voucher>vouchers?|gift ?cards?|e-?gifts?)"
    r"|(?P<credit>credit(?:s|ed|ing)?(?![ \t]+(?:card|score|check|history|limit|rating|union"
    r"|report)))"
    r"|(?P<compensation>compensat\w*|goodwill|good will|make it up to you)"
    r"|(?P<free>waiv\w*|free of charge|for free|at no (?:extra |additional )?(?:cost|charge)"
    r"|no charge|(?:won't|will not) be charged|on the house|complimentary|free (?:replacement"
    r"|delivery|shipping|upgrade|return|collection|repair)s?)"
    # a promise is made by someone ("I promise", "we'll promise you"); "the call you were
    # promised", "the broken promise", "promises weren't kept" report one
    r"|(?P<guarantee>guarant\w*"
    r"|(?:i|we)(?:'ll| will| can| do)? promise\b|(?:i'm|we're|i am|we are) promising\b)"
    r"|(?P<exception>(?:make|made|making) an exception|as an exception|one-off exception)"
    r"|(?P<policy>pre-?approved"
    r"|(?:new|updated|changed|revised) (?:refund |returns? )?polic(?:y|ies)"
    r"|polic(?:y|ies) (?:has |have )?(?:changed|been (?:changed|updated|waived))"
    r"|(?:are|is|you're|you are) (?:now )?(?:entitled|eligible) (?:to|for))"
    r")(?![\w@]|[.-]\w)"  # not the start of an address or a host either
)
# Claims about policy are not undone by a negation ("no new policy" still states one).
_ALWAYS_CLAIMS = frozenset({"policy"})
# Commitments whose object is a clause: a negation after them is part of the promise.
_CLAUSE_PROMISES = frozenset({"guarantee", "policy"})
# A negation right after the commitment word: "refunds aren't possible", "the refund request
# was declined". It reaches two words at most, never over a new subject or object ("I've
# refunded the fee not the tax" is a refund), and never after a guarantee or a promise
# ("I promise it won't happen again" is one).
_NEGATED_AFTER = re.compile(
    r"(?:[ \t]+(?!(?:i|we|you|they|he|she|it|this|that|these|those|there|nothing|anything"
    r"|the|a|an|your|our|my|their|his|her|its)\b)[a-z]+){0,2}?[ \t]+"
    r"(?:(?:is|are|was|were|can|could|will|would|has|have|had|do|does|did)[ \t]+(?:not|never)"
    r"|[a-z]+n't|cannot|declined|rejected|denied|refused|impossible|unavailable)\b"
)
# A commitment word naming the customer's own request rather than making a promise: "the
# status of your refund", "an update on the refund".
_REFERENCE = re.compile(
    r"\b(?:status|progress|news|update|details?|question|query|request|claim|chas(?:e|ing)"
    r"|check(?:s|ed|ing)?|confirm(?:s|ed|ing)?|find out about|whether|if"
    r"|want(?:s|ed|ing)?|ask(?:s|ed|ing)? for|request(?:s|ed|ing)?"
    r"|about|regarding|on|into|over|with"
    r"|(?:wait(?:ing|ed)?|awaiting)(?:[ \t]+(?:so|this|that|too)[ \t]+long)?)"
    r"(?:[ \t]+(?:of|on|about|for))?"
    r"[ \t]+(?:your|their|the|this|that|a|an)[ \t]+(?:[£$€][ \t]?\d[\d,.]*[ \t]+)?\Z"
    r"|\b(?:your|their|the|his|her|a|an)[ \t]+(?:promised|missing|outstanding|overdue"
    r"|original|earlier|first)[ \t]+\Z"
)
# What follows a commitment word that points back at one made before: "the refund they were
# promised never came", "the refund still hasn't arrived".
_REFERENCE_AFTER = re.compile(
    r"[ \t]+(?:(?:that|which)[ \t]+)?(?:(?:they|you|he|she|we)[ \t]+)?"
    r"(?:were|was|had been|have been|has been)[ \t]+(?:promised|told about|expecting)\b"
    r"|[ \t]+(?:still[ \t]+)?(?:never|hasn't|has not|didn't|did not|hadn't)[ \t]+"
    r"(?:came|come|arrived|arrive|happened|happen|reached|turned up|shown up|gone through)\b"
    r"|[ \t]+(?:request|requests|claim|claims|application|query|queries|status)\b"
    r"|[ \t]+(?:(?:that|which)[ \t]+)?(?:they|you|he|she)[ \t]+(?:asked|requested|wanted|want"
    r"|were asking|are asking|have asked|had asked)\b"
)
# Words that grant what the customer asked for: "I've looked into the refund and approved
# it" is a promise, however it names the refund.
_GRANTED = re.compile(
    r"\b(?:approv|process|issu|grant|authori[sz]|arrang|sent|paid|pay|gave|given|give|done"
    r"|complet|put through|sort)\w*"
)
# A placeholder standing for an amount of money: "I'll refund you [amount] extra" is a new
# promise with its terms left blank, not a safe sentence.
_AMOUNT_PLACEHOLDER = re.compile(
    r"\[(?:[^\]\n]*\b(?:amount|sum|value|figure|total|percent(?:age)?|fee|price|cost)s?\b"
    r"[^\]\n]*|[£$€¥₹][^\]\n]*"
    r"|(?:[\w-]+[ \t]+){0,2}(?:refund|credit|voucher|discount|compensation|gesture)s?)\]",
    re.IGNORECASE,
)
"""A placeholder that names an amount ("[amount]", "[refund amount]", "[£X]", "[goodwill
credit]"), not one that asks a question about it ("[whether a refund is possible]")."""
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|unable|without|nor)\b|n't\b")
# A negation reaches over a few words of its own clause; a new clause or subject ends it.
_CLAUSE = re.compile(
    r"[.,;:!?\n]|\b(?:but|so|then|i|i'm|i've|i'll|i'd|we|we've|we'll|we're|you'll|you've)\b"
)

_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+-\s+")

# Slack markup: <@U123>, <#C123|name>, <!here>, <!subteam^S1|@team>, <https://x|label>...
_SLACK_TOKEN = re.compile(r"<[^<>\s][^<>\n]*>")
# A broadcast is never a fact a suggestion must keep (as facts.py treats a plain @channel).
_BROADCAST = re.compile(r"<!(?:channel|here|everyone)(?:\|[^<>]*)?>")
_MENTION_TOKEN = re.compile(r"<(?:[@#]|!(?:channel|here|everyone|subteam\^))")
# Plain-text handles: @here, @channel, @sam (not the middle of an e-mail address or a link).
_HANDLE = re.compile(r"(?<![\w.+@/|<-])@[A-Za-z0-9](?:[\w.-]*\w)?")
_ESCAPE = re.compile(r"&(?!(?:amp|lt|gt);)|[<>]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def default_max_chars(draft: str) -> int:
    """Return the default length bound for a suggestion to ``draft``.

    ``max(1200, 3 * len(draft) + 600)`` capped at :data:`MAX_CHARS`, and never shorter than
    the draft itself (so the unchanged draft always fits).
    """
    return max(len(draft), min(MAX_CHARS, max(1200, 3 * len(draft) + 600)))


def check(
    draft: str, suggestion: str, *, customer: str | None = None, max_chars: int | None = None
) -> tuple[Problem, ...]:
    """Return what is wrong with ``suggestion`` as a reply in place of ``draft`` (empty: safe).

    ``customer`` is the customer's message: a suggestion may repeat its amounts and dates.
    ``max_chars`` bounds the length (default: :func:`default_max_chars`). The suggestion is
    judged in its normal form (:func:`~nudgebot.engine.normalize.normalize`), so a hidden
    control or a look-alike letter does not smuggle a mention or a promise past the checks; the
    draft is compared in the same form (the engine reviews drafts in it already).
    """
    draft, suggestion = normalize(draft)[0], normalize(suggestion)[0]
    return tuple(issue.problem for issue in _issues(draft, suggestion, customer, max_chars))


def repair(
    draft: str,
    suggestion: str,
    problems: Sequence[Problem],
    *,
    customer: str | None = None,
    max_chars: int | None = None,
) -> str:
    """Return ``suggestion`` with the repairable ``problems`` mended in one pass.

    New amounts, dates, times, durations, links, addresses and phone numbers become
    placeholders ("[amount]", "[date]", "[time]", "[how long]"...); sentences with a new
    promise are removed, and so are new mentions, broadcasts and markup (a link keeps its
    label); a text still too long is cut at a sentence end within the bound. A dropped fact,
    another language or an empty text are left as they are: only the caller can fix those.
    """
    draft, suggestion = normalize(draft)[0], normalize(suggestion)[0]
    kinds = {problem.kind for problem in problems}
    issues = [i for i in _issues(draft, suggestion, customer, max_chars) if i.problem.kind in kinds]
    return _repair(draft, suggestion, issues, max_chars)


def guard(
    draft: str, suggestion: str, *, customer: str | None = None, max_chars: int | None = None
) -> Guarded:
    """Check ``suggestion``, repair it once if needed, and check it again.

    The result's ``text`` is the suggestion (normalised, perhaps repaired) when it passes, and
    None when it does not: then the caller falls back to the rules rewrite.
    """
    draft, suggestion = normalize(draft)[0], normalize(suggestion)[0]
    issues = _issues(draft, suggestion, customer, max_chars)
    if not issues:
        return Guarded(suggestion, (), False)
    problems = tuple(issue.problem for issue in issues)
    if any(problem.kind in _UNREPAIRABLE for problem in problems):
        return Guarded(None, problems, False)
    text = _repair(draft, suggestion, issues, max_chars)
    left = check(draft, text, customer=customer, max_chars=max_chars)
    if left:
        return Guarded(None, problems + tuple(p for p in left if p not in problems), True)
    return Guarded(text, problems, True)


def describe(problems: Sequence[Problem], limit: int = 160) -> str:
    """Say what is wrong in one short phrase, e.g. "dropped 'ORD-55120' and added '<!here>'".

    The phrase is a verb phrase (it reads after "the suggestion ...") of at most ``limit``
    characters. It quotes the offending words as they are, Slack markup included, so a
    Slack message must escape it.
    """
    if not problems:
        return ""
    dropped = [p.detail[len("dropped ") :] for p in problems if p.detail.startswith("dropped ")]
    added = [p.detail[len("added ") :] for p in problems if p.detail.startswith("added ")]
    parts = [f"dropped {_listing(dropped)}"] if dropped else []
    if added:
        parts.append(f"added {_listing(added)}")
    parts.extend(p.detail for p in problems if not p.detail.startswith(("dropped ", "added ")))
    if len(parts) > 1 and any(" and " in part for part in parts):
        phrase = "; ".join(parts)
    else:
        phrase = _listing(parts, limit=len(parts))
    return phrase if len(phrase) <= limit else phrase[: limit - 1].rstrip(" ,'") + "…"


def slack_tokens(text: str) -> list[str]:
    """Return the Slack markup tokens (``<...>``) of ``text``, each once, in order."""
    if "<" not in text:
        return []
    return list(dict.fromkeys(_SLACK_TOKEN.findall(text)))


def escape_mrkdwn(text: str, keep: Iterable[str] = ()) -> str:
    """Escape ``&``, ``<`` and ``>`` for Slack mrkdwn, except inside the tokens in ``keep``.

    ``keep`` holds exact markup tokens to leave working (those of the draft, from
    :func:`slack_tokens`). Entities already escaped (``&amp;``, ``&lt;``, ``&gt;``) are left
    alone, so text that came from Slack is not escaped twice.
    """
    tokens = sorted({token for token in keep if token}, key=len, reverse=True)
    if not tokens:
        return _ESCAPE.sub(lambda m: _ESCAPES[m.group()[0]], text)
    parts = re.split("(" + "|".join(map(re.escape, tokens)) + ")", text)
    return "".join(
        part if i % 2 else _ESCAPE.sub(lambda m: _ESCAPES[m.group()[0]], part)
        for i, part in enumerate(parts)
    )


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """What a suggestion is compared with: the draft and the customer's message, read once."""

    facts: tuple[str, ...]
    """The facts a suggestion must keep (see :func:`required_facts`)."""
    all_facts: frozenset[str]
    """The facts of the draft and of the customer's message, normalised."""
    text: str
    """The draft and the customer's message, normalised (see :func:`_norm`)."""
    loose: str
    """``text`` with hyphens as spaces and plural "s" dropped ("30-day" is "30 days")."""
    asked: frozenset[str]
    """The kinds of commitment the customer's message (or the thread) mentions."""
    promises: frozenset[str]
    """The kinds of commitment the draft makes (the group names of ``_PROMISES``)."""
    tokens: frozenset[str]
    """The draft's Slack markup."""
    handles: frozenset[str]
    """The draft's plain-text @-handles."""
    language: str
    """The draft's language, "und" when it cannot be told."""


@functools.lru_cache(maxsize=16)
def _known(draft: str, customer: str | None) -> _Known:
    """Read the draft once for every check of its suggestions (guard checks twice)."""
    facts = required_facts(draft)
    customer_facts = fact_texts(customer) if customer else []
    folded = fold(draft)
    text = _norm(draft) + ("\n" + _norm(customer) if customer else "")
    return _Known(
        facts=facts,
        all_facts=frozenset(_norm(fact) for fact in (*fact_texts(draft), *customer_facts)),
        text=text,
        loose=_loose(text),
        asked=frozenset(m.lastgroup or "" for m in _PROMISES.finditer(fold(customer or ""))),
        promises=frozenset(
            m.lastgroup or ""
            for m in _PROMISES.finditer(folded)
            if m.lastgroup in _ALWAYS_CLAIMS or not _refused(folded, m)
        ),
        tokens=frozenset(slack_tokens(draft)),
        handles=frozenset(_HANDLE.findall(draft)) if "@" in draft else frozenset(),
        language=guess_language(_unplaced(draft)).language,
    )


def required_facts(draft: str) -> tuple[str, ...]:
    """Return the facts of ``draft`` a suggestion must keep, each once, in order.

    They are the draft's facts (:func:`nudgebot.engine.facts.extract_facts`) read with the
    emphasis taken off (``*everyone*`` is a tone, ``*ORD-55120*`` is still ``ORD-55120``),
    without hashtags ("#AppreciateYou" is a tone), without the names of its greeting and
    sign-off ("Hi Priya," may become "Hello Priya"; a
    sign-off may be adjusted) and without broadcasts (``<!here>`` is never needed).
    """
    facts = extract_facts(draft)
    if any(fact.kind == "emphasis" for fact in facts):
        facts = [
            Fact(fact.kind, " ".join(fact.text.split()), fact.start, fact.end)
            for fact in extract_facts(_unemphasised(draft, facts))
        ]
    where = frame(draft)
    return tuple(
        dict.fromkeys(
            fact.text
            for fact in facts
            if not (fact.kind == "name" and where.holds(fact.start, fact.end))
            and not _BROADCAST.fullmatch(fact.text)
            and draft[fact.start - 1 : fact.start] != "#"  # "#AppreciateYou" is a tone, too
        )
    )


def _unemphasised(text: str, facts: Sequence[Fact]) -> str:
    """Return ``text`` with the markers of its emphasis facts blanked (offsets unchanged)."""
    chars = list(text)
    for fact in facts:
        if fact.kind != "emphasis":
            continue
        width = 2 if fact.text[:2] in ("**", "__") and fact.text[-2:] == fact.text[:2] else 1
        for i in (*range(fact.start, fact.start + width), *range(fact.end - width, fact.end)):
            chars[i] = " "
    return "".join(chars)


def check_text(draft: str, text: str, *, customer: str | None = None) -> tuple[Problem, ...]:
    """Return what model-written text other than the reply adds to ``draft`` (empty: safe).

    For a finding's message and fix: new amounts, dates, times, links, addresses, phone
    numbers, new commitments (refunds, compensation, discounts, guarantees...), new policy
    claims ("pre-approved", "the policy has changed"), mentions and markup. A finding need
    not keep the draft's facts, and it is never repaired: a finding with a problem is dropped.
    """
    if not text.strip():
        return ()
    known = _known(draft, customer)
    specifics = _new_specifics(known, text)
    issues = [*specifics, *_new_promises(known, text, specifics), *_new_markup(known, text)]
    return tuple(issue.problem for issue in issues)


def _issues(
    draft: str, suggestion: str, customer: str | None, max_chars: int | None
) -> list[_Issue]:
    """Run every check on ``suggestion``; return its issues in a stable order."""
    if not suggestion.strip():
        return [_Issue(Problem("empty", "is empty"))] if draft.strip() else []
    known = _known(draft, customer)
    issues = [
        _Issue(Problem("fact_dropped", f"dropped {_quote(fact)}"))
        for fact in known.facts
        if not _kept(fact, suggestion)
    ]
    specifics = _new_specifics(known, suggestion)
    issues += specifics
    issues += _new_promises(known, suggestion, specifics)
    issues += _new_markup(known, suggestion)
    bound = default_max_chars(draft) if max_chars is None else max_chars
    if len(suggestion) > bound:
        detail = f"is {len(suggestion):,} characters long (the limit is {bound:,})"
        issues.append(_Issue(Problem("too_long", detail)))
    language = _language_issue(known, suggestion)
    if language is not None:
        issues.append(language)
    return issues


def _kept(fact: str, suggestion: str) -> bool:
    """Tell whether a suggestion keeps a fact: verbatim, or every word of it that carries it.

    Fact extraction leans long ("ORD-55120 ships", "your Kestrel Trail 2"), so a rewording of
    the plain words around an id must not count as losing it. The words that carry a fact are
    those with a digit, a capital or a symbol; a fact with none of them must appear verbatim.
    A changed amount or date still fails here or in the new-specific check.
    """
    if fact in suggestion:
        return True
    if fact.isalpha() and _word_in_any_case(fact, suggestion):
        return True  # "Do let us know if any Further assistance is Needed": a casing slip
    dotted = fact.replace(".", "")
    if (
        "." in fact
        and len(dotted) <= 4
        and dotted.isalpha()
        and _word_in_any_case(dotted, suggestion)
    ):
        return True  # "i.d" written "ID": the same short word, its dots tidied
    if "*" in suggestion or "_" in suggestion:  # "_Sam_ Smith" keeps "Sam Smith"
        suggestion = " ".join(_MARKS.sub(" ", suggestion).split())
        if fact in suggestion:
            return True
    words = fact.split()
    # "Booking HX-30912" at a sentence start is "booking HX-30912" mid-sentence.
    label = len(words) > 1 and words[0].isalpha() and words[0].istitle()
    strong = [
        word
        for i, word in enumerate(words)
        if (not word.islower() or not word.isalpha()) and not (label and i == 0)
    ]
    if label and not strong and len(words) == 2:  # "an Exchange thing" kept as "an Exchange issue"
        return _word_in(words[0], suggestion)
    if not strong or (len(strong) == len(words)):
        return False
    if label and not re.search(rf"(?<!\w){re.escape(words[0])}(?!\w)", suggestion, re.I):
        return False
    return all(_word_in(word.strip(".,;:!?"), suggestion) for word in strong)


def _word_in_any_case(word: str, text: str) -> bool:
    """Tell whether ``word`` occurs in ``text`` as a whole word, whatever its casing."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I) is not None


def _word_in(word: str, text: str) -> bool:
    """Tell whether ``word`` occurs in ``text`` with no word character either side."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _norm(text: str) -> str:
    """Return ``text`` folded for comparing facts: one case, plain dashes, single spaces."""
    if not text.isascii():
        for char, plain in _FOLD_PAIRS:
            if char in text:
                text = text.replace(char, plain)
    return " ".join(text.casefold().split())


# Emphasis marks at a word's edge ("*everyone*", "_Sam_"), not inside one ("user_id").
_MARKS = re.compile(r"(?<!\w)[*_]+(?=\w)|(?<=\w)[*_]+(?!\w)|(?<![\w*_])[*_]+(?![\w*_])")
# "three times" counts how often, it is no duration to invent.
_TIMES = re.compile(r"\btimes?$", re.IGNORECASE)
_PLURAL = re.compile(r"(?<=[a-z])s\b")


_NUMBER_WORDS = {
    word: str(number)
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90"}
_DERIVABLE = frozenset(("money", "duration"))
"""Facts a finding or suggestion may work out from the customer's own figures."""
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MAX_NUMBERS = 40
"""The most known numbers paired up when looking for a derived one."""
_DAY_KIND = re.compile(r"(?<=\d) (?:working|business|calendar|full|whole|clear) (?=[a-z])")
_CLOCK_HALF = re.compile(r"(?<=\d) ?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])")
_UNITS = {"wk": "week", "hr": "hour", "min": "minute", "yr": "year", "mth": "month", "mo": "month"}
_UNIT = re.compile(r"(?<=\d)[ ]?(" + "|".join(_UNITS) + r")\b")
"""A short unit after a number ("4 wks", "2hrs"), written out to compare durations."""
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")
_NUMBER_SPACE = re.compile(r"(?<=\d) (?=[a-z])")


def _loose(normed: str) -> str:
    """Return normalised text for comparing durations: "Three years" is "last 3years".

    Hyphens become spaces, plural "s" goes, number words become digits, short units are
    written out ("4 wks" is "four weeks"), "working" and the like go from between a number and
    its unit ("5 working days" is "a 5-day promise"), and a number is joined to the word after
    it. (A clock time given as "at 10" is matched by :func:`_said_as_clock`.)
    """
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group()], normed.replace("-", " "))
    text = _UNIT.sub(lambda m: _UNITS[m.group(1)], _PLURAL.sub("", text))
    text = _DAY_KIND.sub(" ", text)
    return _NUMBER_SPACE.sub("", text)


def _new_specifics(known: _Known, suggestion: str) -> list[_Issue]:
    """Find amounts, dates, times, links, addresses... in neither the draft nor the customer's.

    A fact is known when its words occur in the draft or the customer's message, or when it
    is one of their facts (a fact need not end at a word boundary: "£1,234" of "£1,2345").
    """
    facts = [
        f
        for f in extract_facts(suggestion)
        if f.kind in _PLACEHOLDERS and not (f.kind == "duration" and _TIMES.search(f.text))
    ]
    issues = []
    for fact in facts:
        parts = _parts(fact)
        for start, end in parts:
            piece = _norm(suggestion[start:end])
            if (
                _occurs(piece, known.text)
                or piece in known.all_facts
                or _occurs(_loose(piece), known.loose)
                or (fact.kind in _DERIVABLE and _derived(piece, known.loose))
                or (fact.kind == "time" and _said_as_clock(piece, known.text))
            ):
                continue
            kind = fact.kind if len(parts) == 1 else _kind(suggestion[start:end], fact.kind)
            problem = Problem("new_specific", f"added {_quote(suggestion[start:end])}")
            issues.append(_Issue(problem, start, end, _PLACEHOLDERS[kind]))
    return issues


def _said_as_clock(piece: str, known: str) -> bool:
    """Tell whether a time ("10am") is one the conversation gave without am/pm ("at 10")."""
    bare = _CLOCK_HALF.sub("", piece)
    return bare != piece and any(
        _occurs(said, known) for said in (f"at {bare}", f"by {bare}", f"{bare} o'clock")
    )


def _derived(piece: str, known: str) -> bool:
    """Tell whether the one number in ``piece`` is the sum or difference of two known ones.

    "A £270 rise" after "gone up from £420 to £690", "a ten-hour delay" after "5 hours became
    15": the customer's own figures, worked out, not a new amount or time.
    """
    mine = _NUMBER.findall(_loose(piece))
    if len(mine) != 1:
        return False
    target = float(mine[0].replace(",", ""))
    numbers = sorted({float(n.replace(",", "")) for n in _NUMBER.findall(known)})[:_MAX_NUMBERS]
    return any(
        abs(b - a - target) < 0.005 or abs(a + b - target) < 0.005
        for i, a in enumerate(numbers)
        for b in numbers[i + 1 :]
    )


def _parts(fact: Fact) -> list[tuple[int, int]]:
    """Return the spans to check of a fact: itself, or its parts when joined.

    "Friday at 5pm", "Monday on 3 May" and "Monday 9am" are checked part by part.
    """
    if not _JOINED.search(fact.text):
        return [(fact.start, fact.end)]
    spans, pos = [], 0
    for match in _JOINED.finditer(fact.text):
        spans.append((fact.start + pos, fact.start + match.start()))
        pos = match.end()
    spans.append((fact.start + pos, fact.end))
    return spans


def _kind(piece: str, default: str) -> str:
    """Return the kind of one part of a joined fact ("5pm" of "Friday at 5pm" is a time)."""
    facts = extract_facts(piece)
    return facts[0].kind if len(facts) == 1 and facts[0].kind in _PLACEHOLDERS else default


def _occurs(piece: str, text: str) -> bool:
    """Tell whether ``piece`` occurs in ``text`` as whole words ("£40" is not in "£400")."""
    i = text.find(piece)
    while i >= 0:
        j = i + len(piece)
        if (i == 0 or not (text[i - 1].isalnum() and piece[0].isalnum())) and (
            j == len(text) or not (text[j].isalnum() and piece[-1].isalnum())
        ):
            return True
        i = text.find(piece, i + 1)
    return False


def _new_promises(known: _Known, suggestion: str, specifics: Sequence[_Issue]) -> list[_Issue]:
    """Find commitments and policy claims the draft never made.

    A commitment is new when the draft made none of its kind (a refusal, "we don't refund
    stays", makes none), or when it comes with an amount the draft does not have, written
    out or left as a placeholder ("I'll refund you [amount] extra"). Its sentence goes (only
    its clause when the sentence also holds a fact of the draft): a new promise becomes no
    promise, never a promise with a blank in it.
    """
    folded = fold(suggestion)
    found = list(_PROMISES.finditer(folded))
    if not found:
        return []
    spans = sentences(folded)
    amounts = [i.start for i in specifics if i.fix == _PLACEHOLDERS["money"]]
    amounts += [
        m.start()
        for m in _AMOUNT_PLACEHOLDER.finditer(suggestion)
        if _norm(m.group()) not in known.text
    ]
    issues = []
    for index, match in enumerate(found):
        kind = match.lastgroup or ""
        if kind not in _ALWAYS_CLAIMS and _refused(folded, match):
            continue
        sentence = sentence_at(spans, match.start())
        start, end = sentence.start, sentence.end
        if any(fact in suggestion[start:end] for fact in known.facts):
            start, end = _clause(folded, start, end, match.start())  # keep the draft's facts
        if kind in known.promises and not _owns_amount(found, index, sentence, amounts):
            continue
        if (
            kind in known.asked
            and (
                _REFERENCE.search(folded, 0, match.start())
                or _REFERENCE_AFTER.match(folded, match.end())
            )
            and not _GRANTED.search(folded, sentence.start, sentence.end)
        ):
            continue  # "the status of your refund": the customer's own request, not a promise
        words = suggestion[match.start() : match.end()]
        name = "new_policy" if kind == "policy" else "new_promise"
        issues.append(_Issue(Problem(name, f"added {_quote(words)}"), start, end, ""))
    return issues


def _refused(folded: str, match: re.Match[str]) -> bool:
    """Tell whether a commitment word is negated: "we don't refund", "refunds aren't possible"."""
    if _negated(folded, match.start()):
        return True
    return match.lastgroup not in _CLAUSE_PROMISES and bool(
        _NEGATED_AFTER.match(folded, match.end())
    )


def _owns_amount(
    found: Sequence[re.Match[str]], index: int, sentence: Sentence, amounts: Sequence[int]
) -> bool:
    """Tell whether a new amount belongs to the commitment ``found[index]``.

    An amount belongs to the last commitment before it in its sentence (to the first one when
    none comes before): in "I've refunded the £40 fee, and I'll refund you [amount] extra" the
    blank is the second refund's, and in "I've refunded £40, and £4 more" the £4 is the first's.
    """
    match = found[index]
    start = match.start()
    if index == 0 or found[index - 1].start() < sentence.start:
        start = sentence.start
    end = sentence.end
    if index + 1 < len(found) and found[index + 1].start() < sentence.end:
        end = found[index + 1].start()
    return any(start <= at < end for at in amounts)


def _clause(folded: str, start: int, end: int, at: int) -> tuple[int, int]:
    """Return the span of the clause around ``at`` with the break before it, if not the first.

    "The £40 fee was charged, and I've refunded it." loses ", and I've refunded it" and keeps
    its end; the whole sentence ``start:end`` goes when the promise is in its first clause.
    """
    breaks = list(_CLAUSE_BREAK.finditer(folded, start, end))
    before = [b for b in breaks if b.end() <= at]
    if not before:
        return start, end
    after = [b.start() for b in breaks if b.start() > at]
    stop = after[0] if after else end - (folded[end - 1] in ".!?")
    return before[-1].start(), stop


def _negated(folded: str, start: int) -> bool:
    """Tell whether a negation stands in the six words before ``start``, in the same clause."""
    clause = _CLAUSE.split(folded[max(0, start - 80) : start])[-1]
    return _NEGATION.search(" ".join(clause.split()[-6:])) is not None


def _new_markup(known: _Known, suggestion: str) -> list[_Issue]:
    """Find Slack markup and @-handles that are not in the draft (mentions, links, commands)."""
    issues = []
    if "<" in suggestion:
        for match in _SLACK_TOKEN.finditer(suggestion):
            token = match.group()
            if token in known.tokens:
                continue
            if _MENTION_TOKEN.match(token):
                issues.append(
                    _Issue(Problem("mention", f"added {_quote(token)}"), *match.span(), "")
                )
            else:
                label = token[1:-1].partition("|")[2]
                problem = Problem("markup", f"added {_quote(token)}")
                issues.append(_Issue(problem, *match.span(), label))
    if "@" in suggestion:
        for match in _HANDLE.finditer(suggestion):
            if match.group() not in known.handles:
                problem = Problem("mention", f"added {_quote(match.group())}")
                issues.append(_Issue(problem, *match.span(), ""))
    return issues


def _language_issue(known: _Known, suggestion: str) -> _Issue | None:
    """Flag a suggestion confidently in another language than the draft's."""
    expected = known.language
    if expected == "und":
        return None  # too short, no letters, or a language not covered: nothing to compare
    guess = guess_language(_unplaced(suggestion))
    if guess.language in ("und", expected) or guess.confidence < _LANGUAGE_CONFIDENCE:
        return None
    detail = f"is in another language ('{guess.language}'; the draft is in '{expected}')"
    return _Issue(Problem("language", detail))


def _unplaced(text: str) -> str:
    """Return ``text`` without its placeholders ("[by when]" is no evidence of English)."""
    return _PLACEHOLDER.sub(" ", text) if "[" in text else text


# --------------------------------------------------------------------------------------------
# Repair and wording
# --------------------------------------------------------------------------------------------


def _repair(draft: str, suggestion: str, issues: Sequence[_Issue], max_chars: int | None) -> str:
    """Apply the issues' edits (an enclosing edit wins over one inside it), then cut to length."""
    edits = sorted(
        ((i.start, i.end, i.fix) for i in issues if i.fix is not None),
        key=lambda edit: (edit[0], -edit[1]),
    )
    text, pos, out = suggestion, 0, []
    for start, end, fix in edits:
        if start < pos:
            continue  # inside a sentence already removed
        if not fix:
            start, end = _widen(text, pos, start, end)
        out += [text[pos:start], fix]
        pos = end
    out.append(text[pos:])
    text = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()
    bound = default_max_chars(draft) if max_chars is None else max_chars
    return _cut(text, bound) if len(text) > bound else text


def _widen(text: str, floor: int, start: int, end: int) -> tuple[int, int]:
    """Widen a removal over the spaces around it, so no double space or empty line is left."""
    while end < len(text) and text[end] in " \t":
        end += 1
    if end == len(text) or text[end] in "\n,.;:!?)":
        while start > floor and text[start - 1] in " \t":
            start -= 1
    if end < len(text) and text[end] == "\n" and (start == 0 or text[start - 1] == "\n"):
        end += 1  # the whole line went
    return start, end


def _cut(text: str, bound: int) -> str:
    """Cut ``text`` at the last sentence end within ``bound`` (a word end if none)."""
    ends = [s.end for s in sentences(fold(text)) if s.end <= bound]
    if ends:
        return text[: ends[-1]]
    head = text[: bound - 1]
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head).rstrip() + "…"


def _quote(words: str, limit: int = 60) -> str:
    words = " ".join(words.split())
    return "'" + (words if len(words) <= limit else words[: limit - 1] + "…") + "'"


def _listing(items: list[str], limit: int = 3) -> str:
    """Join items as "a, b and c", naming at most ``limit`` of them."""
    items = list(dict.fromkeys(items))
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
