"""Storage: what nudgebot remembers, in SQLite by default or PostgreSQL by URL.

::

    store = await Store.open(settings.database_url)   # creates or upgrades the schema
    review_id = await store.add_review(review, platform="slack", team=..., channel=...,
                                       user=..., text=..., customer=..., nudged=False)
    if await store.claim(f"slack:nudge:{channel}:{ts}"):   # exactly once, across instances
        ...
    await store.close()

See :class:`Store` for the whole API, :mod:`nudgebot.storage.schema` for the tables and
:mod:`nudgebot.storage.migrate` for schema upgrades.
"""

from nudgebot.models import StoredReview
from nudgebot.storage.records import TipSubscription, UserSettings, utcnow
from nudgebot.storage.store import StorageError, Store

__all__ = [
    "StorageError",
    "Store",
    "StoredReview",
    "TipSubscription",
    "UserSettings",
    "utcnow",
]
