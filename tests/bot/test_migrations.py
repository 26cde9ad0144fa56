"""Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot import migrate
from bot.db import make_engine
from bot.models import Base
from tests.conftest import require_postgres


def _differences(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_sqlite_migrations_match_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _differences(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_migrating_twice_changes_nothing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision()


def test_downgrade_to_nothing_and_back(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    config = migrate.alembic_config()
    from alembic import command

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)
    assert _differences(engine) == []


@pytest.mark.postgres
def test_postgres_migrations_match_the_models():
    url = require_postgres()
    schema = f"mn_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate.upgrade(engine)
        assert _differences(engine) == []
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
