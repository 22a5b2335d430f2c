"""Check an Adaptive Card against the Teams SDK's card model, element by element.

``microsoft_teams.cards`` (the SDK's generated model of the Adaptive Card features Teams
supports) types a card's body loosely: any element is accepted where an element may go. So
:func:`card_problems` walks the card itself: every object with a ``type`` must be a type the
model knows, carry only properties that type has, and pass the type's own validation (enums,
numbers, nested columns). The model leaves optional what the Adaptive Card 1.5 schema
requires, so those few properties are checked here too (:data:`REQUIRED`; a fact's
``title`` and ``value``). Enum values are compared without case, as Adaptive Card hosts read
them (Teams documents ``"msteams": {"width": "Full"}``; the model spells ``full``).
"""

from __future__ import annotations

import inspect
from typing import Any

from microsoft_teams.cards import core
from pydantic import ValidationError

__all__ = ["MODEL_TYPES", "REQUIRED", "card_problems"]

REQUIRED: dict[str, tuple[str, ...]] = {
    "AdaptiveCard": ("version",),
    "TextBlock": ("text",),
    "TextRun": ("text",),
    "RichTextBlock": ("inlines",),
    "FactSet": ("facts",),
    "Image": ("url",),
    "Container": ("items",),
    "ColumnSet": (),
    "ActionSet": ("actions",),
    "Action.Execute": (),
}
"""The properties the Adaptive Card 1.5 schema requires of the types nudgebot uses."""


def _types() -> dict[str, type[core.SerializableObject]]:
    found: dict[str, type[core.SerializableObject]] = {}
    for cls in vars(core).values():
        if (
            inspect.isclass(cls)
            and issubclass(cls, core.SerializableObject)
            and "type" in cls.model_fields
            and isinstance(cls.model_fields["type"].default, str)
        ):
            found[cls.model_fields["type"].default] = cls
    return found


MODEL_TYPES = _types()
"""Every element, action and inline type the SDK's model knows, by its ``type``."""


def _keys(cls: type[core.SerializableObject]) -> set[str]:
    keys = set()
    for name, info in cls.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        keys.add(alias or info.alias or core.SerializableObject.validation_alias_generator(name))
    if cls is core.AdaptiveCard:
        keys.add("$schema")
    return keys


def _case_only(error: Any) -> bool:
    """Whether a validation error is an enum value in another case (hosts accept those)."""
    if error["type"] != "literal_error":
        return False
    expected = str(error.get("ctx", {}).get("expected", ""))
    options = {part.strip().strip("'").lower() for part in expected.replace(" or ", ",").split(",")}
    return str(error["input"]).lower() in options


def card_problems(card: dict[str, Any]) -> list[str]:
    """Return what the SDK's card model finds wrong with ``card`` (empty: nothing)."""
    problems: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}[{index}]")
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if isinstance(kind, str):
            cls = MODEL_TYPES.get(kind)
            if cls is None:
                problems.append(f"{path}: unknown type {kind!r}")
            else:
                extra = sorted(set(node) - _keys(cls))
                if extra:
                    problems.append(f"{path} ({kind}): unknown properties {extra}")
                missing = [key for key in REQUIRED.get(kind, ()) if node.get(key) in (None, "")]
                if missing:
                    problems.append(f"{path} ({kind}): missing {missing}")
                if kind == "FactSet":
                    problems.extend(
                        f"{path}.facts[{index}]: a fact has a title and a value, both text"
                        for index, fact in enumerate(node.get("facts") or [])
                        if not isinstance(fact, dict)
                        or set(fact) != {"title", "value"}
                        or not all(isinstance(fact[key], str) for key in fact)
                    )
                try:
                    cls.model_validate(node)
                except ValidationError as error:
                    problems.extend(
                        f"{path} ({kind}).{'.'.join(map(str, e['loc']))}: {e['msg']}"
                        for e in error.errors()
                        if not _case_only(e)
                    )
        for key, value in node.items():
            walk(value, f"{path}.{key}")

    walk(card, "card")
    return problems
