"""The mock really is the wire: a request that no route matches never reaches a network."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
import respx
from respx.models import AllMockedAssertionError

from nudgebot.engine.llm.client import ModelClient, ModelFailure
from tests.engine.llm.wire import settings

MESSAGES = [{"role": "user", "content": "hello"}]


@contextlib.contextmanager
def listener(wait: float) -> Iterator[tuple[ModelClient, list[socket.socket]]]:
    """A real socket on 127.0.0.1 that counts connections, and a client pointed at it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(wait)
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            connection, _ = server.accept()
            accepted.append(connection)
            connection.close()

    thread = threading.Thread(target=accept)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    try:
        yield ModelClient(settings(openai_base_url=url, llm_retries=0)), accepted
    finally:
        thread.join()
        server.close()


def test_a_request_no_route_matches_never_leaves_the_process() -> None:
    with (
        listener(0.2) as (client, accepted),
        respx.mock(assert_all_called=False),
        pytest.raises(AllMockedAssertionError),
    ):
        asyncio.run(client.complete(MESSAGES))
    assert accepted == [], "a request escaped the respx mock and reached a real socket"


def test_without_the_mock_the_same_request_does_reach_the_socket() -> None:
    # The control for the test above: the listener does see requests that are not mocked.
    with listener(2) as (client, accepted), pytest.raises(ModelFailure):
        asyncio.run(client.complete(MESSAGES))
    assert len(accepted) == 1
