r"""The shape of a reply: its greeting ("Hi Priya,"), its body, its sign-off ("Thanks,\nJoanna").

The one place that knows a reply's frame. :func:`split` cuts a reply into greeting, body and
sign-off as written (the rules' rewrite edits only the body and writes nothing after the
sign-off); :func:`frame` gives the same two parts as spans, and the guard treats the names in
them as manners, not facts: a suggestion may write "Hello Priya" for "Hi Priya," or "Best
wishes,\nJoanna" for "Cheers, Jo" without losing anything the customer acts on. Both know the
same greetings (with any leading @mentions) and the same sign-offs: a closing line with what
follows, a closing and a name ending a one-line reply ("Cheers, Tom"), a signature alone after
a blank line ("Support Team") and chat signatures ("^KF", "-AC", "Thanks-Emir", "1/2").
Amounts, links, phone numbers and the like stay facts wherever they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Frame", "Shape", "frame", "mentions_only", "split"]

# A greeting: the greeting word, up to three names or "there"/"all"/"team", then a comma, an
# exclamation mark, a dash or the end of its line ("Hi Sam, our policy is...", "Dear Applicant").
_GREETING = re.compile(
    r"(?i:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|morning|afternoon)"
    r"(?:[ \t]+(?:[A-Z][\w'’.-]*|(?i:there|all|team|everyone|folks|both|again))){0,3}"
    r"[ \t]*(?:[,!]|[ \t][-\u2013\u2014](?=\s)|(?=\n)|\Z)"
)
_CLOSING = (
    r"(?:(?:kind|warm|warmest|best|many|with)\s+(?:regards|wishes|thanks)|(?:kind\s+)?rgds|regards|best"
    r"(?:\s+wishes)?|thanks(?:\s+again|\s+so\s+much)?|thank\s+you|many\s+thanks|cheers|"
    r"yours(?:\s+sincerely|\s+faithfully|\s+truly)?|sincerely|all\s+the\s+best|take\s+care|"
    r"speak\s+soon|talk\s+soon|have\s+a\s+(?:good|great|lovely|nice)\s+(?:day|weekend|one))"
)
# A sign-off line: the closing words alone, or followed by a short name ("Cheers, Tom").
_SIGN_OFF_LINE = re.compile(
    rf"{_CLOSING}[,.!]?(?:\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){{0,3}})?[.!]?",
    re.IGNORECASE,
)
# A one-line reply that ends in a sign-off: "... Let me know. Cheers, Tom"
_TRAILING_SIGN_OFF = re.compile(
    rf"(?:(?<=[.!?])|(?<=[.!?][\"')]))\s+({_CLOSING}[,.!]?\s+[A-Z][\w'’.-]*"
    r"(?:\s+[A-Z][\w'’.-]*){0,2}[.!]?)\s*\Z",
    re.IGNORECASE,
)
_MENTIONS = r"(?:(?:@[\w.-]+|<@\w+>)[,:]?\s+)*"
_GREETING_LINE = re.compile(
    r"^(?:(?:@[\w.-]+|<@\w+>)\s+)*(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening))"
    r"\b[^\n]{0,60}$",
    re.I,
)
# The name may also follow the comma, as a sentence of its own: "Hi, Aimee. What flight ...".
_GREETING_INLINE = re.compile(
    _MENTIONS + r"(?:hi|hello|hey|hiya|dear)(?: (?:@[\w.-]+|[A-Z][\w'.-]*)){0,3}\s*"
    r"(?:[,!]|\s[-\u2014\u2013])\s*"
    r"(?:(?-i:(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?"
    r"(?!(?:Thanks|Thank|Sorry|Please|Yes|No|Ok|Okay|We|I|It|This)\b)[A-Z][a-z'’-]+)[.!,]\s+)?",
    re.I,
)
_LEADING_MENTIONS = re.compile(r"(?:(?:@[\w.-]+|<@\w+>)\s+)+")
_CLOSING_LINE = re.compile(rf"^(?:{_CLOSING}|faithfully)[,.!]?$", re.I)
"""A line that is only a closing ("Kind regards,"): the sign-off starts there."""
_SIGNATURE_LINE = re.compile(r"^(?:[A-Z][\w'&.-]*[ ]?){1,4}$")
_SIGNED = (
    r"(?:\^\s?[A-Za-z]{1,8}|[-\u2013\u2014*~/]\s?[A-Z]{1,3}|[-\u2013\u2014]\s?[A-Z][a-z]{1,12})"
)
_INLINE_SIGNATURE = re.compile(  # "Thanks, ^KF", "-AC", "*TAY", "/NY", "1/2 ^AP", "Thanks-Emir"
    r"(?:(?<=[\s.!?])|^)(?:(?:\(?\d/\d\)?\s*(?:" + _SIGNED + r")?)|"
    r"(?:(?i:thanks|thank you|cheers|regards)[,.!]?\s*)?" + _SIGNED + r"|"
    r"(?i:thanks|thank you|cheers|regards)[,.!]\s?[A-Z]{2,3})\.?\s*$"  # "Thank you.AP"
)
_MAX_SIGNATURE_LINES = 3
_MAX_SIGNATURE_WORDS = 6


@dataclass(frozen=True)
class Frame:
    """Where a reply's greeting and sign-off are: ``(start, end)`` offsets, None when absent."""

    greeting: tuple[int, int] | None
    sign_off: tuple[int, int] | None

    def holds(self, start: int, end: int) -> bool:
        """Tell whether ``text[start:end]`` lies wholly inside the greeting or the sign-off."""
        return any(
            span is not None and span[0] <= start and end <= span[1]
            for span in (self.greeting, self.sign_off)
        )


def frame(text: str) -> Frame:
    """Return the greeting and sign-off spans of a reply (as :func:`split` cuts it)."""
    greeting, sign_off = _greeting(text), _sign_off(text)
    if greeting is None or sign_off is None:
        shape = split(text)
        start = len(text) - len(text.lstrip())
        if greeting is None and shape.greeting and text.startswith(shape.greeting, start):
            greeting = (start, start + len(shape.greeting))
        end = len(text.rstrip())
        if sign_off is None and shape.sign_off and text.rstrip().endswith(shape.sign_off):
            sign_off = (end - len(shape.sign_off), end)
    return Frame(greeting, sign_off)


def mentions_only(greeting: str) -> bool:
    """Tell whether a greeting :func:`split` found is only @-mentions ("@4411").

    What follows such a greeting starts a sentence, as after no greeting at all.
    """
    return _LEADING_MENTIONS.fullmatch(greeting + " ") is not None


def _greeting(text: str) -> tuple[int, int] | None:
    """Return the span of a greeting at the start of ``text``."""
    start = len(text) - len(text.lstrip())
    match = _GREETING.match(text, start)
    return (start, match.end()) if match else None


def _sign_off(text: str) -> tuple[int, int] | None:
    """Return the span of a sign-off at the end of ``text``: a closing line and what follows."""
    body = text.rstrip()
    lines = body.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    first = max(1, len(lines) - 1 - _MAX_SIGNATURE_LINES)
    for index in range(len(lines) - 1, first - 1, -1):
        line = lines[index].strip()
        if _SIGN_OFF_LINE.fullmatch(line):
            after = [rest.strip() for rest in lines[index + 1 :]]
            if all(len(rest.split()) <= _MAX_SIGNATURE_WORDS for rest in after):
                return offsets[index] + lines[index].find(line[0]), len(body)
            return None
    return _trailing_sign_off(body)


def _trailing_sign_off(body: str) -> tuple[int, int] | None:
    """Return the span of a closing and a name ending a one-line reply ("... Cheers, Tom")."""
    tail = max(0, len(body) - 80)  # a sign-off is short: look only at the end
    trailing = _TRAILING_SIGN_OFF.search(body, tail)
    if trailing:
        return trailing.start(1), trailing.end(1)
    return None


@dataclass(frozen=True)
class Shape:
    """A reply cut into greeting, body and sign-off, as written."""

    greeting: str
    body: str
    sign_off: str
    own_line: bool
    """True when the greeting stands on its own line (a letter, not a chat message)."""
    inline_sign_off: bool
    """True when the sign-off ends the last line (a chat signature such as "^KF")."""

    letter: bool
    """True when the reply is laid out in paragraphs (a letter, not a chat message)."""


@lru_cache(maxsize=64)
def split(text: str) -> Shape:
    """Split a reply into greeting, body and sign-off, each as written.

    The rewrite asks for the shape of the same few texts several times per review (the
    draft, each round's text, the result), so the latest are remembered; a Shape is frozen.
    """
    text = text.strip()
    lines = text.split("\n")
    greeting, own_line = "", False
    if lines and _GREETING_LINE.match(lines[0].strip()) and len(lines[0].split()) <= 6:
        greeting, own_line = lines[0].strip(), len(lines) > 1
        rest = "\n".join(lines[1:])
    else:
        inline = _GREETING_INLINE.match(text) or _LEADING_MENTIONS.match(text)
        plain = None if inline else _greeting(text)
        if inline:
            greeting = inline.group(0).strip()
            rest = text[inline.end() :]
        elif plain is not None:  # "Morning all,", "Hi there -"
            greeting, rest = text[: plain[1]].strip(), text[plain[1] :]
            own_line = rest.startswith("\n")
        else:
            rest = text
    lines = rest.split("\n")
    sign_off, inline_sign_off = "", False
    for index in range(len(lines) - 1, max(len(lines) - 5, -1), -1):
        after = lines[index + 1 :]  # a signature, not a sentence left after "Thanks,"
        short = all(len(line.split()) <= _MAX_SIGNATURE_WORDS for line in after)
        if _CLOSING_LINE.match(lines[index].strip()) and index > 0 and short:
            sign_off = "\n".join(line.strip() for line in lines[index:]).strip()
            lines = lines[:index]
            break
    else:
        tail = "\n".join(lines).rsplit("\n\n", 1)
        if len(tail) == 2 and _SIGNATURE_LINE.match(tail[1].strip()):  # "Support Team" alone
            sign_off, lines = tail[1].strip(), tail[0].split("\n")
        else:
            last = lines[-1] if lines else ""
            found = _INLINE_SIGNATURE.search(last)
            closing = None if found and found.start() > 0 else _trailing_sign_off(rest)
            if found and found.start() > 0:
                sign_off, inline_sign_off = found.group(0).strip(), True
                lines = [*lines[:-1], last[: found.start()]]
            elif closing is not None and rest[: closing[0]].strip():  # "... Cheers, Tom"
                sign_off = rest[closing[0] : closing[1]].strip()
                inline_sign_off = "\n" not in rest[closing[0] - 2 : closing[0]]
                lines = rest[: closing[0]].rstrip().split("\n")
    letter = "\n\n" in text or own_line or (bool(sign_off) and not inline_sign_off)
    return Shape(greeting, "\n".join(lines).strip(), sign_off, own_line, inline_sign_off, letter)
