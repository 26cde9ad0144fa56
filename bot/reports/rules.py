"""Pure rules of reports and exports: months and their bounds, the first working day,
the export's date range, and per-export pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.reports.types import ReportProblem

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# Slack ids as they appear in our tables: users (U/W), channels (C/G/D), workspaces (T),
# orgs (E). The de-identified export must hold none of them.
SLACK_ID = re.compile(r"\b[UWCGDTE][A-Z0-9]{6,}\b")
# A year's export at most from the slash command (the CLI takes any range).
MAX_COMMAND_DAYS = 400
# The years a report or export may cover: the day after 9999-12-31 (a range's end bound)
# is beyond Python's dates, so the last year is 9998.
FIRST_YEAR, LAST_YEAR = 2000, 9998


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    """The month ("2026-11") `moment` falls in, in `zone`."""
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def parse_month(text: str) -> str:
    """ "2026-11" → "2026-11"; anything else raises ReportProblem saying what to type."""
    found = _MONTH.fullmatch(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ReportProblem(f"“{text[:20]}” is not a month: use YYYY-MM, for example 2026-11.")
    if not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        raise ReportProblem(
            f"“{text[:20]}” is out of range: use YYYY-MM with a year from {FIRST_YEAR} to {LAST_YEAR}."
        )
    return text.strip()


def shift_month(month: str, by: int) -> str:
    """The month `by` months after `month` (negative: before)."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_ending(month: str, count: int) -> tuple[str, ...]:
    """`count` months ending with `month`, oldest first."""
    return tuple(shift_month(month, -back) for back in range(count - 1, -1, -1))


def first_day(month: str) -> date:
    """The month's first day."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1)


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of `month` in `zone`, as UTC instants (DST-correct through zoneinfo)."""
    return day_bounds(first_day(month), first_day(shift_month(month, 1)), zone)


def day_bounds(first: date, after_last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of `first`, start of `after_last`) in `zone`, as UTC instants."""
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(after_last, time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def parse_export_range(words: list[str], today: date) -> tuple[date, date, bool]:
    """`/mentor export [FROM TO] [deidentify]` → (first, last, deidentify).

    Without dates: the last twelve whole months and this month so far.
    """
    deidentify = any(w.lower() in ("deidentify", "deidentified", "de-identify", "anon") for w in words)
    dates = [w for w in words if w.lower() not in ("deidentify", "deidentified", "de-identify", "anon")]
    if not dates:
        return first_day(shift_month(f"{today:%Y-%m}", -12)), today, deidentify
    if len(dates) != 2:
        raise ReportProblem("Give both dates or none: `/mentor export 2026-01-01 2026-12-31 [deidentify]`.")
    first, last = (_date(d) for d in dates)
    check_range(first, last, limit_days=MAX_COMMAND_DAYS)
    return first, last, deidentify


def check_range(first: date, last: date, *, limit_days: int | None = None) -> None:
    """Refuse an empty or (for the slash command) overlong range, saying what to do."""
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        raise ReportProblem(f"Use dates in the years {FIRST_YEAR} to {LAST_YEAR}.")
    if last < first:
        raise ReportProblem(f"The range ends ({last}) before it starts ({first}): swap the dates.")
    if limit_days is not None and (last - first).days > limit_days:
        raise ReportProblem(
            f"That is more than {limit_days} days; export a year at a time, or use "
            "`python -m bot export` for longer ranges."
        )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportProblem(f"“{text[:20]}” is not a date: use YYYY-MM-DD, for example 2026-01-31.") from None


class Pseudonyms:
    """Stable pseudonyms for one export: the same Slack id always gets the same name within
    the export, and a fresh random salt per export means two exports cannot be joined on them.
    """

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt or secrets.token_bytes(32)
        self._seen: dict[str, str] = {}

    def __call__(self, slack_id: str | None, prefix: str = "P") -> str:
        """The pseudonym for `slack_id` ("" for none)."""
        if not slack_id:
            return ""
        key = f"{prefix}:{slack_id}"
        if key not in self._seen:
            digest = hmac.new(self._salt, key.encode(), hashlib.sha256).hexdigest()
            # Lower-case hex after a short prefix: never mistaken for (or matched as) a Slack id.
            self._seen[key] = f"{prefix.lower()}-{digest[:12]}"
        return self._seen[key]
