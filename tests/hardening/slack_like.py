"""A client that delivers Events API requests the way Slack does, over a real socket.

Slack sends an event, and when the answer is not a 2xx (or none comes within 3 seconds) sends
it again, up to 3 times, with ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``: in Slack,
at once, after a minute and after 5 minutes. Tests shorten the waits (``delays``).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nudgebot.testing import slack_signature

ACK_SECONDS = 3.0
"""Slack's wait for an answer before it counts the delivery as failed."""
NO_ANSWER = 0
"""The status recorded for a delivery that got no answer in time (or no connection)."""


def post(url: str, body: str, headers: dict[str, str], timeout: float = ACK_SECONDS) -> int:
    """POST once; return the status (:data:`NO_ANSWER` when none came in time)."""
    request = urllib.request.Request(url, body.encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return NO_ANSWER


def deliver(
    url: str, payload: dict[str, Any], secret: str, delays: Sequence[float] = (0.5, 1.0, 2.0)
) -> list[int]:
    """Deliver one event like Slack (signed afresh each time); the status of every attempt."""
    body = json.dumps(payload)
    statuses: list[int] = []
    for attempt in range(len(delays) + 1):
        headers = {"Content-Type": "application/json", **slack_signature(secret, body)}
        if attempt:
            headers["X-Slack-Retry-Num"] = str(attempt)
            headers["X-Slack-Retry-Reason"] = "http_error"
        status = post(url, body, headers)
        statuses.append(status)
        if 200 <= status < 300:
            break
        if attempt < len(delays):
            time.sleep(delays[attempt])
    return statuses


class Deliveries:
    """Events delivered in the background, ``every`` seconds one, each retried like Slack."""

    def __init__(self, url: str, secret: str, delays: Sequence[float] = (0.5, 1.0, 2.0)) -> None:
        self.url = url
        self.secret = secret
        self.delays = tuple(delays)
        self._pool = ThreadPoolExecutor(max_workers=64)
        self._futures: list[Any] = []
        self._lock = threading.Lock()

    def send(self, payload: dict[str, Any]) -> None:
        """Start delivering ``payload``."""
        with self._lock:
            self._futures.append(
                self._pool.submit(deliver, self.url, payload, self.secret, self.delays)
            )

    def results(self, timeout: float = 60.0) -> list[list[int]]:
        """Wait for every delivery; the statuses of each, in the order sent."""
        with self._lock:
            futures = list(self._futures)
        found = [future.result(timeout) for future in futures]
        self._pool.shutdown()
        return found
