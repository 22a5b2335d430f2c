"""Loading the rule files: one rule per ``prompts/rules/<id>.toml``, plus shared data.

``_signals.toml`` holds the vocabulary (named pattern fragments) and the context signals
(is the customer upset? does the draft commit to a next step?); ``_rewrite.toml`` holds the
sentences the rules-based rewrite may add. A broken file raises :class:`RuleFileError`
naming the file and the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from nudgebot.engine.rules import _regex_literals
from nudgebot.engine.rules.patterns import LiteralIndex, PatternError, PatternSet, compile_patterns
from nudgebot.models import DIMENSIONS, MOVES, Dimension, Level, Move, Turn, thread_from_data

Kind = Literal["existence", "substitution", "occurrence", "conditional"]
KINDS: tuple[Kind, ...] = ("existence", "substitution", "occurrence", "conditional")
Scope = Literal["sentence", "after", "before", "following", "draft"]
SCOPES: tuple[Scope, ...] = ("sentence", "after", "before", "following", "draft")
Action = Literal["keep", "drop", "replace", "lower"]
ACTIONS: tuple[Action, ...] = ("keep", "drop", "replace", "lower")

_COMMON = {"kind", "dimension", "level", "cost", "message", "fix", "when", "moves", "flag", "pass"}
_COMMON.add("rewrite_moves")  # the moves in which the rewrite edits the flagged words
_COMMON.add("cut")  # how much a drop may take: the flagged words' clause, or only them
_COMMON.add("needs_agent")  # only the agent can answer the point: no rewrite while it stands
_COMMON.add("cut_needs_add")  # its words are cut whole only when its `add` sentence replaces them
_COMMON.add("fix_when")  # a fix worded for a situation: signal = fix, the first that holds
Source = Literal["customer", "draft", "thread", "agent_before"]
SOURCES: tuple[Source, ...] = ("customer", "draft", "thread", "agent_before")
_FIELDS: dict[str, set[str]] = {
    "existence": _COMMON
    | {"patterns", "case_sensitive", "unless", "unless_scope", "rewrite", "replacement", "add"},
    "substitution": _COMMON | {"swap", "unless", "unless_scope", "add"},
    "occurrence": _COMMON
    | {"patterns", "case_sensitive", "count", "max", "min", "rewrite", "replacement", "add"},
    "conditional": _COMMON
    | {"requires", "anchor", "unless", "unless_scope", "requires_scope", "add"},
}


class RuleFileError(ValueError):
    """A rule or data file that cannot be used, with the file and field to look at."""

    def __init__(self, path: Path, field_name: str | None, problem: str) -> None:
        self.path = path
        self.field = field_name
        self.problem = problem
        where = f"{path}: field '{field_name}'" if field_name else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Example:
    """A draft (with its customer message or thread, if any) that a rule must flag or pass."""

    draft: str
    customer: str | None = None
    thread: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class Signal:
    """A fact about the conversation, true when a pattern matches or another signal holds."""

    name: str
    source: Source
    pattern: PatternSet | None
    case_sensitive: bool
    any_of: tuple[str, ...]
    max_words: int | None
    all_of: tuple[str, ...] = ()
    """Signals that must all hold as well (``!name``: must not hold)."""
    same: str | None = None
    """Another signal: this one holds only when its patterns' ``step`` group names a step that
    one of the other's matches named too ("have you tried restarting?" after "I've restarted
    it twice"), whatever the word's ending."""


@dataclass(frozen=True)
class Rule:
    """One rule, as read from its file. The rule id is the file name without ``.toml``."""

    id: str
    path: Path
    kind: Kind
    dimension: Dimension
    level: Level
    cost: int
    message: str
    fix: str
    when: tuple[str, ...] = ()
    moves: tuple[Move, ...] = ()
    """The moves of a reply the rule applies to (empty: every move)."""
    pattern: PatternSet | None = None
    case_sensitive: bool = False
    unless: PatternSet | None = None
    unless_scope: Scope = "sentence"
    requires: PatternSet | None = None
    requires_scope: Scope = "draft"
    swaps: tuple[str, ...] = ()
    count: Literal["matches", "words"] = "matches"
    max: int | None = None
    min: int | None = None
    rewrite: Action = "keep"
    replacement: str | None = None
    rewrite_moves: tuple[Move, ...] = ()
    """The moves in which the rewrite edits the flagged words (empty: every move); in other
    moves they are kept as correct information and the template's ``if_kept`` sentence is
    added instead."""
    cut: Literal["clause", "flagged"] = "clause"
    """What a ``drop`` may take: the flagged words' ``clause`` (or sentence), or, for words that
    often carry the answer itself (a rule, a reason), only the ``flagged`` words with at most
    :data:`~nudgebot.engine.rules.rewrite.CUT_SLACK` words around them; when more would go,
    the words stay and the review gives coaching points instead."""
    add: str | None = None
    needs_agent: bool = False
    """Only the agent can answer this point (an alternative, who takes the problem on): while a
    confident finding of it stands, the rules write no rewrite, only coaching points."""
    cut_needs_add: bool = False
    """Cut whole, the flagged words leave the reply colder ("I understand, but ..."): the cut
    stands only when the rule's ``add`` sentence takes their place; otherwise no rewrite."""
    fix_when: tuple[tuple[str, str], ...] = ()
    """Fixes worded for a situation, ``(signal, fix)`` in the file's order: the first whose
    signal holds is shown instead of ``fix`` (an example sentence that fits the conversation)."""
    flag_examples: tuple[Example, ...] = ()
    pass_examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class Rulebook:
    """Everything the rules engine reads from disk, loaded once per process."""

    rules: tuple[Rule, ...]
    signals: Mapping[str, Signal]
    templates: Mapping[str, Mapping[str, str]]
    vocab: Mapping[str, str] = field(default_factory=dict)
    index: LiteralIndex = field(default_factory=lambda: LiteralIndex(()))
    """Finds which prefilter literals of all the rules' patterns occur in a text."""
    moves: tuple[Move, ...] = ()
    """The order in which a reply's move is decided: the first ``move_<name>`` signal wins."""
    default_move: Move = "answer"
    conversation_signals: frozenset[str] = frozenset()
    """The signals that read only the conversation, never the draft (kept across rewrites)."""

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_rulebook(directory: Path, cache_dir: Path | None = None) -> Rulebook:
    """Load ``_signals.toml``, ``_rewrite.toml`` and every rule file in ``directory``.

    With ``cache_dir``, the prefilter literals worked out from the patterns are kept there
    between runs (keyed by the patterns themselves, so edited rules are never served stale).
    """
    if cache_dir is not None:
        _regex_literals.load_cache(cache_dir)
    rulebook = _load(directory)
    if cache_dir is not None:
        _regex_literals.save_cache(cache_dir)
    return rulebook


def _load(directory: Path) -> Rulebook:
    signals_path = directory / "_signals.toml"
    signals_data = _read(signals_path)
    vocab = _strings_table(signals_path, signals_data, "vocab")
    signals = _load_signals(signals_path, signals_data, vocab)
    moves, default_move = _load_moves(signals_path, signals_data, signals)
    rewrite_path = directory / "_rewrite.toml"
    rewrite_data = _read(rewrite_path)
    own = rewrite_data.get("signals")
    if own is not None:  # the rewrite's own signals (does the draft already ...?)
        if not isinstance(own, dict):
            raise RuleFileError(rewrite_path, "signals", "must be a table of signal definitions")
        twice = sorted(set(own) & set(signals))
        if twice:
            raise RuleFileError(rewrite_path, f"signals.{twice[0]}", "already in _signals.toml")
        merged = {**signals_data["signals"], **own}
        signals = _load_signals(rewrite_path, {"signals": merged}, vocab)
    templates = _load_templates(rewrite_path, rewrite_data)
    for name, spec in templates.items():
        names = [spec["when"]] if "when" in spec else []
        names += [n.strip().lstrip("!") for n in spec.get("needs", "").split(",") if n.strip()]
        for signal_name in names:
            if signal_name not in signals:
                problem = f"unknown signal {signal_name!r}"
                raise RuleFileError(rewrite_path, f"add.{name}", problem)
        for link in ("instead_of", "fallback", "if_kept", "if_owned"):
            if link in spec and spec[link] not in templates:
                raise RuleFileError(rewrite_path, f"add.{name}.{link}", "no such template")
    rules = tuple(
        _load_rule(path, _read(path), vocab, signals, templates)
        for path in sorted(directory.glob("*.toml"))
        if not path.name.startswith("_")
    )
    if not rules:
        raise RuleFileError(directory, None, "no rule files (*.toml) found")
    sets = [s.pattern for s in signals.values()]
    sets += [p for r in rules for p in (r.pattern, r.unless, r.requires)]
    index = LiteralIndex(lit for p in sets if p is not None for lit in p.literals)
    return Rulebook(
        rules=rules,
        signals=signals,
        templates=templates,
        vocab=vocab,
        index=index,
        moves=moves,
        default_move=default_move,
        conversation_signals=frozenset(n for n in signals if _reads_conversation_only(signals, n)),
    )


def _reads_conversation_only(signals: Mapping[str, Signal], name: str, depth: int = 0) -> bool:
    """Whether signal ``name`` reads only the conversation (directly or through others)."""
    signal = signals[name.lstrip("!")]
    if signal.source == "draft" or depth > 8:
        return False
    others = (*signal.any_of, *signal.all_of)
    return all(_reads_conversation_only(signals, other, depth + 1) for other in others)


def _load_moves(
    path: Path, data: Mapping[str, Any], signals: Mapping[str, Signal]
) -> tuple[tuple[Move, ...], Move]:
    table = data.get("moves", {})
    order = table.get("order", []) if isinstance(table, dict) else None
    if not isinstance(order, list) or any(m not in MOVES for m in order):
        raise RuleFileError(path, "moves.order", f"must be a list of moves ({', '.join(MOVES)})")
    for move in order:
        if f"move_{move}" not in signals:
            raise RuleFileError(path, "moves.order", f"no signal move_{move} for {move!r}")
    default = table.get("default", "answer") if isinstance(table, dict) else "answer"
    if default not in MOVES:
        raise RuleFileError(path, "moves.default", f"must be one of {', '.join(MOVES)}")
    return cast(tuple[Move, ...], tuple(order)), cast(Move, default)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RuleFileError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise RuleFileError(path, None, f"not valid TOML: {error}") from None


def _strings_table(path: Path, data: Mapping[str, Any], name: str) -> dict[str, str]:
    table = data.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise RuleFileError(path, name, "must be a table of strings")
    return dict(table)


def _compile(
    path: Path, name: str, value: Any, vocab: Mapping[str, str], case_sensitive: bool = False
) -> PatternSet:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RuleFileError(path, name, "must be a non-empty list of patterns (strings)")
    try:
        return compile_patterns(value, vocab, case_sensitive=case_sensitive)
    except PatternError as error:
        raise RuleFileError(path, name, str(error)) from None


def _load_signals(
    path: Path, data: Mapping[str, Any], vocab: Mapping[str, str]
) -> dict[str, Signal]:
    table = data.get("signals")
    if not isinstance(table, dict) or not table:
        raise RuleFileError(path, "signals", "must be a table of signal definitions")
    signals: dict[str, Signal] = {}
    for name, spec in table.items():
        where = f"signals.{name}"
        if not isinstance(spec, dict):
            raise RuleFileError(path, where, "must be a table")
        unknown = set(spec) - {
            "in",
            "patterns",
            "like",
            "case_sensitive",
            "any",
            "all",
            "max_words",
            "same",
        }
        if unknown:
            raise RuleFileError(path, f"{where}.{sorted(unknown)[0]}", "unknown field")
        source = spec.get("in", "customer")
        if source not in SOURCES:
            raise RuleFileError(path, f"{where}.in", f"must be one of {', '.join(SOURCES)}")
        pattern = (
            _compile(
                path, f"{where}.patterns", spec["patterns"], vocab, bool(spec.get("case_sensitive"))
            )
            if "patterns" in spec
            else None
        )
        any_of = spec.get("any", [])
        if not isinstance(any_of, list) or not all(isinstance(v, str) for v in any_of):
            raise RuleFileError(path, f"{where}.any", "must be a list of signal names")
        all_of = spec.get("all", [])
        if not isinstance(all_of, list) or not all(isinstance(v, str) for v in all_of):
            raise RuleFileError(path, f"{where}.all", "must be a list of signal names")
        max_words = spec.get("max_words")
        if max_words is not None and not isinstance(max_words, int):
            raise RuleFileError(path, f"{where}.max_words", "must be an integer")
        like = spec.get("like")
        if like is not None:  # another signal's patterns, read from this signal's text
            if pattern is not None or like not in signals or signals[like].pattern is None:
                problem = "must name an earlier signal with patterns (and no patterns here)"
                raise RuleFileError(path, f"{where}.like", problem)
            pattern = signals[like].pattern
        if pattern is None and not any_of and max_words is None and not all_of:
            raise RuleFileError(path, where, "needs 'patterns', 'any', 'all' or 'max_words'")
        same = spec.get("same")
        if same is not None and not (
            same in signals and _names_step(pattern) and _names_step(signals[same].pattern)
        ):
            problem = "must name an earlier signal, both with patterns that capture (?P<step>...)"
            raise RuleFileError(path, f"{where}.same", problem)
        signals[name] = Signal(
            name,
            source,
            pattern,
            bool(spec.get("case_sensitive")) or (like is not None and signals[like].case_sensitive),
            tuple(any_of),
            max_words,
            tuple(all_of),
            same,
        )
    for signal in signals.values():
        for field_name, names in (("any", signal.any_of), ("all", signal.all_of)):
            for other in names:
                if other.lstrip("!") not in signals:
                    raise RuleFileError(
                        path, f"signals.{signal.name}.{field_name}", f"unknown signal {other!r}"
                    )
    return signals


def _names_step(patterns: PatternSet | None) -> bool:
    """Return whether there are patterns and every one captures a ``step`` group."""
    return patterns is not None and all("(?P<step>" in alt.source for alt in patterns.alternatives)


def _load_templates(path: Path, data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    table = data.get("add")
    if not isinstance(table, dict):
        raise RuleFileError(path, "add", "must be a table of sentence templates")
    templates: dict[str, dict[str, str]] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("text"), str):
            raise RuleFileError(path, f"add.{name}.text", "must be a string")
        if spec.get("position", "end") not in ("start", "end"):
            raise RuleFileError(path, f"add.{name}.position", "must be 'start' or 'end'")
        if "instead_of" in spec and not isinstance(spec.get("when"), str):
            raise RuleFileError(path, f"add.{name}.when", "needs a signal name with instead_of")
        moves = [m.strip() for m in str(spec.get("moves", "")).split(",") if m.strip()]
        if any(m not in MOVES for m in moves):
            raise RuleFileError(path, f"add.{name}.moves", f"moves are {', '.join(MOVES)}")
        templates[name] = {k: str(v) for k, v in spec.items()}
    return templates


def _load_rule(
    path: Path,
    data: dict[str, Any],
    vocab: Mapping[str, str],
    signals: Mapping[str, Signal],
    templates: Mapping[str, Any],
) -> Rule:
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleFileError(path, "kind", f"must be one of {', '.join(KINDS)}")
    unknown = set(data) - _FIELDS[kind]
    if unknown:
        raise RuleFileError(path, sorted(unknown)[0], f"unknown field for a {kind} rule")

    def text(name: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise RuleFileError(path, name, "must be a non-empty string")
        return value

    def choice(name: str, options: tuple[str, ...], default: str) -> str:
        value = data.get(name, default)
        if value not in options:
            raise RuleFileError(path, name, f"must be one of {', '.join(options)}")
        return str(value)

    def integer(name: str, default: int | None = None) -> int | None:
        value = data.get(name, default)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise RuleFileError(path, name, "must be a whole number >= 0")
        return value

    dimension = choice("dimension", DIMENSIONS, "")
    when = data.get("when", [])
    if not isinstance(when, list) or not all(isinstance(w, str) for w in when):
        raise RuleFileError(path, "when", "must be a list of signal names")
    for name in when:
        if name.lstrip("!") not in signals:
            raise RuleFileError(path, "when", f"unknown signal {name!r}")
    moves = data.get("moves", [])
    if not isinstance(moves, list) or any(m not in MOVES for m in moves):
        raise RuleFileError(path, "moves", f"must be a list of moves ({', '.join(MOVES)})")
    add = data.get("add")
    if add is not None and add not in templates:
        raise RuleFileError(path, "add", f"no template {add!r} in _rewrite.toml")

    fix_when = data.get("fix_when", {})
    if not isinstance(fix_when, dict) or not all(isinstance(v, str) for v in fix_when.values()):
        raise RuleFileError(path, "fix_when", "must be a table of signal = fix")
    for name in fix_when:
        if name.lstrip("!") not in signals:
            raise RuleFileError(path, "fix_when", f"unknown signal {name!r}")

    fields: dict[str, Any] = {}
    if kind == "existence" or (kind == "occurrence" and data.get("count") != "words"):
        sensitive = bool(data.get("case_sensitive", False))
        fields["pattern"] = _compile(path, "patterns", data.get("patterns"), vocab, sensitive)
    if kind == "substitution":
        swap = data.get("swap")
        if not isinstance(swap, dict) or not swap:
            raise RuleFileError(path, "swap", "must be a table of pattern = replacement")
        for key, value in swap.items():
            if not isinstance(value, str):
                raise RuleFileError(
                    path, f"swap.{key}", "must be a string (put other fields above [swap])"
                )
        fields["pattern"] = _compile(path, "swap", list(swap), vocab)
        fields["swaps"] = tuple(str(v) for v in swap.values())
    if kind == "conditional":
        fields["requires"] = _compile(path, "requires", data.get("requires"), vocab)
        if "anchor" in data:
            fields["pattern"] = _compile(path, "anchor", data["anchor"], vocab)
        fields["requires_scope"] = choice("requires_scope", SCOPES, "draft")
    if "unless" in data:
        fields["unless"] = _compile(path, "unless", data["unless"], vocab)
    if kind == "occurrence":
        fields["count"] = choice("count", ("matches", "words"), "matches")
        fields["max"] = integer("max")
        fields["min"] = integer("min")
        if fields["max"] is None and fields["min"] is None:
            raise RuleFileError(path, "max", "an occurrence rule needs 'max' or 'min'")
    rewrite = choice("rewrite", ACTIONS, "replace" if kind == "substitution" else "keep")
    rewrite_moves = data.get("rewrite_moves", [])
    if not isinstance(rewrite_moves, list) or any(m not in MOVES for m in rewrite_moves):
        problem = f"must be a list of moves ({', '.join(MOVES)})"
        raise RuleFileError(path, "rewrite_moves", problem)
    replacement = data.get("replacement")
    if rewrite == "replace" and kind != "substitution" and not isinstance(replacement, str):
        raise RuleFileError(path, "replacement", "must be a string when rewrite = 'replace'")

    return Rule(
        id=path.stem,
        path=path,
        kind=cast(Kind, kind),
        dimension=cast(Dimension, dimension),
        level=cast(Level, choice("level", ("nudge", "hint"), "nudge")),
        cost=integer("cost", 20) or 0,
        message=text("message"),
        fix=text("fix"),
        when=tuple(when),
        moves=tuple(moves),
        case_sensitive=bool(data.get("case_sensitive", False)),
        unless_scope=cast(Scope, choice("unless_scope", SCOPES, "sentence")),
        rewrite=cast(Action, rewrite),
        replacement=replacement,
        rewrite_moves=tuple(rewrite_moves),
        cut=cast(Literal["clause", "flagged"], choice("cut", ("clause", "flagged"), "clause")),
        add=add,
        needs_agent=bool(data.get("needs_agent", False)),
        cut_needs_add=bool(data.get("cut_needs_add", False)),
        fix_when=tuple(fix_when.items()),
        flag_examples=_examples(path, data, "flag"),
        pass_examples=_examples(path, data, "pass"),
        **fields,
    )


def _examples(path: Path, data: Mapping[str, Any], name: str) -> tuple[Example, ...]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise RuleFileError(path, name, "must be a list of examples")
    examples = []
    for item in value:
        if isinstance(item, str):
            examples.append(Example(item))
        elif isinstance(item, dict) and isinstance(item.get("draft"), str):
            customer = item.get("customer")
            if customer is not None and not isinstance(customer, str):
                raise RuleFileError(path, name, "an example's 'customer' must be a string")
            try:
                thread = thread_from_data(item.get("thread"))
            except ValueError as error:
                raise RuleFileError(path, name, f"an example's {error}") from None
            examples.append(Example(item["draft"], customer, thread))
        else:
            raise RuleFileError(path, name, "each example is a string or {draft, customer, thread}")
    return tuple(examples)
