"""Small SQL helpers that differ by backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflict(
    session: Session, model: type[Any], values: dict[str, Any], conflict_columns: Sequence[str]
) -> bool:
    """INSERT a row unless one with the same unique `conflict_columns` exists.

    Returns True when a row was inserted. This is how "inserting twice is a no-op" is
    made true under concurrency: the database, not a prior SELECT, decides.
    """
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = inspect(model).primary_key[0]
    statement: Insert = (
        builder(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        # rowcount is not reliable for ORM-enabled inserts on every driver; a RETURNING
        # row is: one comes back only when the insert happened.
        .returning(key)
    )
    return session.execute(statement).first() is not None


def insert_many_ignoring_conflict(
    session: Session,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """INSERT many rows at once, skipping those whose unique `conflict_columns` exist;
    returns the `returning` columns of the rows inserted.

    The many-row form of :func:`insert_ignoring_conflict`, for batches (a planner tick):
    one statement compiled once, which SQLAlchemy sends as multi-row INSERTs
    ("insertmanyvalues"), instead of one round trip per row. Skipped rows return
    nothing, so callers match what came back by a unique column.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = inspect(model).local_table
    statement = (
        builder(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*(table.c[name] for name in returning))
    )
    return [tuple(row) for row in session.connection().execute(statement, list(rows))]
