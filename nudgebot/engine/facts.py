"""The facts of a draft: the words a suggested rewrite must keep verbatim.

A fact is anything the customer may act on or check later: order numbers and codes, money,
dates and times, durations, phone numbers, e-mail addresses, links, Slack mentions and
channels, code spans, emphasised or quoted names, and the names of people, places and
products. :func:`extract_facts` finds them in one pass of one precompiled pattern (plus a few
cheap passes for e-mail addresses, links and lower-case dates, run only when a substring test
says they may be there); the main per-match work in Python is deciding whether a capitalised
word is a name or just the first word of a sentence.

Over-extracting a little is cheap (a rewrite keeps a few extra words); missing a real fact is
not (a rewrite could change an order number), so every doubtful case leans towards a fact.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["Fact", "extract_facts", "fact_texts", "missing_facts", "protected_spans"]


@dataclass(frozen=True)
class Fact:
    """One fact of a text: its kind, its exact text and its offsets (``text[start:end]``)."""

    kind: str
    text: str
    start: int
    end: int


# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """Return the set of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


# Words that, capitalised at the start of a sentence, are not names by themselves.
_STARTERS = _words(
    """
    i i'm i've i'll i'd me my mine myself we we're we've we'll we'd us our ours ourselves you
    you're you've you'll you'd your yours yourself he he's he'll him his she she's she'll her
    hers it it's it'll its they they're they've they'll them their theirs this that that's
    that'll these those there there's there'll here here's who who's what what's which where
    where's when why how how's let's a an the all any both each every everyone everybody
    everything someone somebody something anyone anybody anything nobody nothing none no one
    some several many much most more few other another such same
    and but or nor so yet for if unless because since as while whilst although though once
    after before until till when whenever wherever whether in on at by from to with without
    within about above below under over into onto through during per via of off out up down
    between among against across along around behind beyond despite except like near
    regarding towards upon
    is isn't are aren't was wasn't were weren't be been being am do does doesn't did didn't
    don't have has hasn't haven't had hadn't can can't cannot could couldn't will won't would
    wouldn't shall should shouldn't may might must need needs
    also just only even still already again always never often sometimes usually now then
    today tomorrow yesterday tonight soon later yes yeah yep nope not ok okay sure right well
    oh ah aw ha haha hah aha lol nah yay hooray ooh ugh hmm wow oops whoops yikes phew eek
    argh gosh um uh er eh hey hi hiya hello
    dear thanks thank cheers regards best kind warm warmest warmly sincerely yours sorry
    apologies please great good perfect done happy glad welcome absolutely certainly
    definitely however meanwhile otherwise instead anyway besides furthermore moreover
    therefore thus hence plus alternatively finally first firstly second secondly third next
    last lastly overall indeed noted understood alright fine cool nice lovely brilliant
    excellent awesome fantastic wonderful congratulations congrats unfortunately fortunately
    sadly luckily hopefully honestly actually basically currently normally typically
    generally apparently obviously clearly simply quick quickly note ps fyi btw asap very
    really too quite rather almost nearly exactly approximately maybe perhaps
    go get let try make take check call send reply contact click open run use see look keep
    give tell ask find follow visit enter select choose type press tap log sign add remove
    wait hold feel remember bear drop ping shout grab pop pick put set turn switch start stop
    morning afternoon evening day night luck news question
    """
)

# Words that are never a name, even capitalised in the middle of a sentence ("Oh, Hi Sam").
_NEVER_NAME = _words(
    """
    hi hiya hey hello dear thanks thank you your our my a an we i regards wishes cheers ok
    okay yes no please sorry morning afternoon evening all
    """
)

# Generic addressees: "Dear Customer" and "Dear Sir or Madam" name nobody.
_ADDRESSEES = _words(
    """
    customer customers passenger passengers guest guests member members client clients user
    users valued sir madam colleague colleagues resident residents patient patients
    subscriber subscribers traveller travellers traveler travelers applicant applicants
    friend friends everyone all team or
    """
)

# Capitalised words that are never a name on their own, wherever they stand ("If", "The",
# "Thanks"): a run of just one of them is dropped at once.
_NOT_NAMES = frozenset(
    form
    for word in _words(
        """
        i'm i've i'll i'd me my we we're we've we'll we'd us our you you're you've you'll you'd
        your he he's him his she she's her it it's they they're them their this that that's
        these those there there's here here's who what what's which where when why how let's a
        an the all any both each every some no if unless because since as while although though
        once after before until when whether in on at by from to with without within about for
        of and but or so yet is are was were be been do does did don't have has had can't
        cannot could would should also just only even still already again always never often
        sometimes now then today tomorrow yesterday tonight soon later yes yeah no not ok okay
        sure oh ah ha haha ugh hmm wow oops hey hi hiya hello dear thanks thank cheers regards
        best kind warm warmest sincerely yours sorry apologies please great good perfect done
        glad welcome however meanwhile otherwise instead anyway unfortunately fortunately sadly
        luckily hopefully honestly actually basically currently normally usually typically
        customer passenger guest client user member sir madam valued
        """
    )
    for form in (word.capitalize(), word.capitalize().replace("'", "’"))
)

# Words that end a product-name extension ("the Juniper wrap dress | by express delivery").
_EXTENSION_STOP = _STARTERS | _words(
    """
    an also am arrives arrived came comes costs cost gets got goes went fits fit looks
    seems works worked shows means makes holds said says here there today tomorrow tonight
    yesterday
    """
)

_CONNECTORS = _words("of de da du van von der den la le del di & &amp; and")
_DETERMINERS = _words("a an the our your their his her my its this that these those")

# Lower-case words that start with two consonants but are ordinary chat words, not user names.
_CHAT_WORDS = _words("hmm hmmm mmm tbh tbc tbd nvm gtg lmk wfh ttyl pls plz thx ngl idk imo smh np")


# --------------------------------------------------------------------------------------------
# The pattern
# --------------------------------------------------------------------------------------------


def _char_class(predicate_ranges: tuple[tuple[int, int], ...]) -> str:
    """Return a regex character class body of the upper-case letters in the given ranges."""
    runs: list[tuple[int, int]] = []
    for low, high in predicate_ranges:
        for code in range(low, high):
            char = chr(code)
            if not (char.isupper() or char.istitle()):
                continue
            if runs and runs[-1][1] == code - 1:
                runs[-1] = (runs[-1][0], code)
            else:
                runs.append((code, code))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


_UP = "[" + _char_class(((0x41, 0x5B), (0xC0, 0x250), (0x370, 0x530), (0x1E00, 0x1F00))) + "]"

# Every alternative of the pattern starts with a literal or a character class, so the regex
# engine skips the alternatives that cannot start at a position without entering them.

# A capitalised word, not "I" / "I'm" / "I've"; a trailing possessive 's is left out.
_CAPWORD = (
    rf"{_UP}(?!(?<=I)(?:['’](?:m|ve|ll|d|s))?(?![\w'’-]))\w*(?:(?:['’](?!s(?!\w))|-)\w+)*"
    r"(?:(?:(?<=\bM[rsx])|(?<=\bMrs)|(?<=\b[DSJ][rt]))\.|(?<=\b[A-Z])\.(?=[ \t]))?"
)
_NUMTOK = r"\d\w*(?:[-./]\w+)*(?![\w'’-])"
_SP = r"[ \t\u00a0]+"
_CONN = r"(?:of|de|da|du|van|von|der|den|la|le|del|di|&|&amp;|and(?=[ \t]+(?:Mr|Mrs|Ms|Dr|Mx)\b))"
_RUN = rf"{_CAPWORD}(?:{_SP}(?:{_CONN}{_SP})?{_CAPWORD}|{_SP}{_NUMTOK})*"
_ARROW = r"[ \t]*(?:>|&gt;|→|›|»|->|=>)[ \t]*"
_SEG = rf"{_CAPWORD}(?:{_SP}(?:(?:and|&|&amp;|of){_SP})?{_CAPWORD})*"


def _either_case(words: str) -> str:
    """Return an alternation of words with an upper- or lower-case first letter."""
    return "(?:" + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in words.split()) + ")"


_WDFULL = _either_case("monday tuesday wednesday thursday friday saturday sunday") + "s?"
_WDABBR = r"(?:Mon|Tues?|Wed|Thur?s?|Fri|Sat|Sun)\.?"
_WD = rf"(?:{_WDFULL}|{_WDABBR})"
_MONTHS = "january february march april may june july august september october november december"
_MONANY = (
    _either_case(_MONTHS)[:-1] + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)(?![\w])"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DAYR = rf"{_DAY}(?:[ \t]?[-–—][ \t]?{_DAY})?"
_YEAR = r"(?:,?[ \t]+\d{4}(?!\d))?"
_AMPM = r"(?:[aApP]\.[mM]\.|[aApP][mM](?![\w]))"
_TZ = r"(?:[ \t]?(?:GMT|BST|UTC|CET|CEST|EET|EST|EDT|CST|CDT|MST|MDT|PST|PDT|IST|AEST)\b)?"
_T = r"\d{1,2}(?:[:.]\d{2})?"
_TO = r"(?:[ \t]?[-–][ \t]?|[ \t]+(?:to|and|until|till)[ \t]+)"  # 8am–12pm, 8am and 12pm
# Number words as a little trie on their first letter, so a lower-case word that cannot start
# one is skipped at once: "one working day", "two hours", "five-hour".
_NUMW = (
    "(?:[Oo]ne|[Tt](?:wo|hree|hirteen|hirty|en|welve|wenty)|[Ff](?:our|ourteen|orty|ive|ifteen|"
    "ifty)|[Ss](?:ix|ixteen|ixty|even|eventeen|everal)|[Ee](?:ight|ighteen|leven)|"
    "[Nn](?:ine|ineteen|inety))(?![a-z])"
)
_UNIT_WORD = (
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|wks?|fortnights?|"
    r"months?|years?|yrs?|weekdays?|weekends?|times)(?![\w])"
)
_UNIT = rf"(?:[a-z]+[ -])?{_UNIT_WORD}"  # one word may come between: "12 overtime hours"
_AMOUNT = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CODES = r"(?<=EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|TRY|JPY|CAD|AUD|NZD|INR|CNY|ZAR|HKD|SGD|AED)"
_MONEY_TAIL = (
    rf"(?:[ \t]?(?:k|m|bn|million|billion)(?![\w]))?(?:[ \t]?[-–][ \t]?[$£€¥₹]?{_AMOUNT})?"
    r"(?:(?:[ \t]+(?:a|an|per)[ \t]+|/)(?:month|week|year|day|night|hour|person|head|mo|yr)"
    r"(?![\w]))?"  # £38 a month, £16 per person, $5/month
)
_NOT_ONSET = (
    r"(?<!bl|br|ch|cl|cr|dr|dw|fl|fr|gh|gl|gn|gr|kl|kn|kr|mn|ph|pl|pr|ps|pt|rh|sc|sh|sk|sl|sm"
    r"|sn|sp|sq|st|sv|sw|th|tr|ts|tw|wh|wr|zh|pf)"
)

_NUMW_DURATION = rf"{_NUMW}(?:[ \t]?(?:[-–]|to)[ \t]?(?:\d+|{_NUMW}))?[ -]{_UNIT}"
_SPECIAL = "`<*_'‘\"“#@$£€¥₹₩₽₺+("
_ALTERNATIVES: tuple[tuple[str, str, str], ...] = (
    # code spans, Slack markup (<https://x|text>, <@U123>, <#C123|name>, <!subteam^S1|@team>)
    ("special", "code", r"```[\s\S]*?```|`[^`\n]+`"),
    ("special", "slack", r"<(?:[@#!]|https?://|mailto:|tel:)[^<>\n]*>"),
    # *bold*, **bold**, _italic_, 'single-quoted', "double-quoted"
    ("special", "emphasis", r"\*\*?(?=[^\s*])[^*\n]{1,100}?(?<=[^\s*])\*\*?(?![\w*])"),
    ("special", "emphasis", r"_(?=[^\s_])[^_\n]{1,100}?(?<=[^\s_])_(?![\w_])"),
    ("special", "quote", r"['‘](?=[^\s'’])(?:[^'‘’\n]|['’](?=\w)){1,80}?(?<=\S)['’](?!\w)"),
    ("special", "quote", r"[\"“](?=[^\s\"”])[^\"“”\n]{1,100}?(?<=\S)[\"”]"),
    ("special", "channel", r"#(?<![&#/]#)(?=[\w-]*[a-z])[a-z0-9][\w-]*\w"),
    ("special", "id", r"#\d\w*(?:[-/.]\w+)*"),
    ("special", "mention", r"@(?<![.@]@)(?!(?:here|channel|everyone)\b)[A-Za-z0-9][\w.-]*\w"),
    # money: £25, €1,600, $180, US$5, EUR 25
    ("special", "money", rf"[$£€¥₹₩₽₺][ \t]?{_AMOUNT}{_MONEY_TAIL}"),
    (
        "special",
        "phone",
        r"\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?|\d{2,5}[ .-])(?:\d{2,4}[ .-])?\d{3,6}(?!\w)",
    ),
    ("special", "phone", r"\(\d{1,5}\)[ .-]?(?:\d{2,4}[ .-])?\d{3,6}(?![\w])"),
    # starting with a digit: dates, money, percentages, times, durations, phones, codes
    ("digit", "date", rf"{_DAYR}(?:[ \t]+of)?[ \t]+{_MONANY}{_YEAR}"),
    (
        "digit",
        "money",
        rf"{_AMOUNT}[ \t]?(?:[A-Z]{{3}}{_CODES}|(?:pounds?|euros?|dollars?|pence|cents?|quid|p))"
        r"(?![\w])",
    ),
    ("digit", "percent", rf"{_AMOUNT}[ \t]?(?:%|per[ \t]?cent(?![\w]))"),
    ("digit", "time", rf"{_T}[ \t]?[-–][ \t]?{_T}[ \t]?{_AMPM}{_TZ}"),
    ("digit", "time", rf"{_T}[ \t]?{_AMPM}(?:{_TO}{_T}[ \t]?{_AMPM})?{_TZ}"),
    (
        "digit",
        "time",
        rf"\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[ \t]?[-–][ \t]?\d{{1,2}}:\d{{2}})?(?![\w:]){_TZ}",
    ),
    ("digit", "time", r"\d{1,2}[ \t]?o['’]clock"),
    ("digit", "date", r"\d{4}-\d{1,2}-\d{1,2}(?![\w-])"),
    ("digit", "date", r"\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\w/])"),
    ("digit", "date", r"\d{1,2}\.\d{1,2}\.\d{2,4}(?![\w.]\w)"),
    # durations: 30 days, 3–5 working days, 30-day, 48h
    (
        "digit",
        "duration",
        rf"\d+(?:[.,]\d+)?(?:[ \t]?(?:[-–]|to)[ \t]?(?:\d+|{_NUMW}))?[ -]{_UNIT}",
    ),
    ("digit", "duration", r"\d+[ \t]?(?:h|hrs?|mins?)(?![\w])"),
    # phone numbers: 07700 900123, 0161 496 0742
    ("digit", "phone", r"\d{2,5}[ .-](?:\d{2,4}[ .-])?\d{3,6}(?![\w])"),
    # measurements: 10 GB, 5 kg
    (
        "digit",
        "measure",
        r"\d[\d,.]*[ \t\u00a0](?:kg|lbs?|km|miles?|cm|mm|GB|MB|TB|KB|Mbps|Gbps|kbps|kWh|mAh|ml"
        r"|litres?|liters?|°C|°F)(?![\w])",
    ),
    # any other token starting with a digit: 55120, 2,000, 23kg, 18A
    ("digit", "id", r"\d\w*(?:[-/.:,]\w+)*"),
    # starting with a capital: dates, DD/MM/YYYY, menu paths, names
    (
        "upper",
        "date",
        rf"{_WD}(?:,?[ \t]+(?:the[ \t]+)?{_DAYR}(?:[ \t]+of)?[ \t]+{_MONANY}{_YEAR}"
        rf"|,?[ \t]+{_MONANY}[ \t]+{_DAYR}(?![\w:]){_YEAR}|[ \t]?[-–][ \t]?{_WD}(?![\w'’-])"
        r"|(?:(?<=day)|(?<=days))(?![\w'’-]))",
    ),
    (
        "upper",
        "date",
        rf"{_MONANY}(?:[ \t]+{_DAYR}(?![\w:]){_YEAR}|[ \t]+\d{{4}}(?!\d)"
        r"|(?<![Mm]ay)(?<!march)(?<!august)(?<=[a-z]{4})(?![\w'’-]))",
    ),
    ("upper", "money", rf"[ACHNRSU]{{1,2}}\$[ \t]?{_AMOUNT}{_MONEY_TAIL}"),
    ("upper", "money", rf"[A-Z]{{3}}{_CODES}[ \t]?{_AMOUNT}{_MONEY_TAIL}"),
    ("upper", "id", r"[A-Z]+(?:(?:/|&|&amp;)[A-Z]+)+(?![\w/])"),  # DD/MM/YYYY, Q&A
    ("path", "path", rf"{_SEG}(?:{_ARROW}{_SEG})+"),  # Settings > Mobile Data > Data Roaming
    ("upper", "duration", _NUMW_DURATION),
    ("upper", "name", _RUN),  # Priya, Kestrel Trail 2, Mr and Mrs Kowalski
    ("lower", "duration", _NUMW_DURATION),
    # starting with a lower-case letter: v2, abc-123, j.kerr, snake_case, iPhone, jkerr
    (
        "lower",
        "ident",
        r"[a-z]++(?:[A-Z0-9_]|\.[a-z0-9]|-(?=[a-z0-9]))(?:[\w.-]*\w)?(?![\w@'’-])",
    ),
    ("lower", "ident", rf"[bcdfghj-np-tv-z][bcdfghj-np-tv-xz]{_NOT_ONSET}[a-z]++(?![\w@'’.-])"),
)


def _compile(categories: tuple[str, ...]) -> re.Pattern[str]:
    """Compile the alternatives of some categories behind one non-word character.

    Each category is guarded by a look-ahead at its first character, and every alternative
    starts with a literal or a character class, so the engine quickly skips what cannot match.
    """
    guards = {
        "special": f"[{_SPECIAL}]",
        "digit": r"\d",
        "upper": _UP,
        "path": _UP,
        "lower": "[a-z]",
    }
    groups = []
    for category in categories:
        body = "|".join(
            f"{rx}(?P<g{i}>)" for i, (cat, _, rx) in enumerate(_ALTERNATIVES) if cat == category
        )
        groups.append(f"(?={guards[category]})(?:{body})")
    return re.compile(r"[^\w](?:" + "|".join(groups) + ")")


# The text is scanned with a space in front so a fact can start at offset 0. Menu paths cost
# time to look for, so they are only looked for in a text with an arrow in it.
@functools.cache
def _pattern(paths: bool = False) -> re.Pattern[str]:
    """Return the big one-pass pattern, compiled on first use (it costs ~30 ms)."""
    if paths:
        return _compile(("special", "digit", "path", "upper", "lower"))
    return _compile(("special", "digit", "upper", "lower"))


_GROUP_KIND = {f"g{i}": kind for i, (_, kind, _) in enumerate(_ALTERNATIVES)}
_KIND = {"ident": "id", "path": "name"}

# Lower-case dates ("see you monday"), number words ("one working day") and "noon" are found
# by cheap substring tests first, then by small patterns.
_LOWER_DATES = re.compile(
    r"[^\w](?:"
    + "|".join(rx for _, kind, rx in _ALTERNATIVES if kind == "date" and rx.startswith("(?:"))
    + ")"
)
_NOON = re.compile(r"(?:noon|midday|midnight)(?![\w'’-])")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>|\"]+[^\s<>|\"'’”.,;:!?)\]]")
_TLD = re.compile(
    r"\.(?:com|org|net|io|co|uk|de|fr|es|it|nl|eu|ie|gov|edu|app|dev|ai|info|biz|me|us|ca|au"
    r"|ch|se|no|dk|pl|pt|be|at)(?![\w-])"
)
_DOMAIN_LEFT = re.compile(r"(?<![\w@./-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\Z")
_DOMAIN_PATH = re.compile(r"/[^\s<>|\"]*[^\s<>|\"'’”.,;:!?)\]]")
_LABELS = _words(
    """
    flight size floor row seat gate room order ticket case job booking reference ref invoice
    account acct policy claim unit flat apartment apt suite building block level platform
    terminal bay desk door locker aisle zone version step page table coach carriage train bus
    route ext extension number item batch lot model serial pin ending tracking parcel package
    shipment receipt transaction contract tier phase option issue bug incident request task
    build release question section clause stand pitch stall pump cabin deck berth court lane
    ward bed bin box vehicle reg error code
    """
)

# Words after which a lower-case hyphenated word is a name: "workspace acme-ops".
_ID_LABELS = _words(
    """
    workspace account user username login handle project server host repo repository branch
    bucket folder directory file group team org organisation organization tenant instance
    cluster site domain channel queue tag namespace database db env environment profile role
    service app device machine laptop printer network vlan ssid hostname mailbox alias
    """
)

# The tail of a name span preceded by a determiner ("the", "a replacement ...").
_EXTENSION_WORD = re.compile(r"[ \t]+([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?![\w'’-])")
_TOKEN = re.compile(r"\S+")
_PREV_WORD = re.compile(r"([\w.]+)$")
_ABBREVIATIONS = _words("e.g i.e eg ie vs approx incl cf ca")

_INITIAL, _SOFT, _MID = 0, 1, 2


_MENTIONS_FIRST = re.compile(r"[ \t]*(?:@\w[\w.-]*[ \t,:]*)+")
"""A line that opens with @-mentions only ("@4417 Help is here"): the sentence starts after them."""


def _position(text: str, start: int) -> int:
    """Tell whether ``start`` begins a sentence (or line), follows a colon, or is mid-sentence."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].startswith(("@", " @")) and _MENTIONS_FIRST.fullmatch(
        text, line_start, start
    ):
        return _INITIAL
    i = start - 1
    while i >= 0 and text[i] in " \t\u00a0\"'“‘(*_[":
        i -= 1
    if i < 0:
        return _INITIAL
    char = text[i]
    if char in "\n\r":
        return _INITIAL
    if char in ".!?…":
        if char == ".":
            prev = _PREV_WORD.search(text, max(0, i - 12), i)
            if prev and prev.group(1).lower() in _ABBREVIATIONS:
                return _MID
        return _INITIAL
    if char == ":":
        return _SOFT
    if char in "•·‣◦▪–—-*>)" or (ord(char) > 0x2000 and not char.isalnum()):
        j = i - 1
        while j >= 0 and (text[j] in " \t\u00a0" or text[j].isdigit()):
            j -= 1
        if j < 0 or text[j] in "\n\r" or char not in "•·‣◦▪–—-*>)":
            return _INITIAL
    return _MID


def _is_word(token: str) -> bool:
    return token[:1].isalpha()


def _shouted(token: str) -> bool:
    """Tell whether an all-capitals token is an ordinary word shouted ("PLEASE", "NOT")."""
    return len(token) > 2 and token.isupper() and token.lower() in _STARTERS


def _evidence(text: str, word: str, start: int, end: int, run_end: int) -> bool:
    """Tell whether a capitalised word starting a sentence is a name anyway.

    It is when it looks like a code or an acronym, takes a possessive ("Keisha's laptop"), is
    addressed ("Priya, ..."), or stands on a line of its own (a sign-off: "Joanna").
    """
    if len(word) > 1 and (word.isupper() or not word[1:].islower()):
        return True  # SPRING20, SSO, McDonald, Q3
    after = text[end : end + 2]
    if after in ("'s", "’s") or (after[:1] == "," and not word.endswith("ly")):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t\u00a0\"'“‘(*_"):
        return False
    line_end = text.find("\n", run_end)
    rest = text[run_end : len(text) if line_end < 0 else line_end]
    return rest.strip(" \t\u00a0") in ("", ",", ".", "!")


def _key(token: str) -> str:
    """Return the lower-case form of a token used to look it up in the word lists."""
    return token.rstrip(".").lower().replace("’", "'")


class _Collector:
    """Per-call state of :func:`extract_facts`."""

    __slots__ = ("known", "padded", "pending", "spans", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.padded = " " + text
        self.spans: list[tuple[int, int, str]] = []
        self.known: set[str] = set()
        self.pending: list[tuple[int, int, str]] = []

    def name_run(self, start: int, end: int) -> None:
        """Decide which parts of a run of capitalised words are names, and add them."""
        text = self.text
        run = text[start:end]
        if " " not in run and "\t" not in run and "\u00a0" not in run:
            self._single(run, start, end)
            return
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]
        # Split the run where a shouted ordinary word sits ("PLEASE DO NOT CALL").
        segment: list[tuple[int, int, str]] = []
        first = True
        caps = [len(t[2]) > 1 and t[2].isalpha() and t[2].isupper() for t in tokens]
        for k, token in enumerate(tokens):
            if _shouted(token[2]) or (
                caps[k] and ((k > 0 and caps[k - 1]) or (k + 1 < len(caps) and caps[k + 1]))
            ):
                if segment:
                    self._segment(segment, first)
                first = False
                segment = []
            else:
                segment.append(token)
        if segment:
            self._segment(segment, first)

    def _single(self, word: str, start: int, end: int) -> None:
        """Handle a run of one capitalised word (the common case), quickly."""
        key = _key(word)
        if key in _NEVER_NAME or _shouted(word):
            return
        text = self.text
        position = _position(text, start)
        if position != _MID:
            if key in _STARTERS:
                return
            if position == _INITIAL and not _evidence(text, word, start, end, end):
                self.pending.append((start, end, word))
                return
        self.known.add(word)
        extended = self._extend(start, end)
        if extended == end and any(c.isdigit() for c in word):
            self.spans.append((_label_start(text, start), end, "id"))
        else:
            self.spans.append((start, extended, "name"))

    def _segment(self, tokens: list[tuple[int, int, str]], first: bool) -> None:
        text = self.text
        position = _position(text, tokens[0][0]) if first else _MID
        words = [_key(t[2]) for t in tokens]
        i = 0
        if position != _MID and _is_word(tokens[0][2]):
            if words[0] == "the" and all(_is_word(t[2]) for t in tokens[1:3]) and len(tokens) > 2:
                i = 0  # a title: "The Salt Path"
            elif words[0] in _STARTERS and not tokens[0][2].isupper():  # "IT Service Desk"
                i = 1
            elif (
                position == _INITIAL
                and sum(_is_word(t[2]) for t in tokens) < 2
                and not _evidence(text, tokens[0][2], tokens[0][0], tokens[0][1], tokens[-1][1])
            ):
                self.pending.append((tokens[0][0], tokens[-1][1], tokens[0][2]))
                i = 1
        while i < len(tokens) and (words[i] in _NEVER_NAME or words[i] in ("&", "&amp;")):
            i += 1
        j = len(tokens)
        while j > i and words[j - 1] in _CONNECTORS:
            j -= 1
        if i >= j or all(word in _ADDRESSEES for word in words[i:j]):
            return  # nothing left, or "Dear Valued Customer": a role, not a name
        kept = tokens[i:j]
        s, e = kept[0][0], kept[-1][1]
        for token in kept:
            if _is_word(token[2]):
                self.known.add(token[2])
        if not _is_word(kept[0][2]):  # only numbers left: "After 15 years" -> "15 years"
            self.spans.append((_label_start(text, s), e, "id"))
            self._rematch(s)
            return
        extended = self._extend(s, e)
        single_code = len(kept) == 1 and any(c.isdigit() for c in kept[0][2])
        if single_code and extended == e:
            self.spans.append((_label_start(text, s), e, "id"))
        else:
            self.spans.append((s, extended, "name"))
        if len(kept) > 1 and not _is_word(kept[-1][2]):  # "Priya 2 days"
            self._rematch(kept[-1][0])

    def _rematch(self, pos: int) -> None:
        """Match the pattern again where a run's number starts (it may begin a duration)."""
        match = _pattern().match(self.padded, pos)
        if match is not None and _GROUP_KIND[match.lastgroup or "g0"] != "name":
            self.add(match)

    def add(self, match: re.Match[str]) -> None:
        """Add the fact (or the names) of one match of the pattern over the padded text."""
        kind = _GROUP_KIND[match.lastgroup or "g0"]
        start, end = match.start(), match.end() - 1  # offsets in the text itself
        text = self.text
        if kind == "name":
            if text[start:end] not in _NOT_NAMES:
                self.name_run(start, end)
            return
        if kind == "id":
            if _list_marker(text, start, end):
                return
            start = _label_start(text, start)
        elif kind == "ident":
            token = text[start:end]
            if token in _CHAT_WORDS or token.lower() in _ABBREVIATIONS:
                return
            if token.replace("-", "").isalpha() and token.islower() and "-" in token:
                # a hyphenated word ("next-day") is a name only after a label: "workspace acme-ops"
                j = text.rfind(" ", 0, start - 1)
                if start < 2 or text[j + 1 : start - 1].lower() not in _ID_LABELS:
                    return
        elif kind == "slack":
            kind = _slack_kind(text[start:end])
        self.spans.append((start, end, _KIND.get(kind, kind)))

    def _extend(self, start: int, end: int) -> int:
        """Extend a product name after a determiner: "the Juniper wrap dress" keeps the dress."""
        text = self.text
        if start < 2 or text[start - 1] != " ":
            return end
        j = text.rfind(" ", 0, start - 1)
        last = text[j + 1 : start - 1].lower()
        if last not in _DETERMINERS:  # "a replacement Holt oak dining table"
            if j < 1 or not last.isalpha() or last in _EXTENSION_STOP:
                return end
            k = text.rfind(" ", 0, j)
            if text[k + 1 : j].lower().lstrip("(\"'“‘\n") not in _DETERMINERS:
                return end
        for _ in range(3):
            match = _EXTENSION_WORD.match(text, end)
            if match is None:
                break
            word = match.group(1)
            if word in _EXTENSION_STOP or word.endswith("ly"):
                break
            if word.endswith("ed") and not word.endswith("eed"):
                break
            end = match.end()
            if word.endswith("s") and not word.endswith("ss"):
                break
        return end


def extract_facts(text: str) -> list[Fact]:
    """Return the facts of ``text``: non-overlapping, sorted by start offset.

    A review asks for the facts of the same few texts several times (the rewrite, the guard,
    the facts kept), so they are remembered for the latest texts; the list is a new copy.
    """
    return list(_facts_of(text))


@functools.lru_cache(maxsize=256)
def _facts_of(text: str) -> tuple[Fact, ...]:
    if not text:
        return ()
    collector = _Collector(text)
    spans = collector.spans
    arrows = ">" in text or "→" in text or "›" in text or "»" in text or "&gt;" in text
    pattern = _pattern(bool(arrows))
    for match in pattern.finditer(collector.padded):
        collector.add(match)
    for start, end, word in collector.pending:
        if word in collector.known:
            spans.append((start, end, "name"))
    if "@" in text:
        spans.extend((m.start(), m.end(), "email") for m in _EMAIL.finditer(text))
    if "://" in text or "www." in text:
        links = [(m.start(), m.end()) for m in _URL.finditer(text)]
        if links:  # a capitalised run inside a link ("t.co/XrXp Have") is the link's, no more
            spans[:] = [s for s in spans if not any(a < s[0] < b < s[1] for a, b in links)]
            spans.extend((a, b, "url") for a, b in links)
    for match in _TLD.finditer(text):
        _add_domain(text, match.start(), match.end(), spans)
    _add_lower_case(text, collector.padded, spans)
    return tuple(_merge(text, spans))


def _add_lower_case(text: str, padded: str, spans: list[tuple[int, int, str]]) -> None:
    """Add the facts written in lower-case words: dates ("see you monday") and noon.

    Capitalised dates and times are found by the main pattern; these are rare, so cheap
    substring tests decide whether to look for them at all.
    """
    if ("day" in text and _has_lower_weekday(text)) or _has_lower_month(text):
        spans.extend((m.start(), m.end() - 1, "date") for m in _LOWER_DATES.finditer(padded))
    if "noon" in text or "midday" in text or "midnight" in text:
        for match in _NOON.finditer(text):
            start = match.start()
            if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "'’-"):
                spans.append((start, match.end(), "time"))


def _has_lower_weekday(text: str) -> bool:
    return (
        "monday" in text
        or "tuesday" in text
        or "wednesday" in text
        or "thursday" in text
        or "friday" in text
        or "saturday" in text
        or "sunday" in text
    )


def _has_lower_month(text: str) -> bool:
    return (
        "uary" in text
        or "september" in text
        or "october" in text
        or "november" in text
        or "december" in text
        or "april" in text
        or "june" in text
        or "july" in text
    )


def _add_domain(text: str, dot: int, end: int, spans: list[tuple[int, int, str]]) -> None:
    """Add a bare domain ("example.com/meter") around the top-level domain found at ``dot``."""
    left = _DOMAIN_LEFT.search(text, max(0, dot - 80), dot)
    if left is None:
        return
    path = _DOMAIN_PATH.match(text, end)
    spans.append((left.start(), path.end() if path else end, "url"))


def _label_start(text: str, start: int) -> int:
    """Return where a label before a number starts ("size 10", "flight 218", "ending in 4417")."""
    j = start - 1
    if j < 1 or text[j] not in " \t":
        return start
    k = j
    while k > 0 and text[k - 1].isalpha():
        k -= 1
    word = text[k:j].lower()
    if word in _LABELS:
        return k
    if word == "in" and text[max(0, k - 7) : k].lower() == "ending ":
        return k - 7
    return start


def _list_marker(text: str, start: int, end: int) -> bool:
    """Tell whether a number is the marker of a numbered list ("1. Free collection")."""
    if end - start > 2 or text[end : end + 1] not in (".", ")") or not text[start:end].isdigit():
        return False
    if text[end + 1 : end + 2] not in (" ", "\t"):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip()


def _slack_kind(token: str) -> str:
    if token.startswith("<@"):
        return "mention"
    if token.startswith("<#"):
        return "channel"
    if token.startswith("<!"):
        return "mention"
    return "link"


_WHEN = ("date", "time")


def _merge(text: str, spans: list[tuple[int, int, str]]) -> list[Fact]:
    """Merge overlapping spans; a merged span takes the kind of its longest part."""
    spans.sort()
    facts: list[Fact] = []
    cur_start, cur_end, cur_kind, cur_len = -1, -1, "", 0
    for start, end, kind in spans:
        if start < cur_end or (
            kind in _WHEN and cur_kind in _WHEN and text[cur_end:start] in (" on ", " at ")
        ):  # one appointment: "10am on Sunday", "Thursday at 10am"
            if end - start > cur_len:
                cur_kind, cur_len = kind, end - start
            cur_end = max(cur_end, end)
            continue
        if cur_end > cur_start >= 0:
            facts.append(Fact(cur_kind, text[cur_start:cur_end], cur_start, cur_end))
        cur_start, cur_end, cur_kind, cur_len = start, end, kind, end - start
    if cur_end > cur_start >= 0:
        facts.append(Fact(cur_kind, text[cur_start:cur_end], cur_start, cur_end))
    return facts


def fact_texts(text: str) -> list[str]:
    """Return the texts of the facts of ``text``, each once, in order."""
    return list(dict.fromkeys(fact.text for fact in extract_facts(text)))


def missing_facts(draft: str, suggestion: str) -> list[str]:
    """Return the texts of the draft's facts that do not occur verbatim in the suggestion."""
    return [fact for fact in fact_texts(draft) if fact not in suggestion]


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` spans of the facts of ``text``, so no edit cuts inside one."""
    return [(fact.start, fact.end) for fact in extract_facts(text)]
