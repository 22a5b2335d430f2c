"""The tables, as SQLAlchemy Core metadata: the current schema (the migrations build it).

The migrations in ``nudgebot/storage/migrations/versions/`` are frozen copies of what this
module said at each revision; a test checks that upgrading to the newest one gives exactly the
tables below, on SQLite and on PostgreSQL.

Design choices, for reports over 100,000 reviews to answer fast:

- One row per review, its findings on the row: fetching a period's reviews is one indexed
  range scan, no join, no row per finding. The findings are kept as plain text that splits
  in microseconds (decoding two JSON arrays per row was the largest single cost of reading
  100,000 reviews): ``rules`` and ``dimensions`` hold the rule ids and their dimensions
  separated by spaces (ids never hold one), ``quotes`` the quoted words separated by
  :data:`QUOTE_SEP` (the ASCII unit separator, replaced by a space in a quote), NULL when
  there are no findings or once the retention purge has dropped the words. Rule ids and
  dimensions are kept for good.
- Indexes on ``(channel, at)``, ``(user_id, at)``, ``(team, at)`` and ``at``: every report
  query is a range over time within one of those.
- Columns holding a user id are called ``user_id`` (``user`` is a reserved word in PostgreSQL,
  where a bare ``SELECT user`` quietly returns the database role).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "METADATA",
    "QUOTE_SEP",
    "UTCDateTime",
    "claimed_events",
    "conversations",
    "feedback",
    "judgements",
    "reviews",
    "rule_changes",
    "rule_states",
    "tip_deliveries",
    "tip_subscriptions",
    "user_settings",
    "watched_channels",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names are derived, so every database and every migration agrees on them."""

METADATA = MetaData(naming_convention=NAMING)

QUOTE_SEP = "\x1f"
"""Separates the quotes in ``reviews.quotes`` (ASCII unit separator)."""


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time: written from an aware datetime, read back as an aware UTC datetime.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no time zones, so it is kept there as
    naive UTC text (fixed width, so text order is time order and indexes work).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; convert to UTC (naive UTC for SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a timezone-aware datetime is needed, not {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers give datetimes
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


reviews = Table(
    "reviews",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("team", String),
    Column("channel", String),
    Column("user_id", String),
    Column("engine", String(16), nullable=False),
    Column("prompt_version", String),
    Column("respect", Integer, nullable=False),
    Column("empathy", Integer, nullable=False),
    Column("adaptable", Integer, nullable=False),
    Column("learn", Integer, nullable=False),
    Column("ownership", Integer, nullable=False),
    Column("needs_nudge", Boolean, nullable=False),
    Column("nudged", Boolean, nullable=False),
    Column("rules", Text, nullable=False),
    Column("dimensions", Text, nullable=False),
    Column("quotes", Text),
    Column("text", Text),
    Column("customer", Text),
    Column("message_ts", String),
    # Added by revision 0002:
    Column("latency_ms", Float),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Index(None, "at"),
    Index(None, "channel", "at"),
    Index(None, "user_id", "at"),
    # Added by revision 0005 (learning from the team):
    Column("live_rules", Text),
    Column("thread_key", String),
    Column("acted_at", UTCDateTime),
    Column("acted_how", String(16)),
    Column("muted_after", Boolean),
    Column("heat_before", Integer),
    Column("heat_after", Integer),
    Index(None, "team", "at"),  # revision 0002
)
"""One reviewed reply. ``rules``: ``"ownership.deflection respect.curt"``; ``dimensions``:
``"ownership respect"``; ``quotes``: ``"contact the courier\x1fNo."`` (NULL once purged).

Revision 0005 adds what the team's reactions teach: ``live_rules``, the rules that made the live
decision (space-separated; NULL when none did); ``thread_key``, the conversation the reply is in
(Slack: the thread's root ts; Teams: the conversation id); ``acted_at`` / ``acted_how`` when the
agent acted on the nudge (``edited`` the message or ``used`` the suggestion, within
:data:`nudgebot.learning.ACT_WINDOW`); ``muted_after`` when the agent muted nudges soon after it;
``heat_before`` / ``heat_after``, how heated the customer read before the reply and in their next
message (:func:`nudgebot.learning.heat`: 0 calm or thankful, 1 affected, 2 upset)."""

feedback = Table(
    "feedback",
    METADATA,
    Column(
        "review_id",
        Integer,
        ForeignKey("reviews.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String, primary_key=True),
    Column("helpful", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""A verdict on a nudge: one per review and user (the primary key)."""

watched_channels = Table(
    "watched_channels",
    METADATA,
    Column("channel", String, primary_key=True),
    Column("added_by", String),
    Column("at", UTCDateTime, nullable=False),
)

user_settings = Table(
    "user_settings",
    METADATA,
    Column("user_id", String, primary_key=True),
    Column("live", Boolean, nullable=False),
    Column("muted_until", UTCDateTime),
)

tip_subscriptions = Table(
    "tip_subscriptions",
    METADATA,
    Column("channel", String, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("local_time", String(5), nullable=False),
    Column("timezone", String, nullable=False),
    Column("weekdays_only", Boolean, nullable=False),
    Column("created_by", String),
    Column("at", UTCDateTime, nullable=False),
)

tip_deliveries = Table(
    "tip_deliveries",
    METADATA,
    Column("channel", String, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("tip_id", String, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""The exactly-once guard for tips: the primary key ``(channel, day)`` admits one a day."""

claimed_events = Table(
    "claimed_events",
    METADATA,
    Column("key", String, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    # Added by revision 0004, for work recorded before its ack (the durable intake):
    Column("state", String(16)),
    Column("owner", String),
    Column("lease_until", UTCDateTime),
    Column("attempts", Integer),
    Column("channel", String),
    Column("payload", Text),
    Column("review_id", Integer),
    Index(None, "at"),
    Index(None, "state", "lease_until"),  # revision 0004: the sweep's query
)
"""The exactly-once guard for nudges and other one-off actions: one row per key.

A plain claim has only ``key`` and ``at``. A piece of live work recorded before its ack
(revision 0004) also has its ``state`` (``new``: to review; ``posting``: its review is stored
and its nudge being posted; ``done``; ``shed``: not reviewed, the app was overloaded;
``failed``: not reviewed, it failed every attempt), the instance working on it (``owner``)
until ``lease_until``, how many times it was taken (``attempts``), its ``channel``, the event
it came from as JSON (``payload``, NULL once reviewed) and its review (``review_id``, once
its nudge is marked sent).
"""

conversations = Table(
    "conversations",
    METADATA,
    Column("conversation_id", String, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("reference", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""Where the bot can post later (revision 0003): a platform's conversation reference as JSON."""


rule_states = Table(
    "rule_states",
    METADATA,
    Column("team", String, primary_key=True),
    Column("rule", String, primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("quiet", Boolean, nullable=False),
    Column("by", String),
    Column("at", UTCDateTime, nullable=False),
    Column("why", Text),
)
"""Whether a rule nudges live in a team's channels (revision 0005); no row: ``auto``, not quiet.

``team`` is the workspace or tenant ("" when none is known); ``mode`` is ``auto`` (the team's
feedback decides), ``on`` or ``off`` (a lead decided); ``quiet`` is what ``auto`` last decided."""

rule_changes = Table(
    "rule_changes",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team", String, nullable=False),
    Column("rule", String, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("quiet", Boolean, nullable=False),
    Column("by", String),
    Column("at", UTCDateTime, nullable=False),
    Column("why", Text),
    Index(None, "team", "at"),
)
"""Every change of a rule's state (revision 0005): who (a lead's id, or NULL for the feedback),
when and why."""

judgements = Table(
    "judgements",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("team", String),
    Column("channel", String, nullable=False),
    Column("message_ts", String, nullable=False),
    Column("rule", String, nullable=False),
    Column("dimension", String),
    Column("verdict", String(16), nullable=False),
    Column("user_id", String, nullable=False),
    Column("author", String),
    Column("text", Text),
    Column("thread", Text),
    Index(None, "channel", "message_ts", "rule", "user_id", unique=True),
    Index(None, "team", "at"),
)
"""A lead's verdict on a finding of one reply in the conversation scorecard (revision 0005):
``agree`` or ``disagree`` with the finding of ``rule``, or ``missed`` (``rule`` is "": the bot
passed a reply that needed a nudge; ``dimension`` the lead's, if given). One per lead, reply and
rule: judging again changes the verdict. ``text`` (the reply) and ``thread`` (the turns before
it, as JSON) are kept for ``nudgebot export-labels`` and go with the retention period."""
