"""The mock really is the wire: a request that no route matches never reaches a network."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import pytest
import respx
from respx.models import AllMockedAssertionError

from nudgebot.llm.client import ModelClient, ModelFailure
from tests.llm.wire import settings


def test_a_request_no_route_matches_never_leaves_the_process() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(listener.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    client = ModelClient(settings(openai_base_url=f"http://127.0.0.1:{port}/v1", llm_retries=0))
    messages = [{"role": "user", "content": "hello"}]
    with respx.mock(assert_all_called=False), pytest.raises(AllMockedAssertionError):
        asyncio.run(client.complete(messages))
    thread.join()
    listener.close()
    assert accepted == [], "a request escaped the respx mock and reached a real socket"


def test_without_the_mock_the_same_request_does_reach_the_socket() -> None:
    # The control for the test above: the listener does see requests that are not mocked.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(2)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            accepted.append(conn)
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    client = ModelClient(settings(openai_base_url=f"http://127.0.0.1:{port}/v1", llm_retries=0))
    with pytest.raises(ModelFailure):
        asyncio.run(client.complete([{"role": "user", "content": "hello"}]))
    thread.join()
    listener.close()
    assert len(accepted) == 1
