"""The bounded memory of recent turns both platforms keep per conversation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nudgebot.adapters.conversation_memory import (
    MAX_TURNS,
    TURN_CHARS,
    ConversationMemory,
    Order,
    clip,
)
from nudgebot.models import Turn


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def at(n: int) -> Order:
    return (1_700_000_000 + n, 0)


def customer(text: str) -> Turn:
    return Turn("customer", text)


def agent(text: str) -> Turn:
    return Turn("agent", text)


def test_a_reply_gets_the_turns_before_it_oldest_first() -> None:
    memory = ConversationMemory()
    memory.add("C1:1", at(1), customer("My parcel is late."), starts=True)
    memory.add("C1:1", at(3), customer("Still nothing!"))
    memory.add("C1:1", at(2), agent("Let me check."))  # arrived late: kept in its place
    recalled = memory.before("C1:1", at(4))
    assert recalled.turns == (
        customer("My parcel is late."),
        agent("Let me check."),
        customer("Still nothing!"),
    )
    assert recalled.complete and recalled.has_customer
    assert memory.before("C1:1", at(2)).turns == (customer("My parcel is late."),)
    assert memory.before("C1:1", at(1)).turns == ()  # nothing before the first
    assert memory.before("C2:9", at(4)).turns == () and not memory.before("C2:9", at(4)).complete


def test_a_conversation_joined_in_the_middle_is_not_complete_until_merged() -> None:
    memory = ConversationMemory()
    memory.add("C1:1", at(5), agent("On it."))
    assert not memory.before("C1:1", at(9)).complete
    memory.merge("C1:1", [(at(1), customer("Hello?")), (at(5), agent("On it."))])
    recalled = memory.before("C1:1", at(9))
    assert recalled.complete
    assert recalled.turns == (customer("Hello?"), agent("On it."))  # the same turn once


def test_the_same_message_twice_is_one_turn() -> None:
    memory = ConversationMemory()
    for _ in range(3):
        memory.add("C1", at(1), customer("Hi"))
    assert memory.before("C1", at(2)).turns == (customer("Hi"),)
    assert memory.chars == 2


def test_each_conversation_keeps_its_last_turns_each_clipped() -> None:
    memory = ConversationMemory()
    for n in range(MAX_TURNS + 8):
        memory.add("C1", at(n), customer(f"turn {n}"))
    memory.add("C1", at(100), agent("y" * (TURN_CHARS + 500)))
    turns = memory.before("C1", at(101)).turns
    assert len(turns) == MAX_TURNS
    assert turns[0] == customer("turn 9")  # the oldest went first
    assert len(turns[-1].text) == TURN_CHARS and turns[-1].text.endswith("…")
    assert memory.chars == sum(len(t.text) for t in turns)


def test_the_least_recently_used_conversations_go_first() -> None:
    memory = ConversationMemory(conversations=3)
    for key in ("A", "B", "C"):
        memory.add(key, at(1), customer(f"in {key}"))
    memory.before("A", at(2))  # A is used again: B is now the least recently used
    memory.add("D", at(1), customer("in D"))
    assert len(memory) == 3
    assert memory.before("B", at(2)).turns == ()
    assert memory.before("A", at(2)).turns == (customer("in A"),)
    assert memory.chars == len("in A") + len("in C") + len("in D")


def test_the_total_text_is_bounded() -> None:
    memory = ConversationMemory(total_chars=100)
    for n in range(10):
        memory.add(f"C{n}", at(1), customer("x" * 30))
    assert memory.chars <= 100
    assert len(memory) == 3
    assert memory.before("C9", at(2)).turns == (customer("x" * 30),)  # the newest stay


def test_a_conversation_nobody_touched_for_a_day_is_forgotten() -> None:
    clock = Clock()
    memory = ConversationMemory(ttl=3600, clock=clock)
    memory.add("old", at(1), customer("Hello?"), starts=True)
    clock.now += 1800
    memory.add("new", at(1), customer("Hi"))
    assert memory.before("old", at(2)).complete  # read: touched again
    clock.now += 3601
    recalled = memory.before("old", at(2))
    assert recalled.turns == () and not recalled.complete
    memory.add("newer", at(1), customer("Hey"))  # the expired "new" is dropped on the way
    assert len(memory) == 1 and memory.chars == 3


def test_forget_and_bad_bounds() -> None:
    memory = ConversationMemory()
    memory.add("C1", at(1), customer("Hi"))
    memory.forget("C1")
    memory.forget("C1")
    assert len(memory) == 0 and memory.chars == 0
    memory.add("C1", at(1), customer("   "))  # no words: no turn
    assert memory.before("C1", at(2)).turns == ()
    with pytest.raises(ValueError, match="greater than 0"):
        ConversationMemory(turns=0)
    with pytest.raises(ValueError, match="greater than 0"):
        ConversationMemory(ttl=0)


def test_clip() -> None:
    assert clip("  short  ") == "short"
    assert clip("abcdef", 4) == "abc…"
    assert clip("ab   cdef", 4) == "ab…"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C", "D", "E"]),
            st.integers(0, 40),
            st.text(min_size=0, max_size=60),
            st.booleans(),
        ),
        max_size=80,
    )
)
def test_bounds_hold_whatever_arrives(events: list[tuple[str, int, str, bool]]) -> None:
    memory = ConversationMemory(turns=4, turn_chars=20, conversations=3, total_chars=150)
    for key, n, text, merged in events:
        if merged:
            memory.merge(key, [(at(n), customer(text))])
        else:
            memory.add(key, at(n), agent(text))
        assert len(memory) <= 3
        assert memory.chars <= 150
    total = 0
    for key in "ABCDE":
        turns = memory.before(key, at(100)).turns
        assert len(turns) <= 4 and all(0 < len(t.text) <= 20 for t in turns)
        total += sum(len(t.text) for t in turns)
    assert total == memory.chars
