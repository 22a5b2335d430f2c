"""Test set-up shared by every test module.

openai 3 talks HTTP through ``httpx2``; respx patches ``httpx``/``httpcore``. Aliasing the two
before anything imports ``httpx`` makes respx intercept the openai client's requests (the
respx pytest plugin, which would import ``httpx`` first, is turned off in pyproject.toml).
``tests/llm/test_wire.py`` fails if a request ever escapes the mock.
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
