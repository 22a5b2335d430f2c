"""The rules-based rewrite: the draft, edited the way a careful colleague would.

Each rule says what to do with the words it flagged (``drop`` the sentence or clause,
``replace`` them, ``lower`` shouting, or ``keep``) and which sentence to ``add`` from
``_rewrite.toml``. The edit follows a few principles:

- **replace, don't bolt on**: the flagged sentence is removed or rephrased; a sentence that is
  its opposite is only added when it goes (a take-over replaces the deflection; when the
  deflection has to stay, the template's ``if_kept`` sentence is used instead);
- **the reply's shape is kept**: the greeting (with any leading @mentions) stays first, the
  sign-off and signature ("Kind regards, ...", "^KF", "-AC") stay last, and nothing is
  written after them; the greeting and sign-off are never edited;
- **only what the situation calls for is added**: a template's ``needs`` signals must hold
  (an apology only where the company is at fault, no acknowledgement after an earlier one, no
  alternative after the draft's own, no prevention line after a real one), else its
  ``fallback`` is tried; condolence only when someone died (``instead_of`` + ``when``);
- **facts stay**: a sentence that holds a fact of the draft (numbers, names, links, mentions)
  loses only the flagged clause, never the fact;
- **the text stays clean**: shouting is lowered to sentence case with months, weekdays and "I"
  capitalised, and cuts leave no dangling "and I'm." or ". :".

When the rules cannot write something better than the draft, :func:`rewrite` returns None and
the review shows the coaching points instead: more than :data:`MAX_PLACEHOLDERS` placeholders,
little of the draft left, a confident flagged sentence that could not be removed, or nothing
changed at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from nudgebot.engine.facts import fact_texts
from nudgebot.engine.letter import Shape, mentions_only, split
from nudgebot.engine.rules.checker import Context, Hit, Match, all_matches, check
from nudgebot.engine.rules.rulebook import Rule, Rulebook
from nudgebot.engine.rules.text import Sentence, sentence_at, sentence_index

__all__ = [
    "CUT_SLACK",
    "MAX_PLACEHOLDERS",
    "MIN_KEPT",
    "Shape",
    "fits_move",
    "needs",
    "rewrite",
    "split",
    "tidy",
]

MAX_PLACEHOLDERS = 2
"""A suggestion with more [placeholders] than this is not better than the draft."""
MIN_KEPT = 0.25
"""How much of the agent's reply (in words, edited) must be left, beside the added sentences."""
MIN_KEPT_WORDS = 4
"""And the fewest words of it that must be left (when the draft had more)."""
CUT_SLACK = 1
"""For a rule with ``cut = "flagged"``: the most content words (not "so", "that's", "and"...)
a drop may take beside the flagged ones."""

_ROUNDS = 4
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+-\s+|\s+(?=(?:and|but|so|because|as|which)\s)")
_THANKS_FIRST = re.compile(
    r"(?:(?:thank you|thanks|many thanks)(?: (?:so|very) much)?(?: for [^.!?\n]{1,60})?"
    r"|(?:alright|all right|ok|okay|got it|right|sure|understood|noted)(?: then)?)[.!]\s+",
    re.I,
)
"""A body that opens by thanking the customer, or with a word that takes their message in
("Alright.", "Got it."): what the rewrite adds goes after it."""
_OPEN_END = re.compile(r"(?:https?://\S+|www\.\S+|\d/\d)$")
"""A reply ending with a link or a "1/2" counter: no full stop is added after it."""
_INTENSIFIER = re.compile(r"\b(?:very|really|quite|pretty|fairly|so) $", re.I)
_SUBORDINATE = re.compile(
    r"(?:as|because|since|although|though|while|whereas|unless|which|if|when|so that|with|"
    r"given|due to|despite|after|before|like|according to)\b",
    re.I,
)
_NEXT_POINTS_BACK = re.compile(
    r"\b(?:buy|get|order|book|use|bring|need|have|find|request|take|print|show) one\b", re.I
)
"""A next sentence whose "one" stands for a noun of the sentence before ("buy one on board")."""
_APOLOGY_ONLY = re.compile(
    r"(?:apologies|sorry|so sorry|(?:i'm|i am|we're|we are) (?:so |very |really )?sorry|"
    r"(?:my|our) apologies)",
    re.I,
)
"""An apology that a cut after it leaves standing alone: the draft's only sorry is kept."""
_LEANS_BACK = re.compile(r"(?:otherwise|or else|in that case|if so|if not)\b", re.I)
"""Words that lean on the clause before them: "(calm down,) otherwise I can't help you"."""
_LEADING_CONJUNCTION = re.compile(r"(?:and|but|so|or|then|because)\s+", re.I)
_DANGLING = re.compile(  # what a cut can leave before a stop: "... and I'm." / "... but."
    r",?\s+(?:(?:and|but|so|or|because)(?:\s+(?:I'm|I am|we're|we are))?|I'm|I am|we're|we are)"
    r"(?=[.!?](?:\s|$))"
)
_WORDS = re.compile(r"[^\W_]+")
_FUNCTION_WORDS = frozenset(
    "a an and as but so or then that that's this it it's is are was be just really which who "
    "the our we i i'm you your to of in on for with".split()
)
_CONNECTIVES = frozenset("but however though although yet so and just actually really".split())
"""Words whose removal alone changes how a reply reads a little, not what it says."""
_SHOUTED = re.compile(r"\b[A-Z]{3,}\b[^.!?\n]*\b[A-Z]{3,}\b")
"""Shouting (two words in capitals): lowering it is a real change, not a cosmetic one."""
_SHORT_REPLIES = frozenset(("thanks", "thank you", "sorry", "done", "ok", "okay", "yes", "no"))
_OWN_STEP = re.compile(r"\b(?:I|we)(?:'ve| have)\b", re.I)
"""What the agent says they have done: information a cut must not take."""
_AGENT_STEP = re.compile(r"\b(?:I|we)(?:'ve|'m|'ll|'re| have| am| will| are)\b", re.I)
"""What the agent says they do, have done or will do."""
_ADVERB = re.compile(r"[A-Za-z]{3,}ly")
"""A flagged word that is a sentence adverb ("obviously", "hopefully"): it goes on its own."""
_TONE_ADVERB = re.compile(
    r"(clearly|obviously|plainly|simply)\s+[a-z]+(?:ed|en|wn|ld|elled|eled)$", re.I
)
"""A flagged "clearly stated": the adverb talks down, the participle holds the clause."""
_FORMULA = re.compile(
    r"(?:(?:i|we) (?:totally |completely |do |fully |can |really )?"
    r"(?:understand|appreciate|hear you|get it|know|see)|"
    r"(?:i'm|i am|we're|we are) (?:so |very |really |truly )?sorry|sorry|"
    r"(?:many )?thanks|thank you|apologies|(?:i|we) apologi[sz]e)\b",
    re.I,
)
"""What a sentence that only acknowledges, thanks or apologises starts with."""
_FORMULA_WORDS = 10
"""The most words such a sentence has ("Thank you for your patience while we look into this")."""
_GOVERNING = re.compile(
    r"(?:please\s+)?(?:make sure|ensure|check|confirm|remember|note|double-check)\b", re.I
)
"""An opening that governs the clauses joined to it ("make sure X and Y"): no clause of it goes."""
_CONSEQUENCE = re.compile(r"(?:so|therefore|which means)\s+", re.I)
"""What follows a cause and depends on it ("..., so try to be more careful next time")."""
_BACK_REFERENCE = re.compile(r"\b(?:it|them|they|those|these|that one)\b(?!'s|\s+is\b)", re.I)
"""A pronoun that may point back to words a cut before it took away ("I can't skip it")."""
_PLURAL_PRONOUNS = frozenset(("them", "they", "those", "these"))
_NOUN_PHRASE = re.compile(r"\b(?:the|a|an|your|our|this|my|his|her|their)\s+[a-z][\w-]*", re.I)
"""A noun with its determiner: a pronoun after it may point at it rather than at a cut."""
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|should|going to|expect(?:ed)?|due|aim to|hope to)\b|'ll\b", re.I
)
"""A sentence about what will happen: the only kind in which a [by when] makes sense."""
_NAME_ONLY = re.compile(r"(?:[A-Z][\w'-]*\.?)(?:\s+[A-Z][\w'-]*\.?){0,2}")
"""A sentence that is only a name or a signature ("Aimee.", "Sam Lee")."""
_CALENDAR = re.compile(
    r"\b(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|i|i'm|i've|i'll|i'd)\b"
)
_OWN = re.compile(
    r"(?:(?<=^)|(?<=[,;:.!?]\s)|(?<=\s-\s))(?:(?P<link>so|and|but|then),?\s+)?"
    r"(?:(?:you(?:'ll|'d| will| would)? (?:need|have) to|you(?:'d| would)? (?:be best to|want to)|"
    r"please|kindly|you can|you could|you may|you should|just|best to|it's best to|"
    r"(?:i|we)(?:'d| would) (?:suggest|recommend) (?:you|that you))\s+)?"
    r"(?P<verb>contact|call|ring|phone|e-?mail|message|speak to|speak with|talk to|write to|"
    r"get in touch with|reach out to|ask|chase|raise|file|log|check with)\s+"
    r"(?P<rest>[^.!?\n]*?)\s*(?P<end>[.!?]?)$",
    re.I,
)
_WHEN_AT_END = re.compile(
    r"(?:\s+\S*[^\w\s]\S*)?\s+(?:by \[by when\]|by \S+|today|tomorrow|tonight|now|"
    r"this (?:morning|afternoon|evening|week)|within [^,]+|in the next [^,]+)$"
)
_NAMED_PARTY = re.compile(
    r"(?:the|your|their|our) [\w-]+(?: (?:team|department|desk|office|support|centre|center|"
    r"provider|company|manager|admin|agent))?(?![\w-])",
    re.I,
)
_DETERMINERS = ("the", "your", "their", "our", "his", "her")
_PARTY_TAIL = re.compile(r"\s+(?:and|or|but|so|to|for|with|on|at|in)$", re.I)

_CUT_ENDS = ("", ".", "!", "?")
_EDITING = ("drop", "replace", "lower")


@dataclass(frozen=True)
class _Layout:
    """What a rewrite round needs to know about the text: sentences and protected spans."""

    sentences: list[Sentence]
    protected: list[tuple[int, int]]


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    rule: str = ""
    """The rule of a cut that waits for its ``add`` sentence (``cut_needs_add``), else ""."""


_LINK_FIRST = re.compile(r"\s*<?(?:https?://|www\.)")
"""What is left of a sentence starts with a link: the link belonged to the words cut."""


def rewrite(
    context: Context,
    hits: list[Hit],
    facts: Sequence[str] | None = None,
    *,
    additions_only: bool = False,
    confident: Collection[str] | None = None,
    must_fix: str | None = None,
) -> str | None:
    """Return a suggested reply that fixes ``hits``, or None when it can't beat the draft.

    ``context`` is the checked draft and ``hits`` the findings to act on (the caller leaves out
    those too unsure to edit on); ``facts`` are the draft's fact texts when the caller already
    has them. ``additions_only`` leaves the draft's own words as they are and only adds
    sentences (the fallback that cannot lose a fact). ``confident`` names the rules sure enough
    to ask the agent to fill in a [placeholder] (None: all of them); the others may still edit
    and add sentences that are complete. ``must_fix`` names the rule of the review's main
    point: when the result neither loses its words nor answers it with a sentence, the draft's
    real problem is untouched and there is no suggestion. With no hits the draft comes back as
    it is.
    """
    draft, first = context.text, context
    if not hits:
        return draft
    facts = fact_texts(draft) if facts is None else facts
    wanted = {hit.rule.id for hit in hits}
    original = split(draft)
    text = draft
    added: list[str] = []
    stubborn: set[str] = set()
    owned: set[str] = set()
    written: list[str] = []
    served: set[str] = set()
    cut_for_add: set[str] = set()
    left = {hit.rule.id for hit in hits}
    main = first.rulebook.rule(must_fix) if must_fix is not None else None
    if main is not None and not _acts(main, first):
        return None  # only the agent can fix the main point (an alternative, a reason)
    bare = any(h.rule.needs_agent for h in hits)  # sure enough to edit around it
    if bare and (main is None or main.dimension != "respect"):
        # a bare "no" stays bare whatever else is trimmed ("Check-in is from 3pm."): coaching
        # points say more; taking out blame or shouting around it is still worth showing
        return None
    for _ in range(_ROUNDS):
        hits = [hit for hit in hits if _acts(hit.rule, context)]
        if not hits:
            break
        before = text
        shape = split(text)
        body_start = len(text) - len(text.lstrip()) + _greeting_end(text, shape)
        body_end = body_start + len(text[body_start:]) - _tail_length(text, shape)
        kept = [*_spans_of(facts, text), (0, body_start), (body_end, len(text) + 1)]
        layout = _Layout(context.sentences, kept)
        edits = [] if additions_only else _edits(context, hits, text, layout, owned)
        edited = _apply_edits(text, edits, facts)
        cut_for_add |= {edit.rule for edit in edits if edit.rule}
        remaining = context.derive(edited)
        left = {h.rule.id for h in check(remaining, hints=False)}
        stubborn |= {
            hit.rule.id
            for hit in hits
            if hit.rule.id in left and _edits_words(hit.rule, context) and hit.rule.id not in owned
        }
        asking = [h for h in hits if confident is None or h.rule.id in confident]
        new = _templates_for(context, remaining, hits, added, stubborn, owned, asking, served)
        text = _compose(context.rulebook, edited, new, facts)
        added.extend(name for name, _ in new)
        written.extend(sentence for _, sentence in new)
        if text == before:  # nothing more this round can do
            break
        context = context.derive(text)
        found = check(context, hints=False)
        left = {hit.rule.id for hit in found}
        hits = [hit for hit in found if hit.rule.id in wanted]
    kept_here = main is not None and _kept(main, first, set())  # right as it is in this move
    if must_fix in left and must_fix not in served | owned and not kept_here:
        return None  # the main point is still there, unanswered: coaching points say more
    if cut_for_add - served:
        return None  # a cut whose sentence didn't take its place: the reply only got colder
    if text != draft:
        text = _end_as_drafted(_sentence_starts(text, facts), original)
    return _worth_showing(draft, original, text, stubborn, additions_only, facts, written)


def _end_as_drafted(text: str, original: Shape) -> str:
    """End the body with a stop when a cut took the draft's own end.

    "... Share, pretty hard to miss 🙂" cut to "... Share" gets its full stop; a draft that itself
    ended on a word ("... our ground handling 1/2") is left as the agent ended it.
    """
    body = split(text).body
    if not body or not original.body or original.body[-1].isalnum():
        return text
    ended = _stop(body)
    at = text.rfind(body)
    return text if ended == body or at < 0 else text[:at] + ended + text[at + len(body) :]


def _edits(
    context: Context, hits: list[Hit], text: str, layout: _Layout, owned: set[str]
) -> list[_Edit]:
    """Return this round's edits: take-overs first, then cuts and rewordings around them.

    ``layout.protected`` ends with the greeting's and the sign-off's spans; ``owned`` gathers
    the rules whose flagged sentence became the agent's own step.
    """
    body_start, body_end = layout.protected[-2][1], layout.protected[-1][0]
    seen: dict[str, list[Match]] = {}

    def places(hit: Hit) -> list[Match]:
        """Where the hit's rule fires in the body; worked out once per rule (asked thrice)."""
        known = seen.get(hit.rule.id)
        if known is None:
            found = list(all_matches(hit.rule, context)) or [hit.match]
            known = [m for m in found if m.start >= body_start and m.end <= body_end]
            seen[hit.rule.id] = known
        return known

    rewordings = [  # made inside a take-over's clause before it is rephrased
        edit
        for hit in hits
        if hit.rule.kind == "substitution" or hit.rule.rewrite == "replace"
        for match in places(hit)
        if (edit := _edit_for(hit, match, text, layout, context)) is not None
    ]
    owning: list[_Edit] = []
    for hit in hits:
        if _owning(context.rulebook, hit.rule) and _edits_words(hit.rule, context):
            for match in places(hit):
                edit = _own_edit(match, text, layout, rewordings)
                if edit is not None:
                    owned.add(hit.rule.id)
                    owning.append(edit)
    spans = [(e.start, e.end) for e in owning]
    taken = _Layout(layout.sentences, [*layout.protected, *spans])

    def overlaps(start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in spans)

    edits = list(owning)
    for hit in hits:
        for match in places(hit):
            if overlaps(match.start, max(match.end, match.start + 1)):
                continue  # the take-over already rewrote these words
            edit = _edit_for(hit, match, text, taken, context)
            if edit is None and _disclaims(hit.rule, match, text, layout, context):
                edit = _edit_for(hit, match, text, taken, context, anyway=True)
            if edit is not None and hit.rule.rewrite == "drop" and _instructs(edit, context):
                continue  # what the customer can do is information: only a take-over replaces it
            if edit is not None and not overlaps(edit.start, edit.end):
                edits.append(edit)
    return edits


def _instructs(edit: _Edit, context: Context) -> bool:
    """Return whether a cut would remove an instruction to the customer ("you could contact ...").

    Cutting "you could report it to the police or claim on your travel insurance" leaves the
    customer with less than the draft gave them; when the rewrite cannot take the step on
    itself, the coaching points say what to do instead.
    """
    if edit.text not in _CUT_ENDS:
        return False
    return context.signal_in("draft_sends_customer", edit.start, edit.end)


def _disclaims(rule: Rule, match: Match, text: str, layout: _Layout, context: Context) -> bool:
    """Return whether flagged words kept in this move only disclaim ("it's really on them").

    In a move where the rule's words are kept as information (``rewrite_moves``), an
    instruction the customer needs ("you'll need to ask your admin") stays; a clause that only
    says whose problem it is carries no information and goes.
    """
    if rule.rewrite != "drop" or not rule.rewrite_moves or _edits_words(rule, context):
        return False
    if text != context.text:
        return False
    sentence = sentence_at(layout.sentences, match.start)
    start, end = sentence.start, sentence.end
    for brk in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end):
        if brk.end() <= match.start:
            start = brk.start()
        elif brk.start() >= match.end:
            end = brk.start()
            break
    disclaims = context.signal_in("draft_disclaims", start, end)
    return disclaims and _own_edit(match, text, layout) is None


def _acts(rule: Rule, context: Context) -> bool:
    """Return whether the rule asks the rewrite to do something in this reply.

    A cut kept as information outside its moves (``rewrite_moves``) may still act: a clause
    of it that only disclaims goes (see :func:`_disclaims`).
    """
    if rule.add is not None or _edits_words(rule, context) or rule.kind == "substitution":
        return True
    return rule.rewrite == "drop" and bool(rule.rewrite_moves)


def _edits_words(rule: Rule, context: Context) -> bool:
    """Return whether the rule changes the draft's own words here (``rewrite_moves``)."""
    if rule.rewrite not in _EDITING and rule.kind != "substitution":
        return False
    return not rule.rewrite_moves or context.move in rule.rewrite_moves


def _worth_showing(
    draft: str,
    original: Shape,
    text: str,
    stubborn: set[str],
    additions_only: bool,
    facts: Sequence[str] = (),
    written: Sequence[str] = (),
) -> str | None:
    """Return ``text`` when it is a better reply than ``draft``, else None."""
    if text.strip() == draft.strip():
        return None  # nothing changed ("ATL-RIC" reads as shouting, but nothing was lowered)
    if _content_of(text) == _content_of(draft) and not _SHOUTED.search(draft):
        return None  # only case, punctuation or a "but" changed: no better than the draft
    if len(_PLACEHOLDER.findall(text)) > MAX_PLACEHOLDERS:
        return None
    if stubborn and not additions_only:  # the flagged words stayed: coaching points say more
        return None
    body = split(text).body
    for sentence in written:  # what is left of the agent's own words
        body = body.replace(sentence, " ")
    own = len(_WORDS.findall(original.body))
    kept = len(_WORDS.findall(_PLACEHOLDER.sub(" ", body)))  # the reply's own, edited
    if own and (kept / own < MIN_KEPT or kept < min(MIN_KEPT_WORDS, own // 2)):
        return None
    if _orphaned_fact(original.body, body, facts) or _stranded_name(original.body, body):
        return None
    if _only_formulas(body) and not _only_formulas(original.body):
        return None  # "I understand your frustration." with the answer cut: no reply at all
    return text


def _only_formulas(text: str) -> bool:
    """Return whether every sentence of ``text`` is a formula (thanks, sorry, "I understand").

    A reply made only of them answers nothing: the draft's information has been cut away.
    """
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if _WORDS.search(s)]
    return all(
        _FORMULA.match(sentence)
        and not _CLAUSE_BREAK.search(sentence)  # "I understand, but the fee stands" says more
        and len(_WORDS.findall(sentence)) <= _FORMULA_WORDS
        for sentence in sentences
    )


def _words_of(text: str) -> list[str]:
    """Return the words of ``text`` lower-cased (casing and punctuation set aside)."""
    return [word.lower() for word in _WORDS.findall(text)]


def _content_of(text: str) -> list[str]:
    """Return the words of ``text`` that carry meaning: "..., but I can only" is "I can only"."""
    return [word for word in _words_of(text) if word not in _CONNECTIVES]


def _stranded_name(draft: str, text: str) -> bool:
    """Return whether a cut left a name alone as a sentence ("Aimee." without its sentence)."""
    return bool(_name_sentences(text) - _name_sentences(draft))


def _name_sentences(text: str) -> set[str]:
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        bare = sentence.strip(" .!?,;:-—")
        if bare and _NAME_ONLY.fullmatch(bare) and bare.lower() not in _SHORT_REPLIES:
            found.add(bare)
    return found


def _orphaned_fact(draft: str, text: str, facts: Sequence[str]) -> bool:
    """Return whether ``text`` has a sentence that is only a fact, cut off from its words.

    A link or a signature that stood alone in the draft may stand alone in the rewrite.
    """
    return bool(_fact_only(text, facts) - _fact_only(draft, facts))


def _fact_only(text: str, facts: Sequence[str]) -> set[str]:
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        rest = sentence
        for fact in facts:
            rest = rest.replace(fact, " ")
        if rest != sentence and not _WORDS.search(rest):
            found.add(sentence.strip(" .!?:"))
    return found


def _greeting_end(text: str, shape: Shape) -> int:
    stripped = text.lstrip()
    if shape.greeting and stripped.startswith(shape.greeting):
        return len(shape.greeting)
    return 0


def _tail_length(text: str, shape: Shape) -> int:
    stripped = text.rstrip()
    if shape.sign_off and stripped.endswith(shape.sign_off):
        return len(shape.sign_off) + len(text) - len(stripped)
    return 0


def _edit_for(
    hit: Hit, match: Match, text: str, layout: _Layout, context: Context, *, anyway: bool = False
) -> _Edit | None:
    rule = hit.rule
    if match.end <= match.start or not (anyway or _edits_words(rule, context)):
        return None
    action = rule.rewrite
    if action == "replace" or rule.kind == "substitution":
        if (
            text[match.end : match.end + 1].isalpha()
            or text[match.start - 1 : match.start].isalpha()
        ):
            return None  # never part of a word ("soon" in "sooner")
        start = match.start
        intensifier = _INTENSIFIER.search(text, 0, start)
        if intensifier and rule.kind == "substitution":  # "very soon" goes as a whole
            start = intensifier.start()
        replacement = rule.swaps[match.index] if rule.kind == "substitution" else rule.replacement
        if _PLACEHOLDER.search(replacement or "") and (
            not _speaks_of_future(text, match, layout) or context.signal("draft_disclaims_time")
        ):
            # "needing help by [by when]": a time only fits what will happen, and never after
            # "we can't guarantee delivery dates"
            return None
        for name, value in match.groups.items():  # "{verb}" keeps the draft's own word
            replacement = (replacement or "").replace("{" + name + "}", value)
        starts = _at_sentence_start(text, start)
        end: int | None = match.end
        if action == "replace" and rule.kind != "substitution":
            end = _clause_end(text, match, layout)
        if end is None:
            return None  # "... inconvenience on 3 May": the fact would go with the clause
        waits = rule.cut_needs_add and not replacement
        return _Edit(start, end, _match_case(replacement or "", starts), rule.id if waits else "")
    if action == "lower":  # the whole shouted sentence, so no word is left in capitals
        sentence = sentence_at(layout.sentences, match.start)
        start, end = min(sentence.start, match.start), max(sentence.end, match.end)
        return _Edit(start, end, _calm(text, start, end, layout))
    if action == "drop":
        word = _adverb_cut(text, match, layout)
        if word is not None:
            return word
        span = _drop_span(text, match.start, match.end, layout)
        if span is not None and _orphans_next(text, span, layout):
            return None
        if span is None or (rule.cut == "flagged" and _takes_more(text, span, match)):
            return None
        if _takes_own_step(text, span):
            return None  # what the agent did or will do is information: it stays
        start, end = span
        ending = text[start:end].rstrip()[-1:] if end > start else ""
        if start > 0 and text[start - 1] not in "\n" and ending in (".", "!", "?"):
            before = text[:start].rstrip()
            if before and before[-1] not in ".!?\n":  # a clause cut from the end keeps the stop
                return _Edit(start, end, ending)
        return _Edit(start, end, "")
    return None


def _clause_end(text: str, match: Match, layout: _Layout) -> int | None:
    """Return where a replaced formula's clause ends, or None when a fact stands in the rest.

    "We apologise for any inconvenience you experienced on your flight" replaced by "I'm sorry
    about this" takes "you experienced on your flight" with it: the words after a formula
    belong to it until the next clause break or the end of the sentence.
    """
    sentence = sentence_at(layout.sentences, match.start)
    if not re.match(r"\s+[^\W\d_]", text[match.end : sentence.end]):
        return match.end  # a stop, a comma or a dash: the formula is the clause
    if _LEADING_CONJUNCTION.match(text[match.end :].lstrip()):
        return match.end  # "..., and I'll ..." is the agent's own next clause
    brk = _CLAUSE_BREAK.search(text, match.end, sentence.end)
    end = brk.start() if brk else len(text[: sentence.end].rstrip(" .!?\n"))
    if any(a < end and match.end < b for a, b in layout.protected):
        return None
    return end


def _adverb_cut(text: str, match: Match, layout: _Layout) -> _Edit | None:
    """Return the edit that takes a flagged sentence adverb alone, or None when it isn't one.

    "It's obviously on the checkout page" loses "obviously", not the clause that says where;
    "should be sorted soon hopefully!" keeps what it says will happen. An adverb in "-ly" is
    never what holds a sentence together, so the words around it stand without it.
    """
    found = text[match.start : match.end]
    lead = _TONE_ADVERB.match(found)
    if lead is not None:  # "checkout is clearly stated as 11am": "clearly" is the jab
        match = Match(match.start, match.start + lead.end(1), match.index, match.groups)
    elif not _ADVERB.fullmatch(found):
        return None
    sentence = sentence_at(layout.sentences, match.start)
    if len(_WORDS.findall(text[sentence.start : sentence.end])) < 3:
        return None  # "Obviously." is all there is: the clause's cut decides
    start, end = match.start, match.end
    comma = re.match(r",\s*", text[end:])
    if start == sentence.start or text[start - 1 : start] in "\n":
        end += comma.end() if comma else len(text[end:]) - len(text[end:].lstrip(" "))
    elif text[:start].endswith(", ") and comma:  # "It is, obviously, here": both commas go
        start, end = start - 2, end + comma.end() - 1
    else:
        start -= len(text[:start]) - len(text[:start].rstrip(" "))
    return _Edit(start, end, "")


def _speaks_of_future(text: str, match: Match, layout: _Layout) -> bool:
    """Return whether the sentence around ``match`` says what will happen (a time fits it).

    "It should come through soon" may become "by [by when]"; "Most bags are reunited within a
    few days" (how things usually go) and "needing help soon" may not.
    """
    sentence = sentence_at(layout.sentences, match.start)
    return _FUTURE.search(text, sentence.start, max(sentence.end, match.end)) is not None


def _owning(rulebook: Rulebook, rule: Rule) -> bool:
    """Return whether the rule's sentence may become the agent's own step (``if_owned``)."""
    return rule.add is not None and "if_owned" in rulebook.templates[rule.add]


def _own_edit(
    match: Match, text: str, layout: _Layout, inner: Sequence[_Edit] = ()
) -> _Edit | None:
    """Rephrase "You'll need to contact the courier about X" as "I'll contact ... for you".

    The clause that sends the customer elsewhere becomes the agent's own step, keeping every
    word after the verb (the party, the order number, the phone number), with the rewordings
    in ``inner`` that fall inside it ("soon" -> "by [by when]"). None when the clause is not
    such an instruction.
    """
    at = (
        match.start
        + len(text[match.start : match.end])
        - len(text[match.start : match.end].lstrip(" ,;:.!?-"))
    )  # ", contact the courier" starts at "contact"
    sentence = sentence_at(layout.sentences, at)
    start, end = sentence.start, sentence.end
    for brk in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end):
        if brk.end() <= at:
            start = brk.end()
        elif brk.start() >= match.end:
            end = brk.start()
            break
    clause = text[start:end]
    for edit in sorted(inner, key=lambda e: e.start, reverse=True):
        if start <= edit.start and edit.end <= end:
            at_start, at_end = edit.start - start, edit.end - start
            clause = clause[:at_start] + edit.text + clause[at_end:]
    found = _OWN.match(clause.rstrip())
    if found is not None and found.end() != len(clause.rstrip()):
        found = None
    if found is None or not found.group("rest"):
        return None
    rest = found.group("rest")
    verb = found.group("verb").lower()
    if not re.search(r"\b(?:for you|myself|on your behalf)\b", rest, re.I):
        when = _WHEN_AT_END.search(rest)  # "... the courier for you by [by when]"
        rest = f"{rest[: when.start()]} for you{when.group(0)}" if when else f"{rest} for you"
    stop = found.group("end") or ("." if end == sentence.end else "")
    trailing = clause[len(clause.rstrip()) :]
    link = f"{found.group('link')} " if found.group("link") else ""
    return _Edit(start, end, f"{link}I'll {verb} {rest}{stop}{trailing}")


def _at_sentence_start(text: str, at: int) -> bool:
    return text[:at].rstrip()[-1:] in ("", ".", "!", "?", "\n")


def _spans_of(facts: Sequence[str], text: str) -> list[tuple[int, int]]:
    """Where the facts stand in ``text`` (every occurrence)."""
    spans = []
    for fact in facts:
        at = text.find(fact)
        while at != -1:
            spans.append((at, at + len(fact)))
            at = text.find(fact, at + 1)
    return spans


def _match_case(replacement: str, sentence_start: bool) -> str:
    if sentence_start and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    if not sentence_start and replacement[:1].isupper() and replacement[1:2].islower():
        return replacement[:1].lower() + replacement[1:]
    return replacement


def _calm(text: str, start: int, end: int, layout: _Layout) -> str:
    """Sentence-case shouted words (not facts) and quiet runs of ! and ?."""

    def lowered(m: re.Match[str]) -> str:
        at = start + m.start()
        word = m.group(0).lower()
        if _CALENDAR.fullmatch(word):  # "ON 3 MARCH" -> "on 3 March": the same date
            return word.capitalize() if word[0] != "i" else "I" + word[1:]
        if any(a <= at < b for a, b in layout.protected):
            return m.group(0)
        return word

    span = re.sub(r"[!?]{2,}", lambda m: m.group(0)[0], text[start:end])
    if sum(1 for w in re.findall(r"[A-Za-z]{2,}", span) if w.isupper()) >= 2:
        span = re.sub(r"\b[A-Z]{2,}(?:'[A-Z]+)?\b", lowered, span)
    span = re.sub(r"\bi(?='|\b)", "I", span)
    starts_a_fact = any(a <= start < b for a, b in layout.protected)
    if _at_sentence_start(text, start) and span[:1].islower() and not starts_a_fact:
        span = span[:1].upper() + span[1:]
    return span


def _drop_span(text: str, start: int, end: int, layout: _Layout) -> tuple[int, int] | None:
    """Return the span to cut for a flagged match, or None when that would lose a fact.

    The span is the match's clause, or its whole sentence when little else would be left.
    """
    sentence = sentence_at(layout.sentences, start)
    protected = layout.protected

    def holds_fact(a: int, b: int) -> bool:
        return any(p_start < b and a < p_end for p_start, p_end in protected)

    clause_start, clause_end = sentence.start, sentence.end
    for brk in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end):
        if brk.end() <= start:
            clause_start = brk.start()
        elif brk.start() >= end:
            clause_end = brk.start()
            break
    if clause_start == sentence.start and clause_end < sentence.end:
        opening = text[sentence.start : clause_end]
        comma = text.find(", ", end, sentence.end)
        if _SUBORDINATE.match(opening) and comma > clause_end:
            # "As stated at our stations and on our website, passengers must ...": the opening
            # clause runs to its comma, whatever "and" it holds
            clause_end = comma
        elif _GOVERNING.match(opening) and text[clause_end:].lstrip()[:1].islower():
            # "Please make sure the code is typed correctly and your basket meets ...": what
            # follows is governed by the words the cut would take
            return None
    if clause_start == sentence.start:
        clause_end = _include_break(text, clause_end, sentence.end)
        if _CONSEQUENCE.match(text, clause_end, sentence.end) and clause_end < sentence.end:
            # the rest is drawn from the cut cause: it goes with it, or, when it is the
            # agent's own step ("..., so I'm transferring you now"), the reason stays too
            if _AGENT_STEP.search(text, clause_end, sentence.end):
                return None
            if holds_fact(sentence.start, sentence.end):
                return None
            return sentence.start, sentence.end
        conjunction = _LEADING_CONJUNCTION.match(text, clause_end, sentence.end)
        if conjunction:
            clause_end = conjunction.end()
    rest = text[sentence.start : clause_start] + text[clause_end : sentence.end]
    # "As the flight was ..." alone dangles; "As I explained, the price rise is ..." (its
    # subordinate opening followed by a main clause) does not
    dangling = (
        _SUBORDINATE.match(rest.strip()) is not None
        and not re.search(r",\s+(?:[^\W\d_]+\s+){2}", rest)
    ) or _LEANS_BACK.match(rest.strip()) is not None
    if len(_WORDS.findall(rest)) < 4 or dangling:
        if clause_start > sentence.start and _APOLOGY_ONLY.fullmatch(rest.strip(" ,.!;:-–")):
            return clause_start, clause_end  # "Apologies, these things happen." keeps "Apologies."
        if holds_fact(sentence.start, sentence.end):
            return None  # only the fact would be left, out of its sentence
        if _NEXT_POINTS_BACK.search(_next_sentence(text, sentence, layout)):
            return None  # "... buy a ticket. If the machine is broken, buy one on board."
        return sentence.start, sentence.end
    if not holds_fact(clause_start, clause_end) and not _orphans(
        text, (clause_start, clause_end), sentence
    ):
        return clause_start, clause_end
    return None


def _takes_more(text: str, span: tuple[int, int], match: Match) -> bool:
    """Return whether a cut takes more than :data:`CUT_SLACK` content words beside the flagged.

    "Prices go up every April, that's just how it works" may lose ", that's just how it works";
    "Local admin isn't something we hand out" may not lose "Local admin" with its flagged words.
    """
    around = text[span[0] : match.start] + " " + text[match.end : span[1]]
    words = re.findall(r"[^\W_]+(?:'[a-z]+)?", around.lower())
    return sum(1 for word in words if word not in _FUNCTION_WORDS) > CUT_SLACK


def _takes_own_step(text: str, span: tuple[int, int]) -> bool:
    """Return whether a cut takes a step the agent reports ("who I've forwarded it to")."""
    return _OWN_STEP.search(text, span[0], span[1]) is not None


def _orphans(text: str, cut: tuple[int, int], sentence: Sentence) -> bool:
    """Return whether cutting ``cut`` leaves a pronoun after it that pointed into it.

    "Declines are set by our fraud rules and I can't override them": cut the first clause
    and "them" points at nothing.
    """
    start, end = cut
    if start == sentence.start and end >= sentence.end:
        return False  # the whole sentence goes
    after = text[end : sentence.end]
    if end < sentence.end and _LINK_FIRST.match(after):
        return True  # "Keep an eye on your tracking: <link> for updates" loses what the link is
    pronoun = _BACK_REFERENCE.search(after) if end < sentence.end else None
    if pronoun is None:
        return False
    return _unanchored(after, pronoun)


def _unanchored(text: str, pronoun: re.Match[str]) -> bool:
    """Return whether ``pronoun`` has no noun before it in ``text`` to stand for.

    "As I explained, the second charge is a hold and it will drop off": "it" has its noun in
    the words left, before it; "them" needs a plural one ("passed your message on to them"
    after "handled by our refunds team" was cut points at nothing).
    """
    plural = pronoun.group(0).lower() in _PLURAL_PRONOUNS
    return not any(
        not plural or _plural(noun.group(0))
        for noun in _NOUN_PHRASE.finditer(text, 0, pronoun.start())
    )


def _orphans_next(text: str, span: tuple[int, int], layout: _Layout) -> bool:
    """Return whether cutting a whole sentence leaves the next one's "they" pointing at nothing.

    "The hotel is a separate company, so ... between you and them. You may wish to contact
    them directly." and "They're the ones who send an engineer. Until they arrive, ...": with
    the first sentence gone, "them" and "they" have nothing to stand for.
    """
    sentence = sentence_at(layout.sentences, span[0])
    if span[0] > sentence.start or span[1] < sentence.end:
        return False  # a clause: :func:`_orphans` checks what is left of the sentence
    following = _next_sentence(text, sentence, layout)
    pronoun = _BACK_REFERENCE.search(following)
    if pronoun is None or pronoun.group(0).lower() not in _PLURAL_PRONOUNS:
        return False  # "it" starts many a sentence on its own ("It should arrive Friday.")
    return _unanchored(following, pronoun)


def _plural(noun_phrase: str) -> bool:
    """Return whether a noun phrase ("the engineers", "your details") may be plural."""
    word = noun_phrase.split()[-1].lower()
    return (word.endswith("s") and not word.endswith("ss")) or word in ("people", "staff", "team")


def _next_sentence(text: str, sentence: Sentence, layout: _Layout) -> str:
    """Return the text of the sentence after ``sentence`` ("" when it is the last)."""
    after = sentence_index(layout.sentences, sentence.start) + 1
    if after >= len(layout.sentences):
        return ""
    following = layout.sentences[after]
    return text[following.start : following.end]


def _include_break(text: str, at: int, limit: int) -> int:
    brk = _CLAUSE_BREAK.match(text, at, limit)
    return brk.end() if brk else at


def _apply_edits(text: str, edits: list[_Edit], facts: Sequence[str] = ()) -> str:
    taken_until = len(text) + 1
    for edit in sorted(_merge_cuts(edits), key=lambda e: (e.start, -e.end), reverse=True):
        if edit.end > taken_until:
            continue
        stop = edit.text
        if stop in _CUT_ENDS and text[: edit.start].rstrip()[-1:] in (".", "!", "?"):
            stop = ""  # two cuts joined into the whole sentence: the stop before stands
        head, tail = text[: edit.start] + stop, text[edit.end :]
        ends_sentence = stop in _CUT_ENDS or stop.rstrip().endswith((".", "!", "?"))
        if ends_sentence and head.rstrip()[-1:] in ("", ".", "!", "?", "\n"):
            if stop in _CUT_ENDS:  # "... process, and I can't skip it" loses its "and"
                space = len(tail) - len(tail.lstrip())
                conjunction = _LEADING_CONJUNCTION.match(tail, space)
                if conjunction:
                    tail = tail[:space] + tail[conjunction.end() :]
            tail = _capitalise_first(tail, facts)
        text = head + tail
        taken_until = edit.start
    return tidy(text)


def _merge_cuts(edits: list[_Edit]) -> list[_Edit]:
    """Join cuts that overlap (two flagged clauses of one sentence) into one cut."""
    cuts = sorted((e for e in edits if e.text in _CUT_ENDS), key=lambda e: e.start)
    merged: list[_Edit] = []
    for cut in cuts:
        if merged and cut.start <= merged[-1].end:
            last = merged[-1]
            end = max(last.end, cut.end)
            merged[-1] = _Edit(last.start, end, cut.text if cut.end >= last.end else last.text)
        else:
            merged.append(cut)
    inside = [  # a cut takes the words it covers with it: no rewording of them first
        e
        for e in edits
        if e.text not in _CUT_ENDS
        and not any(c.start <= e.start and e.end <= c.end for c in merged)
    ]
    return merged + inside


def _sentence_starts(text: str, facts: Sequence[str] = ()) -> str:
    """Capitalise every sentence of an edited body, and a lone "i" (the greeting stays).

    An edit writes sentences that start with a capital; the draft's own lower-case sentences
    beside them ("Infra are on it. could be an hour") would read as a slip. Words with a
    capital inside ("iPhone"), links and facts stay as written.
    """
    shape = split(text)
    if not shape.body:
        return text

    def capital(m: re.Match[str]) -> str:
        word = m.group(2)
        rest = text_body[m.start(2) :]
        if any(ch.isupper() for ch in word) or any(rest.startswith(f) for f in facts):
            return m.group(0)
        return m.group(1) + word[0].upper() + word[1:]

    text_body = shape.body
    # "Hi Sam, the ..." stays; after @-mentions alone the body starts a sentence.
    opens = not shape.greeting or shape.own_line or mentions_only(shape.greeting)
    first = r"^|" if opens else ""
    body = re.sub(rf"({first}[.!?]\s+)([a-z][\w'’-]*)", capital, text_body)
    body = re.sub(r"\bi(?=\s|'[a-z]{1,2}\b)", "I", body)
    at = text.find(text_body)
    return text if at < 0 else text[:at] + body + text[at + len(text_body) :]


def _capitalise_first(text: str, facts: Sequence[str] = ()) -> str:
    """Capitalise the first letter, unless it starts a fact ("order 55120" stays as it is)."""
    stripped = text.lstrip()
    if stripped[:1].islower() and not any(stripped.startswith(fact) for fact in facts):
        at = len(text) - len(stripped)
        return text[:at] + stripped[0].upper() + stripped[1:]
    return text


def tidy(text: str) -> str:
    """Mend what cutting and joining leave behind: stray spaces and stops, dangling words."""
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*([.!?])(?=\s|$)", r"\2", text)
    text = re.sub(r"([.!?])[ \t]*[:;,]+(?=\s)", r"\1", text)  # "... this.: claims@" -> "this."
    text = re.sub(r"^[ \t]*[,;:.]+[ \t]*", "", text, flags=re.M)
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = re.sub(r"\]-?ish\b", "]", text)  # "[by when]-ish": the placeholder is the time
    text = _DANGLING.sub("", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"(?m)^ (?=[A-Z])", "", text)  # a cut at a paragraph's start left its space
    text = re.sub(r"^((?:@\w+[ \t]+)*@\w+)\.(?=\s)", r"\1", text)  # "@paul_d. I'm sorry"
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _templates_for(
    context: Context,
    remaining: Context,
    hits: list[Hit],
    added: list[str],
    stubborn: set[str],
    owned: frozenset[str] | set[str] = frozenset(),
    asking: list[Hit] | None = None,
    served: set[str] | None = None,
) -> list[tuple[str, str]]:
    """Pick the sentences to add: one per template asked for, in the situation's own words.

    ``context`` is the reply as the rules read it (its move decides what was kept on purpose);
    ``remaining`` is the reply after this round's edits, which decides what it still needs.
    ``served`` gathers the rules whose point an added (or already added) sentence answers.
    """
    rulebook = context.rulebook
    chosen: dict[str, str] = {}
    for hit in hits:
        name = hit.rule.add
        if name is None:
            continue
        if hit.rule.id in owned:  # the flagged sentence itself now takes it on
            name = rulebook.templates[name].get("if_owned") or None
        elif _kept(hit.rule, context, stubborn):  # never bolt their opposite on
            name = rulebook.templates[name].get("if_kept") or None
        resolved, answers = _fitting(remaining, name) if name else (None, False)
        if resolved is not None and (resolved in added or resolved in chosen):
            if served is not None and answers:
                served.add(hit.rule.id)
            continue
        if resolved is None:
            continue
        spec = rulebook.templates[resolved]
        if spec.get("position") == "start" and context.signal("draft_acknowledges"):
            continue  # the draft's own apology or acknowledgement stays; none is added in its place
        around = ""
        if context.sentences and hit.match.end > hit.match.start:
            span = sentence_at(context.sentences, hit.match.start)
            around = context.text[span.start : span.end].strip()
        party = _party(hit.match.groups.get("party", ""), spec.get("party", ""), around)
        if "{party}" in spec["text"] and not party:
            continue
        sentence = spec["text"].replace("{party}", party)
        blanks = set(_PLACEHOLDER.findall(sentence))
        if asking is not None and hit not in asking:  # too unsure to add anything
            continue
        if blanks & set(_PLACEHOLDER.findall(remaining.text)):  # "[by when]" is already asked
            continue
        chosen[resolved] = sentence
        if served is not None and answers:
            served.add(hit.rule.id)
    covered = {
        c.strip()
        for name in [*chosen, *added]
        for c in rulebook.templates[name].get("covers", "").split(",")
    }
    return [
        (name, chosen[name])
        for name in sorted(chosen, key=lambda n: rulebook.templates[n].get("order", "9"))
        if name not in covered
    ]


def _kept(rule: Rule, context: Context, stubborn: set[str]) -> bool:
    """Return whether the flagged words stay in the reply (on purpose or for a fact)."""
    if rule.id in stubborn:
        return True
    return rule.rewrite in _EDITING and not _edits_words(rule, context)


def _party(found: str, default: str, sentence: str = "") -> str:
    """Return the party the flagged words name ("the courier"), else the default.

    Without a named party, the party of an instruction in ``sentence`` ("ask your admin")
    is used.
    """
    found = _PARTY_TAIL.sub("", found.strip())
    if not found or len(found.split()) > 5 or found.lower() in ("them", "it"):
        own = _OWN.search(sentence)
        named = _NAMED_PARTY.match(own.group("rest")) if own else None
        if named is None:
            return default
        found = named.group(0)
    first, _, rest = found.partition(" ")
    if first.lower() in _DETERMINERS:
        found = f"{first.lower()} {rest}".strip()
    return found


def _fitting(context: Context, name: str) -> tuple[str | None, bool]:
    """Return the template this situation calls for in place of ``name``, and if it answers.

    A template made for the situation (``instead_of`` + ``when``) wins and still answers the
    point that asked for ``name``; one whose ``needs`` do not hold gives way to its
    ``fallback`` (or to nothing: None). A fallback is a lesser sentence ("I can see why this
    has been frustrating." where an apology would contradict an answer): it is added, but it
    does not answer the point.
    """
    templates = context.rulebook.templates
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        seen.add(current)
        for other, spec in templates.items():
            if spec.get("instead_of") == current and context.signal(spec.get("when", "")):
                current = other
                break
        spec = templates[current]
        if all(context.signal(need) for need in needs(spec)) and fits_move(spec, context):
            return current, len(seen) == 1  # found before any fallback was taken
        current = spec.get("fallback") or None
    return None, False


def fits_move(spec: Mapping[str, str], context: Context) -> bool:
    """Return whether a template may be added to a reply of this move (``moves``)."""
    moves = [part.strip() for part in spec.get("moves", "").split(",") if part.strip()]
    return not moves or context.move in moves


def needs(spec: Mapping[str, str]) -> list[str]:
    """Return the signals a template's ``needs`` names ("!name": must not hold)."""
    return [part.strip() for part in spec.get("needs", "").split(",") if part.strip()]


def _compose(
    rulebook: Rulebook, text: str, new: list[tuple[str, str]], facts: Sequence[str] = ()
) -> str:
    if not new:
        return text
    starts = " ".join(t for n, t in new if rulebook.templates[n].get("position") == "start")
    ends = " ".join(t for n, t in new if rulebook.templates[n].get("position", "end") == "end")
    shape = split(text)
    body = shape.body
    if starts:
        thanks = _THANKS_FIRST.match(body)  # "Thank you for your email." stays first
        head, body = (body[: thanks.end()], body[thanks.end() :]) if thanks else ("", body)
        body = f"{head} {starts} {_capitalise_first(body, facts)}".strip()
    if ends:
        body = _stop(f"{_stop(body)} {ends}".strip())  # the last paragraph goes on
    # otherwise the body ends as the agent ended it ("... our ground handling 1/2" goes on
    # in their next message: a full stop there would cut their sentence)
    if shape.inline_sign_off:
        return tidy(" ".join(p for p in (shape.greeting, body, shape.sign_off) if p))
    if not shape.letter:
        return tidy(f"{shape.greeting} {body}")
    return tidy("\n\n".join(p for p in (shape.greeting, body, shape.sign_off) if p))


def _stop(body: str) -> str:
    """End ``body`` with a full stop when it ends on a word (not on a link or a counter)."""
    if body and body[-1].isalnum() and not _OPEN_END.search(body):
        return body + "."
    return body
