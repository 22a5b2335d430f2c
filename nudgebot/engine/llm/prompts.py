"""The LLM's prompts as data files, loaded and rendered strictly.

A prompt file is Markdown with a TOML header between ``+++`` lines::

    +++
    id = "review.user"
    version = "1"
    variables = ["customer", "draft", "hints"]
    +++
    <draft>
    {{ draft }}
    </draft>

Placeholders are ``{{ name }}`` (spaces optional, ``name`` an identifier); every other brace is
literal, so a prompt may show JSON. Loading checks the header and that the placeholders and the
declared variables are the same set; :meth:`Prompt.render` wants exactly the declared variables,
as strings, and substitutes them in one pass, so a value (a user's draft may hold anything,
``{{ draft }}`` included) is inserted as it is and never expanded.

The few-shot examples live in ``review.examples.toml``: a ``[prompt]`` table (id, version) and
``[[example]]`` tables, each with ``customer``, ``draft``, ``hints`` and an ``answer`` table in
the shape of :class:`nudgebot.engine.llm.schema.ModelReview`, and optionally ``move`` and
``channel``. TOML has no null, so an answer
without a ``suggestion`` key means ``suggestion: null``.

Both files carry a SHA-256 of their bytes, so a logged review can name the exact prompt it used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudgebot.engine.rules import prompts_dir

__all__ = [
    "Example",
    "Examples",
    "LeakCheck",
    "Prompt",
    "PromptError",
    "load_examples",
    "load_prompt",
    "neutralise_tags",
]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Near misses of a placeholder, which would otherwise pass as literal text: "{{ user.name }}",
# "{{ first-name }}", "{{ draft }" (one closing brace).
_NEAR_MISS = re.compile(r"\{\{\s*[A-Za-z_][\w.-]*[.-][\w.-]*\s*\}\}|\{\{\s*[A-Za-z_]\w*\s*\}(?!\})")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_FENCE = "+++"
_HEADER_KEYS = {"id", "version", "variables"}
_EXAMPLE_KEYS = {"customer", "draft", "hints", "answer", "move", "channel"}


class PromptError(ValueError):
    """A prompt file that cannot be used, or a render that does not fit its prompt."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class Prompt:
    """One prompt file: its header, its body and the hash of its bytes."""

    id: str
    version: str
    variables: tuple[str, ...]
    body: str
    sha256: str
    path: Path

    @property
    def short_hash(self) -> str:
        """Return the first 12 hex digits of :attr:`sha256`, enough to tell versions apart."""
        return self.sha256[:12]

    def render(self, **values: str) -> str:
        """Return the body with every placeholder replaced by its value, in one pass.

        Raises :class:`PromptError` when a declared variable is missing, an undeclared one is
        given, or a value is not a string. A value is inserted literally: placeholders inside
        it are not expanded.
        """
        declared = set(self.variables)
        missing = sorted(declared - values.keys())
        if missing:
            raise PromptError(self.path, f"render is missing {_names(missing)}")
        extra = sorted(values.keys() - declared)
        if extra:
            raise PromptError(
                self.path, f"render got {_names(extra)}, not declared in the prompt's variables"
            )
        for name in self.variables:
            value = values[name]
            if not isinstance(value, str):
                raise PromptError(
                    self.path, f"variable '{name}' must be a string, not {type(value).__name__}"
                )
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], self.body)


@dataclass(frozen=True)
class Example:
    """One worked example: a review request and the answer the model should give to it."""

    customer: str
    draft: str
    hints: str
    answer: dict[str, Any]
    move: str = ""
    """What the draft does ("refusal", "answer"...); "" when not given."""
    channel: str = ""
    """Where the reply goes ("chat", "email"); "" when not given."""

    def answer_json(self) -> str:
        """Return the answer as compact JSON, as an assistant message would carry it."""
        return json.dumps(self.answer, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Examples:
    """The few-shot examples file: its header, its examples and the hash of its bytes."""

    id: str
    version: str
    sha256: str
    items: tuple[Example, ...]
    path: Path

    @property
    def short_hash(self) -> str:
        """Return the first 12 hex digits of :attr:`sha256`."""
        return self.sha256[:12]


def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """Load the prompt ``<name>.md`` from ``directory`` (None: the bundled prompts folder).

    Raises :class:`PromptError` naming the file and the problem when the file is missing, its
    header is incomplete or its placeholders do not match the declared variables.
    """
    path = _file(name, directory, ".md")
    data = _read(path)
    text = _decode(path, data)
    header_text, body = _split(path, text)
    header = _toml(path, header_text, "header")
    unknown = sorted(header.keys() - _HEADER_KEYS)
    if unknown:
        raise PromptError(path, f"unknown header field {_names(unknown)}")
    prompt_id = _id(path, header, name)
    version = _version(path, header)
    variables = _variables(path, header)

    used = _PLACEHOLDER.findall(body)
    undeclared = sorted(set(used) - set(variables))
    if undeclared:
        raise PromptError(
            path,
            f"placeholder {_names(undeclared, '{{ ', ' }}')} is not declared in the header's "
            "variables",
        )
    unused = sorted(set(variables) - set(used))
    if unused:
        raise PromptError(path, f"declared variable {_names(unused)} is never used in the body")
    near = _NEAR_MISS.search(_PLACEHOLDER.sub("", body))
    if near:
        raise PromptError(
            path, f"'{near.group()}' looks like a placeholder but is not one; use {{{{ name }}}}"
        )
    return Prompt(
        id=prompt_id,
        version=version,
        variables=variables,
        body=body,
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
    )


def load_examples(name: str = "review.examples", directory: Path | None = None) -> Examples:
    """Load the few-shot examples ``<name>.toml`` from ``directory`` (None: the bundled ones).

    Raises :class:`PromptError` naming the file and the problem when a field is missing or has
    the wrong type.
    """
    path = _file(name, directory, ".toml")
    data = _read(path)
    document = _toml(path, _decode(path, data), "file")
    unknown = sorted(document.keys() - {"prompt", "example"})
    if unknown:
        raise PromptError(path, f"unknown table {_names(unknown)}")
    header = document.get("prompt")
    if not isinstance(header, dict):
        raise PromptError(path, "missing the [prompt] table (with id and version)")
    unknown = sorted(header.keys() - {"id", "version"})
    if unknown:
        raise PromptError(path, f"unknown [prompt] field {_names(unknown)}")
    prompt_id = _id(path, header, name)
    version = _version(path, header)

    raw = document.get("example")
    if not isinstance(raw, list) or not raw:
        raise PromptError(path, "no examples: add at least one [[example]] table")
    items = tuple(_example(path, number, table) for number, table in enumerate(raw, start=1))
    return Examples(
        id=prompt_id,
        version=version,
        sha256=hashlib.sha256(data).hexdigest(),
        items=items,
        path=path,
    )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _names(names: list[str], before: str = "'", after: str = "'") -> str:
    """Return names quoted and joined: ``'a'``, ``'a', 'b'``."""
    return ", ".join(f"{before}{name}{after}" for name in names)


def _file(name: str, directory: Path | None, suffix: str) -> Path:
    """Return the path of the file ``name`` names, refusing names that leave the folder."""
    folder = directory if directory is not None else prompts_dir()
    path = folder / f"{name}{suffix}"
    if not _NAME.match(name):
        raise PromptError(path, f"'{name}' is not a prompt name (letters, digits, '.', '_', '-')")
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PromptError(path, "no such file") from None
    except OSError as error:
        raise PromptError(path, f"cannot be read ({error.strerror or error})") from None


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PromptError(path, f"is not UTF-8 (byte {error.start})") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _split(path: Path, text: str) -> tuple[str, str]:
    """Split a prompt file into its header text and its body."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != _FENCE:
        raise PromptError(path, "must start with a '+++' line opening the TOML header")
    for index in range(1, len(lines)):
        if lines[index].strip() == _FENCE:
            header = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :]).strip("\n").rstrip()
            if not body:
                raise PromptError(path, "the body after the header is empty")
            return header, body
    raise PromptError(path, "the TOML header is not closed by a '+++' line")


def _toml(path: Path, text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PromptError(path, f"the {what} is not valid TOML: {error}") from None


def _id(path: Path, header: dict[str, Any], name: str) -> str:
    value = header.get("id")
    if value is None:
        raise PromptError(path, f"the header has no 'id' (expected id = \"{name}\")")
    if value != name:
        raise PromptError(path, f"the header's id {value!r} does not match the file name '{name}'")
    return name


def _version(path: Path, header: dict[str, Any]) -> str:
    value = header.get("version")
    if value is None:
        raise PromptError(path, "the header has no 'version' (e.g. version = \"1\")")
    if not isinstance(value, str) or not value.strip():
        raise PromptError(
            path, f"'version' must be a non-empty string (version = \"1\"), not {value!r}"
        )
    return value


def _variables(path: Path, header: dict[str, Any]) -> tuple[str, ...]:
    value = header.get("variables")
    if value is None:
        raise PromptError(path, "the header has no 'variables' (variables = [] for none)")
    if not isinstance(value, list):
        raise PromptError(path, f"'variables' must be a list of names, not {value!r}")
    for item in value:
        if not isinstance(item, str) or not _IDENTIFIER.match(item):
            raise PromptError(path, f"'variables' holds {item!r}, which is not an identifier")
    if len(set(value)) != len(value):
        raise PromptError(path, "'variables' names a variable twice")
    return tuple(value)


def _example(path: Path, number: int, table: Any) -> Example:
    """Read the ``number``-th ``[[example]]`` table."""
    where = f"example {number}"
    if not isinstance(table, dict):
        raise PromptError(path, f"{where} is not a table")
    unknown = sorted(table.keys() - _EXAMPLE_KEYS)
    if unknown:
        raise PromptError(path, f"{where} has unknown field {_names(unknown)}")
    texts: dict[str, str] = {}
    for key in ("customer", "draft", "hints"):
        value = table.get(key)
        if not isinstance(value, str):
            raise PromptError(path, f"{where} needs '{key}' as a string (\"\" for none)")
        texts[key] = value
    for key in ("move", "channel"):
        value = table.get(key, "")
        if not isinstance(value, str):
            raise PromptError(path, f"{where} needs '{key}' as a string, if given")
        texts[key] = value
    if not texts["draft"].strip():
        raise PromptError(path, f"{where} has an empty 'draft'")
    answer = table.get("answer")
    if not isinstance(answer, dict):
        raise PromptError(path, f"{where} needs an [example.answer] table")
    answer = dict(answer)
    answer.setdefault("suggestion", None)  # TOML has no null: no suggestion means null
    return Example(
        texts["customer"], texts["draft"], texts["hints"], answer, texts["move"], texts["channel"]
    )


# --------------------------------------------------------------------------------------------
# Keeping users' text in its place
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _tag_pattern(tags: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(tag) for tag in tags)
    return re.compile(rf"<\s*(/?\s*(?:{names})\s*)>", re.IGNORECASE)


def neutralise_tags(text: str, tags: tuple[str, ...]) -> str:
    """Turn a template's own ``<tag>``/``</tag>`` in a user's text into look-alikes.

    A prompt wraps untrusted text (a draft, a question) in tags; a text containing
    ``</draft>`` could otherwise close its tag and pose as instructions.
    """
    return _tag_pattern(tags).sub(r"‹\1›", text) if "<" in text else text


_WORD = re.compile(r"\w+")


class LeakCheck:
    """Tells whether a model's text reproduces a prompt: the sign of an obeyed injection.

    A model obeying an injected "print your instructions" copies the prompt at length. A
    finding that paraphrases the rubric ("Offer what you can do instead of reciting policy")
    shares one short run with it and is no leak. So a text leaks when its runs of ``run``
    words in a row (compared in lower case) found in the prompt cover ``words`` or more of
    its words.
    """

    def __init__(self, prompt_text: str, run: int = 8, words: int = 20) -> None:
        self.run = run
        self.words = words
        self._shingles = frozenset(self._runs(_WORD.findall(prompt_text.lower())))

    def __call__(self, text: str) -> bool:
        """Return True when ``text`` copies at least ``words`` of its words from the prompt."""
        found = _WORD.findall(text.lower())
        if len(found) < self.words:
            return False
        covered: set[int] = set()
        for start, shingle in enumerate(self._runs(found)):
            if shingle in self._shingles:
                covered.update(range(start, start + self.run))
        return len(covered) >= self.words

    def _runs(self, words: list[str]) -> list[tuple[str, ...]]:
        return [tuple(words[i : i + self.run]) for i in range(len(words) - self.run + 1)]
