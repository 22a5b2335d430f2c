"""Claims carry an owner and a lease: live work is recorded before its ack and resumed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Adds to ``claimed_events`` what a piece of live work needs to outlive the instance that got
it: ``state``, ``owner``, ``lease_until``, ``attempts``, ``channel``, ``payload`` (the event,
as JSON, until it is reviewed) and ``review_id``, with an index on ``(state, lease_until)``
for the sweep that picks up work whose lease expired. Existing claims keep NULL there: plain
claims, never swept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the intake columns and the sweep's index to claimed_events."""
    with op.batch_alter_table("claimed_events") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("review_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_claimed_events_state_lease_until", "claimed_events", ["state", "lease_until"]
    )


def downgrade() -> None:
    """Drop the sweep's index and the intake columns (work not done yet is forgotten)."""
    op.drop_index("ix_claimed_events_state_lease_until", table_name="claimed_events")
    with op.batch_alter_table("claimed_events") as batch:
        batch.drop_column("review_id")
        batch.drop_column("payload")
        batch.drop_column("channel")
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
        batch.drop_column("state")
