"""A clock tests can set and move, handed to Deps instead of the real one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    """Returns a fixed instant until told to move. Callable, like `utcnow`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments (minutes=5, days=1…)."""
        self.now += timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> datetime:
        """Jump to `when` (must be aware)."""
        assert when.tzinfo is not None
        self.now = when
        return self.now
