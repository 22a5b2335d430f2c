"""The review prompt stays within its token budget (counted with o200k when bpe-openai is there)."""

from __future__ import annotations

import pytest


def test_a_400_character_draft_with_a_4_turn_thread_fits_the_budget() -> None:
    pytest.importorskip("bpe_openai", reason="install the bench extra to count tokens")
    from bench.llm import TOKEN_TARGET, prompt_tokens

    figures = prompt_tokens(samples=8)
    assert figures["thread_turns"] == 4 and figures["draft_chars"] == 400
    assert figures["input_tokens"] <= TOKEN_TARGET, figures
    assert figures["schema_tokens"] > 0  # the schema is counted, not left out
