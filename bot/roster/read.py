"""Roster import from CSV: read a messy export, resolve people through Slack, plan, apply.

The four steps are separate so the dry run and the confirm can run in different
requests (or processes):

1. :func:`read_roster` turns bytes from a residency-management export into rows with
   line numbers: BOM or not, comma / semicolon / tab, quoted fields, a header row or
   none, blank lines, stray whitespace, mixed-case emails, duplicates.
2. :func:`resolve_addresses` turns emails and Slack ids into Slack members. People we
   already know are read from the database; a handful of unknown emails are looked up
   one by one (`users.lookupByEmail`, Tier 3: about 50 a minute); more than that and we
   page through `users.list` once instead (Tier 2, 200 members a page), because a
   500-pair file would otherwise need ~1,000 lookups — twenty minutes of rate limit.
3. :func:`plan_import` compares the file with the current roster: to add, already
   present, cohort changes, to end (only when asked), errors and duplicates.
4. :func:`apply_plan` makes the planned changes in one transaction, re-checking each
   one against the roster as it is then, so applying twice changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from email.utils import parseaddr

from bot import csvread, privacy
from bot.csvread import UnreadableFile, decode_csv
from bot.roster.service import (
    clean_cohort,
    cohort_issue,
)
from bot.roster.types import Duplicate, ParsedRoster, RosterFileError, Row, RowError
from bot.textparse import parse_user

# Slack's file_input accepts up to 10 MB; a 2,000-pair export is about 150 kB.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DATA_ROWS = 5000
# The command line (`python -m bot import-roster`) reads a whole health system's file at
# once: no Slack upload limit applies there, and the apply step is set-based.
CLI_MAX_FILE_BYTES = 64 * 1024 * 1024
CLI_MAX_DATA_ROWS = 250_000

MENTOR_WORDS = ("mentor", "faculty", "advisor", "adviser", "attending", "supervisor", "preceptor", "coach")
MENTEE_WORDS = ("mentee", "resident", "student", "learner", "advisee", "trainee", "protege", "protégé")
COHORT_WORDS = ("cohort", "program", "group", "class", "track", "rotation")
# Header words that mark the column holding the address rather than a name.
ADDRESS_WORDS = frozenset({"email", "mail", "slack", "id", "uid", "address"})

# A spreadsheet runs a cell starting with one of these as a formula; exports prefix it
# with an apostrophe (as spreadsheets themselves do) and imports take the apostrophe off.
FORMULA_STARTS = ("=", "+", "-", "@")

# A bare dot-atom address: parseaddr returns such a cell as it is, far more slowly (it
# tokenises every character); anything else (names, <>, quotes, comments) goes to it.
_ATOM = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
# What may be repeated back in a reason: a well-formed (RFC 5321 dot-atom) address with a
# real domain. Anything looser is still looked up, but never shown or stored as written.
_WELL_FORMED_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE,
)
# Runs of dots, underscores and plus signs, read as spaces before screening (file names,
# email local parts): the privacy screen's word boundaries do not fall at them, so
# "smith_john_12345678" would otherwise pass.
SEPARATORS = re.compile(r"[._+]+")


# --- 1. reading -----------------------------------------------------------------------


def decode_roster(data: bytes) -> str:
    """Text of an uploaded file (see `bot.csvread.decode_csv`); RosterFileError if it is binary."""
    try:
        return decode_csv(data)
    except UnreadableFile as problem:
        raise RosterFileError(str(problem)) from None


def guard_csv_cell(value: str) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unguard_csv_cell(value: str) -> str:
    """Undo :func:`guard_csv_cell`, so exported files import unchanged."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_STARTS else value


def normalize_address(cell: str) -> tuple[str | None, str | None]:
    """(address, problem): a lower-case email or a Slack member id, from one CSV cell."""
    value = cell.strip().strip("\"'").strip()
    if not value:
        return None, None
    user_id = parse_user(value)
    if user_id:
        return user_id, None
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    if _PLAIN_ADDRESS.fullmatch(value):  # almost every cell: what parseaddr would give back
        address = value
    else:
        _name, address = parseaddr(value)  # "Dr Ana Ruiz <ana@x.org>" → ana@x.org
    address = address.strip().lower()
    if _EMAIL.match(address):
        return address, None
    # The cell itself is never repeated: a wrong file can hold patient names or numbers.
    return None, "isn't an email address or a Slack member ID"


def showable_address(address: str) -> str | None:
    """`address` when it may be repeated in a reason (kept for a day), else None.

    A Slack member id, or a well-formed email whose local part does not look like a
    record number, date or phone number ("12345678@hospital.org" is a patient's MRN).
    """
    if parse_user(address) == address:
        return address
    if len(address) > 254 or not _WELL_FORMED_EMAIL.match(address):
        return None
    local = address.rsplit("@", 1)[0]
    if privacy.screen(local, names=False) or privacy.screen(SEPARATORS.sub(" ", local), names=False):
        return None
    return address


def _looks_like_address(cell: str) -> bool:
    address, _problem = normalize_address(cell)
    return address is not None


def _rows_with_two_addresses(rows: Sequence[Sequence[str]]) -> int:
    # The right delimiter puts two addresses in two different cells; wrong ones leave
    # "a@x;b@y" in one cell.
    return sum(1 for row in rows if sum(_looks_like_address(c) for c in row[:4]) >= 2)


def detect_delimiter(text: str) -> str:
    """Comma, semicolon, tab or pipe: whichever separates the addresses in the first lines."""
    return csvread.detect_delimiter(text, _rows_with_two_addresses)


def _find_column(header: Sequence[str], words: Sequence[str], taken: set[int]) -> int | None:
    candidates = [
        i for i, name in enumerate(header) if i not in taken and any(word in name.lower() for word in words)
    ]
    if not candidates:
        return None
    with_hint = [i for i in candidates if ADDRESS_WORDS & set(re.findall(r"[a-z]+", header[i].lower()))]
    return (with_hint or candidates)[0]


def map_columns(header: Sequence[str]) -> tuple[int, int, int | None, bool]:
    """(mentor, mentee, cohort, recognised) column indexes for a header row."""
    mentor = _find_column(header, MENTOR_WORDS, set())
    mentee = _find_column(header, MENTEE_WORDS, {mentor} if mentor is not None else set())
    if mentor is None or mentee is None:
        return 0, 1, (2 if len(header) > 2 else None), False
    cohort = _find_column(header, COHORT_WORDS, {mentor, mentee})
    return mentor, mentee, cohort, True


def storable_header(cells: Sequence[str]) -> list[str]:
    """A header row as it may be kept: column names, never a line of data read as a header.

    A file without a header has its first line read as one, and a patient list's first
    line is a patient. Cells that screen as identifiers are replaced by their position,
    and so is every cell that names no column when the line as a whole screens dirty
    ("John Smith" alone passes; next to a date of birth it does not).
    """
    line_is_clean = not privacy.screen(" | ".join(cells))
    column_words = (*MENTOR_WORDS, *MENTEE_WORDS, *COHORT_WORDS, "email")
    kept = []
    for number, cell in enumerate(cells, 1):
        names_a_column = any(word in cell.lower() for word in column_words)
        clean = not privacy.screen(cell) and (line_is_clean or names_a_column)
        kept.append(cell if clean else f"column {number}")
    return kept


def _cell(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def read_roster(
    data: bytes | str, *, max_rows: int = MAX_DATA_ROWS, max_bytes: int = MAX_FILE_BYTES
) -> ParsedRoster:
    """Parse a roster CSV; bad lines become errors with their line numbers, never exceptions.

    Raises :class:`RosterFileError` only when the file as a whole is unusable (too big,
    binary, no rows). The limits are those of a Slack upload unless the caller (the
    command line) gives its own.
    """
    text = _roster_text(data, max_bytes)
    stream, start, delimiter = csvread.open_csv(text, _rows_with_two_addresses)
    parsed = ParsedRoster(rows=[], errors=[], header=None, delimiter=delimiter, data_rows=0)
    columns: tuple[int, int, int | None] | None = None
    positional = True
    seen: dict[tuple[str, str], Row] = {}
    for line, record in csvread.numbered_records(stream, delimiter, start):
        if columns is None:
            header = _read_header(record, line, parsed)
            if header is not None:
                columns, positional = header
                continue
            columns = (0, 1, 2)
        parsed.data_rows += 1
        if parsed.data_rows > max_rows:
            raise RosterFileError(
                f"That file has more than {max_rows:,} rows. Split it into smaller files and import "
                "them one after another."
            )
        row = _read_row(record, line, columns, parsed, positional=positional)
        if row is not None:
            _keep_first(parsed, seen, row)
    if parsed.data_rows == 0:
        raise RosterFileError(
            "I couldn't find any rows in that file. Each line needs a mentor email and a mentee email, "
            "like `ana.ruiz@hospital.org,sam.lee@hospital.org`."
        )
    return parsed


def _roster_text(data: bytes | str, max_bytes: int) -> str:
    """The file as text, without a BOM; bytes are size-checked before they are decoded."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise RosterFileError(
                f"That file is {len(data) / 1_048_576:.1f} MB; the most I can read is "
                f"{max_bytes // 1_048_576} MB. Remove columns you don't need, or split it."
            )
        data = decode_roster(data)
    return data.lstrip("\ufeff")


def _read_header(
    record: Sequence[str], line: int, parsed: ParsedRoster
) -> tuple[tuple[int, int, int | None], bool] | None:
    """(columns, positional) when the first line is a header, noted on `parsed`; None when it is data.

    A first line with an address in either of its first two cells is a pair, not a header.
    """
    if any(_looks_like_address(cell) for cell in record[:2]):
        return None
    mentor_col, mentee_col, cohort_col, recognised = map_columns(record)
    parsed.header = storable_header([cell.strip() for cell in record])
    if not recognised:
        parsed.notes.append(
            f"line {line} was read as a header, but I couldn't tell which column is the mentor "
            "and which the mentee, so I used column 1 for mentors and column 2 for mentees"
        )
    return (mentor_col, mentee_col, cohort_col), not recognised


def _keep_first(parsed: ParsedRoster, seen: dict[tuple[str, str], Row], row: Row) -> None:
    """Add `row` to `parsed`, or note it as a duplicate of the line that first named the pair."""
    key = (row.mentor, row.mentee)
    first = seen.get(key)
    if first is None:
        seen[key] = row
        parsed.rows.append(row)
        return
    note = (
        f"with cohort “{row.cohort}” instead of “{first.cohort}”; line {first.line}'s is used"
        if row.cohort and row.cohort != first.cohort
        else None
    )
    parsed.duplicates.append(Duplicate(row.line, first.line, note))


# A file repeats a handful of cohort names on every line; screening each name once keeps
# a 100,000-line file from spending most of its read in the privacy screen.
_cohort_issue = functools.lru_cache(maxsize=1024)(cohort_issue)


def _read_row(
    record: Sequence[str],
    line: int,
    columns: tuple[int, int, int | None],
    parsed: ParsedRoster,
    *,
    positional: bool,
) -> Row | None:
    """One data line as a Row; None when it has problems, which are noted on `parsed`
    with the line's valid addresses (so their pairs are not ended on its account)."""
    mentor_col, mentee_col, cohort_col = columns
    mentor, mentor_problem = normalize_address(_cell(record, mentor_col))
    mentee, mentee_problem = normalize_address(_cell(record, mentee_col))
    problems = _address_problems(record, (mentor, mentor_problem), (mentee, mentee_problem))
    cohort = _read_cohort(record, cohort_col, positional=positional)
    issue = _cohort_issue(cohort)
    if issue:
        problems.append(f"the cohort {issue}")
    if not problems and mentor == mentee:
        assert mentor is not None
        problems.append(_same_person(mentor))
    if problems:
        parsed.errors.append(RowError(line, "; ".join(problems)))
        parsed.addresses_on_error_lines.update(a for a in (mentor, mentee) if a)
        return None
    assert mentor is not None and mentee is not None
    return Row(line, mentor, mentee, cohort)


def _address_problems(
    record: Sequence[str],
    mentor: tuple[str | None, str | None],
    mentee: tuple[str | None, str | None],
) -> list[str]:
    """What is wrong with a line's two addresses, each given as (address, problem)."""
    if len([cell for cell in record if cell.strip()]) < 2:
        return ["only one value on this line; expected a mentor email, then a mentee email"]
    return [
        f"the {role} column {problem or 'is empty'}"
        for role, (address, problem) in (("mentor", mentor), ("mentee", mentee))
        if address is None
    ]


def _read_cohort(record: Sequence[str], cohort_col: int | None, *, positional: bool) -> str | None:
    """The line's cohort, cleaned and with an export's formula guard taken off."""
    cohort_text = _cell(record, cohort_col)
    if positional and len(record) > 3:
        # Without a header, cells past the third are an unquoted comma in the cohort
        # ("Surgery, PGY-1"), not columns we were told about.
        cohort_text = ", ".join(c.strip() for c in record[2:] if c.strip())
    return clean_cohort(unguard_csv_cell(cohort_text.strip()))


def _same_person(address: str) -> str:
    """The reason for a line pairing someone with themselves, naming them only if showable."""
    shown = showable_address(address)
    return "the mentor and the mentee are the same person" + (f" ({shown})" if shown else "")


# --- 2. resolving ---------------------------------------------------------------------


# --- 3. planning ----------------------------------------------------------------------


# --- 4. applying ----------------------------------------------------------------------


# --- keeping the plan between the dry run and the confirm -----------------------------
