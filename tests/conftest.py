"""Test set-up shared by every test module.

openai 3 talks HTTP through ``httpx2``; respx patches ``httpx``/``httpcore``. Aliasing the two
before anything imports ``httpx`` makes respx intercept the openai client's requests (the
respx pytest plugin, which would import ``httpx`` first, is turned off in pyproject.toml).
``tests/engine/llm/test_wire.py`` fails if a request ever escapes the mock.
"""

import httpx2

httpx2.alias_httpx()

# CI runs the property tests on a fixed seed so a run can be repeated exactly; on a developer's
# machine they explore new examples each time (and keep failures in .hypothesis/).
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

import pytest  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, as the bot does."""
    return "asyncio"


# NUDGEBOT_TEST_CLOCK_AHEAD=550 runs the tests with the wall clock moved that many days ahead
# (time-machine: datetime.now, date.today, time.time; monotonic clocks are left alone), so a
# test that compares a hard-coded day with the real clock fails here instead of on that day.
# CI runs the time-sensitive tests this way too (see the Makefile's test-clock-ahead).
_AHEAD = os.environ.get("NUDGEBOT_TEST_CLOCK_AHEAD", "").strip()


def pytest_configure(config: pytest.Config) -> None:
    """Move the wall clock ahead for the whole run when NUDGEBOT_TEST_CLOCK_AHEAD is set."""
    if not _AHEAD:
        return
    from datetime import UTC, datetime, timedelta

    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(_AHEAD)), tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say when the clock was moved, so a failure is read in that light."""
    return f"wall clock moved {_AHEAD} days ahead (NUDGEBOT_TEST_CLOCK_AHEAD)" if _AHEAD else None
