"""A small in-process cache of model answers, so the same text is never paid for twice.

The key is a SHA-256 of everything that shapes the answer: the model, the prompts' hash (so a
new prompt version never reuses old answers), the output mode, and the exact texts sent (after
redaction). Least recently used entries go first once ``size`` is reached; ``size`` 0 turns the
cache off.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["AnswerCache", "cache_key"]

_V = TypeVar("_V")


def cache_key(*parts: str) -> str:
    """Hash the parts into one key (parts are length-prefixed, so no two splits collide)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class AnswerCache(Generic[_V]):
    """A bounded least-recently-used mapping from key to answer."""

    def __init__(self, size: int = 1024) -> None:
        self.size = max(0, size)
        self._items: OrderedDict[str, _V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> _V | None:
        """Return the answer stored under ``key`` (and mark it recently used), or None."""
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: str, value: _V) -> None:
        """Store an answer, dropping the least recently used one when full."""
        if not self.size:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
