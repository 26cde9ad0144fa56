"""Alembic environment: runs migrations on the connection `bot.migrate` hands over."""

from __future__ import annotations

from alembic import context

from bot.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate using the connection passed in `config.attributes["connection"]`."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `python -m bot migrate`")
run_migrations_online()
