"""Read before judging: what the situation is, and what the reply does in it.

A support reply is a turn in a conversation. Before any rule judges it, the reading says:

- the customer's state: upset, clearly affected (time, money or patience lost), bereaved (only
  a real loss), thankful;
- whether something went wrong on the company's side, and whether it keeps happening;
- what earlier agent turns already did: acknowledged or apologised, asked for details;
- the reply's *move*: question, answer, action, refusal, handoff, closing or holding.

Everything here is read from data: the signals and the order of moves in
``prompts/rules/_signals.toml``. The rules use the same signals (``when``) and name the moves
they apply to (``moves``); the confidences (:mod:`nudgebot.engine.calibration`) and the model's
prompt get the reading too.
"""

from __future__ import annotations

from dataclasses import dataclass

from nudgebot.engine.rules.checker import Context
from nudgebot.models import Move

SITUATION: dict[str, str] = {
    "thread_upset": "the customer is upset",
    "thread_distressed": "the customer has clearly lost time, money or patience",
    "customer_bereaved": "the customer has lost someone",
    "thread_fault": "something went wrong on the company's side",
    "thread_repeats": "the problem keeps happening",
    "earlier_acknowledged": "an earlier agent turn already acknowledged or apologised",
    "earlier_asked": "an earlier agent turn already asked for details",
    "customer_thanks": "the customer's last message thanks the agent or says it's solved",
}
"""The signals that make up the reading, with how each is said to a person (or a model)."""


@dataclass(frozen=True)
class Reading:
    """The situation of a reply and its move."""

    move: Move
    situation: frozenset[str]
    """The names of the :data:`SITUATION` signals that hold."""

    def holds(self, name: str) -> bool:
        """Return whether the situation signal ``name`` holds."""
        return name in self.situation

    def describe(self) -> list[str]:
        """Return the situation in words, in the order of :data:`SITUATION`."""
        return [words for name, words in SITUATION.items() if name in self.situation]


def read(context: Context) -> Reading:
    """Read the conversation around a prepared draft."""
    signals = context.rulebook.signals
    held = frozenset(name for name in SITUATION if name in signals and context.signal(name))
    return Reading(context.move, held)
