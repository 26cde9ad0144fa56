"""`python -m bot preview`: the nudge schedule that would go out, without Slack.

The clock's own planner step (`schedules.nudge_step.plan_due`) runs over a throwaway
SQLite database — a copy of the program's mentors, or a roster CSV — from one due
moment to the next, so what the preview prints is what the clock would do. Nothing is
written to the real database and nothing is sent. The simulation assumes every nudge
is answered (so no back-off) and nobody pauses or changes settings.

Roster CSV (for checking the rhythm before launch), one row per pair, header optional:

    mentor,mentee,tz,weekday,time,cadence
    dr.okafor@riverside.example,sam.lee@riverside.example,Europe/London,Mon+Thu,09:30,weekly
    dr.adams,alex.kim,America/New_York,Tue,,biweekly

* `mentor`, `mentee`: any label (email, Slack id, name); required.
* `tz`: IANA zone of the mentor; default PROGRAM_TIMEZONE.
* `weekday`: Mon…Sun (or 0–6, Monday=0), several joined with `+` or spaces; default Tue.
* `time`: local HH:MM (24-hour); default 09:30.
* `cadence`: weekly, biweekly or monthly; default weekly.

A mentor with several mentees repeats the row; settings given on several rows must
agree. Contact hours are the app defaults (08:00–18:00, weekdays).
"""

from __future__ import annotations

import argparse
import csv
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, create_engine, func, insert, or_, select, update
from sqlalchemy.engine import make_url

from bot import migrate
from bot.config import ConfigError, Settings, load_settings
from bot.db import SessionFactory, make_engine, make_session_factory, transaction
from bot.library.types import PRACTICES
from bot.models import (
    Base,
    CustomNudge,
    Delivery,
    DeliveryStatus,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    RotaShift,
    Workspace,
)
from bot.models.core import DEFAULT_NUDGE_DAYS, DEFAULT_NUDGE_MINUTE
from bot.nudges.types import BACKOFF_KIND, NUDGE_KIND
from bot.people import zone_for
from bot.rota.rules import describe_move, to_utc
from bot.rota.service import read_upload
from bot.rota.types import FROM_UPLOAD, RotaFileError
from bot.timing import format_minute, local_datetime, parse_minute
from schedules.lock import sqlite_file
from schedules.nudge_step import plan_due

PREVIEW_TEAM = "TPREVIEW"
# History copied from the real database (the planner looks back at most this far).
HISTORY = timedelta(weeks=26)
MAX_DAYS = 366
_DAY_NAMES = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_CADENCES = ("weekly", "biweekly", "monthly")
HEADER = ("mentor", "mentee", "tz", "weekday", "time", "cadence")


class RosterError(ConfigError):
    """The roster CSV has problems; the message lists them with line numbers."""


@dataclass
class RosterMentor:
    """One mentor from the CSV, with the line each setting came from."""

    label: str
    mentees: list[str] = field(default_factory=list)
    settings: dict[str, tuple[object, int]] = field(default_factory=dict)


def parse_weekdays(text: str) -> tuple[int, ...] | None:
    """ "Mon+Thu", "mon thu", "0,3" → (0, 3); None if any part is not a weekday."""
    parts = [p for p in re.split(r"[+,;/\s]+", text.strip().lower()) if p]
    days = set()
    for part in parts:
        if part.isdigit() and 0 <= int(part) <= 6:
            days.add(int(part))
        elif part in _DAY_NAMES:
            days.add(_DAY_NAMES[part])
        else:
            return None
    return tuple(sorted(days)) or None


def read_roster(text: str, default_tz: str) -> list[RosterMentor]:
    """Parse the roster CSV; raises RosterError naming every bad line."""
    mentors: dict[str, RosterMentor] = {}
    problems: list[str] = []
    for number, cells in _roster_lines(text):
        mentor, mentee, *setting_cells = cells[: len(HEADER)]
        if not mentor or not mentee:
            problems.append(f"line {number}: needs a mentor and a mentee")
            continue
        entry = mentors.setdefault(mentor, RosterMentor(mentor))
        if mentee not in entry.mentees:
            entry.mentees.append(mentee)
        values = _line_settings(number, setting_cells, problems)
        _merge_settings(entry, values, number, problems)
    if problems:
        shown = problems[:20] + ([f"…and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise RosterError("the roster CSV has problems:\n  " + "\n  ".join(shown))
    if not mentors:
        raise RosterError("the roster CSV has no mentor,mentee rows")
    for entry in mentors.values():
        entry.settings.setdefault("tz", (default_tz, 0))
    return list(mentors.values())


def _roster_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each row, its cells stripped and padded to the six columns.

    Blank lines, `#` comments and a header line are skipped.
    """
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "mentor":
            continue
        yield number, cells + [""] * (len(HEADER) - len(cells))


def _line_settings(number: int, cells: Sequence[str], problems: list[str]) -> dict[str, object]:
    """The settings a line gives (tz, weekday, time, cadence cells), by Person column name.

    An empty cell gives nothing; a bad one is added to `problems` instead.
    """
    values: dict[str, object] = {}
    for (name, read), cell in zip(_SETTING_READERS, cells, strict=True):
        if not cell:
            continue
        value, problem = read(cell)
        if problem is not None:
            problems.append(f"line {number}: {problem}")
        else:
            values[name] = value
    return values


def _read_zone(text: str) -> tuple[object, str | None]:
    """(zone name, None), or (None, why not) when it is not an IANA zone."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None, f"{text!r} is not a time zone name (use e.g. Europe/London)"
    return text, None


def _read_weekdays(text: str) -> tuple[object, str | None]:
    """("0,3", None) as `nudge_days` stores them, or (None, why not)."""
    days = parse_weekdays(text)
    if days is None:
        return None, f"{text!r} is not a weekday list (use e.g. Tue or Mon+Thu)"
    return ",".join(str(d) for d in days), None


def _read_time(text: str) -> tuple[object, str | None]:
    """(minute of the day, None), or (None, why not)."""
    minute = parse_minute(text)
    if minute is None:
        return None, f"{text!r} is not a time (use 24-hour HH:MM, e.g. 09:30)"
    return minute, None


def _read_cadence(text: str) -> tuple[object, str | None]:
    """(cadence, None) in lower case, or (None, why not)."""
    if text.lower() not in _CADENCES:
        return None, f"cadence {text!r} should be weekly, biweekly or monthly"
    return text.lower(), None


# The tz, weekday, time and cadence columns, in order: the Person column each sets, and its reader.
_SETTING_READERS: tuple[tuple[str, Callable[[str], tuple[object, str | None]]], ...] = (
    ("tz", _read_zone),
    ("nudge_days", _read_weekdays),
    ("nudge_minute", _read_time),
    ("cadence", _read_cadence),
)


def _merge_settings(entry: RosterMentor, values: dict[str, object], number: int, problems: list[str]) -> None:
    """Keep each setting from the first line that gives it; a later line that disagrees is a problem."""
    for name, value in values.items():
        earlier = entry.settings.get(name)
        if earlier is not None and earlier[0] != value:
            problems.append(f"line {number}: {entry.label}'s {name} differs from line {earlier[1]}")
        elif earlier is None:
            entry.settings[name] = (value, number)


# --- the throwaway database ---------------------------------------------------------------


@contextmanager
def scratch_database() -> Iterator[SessionFactory]:
    """A fresh SQLite database in a temporary directory, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="mentor-nudge-preview-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'preview.db'}")
        Base.metadata.create_all(engine)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()


def load_roster(session_factory: SessionFactory, mentors: Sequence[RosterMentor]) -> None:
    """Put a CSV roster into the scratch database as people and pairs."""
    with transaction(session_factory) as session:
        session.add(Workspace(team_id=PREVIEW_TEAM, name="preview"))
        session.flush()
        mentee_ids: dict[str, int] = {}
        for n, entry in enumerate(mentors, start=1):
            settings = {name: value for name, (value, _line) in entry.settings.items()}
            mentor = Person(
                team_id=PREVIEW_TEAM,
                user_id=f"PM{n:06d}",
                display_name=entry.label,
                nudge_days=settings.get("nudge_days", DEFAULT_NUDGE_DAYS),
                nudge_minute=settings.get("nudge_minute", DEFAULT_NUDGE_MINUTE),
                cadence=settings.get("cadence", "weekly"),
                tz=settings["tz"],
            )
            session.add(mentor)
            for label in entry.mentees:
                if label not in mentee_ids:
                    mentee = Person(
                        team_id=PREVIEW_TEAM, user_id=f"PE{len(mentee_ids) + 1:06d}", display_name=label
                    )
                    session.add(mentee)
                    session.flush()
                    mentee_ids[label] = mentee.id
            session.flush()
            for label in entry.mentees:
                session.add(Pair(team_id=PREVIEW_TEAM, mentor_id=mentor.id, mentee_id=mentee_ids[label]))


def open_program_database(settings: Settings) -> Engine:
    """The real database, for reading only; a clear error if it is missing or out of date."""
    url = settings.database_url
    file = sqlite_file(url)
    if file is not None and not file.exists():
        raise ConfigError(
            f"there is no database at {file} yet: give --roster FILE.csv to preview a roster before launch"
        )
    # A plain engine: no WAL switch or other tuning writes on the real database.
    engine = create_engine(url)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        shown = make_url(url).render_as_string(hide_password=True)
        raise ConfigError(
            f"the database {shown} is at schema {current or 'nothing yet'}, not {head}: run "
            "`python -m bot migrate` first"
        )
    return engine


def copy_program(source: Engine, session_factory: SessionFactory, now: datetime) -> None:
    """Copy what the planner reads — people, active pairs, custom nudges, recent nudges and
    answers — from the real database into the scratch one."""
    since = now - HISTORY
    with source.connect() as src, transaction(session_factory) as dst:

        def copy(model: type, *where: object, fix: dict[str, object] | None = None) -> None:
            rows = [dict(r._mapping) for r in src.execute(select(model.__table__).where(*where))]
            for column, allowed in (fix or {}).items():
                keep = set(src.scalars(allowed))
                for row in rows:
                    row[column] = row[column] if row[column] in keep else None
            if rows:
                dst.execute(insert(model.__table__), rows)

        copy(Workspace)
        copy(Person)
        copy(Pair, Pair.ended_at.is_(None))
        copy(CustomNudge)
        copy(RotaShift, RotaShift.ends_at >= since)
        recent = select(NudgeSend.id).where(NudgeSend.planned_for >= since)
        copy(
            Delivery,
            or_(
                Delivery.id.in_(select(NudgeSend.delivery_id).where(NudgeSend.planned_for >= since)),
                (Delivery.kind == BACKOFF_KIND) & (Delivery.due_at >= since),
            ),
        )
        # A reminder of a nudge older than the copied history points at nothing here.
        copy(NudgeSend, NudgeSend.planned_for >= since, fix={"reminder_of_id": recent})
        copy(NudgeAnswer, NudgeAnswer.nudge_send_id.in_(recent))


# --- the simulation ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    """One nudge that would go out."""

    at: datetime
    local: datetime
    mentor: str
    practice: str
    nudge_key: str
    # "moved from Tue 09:30 (night shift)" when duty moved the slot.
    moved: str | None = None


def simulate(
    session_factory: SessionFactory, settings: Settings, *, start: date | None, days: int, now: datetime
) -> tuple[list[PreviewLine], list[str]]:
    """Run the clock's planner from due moment to due moment; returns the nudges planned
    inside each mentor's window, and the labels of mentors who got none."""
    windows = _start_windows(session_factory, settings, start, days, now)
    if not windows:
        return [], []
    end = max(until for _from, until in windows.values())
    while True:
        with session_factory() as session:
            moment = session.scalar(select(func.min(Person.next_nudge_at)))
        if moment is None or moment >= end:
            break
        plan_due(session_factory, settings, moment)
        _pretend_sent_and_answered(session_factory, moment)
    lines = _planned_lines(session_factory, settings, windows)
    with session_factory() as session:
        labels = {p.id: p.display_name or p.user_id for p in session.scalars(select(Person))}
    quiet = sorted(labels[pid] for pid in windows if labels[pid] not in {line.mentor for line in lines})
    return lines, quiet


def _start_windows(
    session_factory: SessionFactory, settings: Settings, start: date | None, days: int, now: datetime
) -> dict[int, tuple[datetime, datetime]]:
    """Each mentor's preview window, and their planner set to start at its beginning:
    `--start` means local midnight in the mentor's own zone; otherwise now."""
    windows: dict[int, tuple[datetime, datetime]] = {}
    with transaction(session_factory) as session:
        mentor_ids = set(session.scalars(select(Pair.mentor_id).where(Pair.ended_at.is_(None))))
        session.execute(update(Person).values(next_nudge_at=None))
        for person in session.scalars(select(Person).where(Person.id.in_(mentor_ids))):
            zone = zone_for(session, settings, person)
            if start is None:
                begins = now
                ends = now + timedelta(days=days)
            else:
                begins = local_datetime(start, 0, zone)
                ends = local_datetime(start + timedelta(days=days), 0, zone)
            person.next_nudge_at = begins
            windows[person.id] = (begins, ends)
    return windows


def _pretend_sent_and_answered(session_factory: SessionFactory, moment: datetime) -> None:
    """What the sender and a diligent mentor would do: mark due nudges sent and done."""
    with transaction(session_factory) as session:
        due = session.scalars(
            select(Delivery).where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= moment)
        ).all()
        for delivery in due:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, delivery.due_at
            if delivery.kind != NUDGE_KIND:
                continue
            send = session.scalars(select(NudgeSend).where(NudgeSend.delivery_id == delivery.id)).one()
            send.sent_at = delivery.due_at
            session.add(
                NudgeAnswer(
                    team_id=send.team_id,
                    nudge_send_id=send.id,
                    person_id=send.person_id,
                    answer="done",
                    first_answered_at=delivery.due_at,
                    answered_at=delivery.due_at,
                )
            )


def _planned_lines(
    session_factory: SessionFactory, settings: Settings, windows: dict[int, tuple[datetime, datetime]]
) -> list[PreviewLine]:
    with session_factory() as session:
        rows = session.execute(
            select(NudgeSend, Person, Delivery.payload)
            .join(Person, Person.id == NudgeSend.person_id)
            .outerjoin(Delivery, Delivery.id == NudgeSend.delivery_id)
            .where(NudgeSend.person_id.in_(list(windows)))
            .order_by(NudgeSend.planned_for, Person.display_name, Person.user_id)
        ).all()
        lines = []
        zones: dict[int, ZoneInfo] = {}
        for send, person, payload in rows:
            begins, ends = windows[person.id]
            if not begins <= send.planned_for < ends:
                continue  # history copied from the real database, or past the window
            if person.id not in zones:
                zones[person.id] = zone_for(session, settings, person)
            lines.append(
                PreviewLine(
                    at=send.planned_for,
                    local=send.planned_for.astimezone(zones[person.id]),
                    mentor=person.display_name or person.user_id,
                    practice=send.practice,
                    nudge_key=send.nudge_key,
                    moved=_moved_words(payload, zones[person.id]),
                )
            )
    return lines


def _moved_words(payload: dict[str, object] | None, zone: ZoneInfo) -> str | None:
    """Where duty moved a nudge from, and why, as the planner noted it on its row."""
    moved_from = (payload or {}).get("moved_from")
    if not isinstance(moved_from, str):
        return None
    original = datetime.fromisoformat(moved_from)
    return describe_move(original, original, str((payload or {}).get("moved_why") or "duty"), zone)


def load_rota(
    session_factory: SessionFactory, settings: Settings, path: str, now: datetime
) -> tuple[int, list[str]]:
    """Put a rota file's shifts into the scratch database for the people it names (by
    email, Slack ID or the roster's label); returns (shifts loaded, problems by line)."""
    try:
        data = Path(path).read_bytes()
        parsed = read_upload(data, name=path, now=now)
    except OSError as error:
        raise ConfigError(f"cannot read the rota file {path}: {error.strerror}") from None
    except RotaFileError as problem:
        raise ConfigError(f"the rota file {path}: {problem}") from None
    problems = [f"line {e.line}: {e.reason}" for e in parsed.errors]
    loaded = 0
    with transaction(session_factory) as session:
        people: dict[str, Person] = {}
        for person in session.scalars(select(Person)):
            for key in (person.user_id, person.email, person.display_name):
                if key:
                    people[key.lower()] = person
        for row in parsed.rows:
            person = people.get((row.who or "").lower())
            if person is None:
                problems.append(f"line {row.line}: names no one in this preview")
                continue
            shift = to_utc(row, zone_for(session, settings, person))
            if shift.ends_at <= shift.starts_at:
                problems.append(f"line {row.line}: it ends before it starts")
                continue
            session.add(
                RotaShift(
                    team_id=person.team_id,
                    person_id=person.id,
                    kind=shift.kind,
                    label=shift.label,
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    all_day=shift.all_day,
                    source=FROM_UPLOAD,
                )
            )
            loaded += 1
    return loaded, problems


# --- printing ------------------------------------------------------------------------------


def format_preview(
    lines: Sequence[PreviewLine], quiet: Sequence[str], *, mentors: int, days: int, start: date | None
) -> str:
    """The table a program director reads."""
    since = f"from {start.isoformat()} (each mentor's local midnight)" if start else "from now"
    out = [
        f"Nudge schedule for {_count(days, 'day')} {since}: {_count(len(lines), 'nudge')} for "
        f"{_count(mentors, 'mentor')}.",
        "Assumes every nudge is answered (so no back-off) and nobody pauses or changes settings.",
        "",
    ]
    if lines:
        mentor_width = min(40, max(len("mentor"), *(len(line.mentor) for line in lines)))
        practice_width = max(len(p.title) for p in PRACTICES.values())
        out.append(
            f"{'date':<14}  {'local':<11}  {'mentor':<{mentor_width}}  {'practice':<{practice_width}}  nudge"
        )
        for line in lines:
            practice = PRACTICES[line.practice].title if line.practice in PRACTICES else line.practice
            out.append(
                f"{line.local:%a %Y-%m-%d}  {format_minute(line.local.hour * 60 + line.local.minute)} "
                f"{line.local.tzname() or '':<5}  {line.mentor[:mentor_width]:<{mentor_width}}  "
                f"{practice:<{practice_width}}  {line.nudge_key}"
                + (f"  ← {line.moved}" if line.moved else "")
            )
    if quiet:
        out += [
            "",
            "No nudge in this window for: " + ", ".join(quiet),
            "(check their weekday, time and cadence: a time after contact hours, or a weekend day, "
            "has no slot)",
        ]
    return "\n".join(out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_preview(args: argparse.Namespace, *, now: datetime | None = None) -> int:
    """`python -m bot preview`: print the schedule; never touches Slack or the real data."""
    if not 1 <= args.days <= MAX_DAYS:
        raise ConfigError(f"--days must be from 1 to {MAX_DAYS}; got {args.days}")
    settings = load_settings()
    now = now or datetime.now(UTC)
    with scratch_database() as session_factory:
        if args.roster is not None:
            try:
                text = Path(args.roster).read_text(encoding="utf-8-sig")
            except OSError as error:
                raise ConfigError(f"cannot read the roster file {args.roster}: {error.strerror}") from None
            roster = read_roster(text, settings.program_timezone)
            load_roster(session_factory, roster)
        else:
            source = open_program_database(settings)
            try:
                copy_program(source, session_factory, now)
            finally:
                source.dispose()
        rota_note = None
        if getattr(args, "rota", None):
            loaded, problems = load_rota(session_factory, settings, args.rota, now)
            rota_note = f"Rota: {loaded} shift(s) loaded from {args.rota}." + "".join(
                f"\n  {problem}" for problem in problems[:20]
            )
        lines, quiet = simulate(session_factory, settings, start=args.start, days=args.days, now=now)
        with session_factory() as session:
            mentors = session.scalar(
                select(func.count(func.distinct(Pair.mentor_id))).where(Pair.ended_at.is_(None))
            )
    if rota_note:
        print(rota_note + "\n")
    print(format_preview(lines, quiet, mentors=mentors or 0, days=args.days, start=args.start))
    return 0
