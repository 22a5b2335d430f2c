"""The ``rules`` command's Adaptive Card: each rule's live nudges, votes and state in a team.

A pure builder, like :mod:`.cards`: the rule ids, labels and figures are nudgebot's own words,
so they go in ``TextBlock`` elements. The card stays within :data:`.cards.MAX_CARD_BYTES`
(a rulebook of a few dozen rules fits many times over; past that the tail is left out with a
note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nudgebot.adapters.teams.cards import MAX_CARD_BYTES, SCHEMA, VERSION, card_size
from nudgebot.learning import RULES_USAGE, QuietPolicy, RuleFigures, RuleState, rules_lines

__all__ = ["rules_card"]

MAX_RULES = 60
"""Rules listed in one card at most (the busiest first)."""


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def rules_card(
    figures: Sequence[RuleFigures],
    states: Mapping[str, RuleState],
    *,
    labels: Mapping[str, str],
    policy: QuietPolicy,
    lead: bool,
) -> dict[str, Any]:
    """Return the card listing each rule's figures (last ``policy.days`` days) and state.

    Rules with live nudges come first, then rules with only a state (a lead's change). A
    lead also sees how to change a rule; everyone sees when the feedback quiets one.
    """
    lines = rules_lines(figures, states, names=labels)
    quiet = sorted(rule for rule, state in states.items() if not state.live)
    shown = lines[:MAX_RULES]
    while True:
        body: list[dict[str, Any]] = [
            _text("Rules in this team", id="title", weight="Bolder", size="Medium"),
            _text(
                f"Live nudges in the last {policy.days} days, the team's votes on them, and "
                "whether each rule nudges live here.",
                isSubtle=True,
                spacing="None",
            ),
        ]
        if not lines:
            body.append(_text("No live nudges yet in this period, and no rule changed.", id="none"))
        else:
            items = [_text(f"• {line}", spacing="Small") for line in shown]
            if len(shown) < len(lines):
                items.append(_text(f"…and {len(lines) - len(shown)} more.", isSubtle=True))
            body.append({"type": "Container", "id": "rules", "items": items})
        if quiet:
            names = ", ".join(f"`{rule}`" for rule in quiet)
            body.append(
                _text(
                    f"Not nudging live here now: {names}. Their findings still count in scores "
                    "and still show when an agent asks.",
                    id="quiet",
                )
            )
        body.append(
            _text(
                f"The team's feedback decides in auto mode: {policy.describe()}.",
                id="policy",
                isSubtle=True,
                size="Small",
            )
        )
        if lead:
            body.append(_text(RULES_USAGE, id="usage", isSubtle=True, size="Small"))
        card: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": SCHEMA,
            "version": VERSION,
            "body": body,
            "fallbackText": "Rules in this team: live nudges, votes and state.",
            "msteams": {"width": "Full"},
        }
        if card_size(card) <= MAX_CARD_BYTES or len(shown) <= 1:
            return card
        shown = shown[: max(1, len(shown) // 2)]
