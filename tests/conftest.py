"""Test set-up shared by every test module.

openai 3 talks HTTP through ``httpx2``; respx patches ``httpx``/``httpcore``. Aliasing the two
before anything imports ``httpx`` makes respx intercept the openai client's requests (the
respx pytest plugin, which would import ``httpx`` first, is turned off in pyproject.toml).
``tests/llm/test_wire.py`` fails if a request ever escapes the mock.
"""

import httpx2

httpx2.alias_httpx()
