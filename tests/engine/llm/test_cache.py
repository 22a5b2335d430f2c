from __future__ import annotations

from nudgebot.engine.llm.cache import AnswerCache, cache_key


def test_keys_differ_when_any_part_differs_and_splits_never_collide() -> None:
    assert cache_key("a", "b") == cache_key("a", "b")
    assert cache_key("a", "b") != cache_key("a", "c")
    assert cache_key("ab", "c") != cache_key("a", "bc")
    assert len(cache_key("x")) == 64


def test_least_recently_used_goes_first() -> None:
    cache: AnswerCache[int] = AnswerCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (3, 1)


def test_size_zero_stores_nothing() -> None:
    cache: AnswerCache[int] = AnswerCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0
