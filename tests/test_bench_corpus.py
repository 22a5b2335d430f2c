from __future__ import annotations

import pytest

from bench.corpus import (
    MAX_CHARS,
    MIN_CHARS,
    customer_for,
    draft_of_length,
    generate_corpus,
)


@pytest.fixture(scope="module")
def corpus() -> list:
    return generate_corpus()


def test_corpus_is_deterministic(corpus: list) -> None:
    assert generate_corpus() == corpus
    assert generate_corpus(200, seed=7) == generate_corpus(200, seed=7)
    assert generate_corpus(200, seed=7) != generate_corpus(200, seed=8)


def test_corpus_has_at_least_5000_drafts(corpus: list) -> None:
    assert len(corpus) >= 5_000
    assert len({s.id for s in corpus}) == len(corpus)


def test_corpus_lengths_within_bounds_and_spread(corpus: list) -> None:
    lengths = [len(s.text) for s in corpus]
    assert min(lengths) >= MIN_CHARS == 50
    assert max(lengths) <= MAX_CHARS == 2_000
    # spread: short chat replies, typical ones and long e-mails all occur
    assert sum(n < 150 for n in lengths) > 250
    assert sum(250 <= n <= 350 for n in lengths) > 250
    assert sum(n > 1_000 for n in lengths) > 250


def test_corpus_is_varied(corpus: list) -> None:
    assert len({s.text for s in corpus}) > 0.95 * len(corpus)
    assert all(s.customer for s in corpus)
    assert {s.profile for s in corpus} >= {"good", "bad", "mixed"}
    texts = "\n".join(s.text for s in corpus)
    for marker in ("<@U", "<https://", "https://", "#", "I'll", "policy", "soon"):
        assert marker in texts


@pytest.mark.parametrize("target", [60, 300, 1_000, 3_000, 30_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_draft_of_length_hits_target(target: int, seed: int) -> None:
    text = draft_of_length(target, seed=seed)
    assert abs(len(text) - target) <= 0.1 * target
    assert draft_of_length(target, seed=seed) == text


def test_customer_for_is_deterministic() -> None:
    assert customer_for(3) == customer_for(3)
    assert customer_for(3)
