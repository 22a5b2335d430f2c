"""Background work after an ack: failures reach the user, overload is shed and counted."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from nudgebot.adapters.slack.bot import Background


def test_work_past_the_limit_is_shed_logged_counted_and_its_user_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told: list[dict[str, Any]] = []
    done: list[int] = []

    async def tell(message: dict[str, Any]) -> None:
        told.append(message)

    async def work(n: int, gate: asyncio.Event) -> None:
        await gate.wait()
        done.append(n)

    async def main() -> Background:
        background = Background(limit=3)
        gate = asyncio.Event()
        for n in range(5):
            background.spawn(work(n, gate), what=f"job {n}", notify=tell)
        gate.set()
        assert await background.join(5)
        return background

    with caplog.at_level(logging.WARNING):
        background = asyncio.run(main())
    assert sorted(done) == [0, 1, 2]
    assert background.shed == 2
    assert "shed job 3" in caplog.text and "shed job 4" in caplog.text
    assert len(told) == 2 and all("busy" in m["text"] for m in told)


def test_a_failure_is_logged_without_its_words_and_the_user_is_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told: list[dict[str, Any]] = []

    async def tell(message: dict[str, Any]) -> None:
        told.append(message)

    words = " ".join(["secret", "draft", "words"])  # not in the source the traceback quotes

    async def broken() -> None:
        raise RuntimeError(words)

    async def main() -> None:
        background = Background()
        background.spawn(broken(), what="a review", notify=tell)
        await background.join(5)

    with caplog.at_level(logging.ERROR):
        asyncio.run(main())
    assert "a review failed (RuntimeError)" in caplog.text
    assert "secret draft words" not in caplog.text
    assert told and "went wrong" in told[0]["text"]
