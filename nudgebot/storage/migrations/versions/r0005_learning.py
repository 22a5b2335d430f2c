"""Learning from the team: what each nudge earned, rules quieted per team, leads' verdicts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Adds to ``reviews`` the rules that made the live decision (``live_rules``), the conversation
(``thread_key``), when and how the agent acted on the nudge (``acted_at``, ``acted_how``),
whether they muted nudges after it (``muted_after``) and how heated the customer read before
the reply and after it (``heat_before``, ``heat_after``). Creates ``rule_states`` (a rule's
live state per team), ``rule_changes`` (every change, who and why) and ``judgements`` (leads'
agree / disagree / missed verdicts). Existing reviews keep NULL: no live rules known.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the outcome columns to reviews; create rule_states, rule_changes and judgements."""
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("live_rules", sa.Text(), nullable=True))
        batch.add_column(sa.Column("thread_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acted_how", sa.String(16), nullable=True))
        batch.add_column(sa.Column("muted_after", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("heat_before", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heat_after", sa.Integer(), nullable=True))
    op.create_table(
        "rule_states",
        sa.Column("team", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("team", "rule", name="pk_rule_states"),
    )
    op.create_table(
        "rule_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rule_changes"),
    )
    op.create_index("ix_rule_changes_team_at", "rule_changes", ["team", "at"])
    op.create_table(
        "judgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("message_ts", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("dimension", sa.String(), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("thread", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_judgements"),
    )
    op.create_index(
        "ix_judgements_channel_message_ts_rule_user_id",
        "judgements",
        ["channel", "message_ts", "rule", "user_id"],
        unique=True,
    )
    op.create_index("ix_judgements_team_at", "judgements", ["team", "at"])


def downgrade() -> None:
    """Drop the new tables and columns (what the team's reactions taught is forgotten)."""
    op.drop_index("ix_judgements_team_at", table_name="judgements")
    op.drop_index("ix_judgements_channel_message_ts_rule_user_id", table_name="judgements")
    op.drop_table("judgements")
    op.drop_index("ix_rule_changes_team_at", table_name="rule_changes")
    op.drop_table("rule_changes")
    op.drop_table("rule_states")
    with op.batch_alter_table("reviews") as batch:
        for name in (
            "heat_after",
            "heat_before",
            "muted_after",
            "acted_how",
            "acted_at",
            "thread_key",
            "live_rules",
        ):
            batch.drop_column(name)
