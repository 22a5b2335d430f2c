"""The first schema: reviews, feedback, watched channels, settings, tips and claims.

Revision ID: 0001
Revises:
Create Date: 2026-11-02

A frozen copy: later changes go in new revisions, never here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("prompt_version", sa.String(), nullable=True),
        sa.Column("respect", sa.Integer(), nullable=False),
        sa.Column("empathy", sa.Integer(), nullable=False),
        sa.Column("adaptable", sa.Integer(), nullable=False),
        sa.Column("learn", sa.Integer(), nullable=False),
        sa.Column("ownership", sa.Integer(), nullable=False),
        sa.Column("needs_nudge", sa.Boolean(), nullable=False),
        sa.Column("nudged", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("dimensions", sa.Text(), nullable=False),
        sa.Column("quotes", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("customer", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_at", "reviews", ["at"])
    op.create_index("ix_reviews_channel_at", "reviews", ["channel", "at"])
    op.create_index("ix_reviews_user_id_at", "reviews", ["user_id", "at"])

    op.create_table(
        "feedback",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name="fk_feedback_review_id_reviews",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "user_id", name="pk_feedback"),
    )
    op.create_table(
        "watched_channels",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=True),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", name="pk_watched_channels"),
    )
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("muted_until", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_settings"),
    )
    op.create_table(
        "tip_subscriptions",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("weekdays_only", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", name="pk_tip_subscriptions"),
    )
    op.create_table(
        "tip_deliveries",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tip_id", sa.String(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "day", name="pk_tip_deliveries"),
    )
    op.create_table(
        "claimed_events",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_claimed_events"),
    )
    op.create_index("ix_claimed_events_at", "claimed_events", ["at"])


def downgrade() -> None:
    """Drop the tables (and everything in them)."""
    op.drop_index("ix_claimed_events_at", table_name="claimed_events")
    op.drop_table("claimed_events")
    op.drop_table("tip_deliveries")
    op.drop_table("tip_subscriptions")
    op.drop_table("user_settings")
    op.drop_table("watched_channels")
    op.drop_table("feedback")
    op.drop_index("ix_reviews_user_id_at", table_name="reviews")
    op.drop_index("ix_reviews_channel_at", table_name="reviews")
    op.drop_index("ix_reviews_at", table_name="reviews")
    op.drop_table("reviews")
