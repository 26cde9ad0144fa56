"""Database faults on demand: make matching SQL statements fail, as an outage would.

The database-side counterpart of `FakeSlack.fail`: the app's own code runs unchanged,
and the driver boundary raises the error SQLAlchemy raises when the server goes away.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError


@contextmanager
def failing_statements(engine: Engine, pattern: str) -> Iterator[list[str]]:
    """Fail every statement matching `pattern` (a regex, case-insensitive) while inside.

    Yields the list of statements that were failed, so a test can check the fault fired.
    """
    matcher = re.compile(pattern, re.IGNORECASE)
    failed: list[str] = []

    def before_cursor_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if matcher.search(statement):
            failed.append(statement)
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
