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
