"""Reading a rota CSV: one shift or rotation per line, as scheduling systems export them.

Columns are found by the words in the header, like the roster import: the person
(email or Slack member id: *Email*, *Staff*, *Person*, *Slack*…), the start (*Start*,
*From*, *Begin*), the end (*End*, *To*, *Until*, *Finish*), the kind (*Kind*, *Type*,
*Shift*, *Assignment*, *Rotation*…) and optionally a *Date* column when start and end
hold times only. Without a header the order is person, start, end, kind.

* Dates are `YYYY-MM-DD`; `DD/MM/YYYY` or `MM/DD/YYYY` only when the day shows which
  (13/04/2026), since 03/04/2026 could be either. Times are `HH:MM` (24-hour) or
  `7pm`, `7:30 am`; an ISO time with `Z` or an offset is taken as written.
* An end earlier than the start on the same day crosses midnight (a night shift).
* A start and end with dates only is all day, the end date included (a rotation from
  2 March to 29 March).
* The kind: *call* / *on call* / *24h*, *night* / *nights* / *night float*, *day*;
  anything else is the name of a rotation (screened for patient information; a name
  that fails is kept as "a rotation").

Bad lines become errors with their line numbers (the cell is never repeated), never
exceptions; only an unusable file raises :class:`RotaFileError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from bot import csvread, privacy
from bot.csvread import UnreadableFile, decode_csv
from bot.rota.rules import clean_label, kind_of
from bot.rota.types import (
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    ROTATION,
    ParsedRota,
    RotaFileError,
    RowError,
    ShiftRow,
)
from bot.textparse import parse_user

PERSON_WORDS = ("email", "e-mail", "mail", "slack", "person", "staff", "user", "member", "physician", "name")
START_WORDS = ("start", "from", "begin")
END_WORDS = ("end", "until", "finish", "stop", "to")
KIND_WORDS = ("kind", "type", "shift", "assignment", "rotation", "activity", "duty", "service")
DATE_WORDS = ("date", "day")

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*([ap]\.?m\.?)?$", re.IGNORECASE)


def _address(cell: str) -> str | None:
    value = cell.strip().strip("\"'").strip()
    user_id = parse_user(value)
    if user_id:
        return user_id
    value = value.lower().removeprefix("mailto:")
    return value if _EMAIL.match(value) else None


def _score(rows: Sequence[Sequence[str]]) -> int:
    # The right delimiter leaves an address alone in the first cell, and a date in the next.
    return sum(1 for row in rows if len(row) >= 3 and _address(row[0]) and read_date(row[1].split()[0:1]))


def read_date(words: Sequence[str]) -> date | None:
    """The date in the first word, if it is one we can read without guessing."""
    if not words:
        return None
    text = words[0].strip()
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _SLASH_DATE.match(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            if first > 12:
                return date(year, second, first)
            if second > 12:
                return date(year, first, second)
    except ValueError:
        return None
    return None


def _ambiguous(text: str) -> bool:
    match = _SLASH_DATE.match(text.strip().split(" ")[0]) if text.strip() else None
    return bool(match) and int(match[1]) <= 12 and int(match[2]) <= 12 and match[1] != match[2]


def read_time(text: str) -> time | None:
    """ "19:00", "7:30 pm", "7pm", "07:00:00" → a time; None if it is not one."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute, meridiem = int(match[1]), int(match[2] or 0), (match[3] or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour == 24 and minute == 0:
        return time(0, 0)  # "24:00" is the end of the day; the caller moves it to the next day
    return time(hour, minute) if hour < 24 and minute < 60 else None


def read_moment(text: str) -> tuple[datetime | date | time | None, str | None]:
    """A cell as a datetime (naive local, or aware when it says its zone), a date, or a
    time; (None, why) when it is none of those."""
    value = text.strip()
    if not value:
        return None, "is empty"
    if "T" in value or value.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")), None
        except ValueError:
            pass
    parts = value.replace("T", " ").split(None, 1)
    day = read_date(parts)
    if day is None:
        if _ambiguous(value):
            return None, "has a date that could be read two ways; write it as YYYY-MM-DD"
        clock = read_time(value)
        return (clock, None) if clock is not None else (None, "isn't a date or time (use YYYY-MM-DD HH:MM)")
    if len(parts) == 1:
        return day, None
    clock = read_time(parts[1])
    if clock is None:
        return None, "has a time I can't read (use HH:MM, 24-hour)"
    moment = datetime.combine(day, clock)
    return (moment + timedelta(days=1) if parts[1].strip().startswith("24") else moment), None


def _find(header: Sequence[str], words: Sequence[str], taken: set[int]) -> int | None:
    for index, name in enumerate(header):
        found = re.findall(r"[a-z-]+", name.lower())
        if index not in taken and any(word in found or word in name.lower().split() for word in words):
            return index
    for index, name in enumerate(header):
        if index not in taken and any(word in name.lower() for word in words if len(word) > 3):
            return index
    return None


def map_columns(header: Sequence[str]) -> dict[str, int | None] | None:
    """Column indexes by role for a header row; None when it names no person, start and end."""
    taken: set[int] = set()
    columns: dict[str, int | None] = {}
    for role, words in (
        ("start", START_WORDS),
        ("end", END_WORDS),
        ("person", PERSON_WORDS),
        ("kind", KIND_WORDS),
        ("date", DATE_WORDS),
    ):
        columns[role] = _find(header, words, taken)
        if columns[role] is not None:
            taken.add(columns[role])  # type: ignore[arg-type]
    if columns["person"] is None or columns["start"] is None:
        return None
    return columns


POSITIONAL: dict[str, int | None] = {"person": 0, "start": 1, "end": 2, "kind": 3, "date": None}


def read_rota(data: bytes | str) -> ParsedRota:
    """Parse a rota CSV into rows with line numbers; RotaFileError only for an unusable file."""
    text = _text(data)
    stream, start, delimiter = csvread.open_csv(text, _score)
    parsed = ParsedRota()
    columns: dict[str, int | None] | None = None
    rows = 0
    for line, record in csvread.numbered_records(stream, delimiter, start):
        if columns is None:
            columns = _header_or_none(record, line, parsed)
            if columns is not None:
                continue
            columns = POSITIONAL
        rows += 1
        if rows > MAX_DATA_ROWS:
            raise RotaFileError(
                f"That file has more than {MAX_DATA_ROWS:,} rows. Split it and import each part."
            )
        row = read_line(record, line, columns, parsed)
        if row is not None:
            parsed.rows.append(row)
    if rows == 0:
        raise RotaFileError(
            "I couldn't find any shifts in that file. Each line needs a person's email, a start, an end and "
            "a kind, like `ana.ruiz@hospital.org,2027-03-02 19:00,2027-03-03 08:00,night`."
        )
    return parsed


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise RotaFileError(
                f"That file is {len(data) / 1_048_576:.1f} MB; the most I can read is "
                f"{MAX_FILE_BYTES // 1_048_576} MB."
            )
        try:
            data = decode_csv(data)
        except UnreadableFile as problem:
            raise RotaFileError(str(problem)) from None
    return data.lstrip("\ufeff")


def _header_or_none(record: Sequence[str], line: int, parsed: ParsedRota) -> dict[str, int | None] | None:
    """The columns when the first line is a header (noted if unrecognised), else None."""
    if _address(record[0]) is not None:
        return None
    columns = map_columns(record)
    if columns is None:
        parsed.notes.append(
            f"line {line} was read as a header, but I couldn't tell which columns hold the person and the "
            "start, so I used the order person, start, end, kind"
        )
        return POSITIONAL
    return columns


def _cell(record: Sequence[str], index: int | None) -> str:
    return record[index].strip() if index is not None and index < len(record) else ""


def read_line(
    record: Sequence[str], line: int, columns: dict[str, int | None], parsed: ParsedRota
) -> ShiftRow | None:
    """One data line as a ShiftRow; None (and an error on `parsed`) when it has problems."""
    who = _address(_cell(record, columns["person"]))
    if who is None:
        parsed.errors.append(RowError(line, "the person column isn't an email address or a Slack member ID"))
        return None
    kind_text = _cell(record, columns["kind"])
    kind = kind_of(kind_text) if kind_text else None
    label = None
    if kind is None:
        if not kind_text:
            parsed.errors.append(RowError(line, "the kind is empty (call, night, day or a rotation's name)"))
            return None
        kind, label = ROTATION, _screened_label(kind_text)
    times = _times(record, columns)
    if isinstance(times, str):
        parsed.errors.append(RowError(line, times))
        return None
    starts, ends, all_day = times
    return ShiftRow(line, who, starts, ends, kind, label, all_day)


def _screened_label(text: str) -> str | None:
    label = clean_label(text)
    if label is None or privacy.screen(label):
        return None  # kept as "a rotation": the name itself is never stored or repeated
    return label


def _times(record: Sequence[str], columns: dict[str, int | None]) -> tuple[datetime, datetime, bool] | str:
    """(start, end, all day) of a line, or why not."""
    day_text = _cell(record, columns["date"])
    start_text, end_text = _cell(record, columns["start"]), _cell(record, columns["end"])
    if day_text:
        start_text, end_text = (
            f"{day_text} {start_text}".strip(),
            (f"{day_text} {end_text}".strip() if end_text and read_time(end_text) else end_text),
        )
    starts, problem = read_moment(start_text)
    if problem:
        return f"the start {problem}"
    ends, problem = read_moment(end_text) if end_text else (None, None)
    if problem:
        return f"the end {problem}"
    return _combine(starts, ends)


def _combine(
    starts: datetime | date | time | None, ends: datetime | date | time | None
) -> tuple[datetime, datetime, bool] | str:
    if isinstance(starts, time) or starts is None:
        return "the start has no date"
    if not isinstance(starts, datetime):  # a date: all day, the end date included
        if ends is None:
            last = starts
        elif isinstance(ends, date) and not isinstance(ends, datetime):
            last = ends
        else:
            return "the start is a date without a time but the end has a time; give both the same way"
        if last < starts:
            return "it ends before it starts"
        first = datetime.combine(starts, time(0))
        return first, datetime.combine(last + timedelta(days=1), time(0)), True
    if ends is None:
        return "the end is empty"
    if isinstance(ends, time):
        ends = datetime.combine(starts.date(), ends, tzinfo=starts.tzinfo)
    elif not isinstance(ends, datetime):
        return "the start has a time but the end is a date only; give both the same way"
    if (ends.tzinfo is None) != (starts.tzinfo is None):
        return "give the start and the end in the same form (both with a zone, or neither)"
    if ends <= starts and ends.date() == starts.date():
        ends += timedelta(days=1)  # "19:00 → 07:00" on one date crosses midnight
    if ends <= starts:
        return "it ends before it starts"
    return starts, ends, False
