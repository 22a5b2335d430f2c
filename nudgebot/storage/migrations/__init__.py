"""Alembic's script directory for nudgebot's database (see :mod:`nudgebot.storage.migrate`)."""
