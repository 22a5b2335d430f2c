"""Conversation references: where the bot can post later (Teams' daily tips).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Adds ``conversations``: one row per conversation the bot was installed in or talked in, with
the platform, its id and the reference a later message needs, as JSON text. Nothing existing
changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the conversations table."""
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the conversations table (the references are lost)."""
    op.drop_table("conversations")
