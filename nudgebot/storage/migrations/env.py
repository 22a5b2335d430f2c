"""Alembic's environment: run the migrations on the connection nudgebot passes in.

There is no ``alembic.ini`` and no URL here: :mod:`nudgebot.storage.migrate` builds the config
in code and hands over an open connection (already holding the migration lock).
"""

from __future__ import annotations

from alembic import context

from nudgebot.storage.schema import METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "nudgebot's migrations run through nudgebot.storage.migrate, which passes a connection"
    )

context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=True,  # SQLite alters most columns by copying the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
