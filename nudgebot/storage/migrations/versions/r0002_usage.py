"""Reviews record the model's latency and token use; whole-team reports get an index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-02

Adds ``reviews.latency_ms``, ``reviews.input_tokens`` and ``reviews.output_tokens`` (NULL for
reviews made before, and for reviews by the rules engine) and the index ``(team, at)`` a
whole-team report scans. Existing rows are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the usage columns and the team index."""
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("latency_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("input_tokens", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("output_tokens", sa.Integer(), nullable=True))
    op.create_index("ix_reviews_team_at", "reviews", ["team", "at"])


def downgrade() -> None:
    """Drop the team index and the usage columns (their values are lost)."""
    op.drop_index("ix_reviews_team_at", table_name="reviews")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("output_tokens")
        batch.drop_column("input_tokens")
        batch.drop_column("latency_ms")
