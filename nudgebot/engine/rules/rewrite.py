"""The rules-based rewrite: a complete suggested reply built from the draft itself.

Each rule says what to do with the words it flagged (``drop`` the sentence or clause,
``replace`` them, ``lower`` shouting, or ``keep``) and which sentence to ``add`` from
``_rewrite.toml`` (an acknowledgement first, an ownership step at the end...). The result is
checked again with the same rules and mended until nothing is left to nudge (a few rounds at
most). Facts of the draft (numbers, names, links, mentions) are never cut: a sentence that
holds one loses only the clause or the words that were flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nudgebot.engine.facts import fact_texts
from nudgebot.engine.rules.checker import Context, Hit, Match, all_matches, check
from nudgebot.engine.rules.rulebook import Rulebook
from nudgebot.engine.rules.text import Sentence, sentence_at

_ROUNDS = 4
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+-\s+|\s+(?=(?:and|but|so|because|as|which)\s)")
_GREETING_LINE = re.compile(
    r"^(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening))\b[^\n]{0,60}$", re.I
)
_GREETING_INLINE = re.compile(
    r"^(?:hi|hello|hey|hiya|dear)(?: [A-Z][\w'.-]*){0,3}\s*(?:[,!]|\s[-\u2014\u2013])\s*", re.I
)
_SIGN_OFF = re.compile(
    r"^(?:(?:kind |warm |best |many )?(?:regards|wishes)|best|thanks|thank you|cheers|"
    r"yours(?: sincerely| truly)?|sincerely|all the best|take care|speak soon)[,.!]?$",
    re.I,
)


_SUBORDINATE = re.compile(
    r"(?:as|because|since|although|though|while|whereas|unless|which|if|when|so that)\b", re.I
)
_LEADING_CONJUNCTION = re.compile(r"(?:and|but|so|or|then|because)\s+", re.I)
_WORDS = re.compile(r"[^\W_]+")
_SIGNATURE = re.compile(r"^(?:[A-Z][\w'&.-]*[ ]?){1,4}$")


_CUT_ENDS = ("", ".", "!", "?")


@dataclass(frozen=True)
class _Layout:
    """What a rewrite round needs to know about the text: sentences and facts."""

    sentences: list[Sentence]
    protected: list[tuple[int, int]]


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def rewrite(
    context: Context,
    hits: list[Hit],
    facts: Sequence[str] | None = None,
    *,
    additions_only: bool = False,
) -> str:
    """Return a suggested reply that fixes ``hits`` and keeps every fact of the draft.

    ``context`` is the checked draft and ``hits`` what the check found; ``facts`` are the
    draft's fact texts when the caller already has them. ``additions_only`` leaves the draft's
    own words as they are and only adds sentences (the fallback that cannot lose a fact).
    """
    rulebook, text = context.rulebook, context.text
    facts = fact_texts(text) if facts is None else facts
    added: list[str] = []
    for _ in range(_ROUNDS):
        if not any(hit.rule.level == "nudge" or hit.rule.kind == "substitution" for hit in hits):
            break
        greeting = _GREETING_INLINE.match(text) or _GREETING_LINE.match(text.split("\n", 1)[0])
        kept = _spans_of(facts, text) + ([greeting.span()] if greeting else [])
        layout = _Layout(context.sentences, kept)
        edits = [
            edit
            for hit in ([] if additions_only else hits)
            for match in (list(all_matches(hit.rule, context)) or [hit.match])
            if (edit := _edit_for(hit, match, text, layout)) is not None
        ]
        text = _apply_edits(text, edits, facts)
        new = _templates_for(context, hits, added)
        text = _compose(rulebook, text, new, facts)
        added.extend(name for name, _ in new)
        context = context.derive(text)
        hits = check(context, hints=False)
    return text


def _edit_for(hit: Hit, match: Match, text: str, layout: _Layout) -> _Edit | None:
    rule = hit.rule
    if match.end <= match.start:
        return None
    action = rule.rewrite
    if action == "replace":
        replacement = rule.swaps[match.index] if rule.kind == "substitution" else rule.replacement
        for name, value in match.groups.items():  # "{verb}" keeps the draft's own word
            replacement = (replacement or "").replace("{" + name + "}", value)
        original = text[match.start : match.end]
        return _Edit(match.start, match.end, _match_case(replacement or "", original))
    if action == "lower":
        return _Edit(match.start, match.end, _calm(text, match.start, match.end))
    if action == "drop":
        span = _drop_span(text, match.start, match.end, layout)
        if span is None:
            return None
        start, end = span
        ending = text[start:end].rstrip()[-1:] if end > start else ""
        if start > 0 and text[start - 1] not in "\n" and ending in (".", "!", "?"):
            before = text[:start].rstrip()
            if before and before[-1] not in ".!?\n":  # a clause cut from the end keeps the stop
                return _Edit(start, end, ending)
        return _Edit(start, end, "")
    return None


def _spans_of(facts: Sequence[str], text: str) -> list[tuple[int, int]]:
    """Where the facts stand in ``text`` (every occurrence)."""
    spans = []
    for fact in facts:
        at = text.find(fact)
        while at != -1:
            spans.append((at, at + len(fact)))
            at = text.find(fact, at + 1)
    return spans


def _match_case(replacement: str, original: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _calm(text: str, start: int, end: int) -> str:
    """Sentence-case shouted words and quiet runs of ! and ?."""
    span = re.sub(r"[!?]{2,}", lambda m: m.group(0)[0], text[start:end])
    span = re.sub(r"\b[A-Z]{2,}\b", lambda m: m.group(0).lower(), span)
    at_sentence_start = start == 0 or text[:start].rstrip()[-1:] in ("", ".", "!", "?", "\n")
    if at_sentence_start and span[:1].islower():
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
    if clause_start == sentence.start:
        clause_end = _include_break(text, clause_end, sentence.end)
        conjunction = _LEADING_CONJUNCTION.match(text, clause_end, sentence.end)
        if conjunction:
            clause_end = conjunction.end()
    rest = text[sentence.start : clause_start] + text[clause_end : sentence.end]
    dangling = _SUBORDINATE.match(rest.strip()) is not None  # "As the flight was ..." alone
    if (len(_WORDS.findall(rest)) < 4 or dangling) and not holds_fact(sentence.start, sentence.end):
        return sentence.start, sentence.end
    if not holds_fact(clause_start, clause_end):
        return clause_start, clause_end
    return None


def _include_break(text: str, at: int, limit: int) -> int:
    brk = _CLAUSE_BREAK.match(text, at, limit)
    return brk.end() if brk else at


def _apply_edits(text: str, edits: list[_Edit], facts: Sequence[str] = ()) -> str:
    taken_until = len(text) + 1
    for edit in sorted(_merge_cuts(edits), key=lambda e: (e.start, -e.end), reverse=True):
        if edit.end > taken_until:
            continue
        head, tail = text[: edit.start] + edit.text, text[edit.end :]
        ends_sentence = edit.text in _CUT_ENDS or edit.text.rstrip().endswith((".", "!", "?"))
        if ends_sentence and head.rstrip()[-1:] in ("", ".", "!", "?", "\n"):
            tail = _capitalise_first(tail, facts)
        text = head + tail
        taken_until = edit.start
    return _tidy(text)


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
    return merged + [e for e in edits if e.text not in _CUT_ENDS]


def _capitalise_first(text: str, facts: Sequence[str] = ()) -> str:
    """Capitalise the first letter, unless it starts a fact ("order 55120" stays as it is)."""
    stripped = text.lstrip()
    if stripped[:1].islower() and not any(stripped.startswith(fact) for fact in facts):
        at = len(text) - len(stripped)
        return text[:at] + stripped[0].upper() + stripped[1:]
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*([.!?])", r"\2", text)
    text = re.sub(r"^[ \t]*[,;:.]+[ \t]*", "", text, flags=re.M)
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _templates_for(context: Context, hits: list[Hit], added: list[str]) -> list[tuple[str, str]]:
    """Pick the sentences to add: one per template asked for, in the situation's own words."""
    rulebook = context.rulebook
    chosen: dict[str, str] = {}
    for hit in hits:
        name = hit.rule.add
        if name is None:
            continue
        name = _fitting(context, name)
        if name in added or name in chosen:
            continue
        spec = rulebook.templates[name]
        party = hit.match.groups.get("party") or spec.get("party", "")
        chosen[name] = spec["text"].replace("{party}", party)
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


def _fitting(context: Context, name: str) -> str:
    """Return a template made for this situation (``instead_of`` + ``when``), else ``name``."""
    for other, spec in context.rulebook.templates.items():
        if spec.get("instead_of") == name and context.signal(spec.get("when", "")):
            return other
    return name


def _compose(
    rulebook: Rulebook, text: str, new: list[tuple[str, str]], facts: Sequence[str] = ()
) -> str:
    if not new:
        return text
    starts = " ".join(t for n, t in new if rulebook.templates[n].get("position") == "start")
    ends = " ".join(t for n, t in new if rulebook.templates[n].get("position", "end") == "end")
    greeting, body, sign_off, own_line = _split(text)
    letter = "\n\n" in text or own_line or bool(sign_off)
    if starts:
        body = f"{starts} {_capitalise_first(body, facts)}".strip()
    if ends:
        if body and body[-1].isalnum():
            body += "."
        body = f"{body}{chr(10) * 2 if letter and body else ' '}{ends}".strip()
    if body and body[-1].isalnum():
        body += "."
    if not letter:
        return _tidy(f"{greeting} {body}")
    return _tidy("\n\n".join(p for p in (greeting, body, sign_off) if p))


def _split(text: str) -> tuple[str, str, str, bool]:
    """Split a reply into greeting, body and sign-off; say if the greeting had its own line."""
    lines = text.split("\n")
    greeting, own_line = "", False
    if lines and _GREETING_LINE.match(lines[0].strip()) and len(lines[0].split()) <= 6:
        greeting, own_line = lines[0].strip(), True
        lines = lines[1:]
    else:
        inline = _GREETING_INLINE.match(text)
        if inline:
            greeting = inline.group(0).strip()
            lines = text[inline.end() :].split("\n")
    sign_off = ""
    for index in range(len(lines) - 1, max(len(lines) - 5, -1), -1):
        if _SIGN_OFF.match(lines[index].strip()):
            sign_off = "\n".join(line.strip() for line in lines[index:]).strip()
            lines = lines[:index]
            break
    else:  # a bare signature ("Support Team") after a blank line
        tail = "\n".join(lines).rsplit("\n\n", 1)
        if len(tail) == 2 and _SIGNATURE.match(tail[1].strip()):
            sign_off, lines = tail[1].strip(), tail[0].split("\n")
    return greeting, "\n".join(lines).strip(), sign_off, own_line
