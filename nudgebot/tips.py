"""The coaching-tip library: ``prompts/tips.toml`` loaded, checked and searched.

The library answers agents' questions when no model is configured (or the model fails), grounds
the model's answer when one is, and feeds the daily tip to team channels. It is pure: no I/O
after :meth:`TipLibrary.load`, no platform imports.

The file is a ``[library]`` table (``id``, ``version``) and ``[[tip]]`` tables, each with
``id`` (a slug, unique), ``dimension`` (one of :data:`nudgebot.models.DIMENSIONS`), ``idea`` (a
slug such as ``three-cs`` or ``moments-of-truth``), ``text`` (one or two plain sentences: no
Slack markup, no @-mentions, since the daily tip is posted as it is) and ``keywords`` (words or
short phrases a question about the tip would contain). A broken file raises
:class:`TipFileError` naming the file, the tip and the field.

:meth:`TipLibrary.relevant` scores every tip against a question (keywords, words of the tip's
text and id, dimension and idea names, all after light stemming) and breaks ties by id, so the
same question always gets the same tips.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from nudgebot.engine.rules import prompts_dir
from nudgebot.models import DIMENSIONS, Dimension

__all__ = ["FILE_NAME", "Tip", "TipFileError", "TipLibrary", "stem", "words"]

FILE_NAME = "tips.toml"
MAX_TEXT_CHARS = 400
MAX_KEYWORD_CHARS = 40

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_KEYWORD = re.compile(r"[^\W_](?:[\w' ’-]*[^\W_])?\Z")
_MARKUP = re.compile(r"[<>]|(?<![\w.+-])@[A-Za-z0-9]")
_TIP_KEYS = frozenset({"id", "dimension", "idea", "text", "keywords"})
_LIBRARY_KEYS = frozenset({"id", "version"})

# Scoring weights (see TipLibrary.relevant).
_KEYWORD_WEIGHT = 3
_WORD_WEIGHT = 1
_DIMENSION_WEIGHT = 2
_IDEA_WEIGHT = 2
_MIN_SCORE = 3
"""A tip needs a keyword, or three lesser signals, to count as relevant."""


class TipFileError(ValueError):
    """A tips file that cannot be used, naming the file, the tip and the field to look at."""

    def __init__(self, path: Path, tip: str | None, field_name: str | None, problem: str) -> None:
        self.path = path
        self.tip = tip
        self.field = field_name
        self.problem = problem
        where = str(path)
        if tip:
            where += f": tip {tip}"
        if field_name:
            where += f": field '{field_name}'"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Tip:
    """One coaching tip, as read from the library."""

    id: str
    dimension: Dimension
    idea: str
    text: str
    keywords: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Words and stems
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_IRREGULAR = {
    "lost": "lose",
    "died": "die",
    "dead": "die",
    "death": "die",
    "dying": "die",
    "paid": "pay",
    "told": "tell",
    "said": "say",
    "sent": "send",
    "went": "go",
    "gone": "go",
    "bought": "buy",
    "broke": "break",
    "broken": "break",
    "angrily": "angry",
    "angrier": "angry",
    "cant": "cannot",
    "couldnt": "cannot",
    "unable": "cannot",
    "cancelled": "cancel",
    "canceled": "cancel",
    "cancelling": "cancel",
    "canceling": "cancel",
}
_IZE = re.compile(r"iz(e|es|ed|ing|ation|ations)\Z")
_DOUBLE = re.compile(r"([b-df-hj-km-np-rtv-z])\1\Z")  # a doubled consonant but l, s, z: shipp


def stem(word: str) -> str:
    """Return a light stem of a lower-case word: "refunds", "refunded" -> "refund".

    Strips apostrophes ("can't" -> "cannot" via a few irregular forms), ``-ies``/``-ied``
    (-> ``y``), ``-ing``, ``-ed``, a plural ``s`` and a final ``e``, and folds ``-ize`` into
    ``-ise``. Crude on purpose: the same function stems the question and the keywords, so it
    only has to be consistent.
    """
    word = word.replace("'", "").replace("’", "")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3:
        return word
    word = _IZE.sub(r"is\1", word)
    if word.endswith(("ies", "ied")) and len(word) >= 5:
        return word[:-3] + "y"
    for suffix, shortest in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= shortest:
            word = _DOUBLE.sub(r"\1", word[: -len(suffix)])
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
            word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Return the stems of the words of ``text``, in order (see :func:`stem`)."""
    return [stem(word) for word in _WORD.findall(text.lower())]


# Words that say nothing about which tip fits: function words, and what every question to the
# bot says ("how do I tell the customer..."). Stemmed like the question.
_STOP = frozenset(
    words(
        """
        a an the and or but if so of to in on at for with from by about as into than then
        is are was were be been being am have has had do does did done will would can could
        should may might must shall i me my mine we us our you your yours he him his she her
        they them their it its this that these those there here what which who whom whose when
        where why how not very just also all any some more most much many only own same such
        too again further once please thanks thank hi hello hey ok okay yes
        customer customers client clients caller user someone somebody person people agent
        say saying tell telling reply replying respond answer write writing word phrase put
        handle handling deal dealing best way tip tips advice help get got make want wants
        wanted need needs know think go going like really something anything thing things
        one now today tomorrow still keep keeps well good bad back let lets
        """
    )
) - {"again", "still", "back", "keep"}
# "again", "still" and "back" say "repeated contact"; they stay searchable as keywords.

_DIMENSION_WORDS: Mapping[str, Dimension] = {
    **dict.fromkeys(
        words("respect respectful respectfully disrespect disrespectful polite politely"),
        "respect",
    ),
    **dict.fromkeys(
        words("empathy empathetic empathic empathise empathize compassion compassionate warm"),
        "empathy",
    ),
    **dict.fromkeys(
        words("adaptable adapt adaptability flexible flexibility bend"),
        "adaptable",
    ),
    **dict.fromkeys(words("learn learning lesson lessons"), "learn"),
    **dict.fromkeys(
        words("ownership own accountable accountability responsibility"),
        "ownership",
    ),
}


@dataclass(frozen=True)
class _Index:
    """What a tip is matched on, stemmed once at load."""

    keywords: frozenset[str]
    """Single-word keywords."""
    phrases: tuple[str, ...]
    """Multi-word keywords, as " stem stem " for matching inside a padded question."""
    words: frozenset[str]
    """The content words of the tip's text and id."""
    idea: str | None
    """The idea as a padded phrase (" moment of truth "), None for one-word ideas."""


def _index(tip: Tip) -> _Index:
    keywords: set[str] = set()
    phrases: list[str] = []
    for keyword in tip.keywords:
        stems = words(keyword)
        if len(stems) == 1:
            keywords.add(stems[0])
        elif stems:
            phrases.append(" " + " ".join(stems) + " ")
    content = {w for w in words(f"{tip.text} {tip.id.replace('-', ' ')}") if w not in _STOP}
    content -= set(words(tip.dimension))  # the dimension counts once, through its own weight
    idea = words(tip.idea.replace("-", " "))
    return _Index(
        frozenset(keywords),
        tuple(phrases),
        frozenset(w for w in content if len(w) > 2),
        " " + " ".join(idea) + " " if len(idea) > 1 else None,
    )


# --------------------------------------------------------------------------------------------
# The library
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TipLibrary:
    """Every tip of a tips file, in file order, with the file's id and version."""

    id: str
    version: str
    tips: tuple[Tip, ...]
    path: Path
    _index: tuple[_Index, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self._index) != len(self.tips):
            object.__setattr__(self, "_index", tuple(_index(tip) for tip in self.tips))

    @classmethod
    def load(cls, directory: Path | None = None) -> TipLibrary:
        """Load ``tips.toml`` from ``directory`` (None: the bundled prompts folder).

        Raises :class:`TipFileError` naming the file, the tip and the field when the file is
        missing, is not valid TOML, or any tip is incomplete, malformed or a duplicate.
        """
        path = prompts_dir(directory) / FILE_NAME
        return _parse(path, _read(path))

    def __len__(self) -> int:
        return len(self.tips)

    def __iter__(self) -> Iterator[Tip]:
        return iter(self.tips)

    def get(self, tip_id: str) -> Tip:
        """Return the tip with this id; raise :class:`KeyError` if there is none."""
        for tip in self.tips:
            if tip.id == tip_id:
                return tip
        raise KeyError(tip_id)

    def by_dimension(self, dimension: str) -> list[Tip]:
        """Return the tips of one dimension, in file order.

        Raises :class:`ValueError` for a name that is not one of the five dimensions.
        """
        if dimension not in DIMENSIONS:
            raise ValueError(
                f"unknown dimension {dimension!r}: expected one of {', '.join(DIMENSIONS)}"
            )
        return [tip for tip in self.tips if tip.dimension == dimension]

    def general(self, limit: int = 3) -> list[Tip]:
        """Return the general answer: the first ownership and empathy tips, alternating.

        This is what :meth:`relevant` gives when nothing in a question matches.
        """
        ownership, empathy = self.by_dimension("ownership"), self.by_dimension("empathy")
        mixed = [tip for pair in zip(ownership, empathy, strict=False) for tip in pair]
        longer = ownership if len(ownership) > len(empathy) else empathy
        mixed += longer[min(len(ownership), len(empathy)) :]
        return mixed[: max(0, limit)]

    def scores(self, question: str) -> dict[str, int]:
        """Return every tip's relevance to ``question`` by tip id (0: nothing in common).

        A keyword of the tip in the question scores 3; a content word shared with the tip's
        text or id scores 1; naming the tip's dimension ("empathy", "flexible", "ownership"...)
        or its idea ("moments of truth", "three C's") scores 2 each.
        """
        stems = words(question)
        present = set(stems)
        content = {w for w in present if w not in _STOP}
        padded = " " + " ".join(stems) + " "
        named = {_DIMENSION_WORDS[w] for w in present if w in _DIMENSION_WORDS}
        real = re.search(r"\bREAL\b", question) is not None
        result: dict[str, int] = {}
        for tip, index in zip(self.tips, self._index, strict=True):
            score = _KEYWORD_WEIGHT * len(index.keywords & present)
            score += _KEYWORD_WEIGHT * sum(1 for phrase in index.phrases if phrase in padded)
            score += _WORD_WEIGHT * len(index.words & content)
            if tip.dimension in named:
                score += _DIMENSION_WEIGHT
            if (index.idea is not None and index.idea in padded) or (real and tip.idea == "real"):
                score += _IDEA_WEIGHT
            result[tip.id] = score
        return result

    def matches(self, question: str) -> bool:
        """Tell whether any tip is relevant to ``question`` (else :meth:`relevant` is general)."""
        return any(score >= _MIN_SCORE for score in self.scores(question).values())

    def relevant(self, question: str, limit: int = 3) -> list[Tip]:
        """Return up to ``limit`` tips most relevant to ``question``, best first.

        Tips scoring below the threshold (one keyword, or three lesser signals: see
        :meth:`scores`) are left out; equal scores are ordered by tip id, so the answer is
        deterministic. When no tip reaches the threshold, the general ownership and empathy
        tips are returned (:meth:`general`).
        """
        if limit <= 0:
            return []
        scores = self.scores(question)
        ranked = sorted(
            (tip for tip in self.tips if scores[tip.id] >= _MIN_SCORE),
            key=lambda tip: (-scores[tip.id], tip.id),
        )
        return ranked[:limit] if ranked else self.general(limit)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise TipFileError(path, None, None, "file not found") from None
    except OSError as error:
        raise TipFileError(path, None, None, f"cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise TipFileError(path, None, None, f"not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise TipFileError(path, None, None, f"not UTF-8 (byte {error.start})") from None


def _parse(path: Path, data: dict[str, Any]) -> TipLibrary:
    unknown = sorted(data.keys() - {"library", "tip"})
    if unknown:
        raise TipFileError(path, None, unknown[0], "unknown table (expected [library], [[tip]])")
    library = data.get("library")
    if not isinstance(library, dict):
        raise TipFileError(path, None, "library", "missing [library] table (with id and version)")
    extra = sorted(library.keys() - _LIBRARY_KEYS)
    if extra:
        raise TipFileError(path, None, f"library.{extra[0]}", "unknown field")
    for key in ("id", "version"):
        value = library.get(key)
        if not isinstance(value, str) or not value.strip():
            raise TipFileError(path, None, f"library.{key}", "must be a non-empty string")
    raw = data.get("tip")
    if not isinstance(raw, list) or not raw:
        raise TipFileError(path, None, "tip", "no tips: add at least one [[tip]] table")
    tips: list[Tip] = []
    seen: set[str] = set()
    for number, table in enumerate(raw, start=1):
        tip = _tip(path, number, table)
        if tip.id in seen:
            raise TipFileError(path, f"'{tip.id}'", "id", "is used by an earlier tip")
        seen.add(tip.id)
        tips.append(tip)
    return TipLibrary(library["id"], library["version"], tuple(tips), path)


def _tip(path: Path, number: int, table: Any) -> Tip:
    """Read and check the ``number``-th ``[[tip]]`` table."""
    if not isinstance(table, dict):
        raise TipFileError(path, f"#{number}", None, "is not a table")
    raw_id = table.get("id")
    if not isinstance(raw_id, str) or not _SLUG.match(raw_id):
        shown = f" (got {raw_id!r})" if raw_id is not None else ""
        problem = f"must be a slug of lower-case letters, digits and '-'{shown}"
        raise TipFileError(path, f"#{number}", "id", problem)
    name = f"'{raw_id}'"

    def fail(field_name: str | None, problem: str) -> TipFileError:
        return TipFileError(path, name, field_name, problem)

    unknown = sorted(table.keys() - _TIP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown field (expected {', '.join(sorted(_TIP_KEYS))})")
    missing = sorted(_TIP_KEYS - table.keys())
    if missing:
        raise fail(missing[0], "is missing")
    dimension = table["dimension"]
    if dimension not in DIMENSIONS:
        raise fail("dimension", f"must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    idea = table["idea"]
    if not isinstance(idea, str) or not _SLUG.match(idea):
        raise fail("idea", f"must be a slug such as 'moments-of-truth', not {idea!r}")
    text = table["text"]
    if not isinstance(text, str) or not text.strip():
        raise fail("text", "must be a non-empty string")
    text = " ".join(text.split())
    if len(text) > MAX_TEXT_CHARS:
        raise fail("text", f"is {len(text)} characters long (at most {MAX_TEXT_CHARS})")
    if _MARKUP.search(text):
        raise fail("text", "must not contain '<', '>' or @-mentions (tips are posted as they are)")
    keywords = table["keywords"]
    if not isinstance(keywords, list) or not keywords:
        raise fail("keywords", "must be a non-empty list of words or short phrases")
    for keyword in keywords:
        if (
            not isinstance(keyword, str)
            or len(keyword) > MAX_KEYWORD_CHARS
            or not _KEYWORD.match(keyword.strip())
        ):
            raise fail("keywords", f"holds {keyword!r}, which is not a word or short phrase")
    return Tip(
        id=raw_id,
        dimension=cast(Dimension, dimension),
        idea=idea,
        text=text,
        keywords=tuple(keyword.strip().lower() for keyword in keywords),
    )
