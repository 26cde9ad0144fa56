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

import codecs
import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session, aliased

from bot import privacy
from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.directory import Profile, all_profiles, apply_profile, fetch_profile, lookup_email
from bot.models import Pair, Person, RosterImport
from bot.people import ensure_workspace
from bot.roster.service import (
    CHUNK,
    Refusal,
    audit,
    clean_cohort,
    cohort_issue,
    end_pair,
    ensure_people,
    quiet_reason,
    start_pair,
    welcome_newcomers,
)
from bot.slack import patient_client
from bot.textparse import parse_user

# Slack's file_input accepts up to 10 MB; a 2,000-pair export is about 150 kB.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DATA_ROWS = 5000
# Up to this many unknown addresses are looked up one at a time (well inside a minute
# of users.lookupByEmail's Tier 3 budget); more, and one users.list sweep is cheaper.
LOOKUP_LIMIT = 25
# How many times a long resolution waits out a 429 before giving up (slack_sdk sleeps
# for Retry-After each time).
# Imports make many calls in a row: wait out more rate limits than a single request would.
RATE_LIMIT_RETRIES = 10
# A checked plan may be applied for this long; after that the roster may have moved on.
PLAN_TTL = timedelta(hours=24)
DELIMITERS = (",", ";", "\t", "|")

MENTOR_WORDS = ("mentor", "faculty", "advisor", "adviser", "attending", "supervisor", "preceptor", "coach")
MENTEE_WORDS = ("mentee", "resident", "student", "learner", "advisee", "trainee", "protege", "protégé")
COHORT_WORDS = ("cohort", "program", "group", "class", "track", "rotation")
# Header words that mark the column holding the address rather than a name.
ADDRESS_WORDS = frozenset({"email", "mail", "slack", "id", "uid", "address"})

# A spreadsheet runs a cell starting with one of these as a formula; exports prefix it
# with an apostrophe (as spreadsheets themselves do) and imports take the apostrophe off.
FORMULA_STARTS = ("=", "+", "-", "@")

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
# What may be repeated back in a reason: a well-formed (RFC 5321 dot-atom) address with a
# real domain. Anything looser is still looked up, but never shown or stored as written.
_WELL_FORMED_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[._+]+")
# Kept instead of a file name that does not pass the privacy check.
UNNAMED_SOURCE = "uploaded file"
# Said instead of a reason that would repeat what looks like patient information.
HIDDEN_REASON = (
    "this line can't be imported, and what it says isn't shown because it may hold patient information"
)


class RosterFileError(Exception):
    """The file as a whole cannot be used; the message says why and what to do."""


# --- 1. reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A line that cannot be imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Row:
    """One mentor–mentee line: normalised addresses (lower-case email or Slack id)."""

    line: int
    mentor: str
    mentee: str
    cohort: str | None


@dataclass(frozen=True)
class Duplicate:
    """A line repeating an earlier pair; it is imported once."""

    line: int
    first_line: int
    note: str | None = None

    def __str__(self) -> str:
        extra = f" ({self.note})" if self.note else ""
        return f"line {self.line}: same pair as line {self.first_line}{extra}"


@dataclass
class ParsedRoster:
    """What the file says, before anyone is looked up."""

    rows: list[Row]
    errors: list[RowError]
    header: list[str] | None
    delimiter: str
    data_rows: int
    # Valid addresses on lines with errors: pairs of these people are never ended by
    # "end pairs not in this file", since their line may have meant to keep them.
    addresses_on_error_lines: set[str] = field(default_factory=set)
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def addresses(self) -> set[str]:
        """Every address to resolve."""
        found = {a for row in self.rows for a in (row.mentor, row.mentee)}
        return found | self.addresses_on_error_lines


def decode_roster(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), UTF-16 from Excel, or cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in the machine's code page; cp1252 maps every
            # byte Western exports use (names with accents, smart quotes).
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise RosterFileError(
            "That file doesn't look like a CSV (it holds binary data). In Excel use File → Save As → "
            "CSV UTF-8, then upload that."
        )
    return text


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
    if privacy.screen(local) or privacy.screen(_SEPARATORS.sub(" ", local)):
        return None
    return address


def _looks_like_address(cell: str) -> bool:
    address, _problem = normalize_address(cell)
    return address is not None


def _score_delimiter(lines: Sequence[str], delimiter: str) -> tuple[int, int]:
    rows = list(csv.reader(lines, delimiter=delimiter, skipinitialspace=True))
    # The right delimiter puts two addresses in two different cells; wrong ones leave
    # "a@x;b@y" in one cell. Ties (a header-only sample) go to the one that splits most.
    with_addresses = sum(1 for row in rows if sum(_looks_like_address(c) for c in row[:4]) >= 2)
    split = sum(1 for row in rows if len(row) >= 2)
    return with_addresses, split


def detect_delimiter(text: str) -> str:
    """Comma, semicolon, tab or pipe: whichever separates the addresses in the first lines."""
    sample = [line for line in text.splitlines() if line.strip()][:25]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        score = _score_delimiter(sample, delimiter)
        if score > best_score:
            best, best_score = delimiter, score
    return best


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


def read_roster(data: bytes | str) -> ParsedRoster:
    """Parse a roster CSV; bad lines become errors with their line numbers, never exceptions.

    Raises :class:`RosterFileError` only when the file as a whole is unusable (too big,
    binary, no rows).
    """
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise RosterFileError(
                f"That file is {len(data) / 1_048_576:.1f} MB; the most I can read is "
                f"{MAX_FILE_BYTES // 1_048_576} MB. Remove columns you don't need, or split it."
            )
        text = decode_roster(data)
    else:
        text = data
    text = text.lstrip("\ufeff")
    # newline="" hands csv the line endings untouched, as its documentation asks, so
    # quoted fields may hold line breaks and "\r\n" files read right.
    stream = io.StringIO(text, newline="")
    first = stream.readline().strip()
    start, delimiter = 0, None
    if first.lower().startswith("sep=") and len(first) == 5:
        # Excel's "sep=;" first line names the delimiter outright.
        start, delimiter = 1, first[4]
    else:
        stream.seek(0)
    delimiter = delimiter or detect_delimiter(text[:65536])
    reader = csv.reader(stream, delimiter=delimiter, skipinitialspace=True)
    parsed = ParsedRoster(rows=[], errors=[], header=None, delimiter=delimiter, data_rows=0)
    columns: tuple[int, int, int | None] | None = None
    positional = True
    seen: dict[tuple[str, str], Row] = {}
    previous_end = start
    for record in reader:
        line = previous_end + 1
        previous_end = start + reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines and lines of empty cells (",,,") are layout, not data
        if columns is None:
            if not any(_looks_like_address(cell) for cell in record[:2]):
                mentor_col, mentee_col, cohort_col, recognised = map_columns(record)
                columns = (mentor_col, mentee_col, cohort_col)
                positional = not recognised
                parsed.header = storable_header([cell.strip() for cell in record])
                if not recognised:
                    parsed.notes.append(
                        f"line {line} was read as a header, but I couldn't tell which column is the mentor "
                        "and which the mentee, so I used column 1 for mentors and column 2 for mentees"
                    )
                continue
            columns = (0, 1, 2)
        parsed.data_rows += 1
        if parsed.data_rows > MAX_DATA_ROWS:
            raise RosterFileError(
                f"That file has more than {MAX_DATA_ROWS:,} rows. Split it into smaller files and import "
                "them one after another."
            )
        row = _read_row(record, line, columns, parsed, positional=positional)
        if row is None:
            continue
        key = (row.mentor, row.mentee)
        first = seen.get(key)
        if first is not None:
            note = (
                f"with cohort “{row.cohort}” instead of “{first.cohort}”; line {first.line}'s is used"
                if row.cohort and row.cohort != first.cohort
                else None
            )
            parsed.duplicates.append(Duplicate(line, first.line, note))
            continue
        seen[key] = row
        parsed.rows.append(row)
    if parsed.data_rows == 0:
        raise RosterFileError(
            "I couldn't find any rows in that file. Each line needs a mentor email and a mentee email, "
            "like `ana.ruiz@hospital.org,sam.lee@hospital.org`."
        )
    return parsed


def _read_row(
    record: Sequence[str],
    line: int,
    columns: tuple[int, int, int | None],
    parsed: ParsedRoster,
    *,
    positional: bool,
) -> Row | None:
    mentor_col, mentee_col, cohort_col = columns
    mentor, mentor_problem = normalize_address(_cell(record, mentor_col))
    mentee, mentee_problem = normalize_address(_cell(record, mentee_col))
    problems = []
    if len([cell for cell in record if cell.strip()]) < 2:
        problems.append("only one value on this line; expected a mentor email, then a mentee email")
    else:
        if mentor is None:
            problems.append(f"the mentor column {mentor_problem or 'is empty'}")
        if mentee is None:
            problems.append(f"the mentee column {mentee_problem or 'is empty'}")
    cohort_text = _cell(record, cohort_col)
    if positional and len(record) > 3:
        # Without a header, cells past the third are an unquoted comma in the cohort
        # ("Surgery, PGY-1"), not columns we were told about.
        cohort_text = ", ".join(c.strip() for c in record[2:] if c.strip())
    cohort = clean_cohort(unguard_csv_cell(cohort_text.strip()))
    issue = cohort_issue(cohort)
    if issue:
        problems.append(f"the cohort {issue}")
    if not problems and mentor == mentee:
        assert mentor is not None
        shown = showable_address(mentor)
        problems.append("the mentor and the mentee are the same person" + (f" ({shown})" if shown else ""))
    if problems:
        parsed.errors.append(RowError(line, "; ".join(problems)))
        parsed.addresses_on_error_lines.update(a for a in (mentor, mentee) if a)
        return None
    assert mentor is not None and mentee is not None
    return Row(line, mentor, mentee, cohort)


# --- 2. resolving ---------------------------------------------------------------------


@dataclass
class Resolution:
    """Who each address is in Slack, or why we could not tell."""

    members: dict[str, Profile]
    problems: dict[str, str]
    # Addresses answered from our own person table (no Slack call).
    cached: set[str] = field(default_factory=set)
    # The profile behind each problem (None: nobody has that address), so a plan can say
    # which column it was when the address itself is not repeated.
    rejected: dict[str, Profile | None] = field(default_factory=dict)
    lookups: int = 0
    swept: bool = False
    swept_members: int = 0


def _from_person(person: Person) -> Profile:
    return Profile(
        user_id=person.user_id,
        team_id=person.team_id,
        name=person.display_name or person.user_id,
        tz=person.tz,
        email=person.email,
        deleted=False,
        is_bot=False,
    )


def _problem_for(address: str, profile: Profile | None, role: str | None = None) -> str | None:
    """Why `address` cannot be paired; it is named only when :func:`showable_address` allows."""
    shown = showable_address(address)
    who = shown or (f"the {role}" if role else "this address")
    if profile is None:
        if shown is None:
            return f"no Slack user has the {role}'s email" if role else "no Slack user has this email"
        if "@" in address:
            return f"no Slack user with email {shown}"
        return f"no Slack member with ID {shown} in this workspace"
    if profile.is_bot:
        return f"{who} is a bot, not a person"
    if profile.deleted:
        return f"{who} belongs to a deactivated Slack account"
    return None


def resolve_addresses(
    client: WebClient,
    session_factory: SessionFactory,
    team_id: str,
    addresses: Iterable[str],
    *,
    lookup_limit: int = LOOKUP_LIMIT,
) -> Resolution:
    """Find the Slack member behind every address (email or id).

    Reads known people in one short transaction, then calls Slack with no transaction
    open. Other Slack errors (rate limits beyond our patience, outages) propagate.
    """
    wanted = sorted(set(addresses))
    wanted_set = set(wanted)
    resolution = Resolution(members={}, problems={})
    emails = [a for a in wanted if "@" in a]
    ids = [a for a in wanted if "@" not in a]
    with transaction(session_factory) as session:
        for start in range(0, max(len(emails), len(ids)), CHUNK):
            known = session.scalars(
                select(Person).where(
                    Person.team_id == team_id,
                    Person.is_active.is_(True),
                    Person.email.in_(emails[start : start + CHUNK])
                    | Person.user_id.in_(ids[start : start + CHUNK]),
                )
            ).all()
            for person in known:
                for address in (person.email, person.user_id):
                    if address in wanted_set:
                        resolution.members[address] = _from_person(person)
                        resolution.cached.add(address)
    unknown = [a for a in wanted if a not in resolution.members]
    if not unknown:
        return resolution
    client = patient_client(client, RATE_LIMIT_RETRIES)
    if len(unknown) > lookup_limit:
        by_email: dict[str, Profile] = {}
        by_id: dict[str, Profile] = {}
        looking_for = set(unknown)
        for profile in all_profiles(client):
            # Keep only the members we are looking for: memory stays flat however big the workspace.
            resolution.swept_members += 1
            if profile.user_id in looking_for:
                by_id[profile.user_id] = profile
            # An active account wins over a deactivated one that once had the email.
            if profile.email in looking_for and (
                profile.email not in by_email or by_email[profile.email].deleted
            ):
                by_email[profile.email] = profile
        resolution.swept = True
        found = {a: (by_email if "@" in a else by_id).get(a) for a in unknown}
    else:
        found = {}
        for address in unknown:
            resolution.lookups += 1
            found[address] = (
                lookup_email(client, address) if "@" in address else fetch_profile(client, address)
            )
    for address, profile in found.items():
        problem = _problem_for(address, profile)
        if problem:
            resolution.problems[address] = problem
            resolution.rejected[address] = profile
        else:
            assert profile is not None
            resolution.members[address] = profile
    return resolution


# --- 3. planning ----------------------------------------------------------------------


def storable_source(name: str) -> str:
    """The file name as it may be stored (plan, audit log), or "uploaded file".

    Exports are often named after what they hold ("smith_john_12345678.csv"). Names
    are checked as written and with _ and . read as spaces, since the screen's word
    boundaries do not fall at underscores.
    """
    readable = _SEPARATORS.sub(" ", name)
    if privacy.check(name) or privacy.check(readable):
        return UNNAMED_SOURCE
    return name[:255]


@dataclass
class PlannedPair:
    """A pair named in the file, by Slack id, with the addresses as the file gave them."""

    line: int
    mentor: str
    mentee: str
    mentor_address: str
    mentee_address: str
    cohort: str | None


@dataclass
class CohortChange:
    """An existing pair whose cohort the file renames."""

    line: int
    pair_id: int
    mentor: str
    mentee: str
    old: str | None
    new: str


@dataclass
class PlannedEnd:
    """An active pair the file does not mention."""

    pair_id: int
    mentor: str
    mentee: str
    cohort: str | None
    started: str
    # Email (or Slack id when we have none), for reports outside Slack.
    mentor_label: str = ""
    mentee_label: str = ""


@dataclass
class ImportPlan:
    """The dry run: everything an import would do, and everything it cannot."""

    source: str
    end_missing: bool
    data_rows: int
    add: list[PlannedPair] = field(default_factory=list)
    present: list[PlannedPair] = field(default_factory=list)
    cohort_changes: list[CohortChange] = field(default_factory=list)
    end: list[PlannedEnd] = field(default_factory=list)
    # Would be ended, but a line with an error names one of the two people.
    kept: list[PlannedEnd] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Profiles fresh from Slack, by user id, copied onto person rows when applied.
    profiles: dict[str, Profile] = field(default_factory=dict)
    # Active pairs the file does not mention (ended only with end_missing).
    not_in_file: int = 0
    # People in new pairs who will not hear from the app for now, and why.
    quiet: dict[str, str] = field(default_factory=dict)
    header: list[str] | None = None
    delimiter: str = ","
    lookups: int = 0
    swept: bool = False

    @property
    def change_count(self) -> int:
        """How many changes applying would make."""
        return len(self.add) + len(self.cohort_changes) + len(self.end)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (stored between the dry run and the confirm)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportPlan:
        """Rebuild a plan stored with :meth:`to_json`."""
        values = dict(data)
        values["add"] = [PlannedPair(**p) for p in data.get("add", [])]
        values["present"] = [PlannedPair(**p) for p in data.get("present", [])]
        values["cohort_changes"] = [CohortChange(**c) for c in data.get("cohort_changes", [])]
        values["end"] = [PlannedEnd(**e) for e in data.get("end", [])]
        values["kept"] = [PlannedEnd(**e) for e in data.get("kept", [])]
        values["errors"] = [RowError(**e) for e in data.get("errors", [])]
        values["duplicates"] = [Duplicate(**d) for d in data.get("duplicates", [])]
        values["profiles"] = {k: Profile(**p) for k, p in data.get("profiles", {}).items()}
        return cls(**values)


def plan_import(
    session: Session,
    *,
    team_id: str,
    parsed: ParsedRoster,
    resolution: Resolution,
    end_missing: bool,
    source: str,
    now: datetime,
) -> ImportPlan:
    """Compare the file with the current roster. Reads only; writes nothing."""
    plan = ImportPlan(
        source=storable_source(source),
        end_missing=end_missing,
        data_rows=parsed.data_rows,
        errors=list(parsed.errors),
        duplicates=list(parsed.duplicates),
        notes=list(parsed.notes),
        header=parsed.header,
        delimiter=parsed.delimiter,
        lookups=resolution.lookups,
        swept=resolution.swept,
    )
    protected: set[str] = {
        resolution.members[a].user_id for a in parsed.addresses_on_error_lines if a in resolution.members
    }
    in_file: dict[tuple[str, str], PlannedPair] = {}
    for row in parsed.rows:
        problems = [
            _row_problem(resolution, address, role)
            for role, address in (("mentor", row.mentor), ("mentee", row.mentee))
            if address in resolution.problems
        ]
        if problems:
            plan.errors.append(RowError(row.line, "; ".join(problems)))
            protected.update(
                resolution.members[a].user_id for a in (row.mentor, row.mentee) if a in resolution.members
            )
            continue
        mentor, mentee = resolution.members[row.mentor], resolution.members[row.mentee]
        if mentor.user_id == mentee.user_id:
            shown = (showable_address(row.mentor), showable_address(row.mentee))
            who = f"{shown[0]} and {shown[1]}" if all(shown) else "the mentor and the mentee"
            plan.errors.append(RowError(row.line, f"{who} are the same Slack member"))
            continue
        key = (mentor.user_id, mentee.user_id)
        if key in in_file:
            # Two spellings of the same people (an email and an id, say).
            plan.duplicates.append(Duplicate(row.line, in_file[key].line))
            continue
        in_file[key] = PlannedPair(
            row.line, mentor.user_id, mentee.user_id, row.mentor, row.mentee, row.cohort
        )
        for address, profile in ((row.mentor, mentor), (row.mentee, mentee)):
            if address not in resolution.cached:
                plan.profiles[profile.user_id] = profile
    plan.errors = sorted((_storable_error(e) for e in plan.errors), key=lambda e: e.line)
    plan.duplicates = sorted((_storable_duplicate(d) for d in plan.duplicates), key=lambda d: d.line)
    plan.notes = [note for note in plan.notes if _may_keep(note)]

    current = _active_pairs(session, team_id)
    for key, planned in in_file.items():
        existing = current[key][0] if key in current else None
        if existing is None:
            plan.add.append(planned)
        elif planned.cohort and planned.cohort != existing.cohort:
            plan.cohort_changes.append(
                CohortChange(planned.line, existing.id, key[0], key[1], existing.cohort, planned.cohort)
            )
        else:
            plan.present.append(planned)
    plan.not_in_file = sum(1 for key in current if key not in in_file)
    if end_missing:
        for key, (pair, mentor_label, mentee_label) in current.items():
            if key in in_file:
                continue
            ending = PlannedEnd(
                pair.id,
                key[0],
                key[1],
                pair.cohort,
                pair.started_at.date().isoformat(),
                mentor_label,
                mentee_label,
            )
            (plan.kept if key[0] in protected or key[1] in protected else plan.end).append(ending)
    plan.quiet = _quiet_people(session, team_id, {u for p in plan.add for u in (p.mentor, p.mentee)}, now)
    return plan


def _row_problem(resolution: Resolution, address: str, role: str) -> str:
    if showable_address(address):
        return resolution.problems[address]
    problem = _problem_for(address, resolution.rejected.get(address), role)
    return problem or resolution.problems[address]


# Addresses a reason may name. Showable ones (staff emails, member ids) are taken out
# before screening, since an email is one of the things the screen looks for.
_NAMED_ADDRESS = re.compile(r"[^\s(),;]+@[^\s(),;]+|\b[UW][A-Z0-9]{6,}\b")


def _may_keep(text: str) -> bool:
    """True when `text` (a reason or note the plan keeps for a day) screens clean.

    The reasons are written not to repeat cells; this is the check that they don't.
    """
    without_staff = _NAMED_ADDRESS.sub(lambda m: " " if showable_address(m.group()) else m.group(), text)
    return not privacy.screen(without_staff)


def _storable_error(error: RowError) -> RowError:
    return error if _may_keep(error.reason) else RowError(error.line, HIDDEN_REASON)


def _storable_duplicate(duplicate: Duplicate) -> Duplicate:
    if duplicate.note is None or _may_keep(duplicate.note):
        return duplicate
    return Duplicate(duplicate.line, duplicate.first_line)


def _active_pairs(session: Session, team_id: str) -> dict[tuple[str, str], tuple[Pair, str, str]]:
    """Active pairs by (mentor id, mentee id), with an email-or-id label for each side."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Pair, mentor.user_id, mentee.user_id, mentor.email, mentee.email)
        .join(mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
        .order_by(Pair.id)
    ).all()
    return {(m, e): (pair, m_email or m, e_email or e) for pair, m, e, m_email, e_email in rows}


def _quiet_people(session: Session, team_id: str, user_ids: set[str], now: datetime) -> dict[str, str]:
    quiet: dict[str, str] = {}
    ordered = sorted(user_ids)
    for start in range(0, len(ordered), CHUNK):
        for person in session.scalars(
            select(Person).where(
                Person.team_id == team_id, Person.user_id.in_(ordered[start : start + CHUNK])
            )
        ):
            reason = quiet_reason(person, now)
            if reason:
                quiet[person.user_id] = reason
    return quiet


def check_roster(
    client: WebClient,
    session_factory: SessionFactory,
    *,
    team_id: str,
    data: bytes | str,
    source: str,
    end_missing: bool,
    now: datetime,
) -> ImportPlan:
    """Read, resolve and plan: the whole dry run. Raises RosterFileError for unusable files."""
    parsed = read_roster(data)
    resolution = resolve_addresses(client, session_factory, team_id, parsed.addresses())
    with transaction(session_factory) as session:
        return plan_import(
            session,
            team_id=team_id,
            parsed=parsed,
            resolution=resolution,
            end_missing=end_missing,
            source=source,
            now=now,
        )


# --- 4. applying ----------------------------------------------------------------------


@dataclass
class ImportResult:
    """What applying a plan changed."""

    added: int = 0
    already_present: int = 0
    cohort_changed: int = 0
    ended: int = 0
    # Planned changes someone else made (or undid) between the dry run and now.
    skipped: int = 0
    welcomed: int = 0
    errors: int = 0
    duplicates: int = 0

    @property
    def changed(self) -> int:
        """Pairs added, renamed or ended."""
        return self.added + self.cohort_changed + self.ended


def apply_plan(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    plan: ImportPlan,
    actor: str,
    now: datetime,
) -> ImportResult:
    """Make the planned changes in the caller's transaction and write one audit row.

    Every change is re-checked against the roster as it is now, so a plan applied twice,
    or after someone paired the same people by hand, changes nothing the second time.
    """
    result = ImportResult(
        already_present=len(plan.present), errors=len(plan.errors), duplicates=len(plan.duplicates)
    )
    user_ids = {u for p in plan.add for u in (p.mentor, p.mentee)}
    user_ids |= {u for e in plan.end for u in (e.mentor, e.mentee)}
    people = ensure_people(session, team_id, sorted(user_ids))
    for user_id, profile in plan.profiles.items():
        if user_id in people:
            apply_profile(people[user_id], profile, now)
    current = set(_active_pairs(session, team_id))
    added_ids: list[Pair] = []
    joined: dict[int, Person] = {}
    for planned in plan.add:
        key = (planned.mentor, planned.mentee)
        if key in current:
            result.already_present += 1
            result.skipped += 1
            continue
        mentor, mentee = people[planned.mentor], people[planned.mentee]
        pair = start_pair(
            session,
            team_id=team_id,
            mentor=mentor,
            mentee=mentee,
            cohort=planned.cohort,
            actor=actor,
            now=now,
        )
        current.add(key)
        added_ids.append(pair)
        joined.setdefault(mentor.id, mentor)
        joined.setdefault(mentee.id, mentee)
        result.added += 1
    for change in plan.cohort_changes:
        pair = session.get(Pair, change.pair_id)
        if pair is None or pair.ended_at is not None or pair.team_id != team_id or pair.cohort == change.new:
            result.skipped += 1
            continue
        pair.cohort = change.new
        result.cohort_changed += 1
    ended_ids = []
    for ending in plan.end:
        pair = session.get(Pair, ending.pair_id)
        if pair is None or pair.ended_at is not None or pair.team_id != team_id:
            result.skipped += 1
            continue
        end_pair(session, pair, people[ending.mentor], now)
        ended_ids.append(pair.id)
        result.ended += 1
    session.flush()
    result.welcomed = len(welcome_newcomers(session, settings, joined.values(), now))
    audit(
        session,
        team_id=team_id,
        actor=actor,
        action="import.apply",
        target=storable_source(plan.source),
        detail={
            "added": result.added,
            "cohort_changed": result.cohort_changed,
            "ended": result.ended,
            "skipped": result.skipped,
            "already_present": result.already_present,
            "errors": result.errors,
            "duplicates": result.duplicates,
            "welcomed": result.welcomed,
            "added_pair_ids": [p.id for p in added_ids],
            "ended_pair_ids": ended_ids,
        },
        now=now,
    )
    return result


# --- keeping the plan between the dry run and the confirm -----------------------------


def _expired(now: datetime) -> ColumnElement[bool]:
    """Unapplied plans past PLAN_TTL: they hold staff emails and can no longer be applied."""
    return RosterImport.applied_at.is_(None) & (RosterImport.created_at < now - PLAN_TTL)


# Per-list counts kept for a plan applied by code that did not trim it.
_PLAN_LISTS = ("add", "present", "cohort_changes", "end", "kept", "errors", "duplicates")


def _applied_record(row: RosterImport) -> dict[str, Any]:
    """What an applied import keeps: its counts and a screened file name, no addresses."""
    plan = row.plan or {}
    source = storable_source(str(plan.get("source") or row.source))
    for kind in ("applied", "planned"):  # already counts: keep the numbers, nothing else
        if isinstance(plan.get(kind), dict):
            return {kind: {k: v for k, v in plan[kind].items() if isinstance(v, int)}, "source": source}
    return {"planned": {k: len(plan.get(k) or []) for k in _PLAN_LISTS}, "source": source}


def tidy_import_plans(session_factory: SessionFactory, now: datetime) -> dict[str, int]:
    """The daily retention step, for every workspace: delete unapplied plans older than
    PLAN_TTL, and cut applied ones down to their counts (applying already does; this
    catches anything applied otherwise). Returns the non-zero counts.
    """
    with transaction(session_factory) as session:
        deleted = session.execute(delete(RosterImport).where(_expired(now))).rowcount
        trimmed = 0
        # Applied imports are a handful a year per workspace: reading them all is cheap.
        for row in session.scalars(select(RosterImport).where(RosterImport.applied_at.is_not(None))):
            record, source = _applied_record(row), storable_source(row.source)
            if row.plan != record or row.source != source:
                row.plan, row.source = record, source
                trimmed += 1
    return {name: n for name, n in (("deleted", deleted), ("trimmed", trimmed)) if n}


def save_plan(session: Session, *, team_id: str, plan: ImportPlan, actor: str, now: datetime) -> str:
    """Store a checked plan; returns the random key the confirm step refers to.

    This workspace's expired plans are deleted on the way (the daily
    :func:`tidy_import_plans` deletes everyone's).
    """
    session.execute(delete(RosterImport).where(RosterImport.team_id == team_id, _expired(now)))
    ensure_workspace(session, team_id)
    row = RosterImport(
        key=uuid.uuid4().hex,
        team_id=team_id,
        created_by=actor,
        source=storable_source(plan.source),
        plan=plan.to_json(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.key


def apply_saved_plan(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    import_key: str,
    actor: str,
    now: datetime,
) -> tuple[ImportPlan, ImportResult]:
    """Apply a stored plan once; a second confirm (double click, retry) is refused."""
    row = session.scalars(
        select(RosterImport)
        .where(RosterImport.key == import_key, RosterImport.team_id == team_id)
        .with_for_update()
    ).first()
    if row is None or (row.applied_at is None and row.created_at < now - PLAN_TTL):
        raise Refusal(
            "That check is more than a day old, and the roster may have changed since. "
            "Run `/mentor import` again to check the file afresh."
        )
    if row.applied_at is not None:
        raise Refusal(
            f"This import was already applied by <@{row.applied_by}> on {row.applied_at.day} "
            f"{row.applied_at:%b at %H:%M} UTC, so nothing was changed this time."
        )
    plan = ImportPlan.from_json(row.plan)
    result = apply_plan(session, settings, team_id=team_id, plan=plan, actor=actor, now=now)
    row.applied_at, row.applied_by = now, actor
    # Keep the counts; drop the emails and names.
    row.plan = {"applied": asdict(result), "source": storable_source(plan.source)}
    return plan, result
