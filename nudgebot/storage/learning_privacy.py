"""Retention and forgetting for what the team's reactions left in the database.

The statements here are run by :meth:`Store.purge <nudgebot.storage.Store.purge>` and
:meth:`Store.forget <nudgebot.storage.Store.forget>` in the same transaction as the reviews'
own (and by :class:`~nudgebot.storage.learning.Learning`'s ``purge_words`` / ``forget``), so
every way of purging or forgetting covers the leads' verdicts and the rules' changes too.
Counts stay for reports: a verdict keeps its rule, dimension and verdict once its words go.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Delete, Update, delete, or_, update

from nudgebot.storage.schema import judgements, rule_changes, rule_states

__all__ = ["FORGOTTEN_LEAD", "forget_statements", "purge_statements"]

FORGOTTEN_LEAD = "a lead"
"""What a forgotten lead's rule changes say instead of their id (NULL would read as "the
team's feedback" made the change)."""

j = judgements.c


def purge_statements(cutoff: datetime) -> list[Update]:
    """Drop the words (the reply and its thread) of verdicts older than ``cutoff``."""
    return [
        update(judgements)
        .where(j.at < cutoff, or_(j.text.is_not(None), j.thread.is_not(None)))
        .values(text=None, thread=None)
    ]


def forget_statements(user: str) -> list[Update | Delete]:
    """Forget ``user`` in what the team's reactions left.

    Their verdicts go, replies they wrote lose their words in verdicts, and the rule changes
    they made as a lead no longer name them.
    """
    return [
        delete(judgements).where(j.user_id == user),
        update(judgements).where(j.author == user).values(author=None, text=None, thread=None),
        update(rule_states).where(rule_states.c.by == user).values(by=FORGOTTEN_LEAD),
        update(rule_changes).where(rule_changes.c.by == user).values(by=FORGOTTEN_LEAD),
    ]
