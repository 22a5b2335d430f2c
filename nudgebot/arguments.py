"""Bounded command-line values: a bad one is a one-line usage error, never a traceback.

Each function is an ``argparse`` ``type=``: it returns the value or raises
:class:`argparse.ArgumentTypeError` with a message a person can act on (the CLI prints it as
one line and exits with status 2).
"""

from __future__ import annotations

import argparse
from datetime import date

__all__ = ["EARLIEST_DAY", "LATEST_DAY", "MAX_KEEP_DAYS", "day", "identifier", "keep_days"]

#: The days a date argument may name: far enough from the calendar's ends (year 1 and 9999)
#: that a year or two of arithmetic either way never overflows.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(9998, 12, 31)

#: The longest retention ``purge --days`` takes (a hundred years: any longer overflows dates).
MAX_KEEP_DAYS = 36500

_LONGEST_ID = 64  # Slack and Teams ids are far shorter


def day(text: str) -> date:
    """Return the ``YYYY-MM-DD`` date ``text`` names, between 1970 and 9998."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {_clip(text)}") from None
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise argparse.ArgumentTypeError(
            f"{value.isoformat()} is out of range: pick a day from {EARLIEST_DAY} to {LATEST_DAY}"
        )
    return value


def keep_days(text: str) -> int:
    """Return a number of days to keep, 0 to :data:`MAX_KEEP_DAYS`."""
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_KEEP_DAYS:
        raise argparse.ArgumentTypeError(
            f"not a number of days from 0 to {MAX_KEEP_DAYS}: {_clip(text)}"
        )
    return value


def identifier(text: str) -> str:
    """Return a channel or user id without its ``#`` or ``@``; an empty one is refused."""
    value = text.strip().lstrip("#@").strip()
    if not value:
        raise argparse.ArgumentTypeError("an id can't be empty (for example U0456 or C0123)")
    if len(value) > _LONGEST_ID or not value.isprintable() or " " in value:
        raise argparse.ArgumentTypeError(f"not a Slack or Teams id: {_clip(text)}")
    return value


def _clip(text: str, limit: int = 40) -> str:
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
