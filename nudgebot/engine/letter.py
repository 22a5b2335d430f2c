r"""The frame of a reply: its greeting ("Hi Priya,") and its sign-off ("Thanks,\nJoanna").

The guard treats the names in a reply's frame as manners, not facts: a suggestion may write
"Hello Priya" for "Hi Priya," or "Best wishes,\nJoanna" for "Cheers, Jo" without losing
anything the customer acts on. :func:`frame` finds the two spans; everything else in the
reply is its body. Amounts, links, phone numbers and the like stay facts wherever they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Frame", "frame"]

# A greeting: the greeting word, up to three names or "there"/"all"/"team", then a comma, an
# exclamation mark, a dash or the end of its line ("Hi Sam, our policy is...", "Dear Applicant").
_GREETING = re.compile(
    r"(?i:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|morning|afternoon)"
    r"(?:[ \t]+(?:[A-Z][\w'’.-]*|(?i:there|all|team|everyone|folks|both|again))){0,3}"
    r"[ \t]*(?:[,!]|[ \t][-\u2013\u2014](?=\s)|(?=\n)|\Z)"
)
_CLOSING = (
    r"(?:(?:kind|warm|warmest|best|many|with)\s+(?:regards|wishes|thanks)|regards|best"
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
    """Return the greeting and sign-off spans of a reply."""
    return Frame(_greeting(text), _sign_off(text))


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
    trailing = _TRAILING_SIGN_OFF.search(body)
    if trailing:
        return trailing.start(1), trailing.end(1)
    return None
