"""The SQLite writers' lock: urgent writers are served before the others, in arrival order."""

from __future__ import annotations

import asyncio

from nudgebot.storage.write_lock import WriteLock


def test_urgent_waiters_go_before_the_others_each_in_arrival_order() -> None:
    async def run() -> list[str]:
        lock = WriteLock()
        order: list[str] = []

        async def write(name: str, urgent: bool) -> None:
            async with lock.hold(urgent):
                order.append(name)
                await asyncio.sleep(0.01)

        holder = asyncio.create_task(write("first", False))
        await asyncio.sleep(0)  # it holds the lock now
        waiting = [
            asyncio.create_task(write(name, urgent))
            for name, urgent in [("b1", False), ("u1", True), ("b2", False), ("u2", True)]
        ]
        await asyncio.gather(holder, *waiting)
        assert not lock.locked
        return order

    assert asyncio.run(run()) == ["first", "u1", "u2", "b1", "b2"]


def test_a_waiter_cancelled_does_not_keep_the_lock() -> None:
    async def run() -> list[str]:
        lock = WriteLock()
        order: list[str] = []

        async def write(name: str, urgent: bool = False) -> None:
            async with lock.hold(urgent):
                order.append(name)
                await asyncio.sleep(0.01)

        holder = asyncio.create_task(write("first"))
        await asyncio.sleep(0)
        gone = asyncio.create_task(write("gone", urgent=True))
        later = asyncio.create_task(write("later"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(holder, later)
        assert gone.cancelled() and not lock.locked
        return order

    assert asyncio.run(run()) == ["first", "later"]
