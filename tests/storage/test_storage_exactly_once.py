"""Exactly once across instances: two stores (two engines, two pools) and two processes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest

from nudgebot.storage import Store
from tests.storage.conftest import FakeClock

pytestmark = pytest.mark.anyio

KEYS = [f"slack:nudge:C123:1700000000.{i:04d}" for i in range(40)]


async def test_claim_is_true_once(store: Store) -> None:
    assert await store.claim(KEYS[0])
    assert not await store.claim(KEYS[0])
    assert await store.claim(KEYS[1])
    assert not await store.claim(KEYS[0])


async def test_two_stores_racing_on_the_same_keys_each_win_once(
    store: Store, db_url: str, clock: FakeClock
) -> None:
    other = await Store.open(db_url, clock=clock)
    try:
        contenders = [store, other, store, other]
        results = await asyncio.gather(*(s.claim(key) for key in KEYS for s in contenders))
    finally:
        await other.close()
    winners = Counter(
        key for key, won in zip([k for k in KEYS for _ in contenders], results, strict=True) if won
    )
    assert winners == Counter(KEYS)  # exactly one True per key


async def test_two_stores_racing_for_a_tip_deliver_it_once(
    store: Store, db_url: str, clock: FakeClock
) -> None:
    other = await Store.open(db_url, clock=clock)
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(15)]
    channels = ["C1", "C2"]
    try:
        attempts = [
            (s, channel, day, f"tip-{n}")
            for channel in channels
            for day in days
            for n, s in enumerate([store, other, other, store])
        ]
        results = await asyncio.gather(
            *(s.claim_delivery(channel, day, tip) for s, channel, day, tip in attempts)
        )
        delivered = {channel: await other.deliveries(channel) for channel in channels}
    finally:
        await other.close()
    winners = Counter((c, d) for (_, c, d, _), won in zip(attempts, results, strict=True) if won)
    assert winners == Counter((c, d) for c in channels for d in days)
    for channel in channels:
        assert [day for day, _ in delivered[channel]] == days
        won_tips = {
            (d, tip)
            for (_, c, d, tip), won in zip(attempts, results, strict=True)
            if won and c == channel
        }
        assert set(delivered[channel]) == won_tips


async def test_two_stores_opening_an_empty_database_together(db_url: str) -> None:
    # Both migrate at once: the migration lock lets one build the schema, the other wait.
    first, second = await asyncio.gather(Store.open(db_url), Store.open(db_url))
    try:
        assert await first.claim("k")
        assert not await second.claim("k")
    finally:
        await first.close()
        await second.close()


CLAIMER = """
import asyncio, json, sys
from nudgebot.storage import Store

async def main() -> None:
    store = await Store.open(sys.argv[1])
    try:
        won = await asyncio.gather(*(store.claim(key) for key in json.loads(sys.argv[2])))
    finally:
        await store.close()
    print(json.dumps(won))

asyncio.run(main())
"""


def test_two_processes_claiming_the_same_keys_each_win_once(db_url: str) -> None:
    keys = json.dumps(KEYS)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, db_url, keys], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    first, second = (json.loads(output) for output in outputs)
    assert [a + b for a, b in zip(first, second, strict=True)] == [1] * len(KEYS)
