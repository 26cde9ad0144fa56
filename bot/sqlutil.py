"""Small SQL helpers that differ by backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, CursorResult, Dialect, Insert, Table, inspect
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
    table = inspect(model).local_table
    if dialect == "sqlite":
        found = sqlite_insert_many(session.connection(), table, rows, returning, conflict_columns)
        if found is not None:
            return found
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        builder(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*(table.c[name] for name in returning))
    )
    return [tuple(row) for row in session.connection().execute(statement, list(rows))]


# SQLite's limit on bound values in one statement (SQLITE_MAX_VARIABLE_NUMBER, 3.32+),
# with room to spare.
_SQLITE_MAX_VALUES = 32_000


def sqlite_insert_many(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    returning: Sequence[str],
    conflict_columns: Sequence[str] = (),
) -> list[tuple[Any, ...]] | None:
    """SQLite only: INSERT `rows` as multi-row INSERTs sent straight to the driver; returns
    the `returning` columns of the rows inserted (skipping conflicts on `conflict_columns`
    when given), or None when this table's defaults need SQLAlchemy (the caller then
    takes the ordinary path).

    SQLAlchemy's own multi-row INSERT builds every row's parameters and runs each value
    through its column type one by one; for 100,000 rows that was most of an import.
    Here each column's type converts each distinct value once (the same processor
    SQLAlchemy would use, so what is stored is identical): most values in a batch are
    one `now` or one of a few due times. Python-side defaults are worked out once per
    call (so rows share one created_at), as SQLAlchemy would per row.
    """
    if connection.dialect.paramstyle != "qmark":
        return None
    defaults = _python_defaults(table, {name for row in rows for name in row})
    if defaults is None:
        return None
    names = sorted({name for row in rows for name in row})
    columns = names + sorted(defaults)
    # Column by column: each column's values through its type's processor, each distinct
    # value once.
    by_column = [[row[name] for row in rows] for name in names]
    by_column += [[defaults[name]] * len(rows) for name in sorted(defaults)]
    dialect = connection.dialect
    converted = list(
        zip(
            *(
                _convert(table.c[name].type.dialect_impl(dialect).bind_processor(dialect), values)
                for name, values in zip(columns, by_column, strict=True)
            ),
            strict=True,
        )
    )
    head, placeholder, tail = _insert_sql(dialect, table, columns, conflict_columns, returning)
    result_types = [
        table.c[name].type.dialect_impl(dialect).result_processor(dialect, None) for name in returning
    ]
    found: list[tuple[Any, ...]] = []
    per_statement = max(1, _SQLITE_MAX_VALUES // len(columns))
    for start in range(0, len(converted), per_statement):
        batch = converted[start : start + per_statement]
        sql = head + ", ".join([placeholder] * len(batch)) + tail
        found += _processed(result_types, connection.exec_driver_sql(sql, tuple(chain.from_iterable(batch))))
    return found


def _insert_sql(
    dialect: Dialect,
    table: Table,
    columns: list[str],
    conflict_columns: Sequence[str],
    returning: Sequence[str],
) -> tuple[str, str, str]:
    """A multi-row INSERT's text: what comes before the rows, one row's placeholders, what comes after."""
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    tail = ""
    if conflict_columns:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict_columns)}) DO NOTHING"
    tail += f" RETURNING {', '.join(quote(c) for c in returning)}"
    return head, "(" + ", ".join("?" * len(columns)) + ")", tail


def _processed(types: list[Callable[[Any], Any] | None], result: CursorResult[Any]) -> list[tuple[Any, ...]]:
    """RETURNING rows through their columns' result processors (as SQLAlchemy reads them)."""
    rows = result.fetchall()
    if not any(types):
        return [tuple(row) for row in rows]
    # Column by column, and only the columns that have a processor (a new person's
    # twenty columns have two booleans and a few times, most of them NULL).
    columns: list[Any] = list(zip(*rows, strict=True)) or [() for _ in types]
    for i, processor in enumerate(types):
        if processor is not None:
            columns[i] = _convert(processor, list(columns[i]))
    return list(zip(*columns, strict=True))


def _python_defaults(table: Table, given: set[str]) -> dict[str, Any] | None:
    """The values of `table`'s Python-side defaults for the columns not `given`, or None
    when one needs the statement's context (the row's other values) or is SQL."""
    found: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if column.name in given or default is None:
            continue
        if default.is_scalar:
            found[column.name] = default.arg
        elif default.is_callable and getattr(default.arg, "__wrapped__", None) is not None:
            # SQLAlchemy wraps a default that takes no arguments (utcnow, dict) in a
            # function of the context, keeping the original as __wrapped__; one that
            # takes the context itself is used as it is, and is left to SQLAlchemy.
            found[column.name] = default.arg(None)
        else:
            return None
    return found


def bind_values(dialect: Dialect, column: Column[Any], values: list[Any]) -> list[Any]:
    """`values` for `column` as SQLAlchemy would hand them to this dialect's driver (its
    type's bind processor), each distinct value converted once: for driver-level
    executemany with values SQLAlchemy would otherwise convert row by row."""
    return _convert(column.type.dialect_impl(dialect).bind_processor(dialect), values)


def _convert(processor: Callable[[Any], Any] | None, values: list[Any]) -> list[Any]:
    """`values` through a column type's bind `processor`, each distinct value once (values
    that compare equal convert alike: one instant in two zones is one UTC time)."""
    if processor is None:
        return values
    try:
        distinct = set(values)
    except TypeError:  # unhashable (JSON documents): each converted
        return [processor(value) for value in values]
    done = {value: processor(value) for value in distinct}
    return [done[value] for value in values]
