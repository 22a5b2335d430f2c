"""nudgebot: coaching for customer-support replies.

It reviews a reply draft against REAL (Respect, Empathy, Adaptable, Learn) plus Ownership and
suggests a warmer reply that takes ownership::

    >>> import nudgebot
    >>> review = nudgebot.review("Not our problem, contact the courier.", customer="Where is it?")
    >>> review.needs_nudge
    True

This module is the small public API; it imports nothing from Slack, Teams or OpenAI.
"""

from nudgebot.engine import DraftError, ReviewEngine, review
from nudgebot.models import DIMENSIONS, Draft, Finding, Review, Scores, Turn

__all__ = [
    "DIMENSIONS",
    "Draft",
    "DraftError",
    "Finding",
    "Review",
    "ReviewEngine",
    "Scores",
    "Turn",
    "__version__",
    "review",
]


def __getattr__(name: str) -> str:
    """Read ``__version__`` from the installed metadata on first use ("0.0.0" if none).

    Done lazily so that commands which never show the version (``nudgebot check``) do not pay
    the ~20 ms that importing ``importlib.metadata`` costs.
    """
    if name != "__version__":
        raise AttributeError(f"module 'nudgebot' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("nudgebot")
    except PackageNotFoundError:  # a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
