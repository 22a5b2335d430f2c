from __future__ import annotations

import pytest

from nudgebot.engine.llm.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_the_threshold_and_refuses_until_the_cooldown_ends() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 30, clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.seconds_left() == 30
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state == "half-open"


def test_half_open_lets_one_trial_through_and_its_result_decides() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10, clock)
    breaker.failure()
    clock.now += 10
    assert breaker.allow()
    assert not breaker.allow()  # only one trial at a time
    breaker.failure()  # the trial failed: open again for a whole cooldown
    assert breaker.state == "open" and breaker.seconds_left() == 10
    clock.now += 10
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.failures == 0
    assert breaker.allow() and breaker.allow()


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(2, 5, Clock())
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == "closed"


def test_release_frees_the_trial_without_judging_the_model() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10, clock)
    breaker.failure()
    clock.now += 10
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()  # another trial may go


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 1), (1, 0)])
def test_bad_settings_are_refused(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold, cooldown)
