"""How polite a text reads: the politeness strategies, weighed, as one estimate in [0, 1].

The strategies are those of the politeness research (Danescu-Niculescu-Mizil et al., 2013,
*A computational approach to politeness*): gratitude, deference, greetings, apologies,
"please", hedges, counterfactual modals ("could you"), direct questions, second-person
starts, factuality ("in fact", "actually"), and a few more. Each is **data** in
``prompts/politeness.toml``: a list of phrases (or regular expressions) and where in a
sentence they count, with a weight fitted by ``bench/fit_politeness.py`` on human politeness
ratings. The estimate is ``sigmoid(intercept + sum of the weights of the strategies used)``:
a dot product and a sigmoid, nothing heavier at run time.

:func:`politeness` gives the estimate; :func:`respect_score` blends it with the respect
findings' costs into the ``respect`` score (see ``docs/politeness.md``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "WHERE",
    "PolitenessFileError",
    "PolitenessModel",
    "Strategy",
    "blend_respect",
    "load_model",
    "politeness",
    "respect_score",
    "sentences",
    "strategies_used",
]

Where = Literal["anywhere", "not_start", "sentence_start", "text_start", "whole_text"]
WHERE: tuple[Where, ...] = ("anywhere", "not_start", "sentence_start", "text_start", "whole_text")

FILE_NAME = "politeness.toml"
MEMO_TOKENS = 50_000
"""How many distinct words the phrase index remembers the phrases of (a bound on memory)."""

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# What comes before a sentence's first word and does not count as one: handles and mentions
# (``@324594``, ``<@U024BE7LH>``), quotes, brackets, dashes, bullets.
_LEAD = re.compile(r"^(?:\s|<@\w+>|@\w+[:,]?|[\"'(\[\-*\u2022\u2014\u2013>:]+)+")
_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


class PolitenessFileError(ValueError):
    """A politeness file that cannot be used, naming the file and what is wrong."""


@dataclass(frozen=True)
class Strategy:
    """One politeness strategy: the phrases or patterns that show it, where, and its weight."""

    name: str
    description: str
    where: Where
    weight: float
    phrases: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Phrase:
    rest: tuple[str, ...]
    """The tokens after the first; the last is a prefix when ``open_end``."""
    open_end: bool
    strategy: int


class _PhraseIndex:
    """All the strategies' phrases, looked up by their first token (or its prefix)."""

    def __init__(self, strategies: Sequence[Strategy]) -> None:
        self.exact: dict[str, list[_Phrase]] = {}
        self.prefix: dict[int, dict[str, list[_Phrase]]] = {}
        for index, strategy in enumerate(strategies):
            for phrase in strategy.phrases:
                open_end = phrase.endswith("*")
                tokens = tuple(_TOKEN.findall(phrase.rstrip("*").lower()))
                if not tokens:
                    continue
                entry = _Phrase(tokens[1:], open_end, index)
                if open_end and len(tokens) == 1:
                    bucket = self.prefix.setdefault(len(tokens[0]), {})
                    bucket.setdefault(tokens[0], []).append(entry)
                else:
                    self.exact.setdefault(tokens[0], []).append(entry)

        self._seen: dict[str, tuple[_Phrase, ...]] = {}

    def candidates(self, token: str) -> tuple[_Phrase, ...]:
        """Return the phrases whose first token is ``token`` (or a prefix of it)."""
        found = self._seen.get(token)
        if found is None:
            hits = list(self.exact.get(token, ()))
            for length, bucket in self.prefix.items():
                if len(token) >= length and token[:length] in bucket:
                    hits += bucket[token[:length]]
            found = tuple(hits)
            if len(self._seen) < MEMO_TOKENS:
                self._seen[token] = found
        return found


def _continues(tokens: Sequence[str], i: int, phrase: _Phrase) -> bool:
    rest = phrase.rest
    if not rest:
        return True
    if i + len(rest) > len(tokens):
        return False
    last = len(rest) - 1
    for k, want in enumerate(rest):
        got = tokens[i + k]
        if got != want and not (k == last and phrase.open_end and got.startswith(want)):
            return False
    return True


@dataclass(frozen=True)
class PolitenessModel:
    """The strategies with their fitted weights, and how the respect score blends them in."""

    strategies: tuple[Strategy, ...]
    intercept: float
    blend: float
    """Share of the respect score given to the politeness estimate (0: findings only)."""
    shift: float = 0.0
    """Added to the linear score before the sigmoid, for the respect score only: support
    replies are plainer than the requests the weights were fitted on, and a plain good reply
    must still score high."""
    source: Path | None = None

    @cached_property
    def _index(self) -> _PhraseIndex:
        return _PhraseIndex(self.strategies)

    @cached_property
    def _wheres(self) -> tuple[Where, ...]:
        """Each strategy's ``where``, by position (looked up for every phrase found)."""
        return tuple(strategy.where for strategy in self.strategies)

    def used(self, text: str) -> set[int]:
        """Return the positions (in :attr:`strategies`) of the strategies ``text`` uses."""
        parts = sentences(text)
        found: set[int] = set()
        candidates, wheres = self._index.candidates, self._wheres
        for number, part in enumerate(parts):
            tokens = _TOKEN.findall(part)
            for i, token in enumerate(tokens):
                for phrase in candidates(token):
                    at = phrase.strategy
                    if at in found or not _placed(wheres[at], number, i):
                        continue
                    if phrase.rest and not _continues(tokens, i + 1, phrase):
                        continue
                    found.add(at)
        for index, strategy in enumerate(self.strategies):
            pattern = strategy.pattern
            if pattern and index not in found and _pattern_used(pattern, strategy.where, parts):
                found.add(index)
        return found

    def features(self, text: str) -> dict[str, bool]:
        """Return, for every strategy, whether ``text`` uses it."""
        used = self.used(text)
        return {s.name: i in used for i, s in enumerate(self.strategies)}

    def linear(self, text: str) -> float:
        """Return the intercept plus the weights of the strategies ``text`` uses."""
        return self.intercept + sum(self.strategies[i].weight for i in self.used(text))

    def estimate(self, text: str) -> float:
        """Return the politeness estimate of ``text``, in [0, 1].

        It is how likely the text belongs to the most polite quarter rather than the least
        polite quarter of the requests the weights were fitted on (0.5: either way).
        """
        return _sigmoid(self.linear(text))

    def respect(self, cost: int, text: str) -> int:
        """Return the respect score of ``text`` whose respect findings cost ``cost``."""
        return blend_respect(cost, self.linear(text), self.blend, self.shift)


def _placed(where: Where, sentence: int, token: int) -> bool:
    """Whether a phrase found at this sentence and token counts for a strategy's ``where``."""
    if where == "sentence_start":
        return token == 0
    if where == "text_start":
        return sentence == 0 and token == 0
    if where == "not_start":
        return token > 0
    return True


def _pattern_used(pattern: re.Pattern[str], where: Where, parts: Sequence[str]) -> bool:
    if where == "whole_text":
        return pattern.search("\n".join(parts)) is not None
    if where == "text_start":
        return bool(parts) and pattern.match(parts[0]) is not None
    if where == "sentence_start":
        return any(pattern.match(part) for part in parts)
    return any(pattern.search(part) for part in parts)


def sentences(text: str) -> list[str]:
    """Split a text into lower-cased sentences, each trimmed of handles and leading marks."""
    folded = text.translate(_QUOTES).lower()
    parts = (_LEAD.sub("", part).strip() for part in _SENTENCE_END.split(folded))
    return [part for part in parts if part]


def strategies_used(text: str, model: PolitenessModel | None = None) -> list[str]:
    """Return the names of the strategies ``text`` uses (the bundled model by default)."""
    features = (model or load_model()).features(text)
    return [name for name, used in features.items() if used]


def politeness(text: str, model: PolitenessModel | None = None) -> float:
    """Return how polite ``text`` reads, in [0, 1], by the bundled model by default."""
    return (model or load_model()).estimate(text)


def respect_score(cost: int, text: str | None, model: PolitenessModel | None = None) -> int:
    """Return the respect score: 100 minus ``cost``, blended with how polite ``text`` reads.

    See :func:`blend_respect`; without a text it is ``max(0, 100 - cost)``, as before.
    """
    if text is None:
        return max(0, 100 - cost)
    return (model or load_model()).respect(cost, text)


def blend_respect(cost: int, linear: float, blend: float, shift: float) -> int:
    """``blend * 100 * sigmoid(linear + shift) + (1 - blend) * max(0, 100 - cost)``, rounded.

    ``linear`` is the politeness model's linear score (intercept plus weights); the fitting
    script computes the respect score with this same function.
    """
    return round(blend * 100 * _sigmoid(linear + shift) + (1 - blend) * max(0, 100 - cost))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


@lru_cache(maxsize=4)
def load_model(path: Path | None = None) -> PolitenessModel:
    """Load the politeness file once per process (None: ``prompts/politeness.toml``)."""
    import tomllib  # here: importing the engine stays cheap until the first review

    if path is None:
        from nudgebot.engine.rules import prompts_dir

        path = prompts_dir() / FILE_NAME
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise PolitenessFileError(f"{path}: cannot be read ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise PolitenessFileError(f"{path}: not valid TOML ({error})") from error
    return parse_model(data, path)


def parse_model(data: Mapping[str, Any], path: Path | None = None) -> PolitenessModel:
    """Build a model from the parsed politeness file; raise on anything missing or odd."""
    where_file = str(path) if path else "politeness data"

    def fail(problem: str) -> PolitenessFileError:
        return PolitenessFileError(f"{where_file}: {problem}")

    model = data.get("model")
    if not isinstance(model, Mapping):
        raise fail("the [model] table is missing")
    intercept = _number(model.get("intercept"), "model.intercept", fail)
    blend = _number(model.get("respect_blend"), "model.respect_blend", fail)
    if not 0 <= blend <= 1:
        raise fail("model.respect_blend must be between 0 and 1")
    shift = _number(model.get("respect_shift", 0.0), "model.respect_shift", fail)
    raw = data.get("strategy")
    if not isinstance(raw, list) or not raw:
        raise fail("there is no [[strategy]]")
    strategies: list[Strategy] = []
    for index, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name:
            raise fail(f"strategy {index + 1} has no name")
        if any(s.name == name for s in strategies):
            raise fail(f"strategy '{name}' appears twice")
        strategies.append(_strategy(name, entry, fail))
    return PolitenessModel(tuple(strategies), intercept, blend, shift, path)


def _strategy(name: str, entry: Mapping[str, Any], fail: Any) -> Strategy:
    where = entry.get("where", "anywhere")
    if where not in WHERE:
        raise fail(f"strategy '{name}': where must be one of {', '.join(WHERE)}")
    phrases = entry.get("phrases", [])
    patterns = entry.get("patterns", [])
    for key, value in (("phrases", phrases), ("patterns", patterns)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"strategy '{name}': {key} must be a list of strings")
    if not phrases and not patterns:
        raise fail(f"strategy '{name}' has neither phrases nor patterns")
    pattern = None
    if patterns:
        try:
            pattern = re.compile("|".join(f"(?:{p})" for p in patterns))
        except re.error as error:
            problem = f"strategy '{name}': a pattern is not a valid regular expression ({error})"
            raise fail(problem) from error
    if phrases and where == "whole_text":
        raise fail(f"strategy '{name}': whole_text is for patterns, not phrases")
    description = entry.get("description", "")
    weight = _number(entry.get("weight"), f"strategy '{name}' weight", fail)
    return Strategy(name, str(description), where, weight, tuple(phrases), pattern)


def _number(value: object, field: str, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"{field} must be a number")
    return float(value)
