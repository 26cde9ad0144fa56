"""Rotas in the database: the duty windows other features ask about, replacing a person's
shifts from an upload or their feed, the admin's checked upload, feed settings, and
what `/mentor rota` shows.

Each public function is one unit of work inside the caller's transaction. Duty is read
through an index on (person, end), so asking "may I message her now?" costs one small
query.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Person, RotaFeed, RotaImport, RotaShift, RotationReflection
from bot.people import ensure_person, zone_for
from bot.privacy import check as privacy_check
from bot.rota.calendar import parse_calendar
from bot.rota.feed_link import UnreadableLink, open_link, seal_link
from bot.rota.read import read_rota
from bot.rota.rules import duty_windows, mask_url, normalize_feed_url, shift_problem, to_utc
from bot.rota.types import (
    DUTY_KINDS,
    FEED_PAST,
    FROM_FEED,
    FROM_UPLOAD,
    REFLECTION_MAX_CHARS,
    ROTATION,
    ParsedRota,
    RotaFileError,
    RotaPlan,
    RotaSummary,
    RowError,
    Shift,
)
from bot.timing import Busy, mark_for_replanning, next_contact_time

# Duty that began this long before a window still reaches into it (a 36-hour call),
# plus the post-call rest that follows it.
REACH_BACK = timedelta(hours=60)
# A checked upload nobody applied is refused after this long.
PLAN_LIFETIME = timedelta(hours=24)
# How far `/mentor rota` looks ahead.
SUMMARY_AHEAD = timedelta(days=14)


# --- duty, for the planners and the sender ----------------------------------------------------


def _shift_of(row: RotaShift) -> Shift:
    return Shift(row.kind, row.starts_at, row.ends_at, row.label, row.all_day)


def duty_shifts(
    session: Session, person_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Shift]]:
    """Call and night shifts of these people that reach into [start, end), by person."""
    found: dict[int, list[Shift]] = defaultdict(list)
    if not person_ids:
        return found
    rows = session.scalars(
        select(RotaShift)
        .where(
            RotaShift.person_id.in_(list(person_ids)),
            RotaShift.kind.in_(DUTY_KINDS),
            RotaShift.ends_at > start - REACH_BACK,
            RotaShift.starts_at < end,
        )
        .order_by(RotaShift.starts_at)
    )
    for row in rows:
        found[row.person_id].append(_shift_of(row))
    return found


def busy_for_people(
    session: Session, settings: Settings, persons: Sequence[Person], start: datetime, end: datetime
) -> dict[int, tuple[Busy, ...]]:
    """Each person's duty windows (shifts and post-call rest) around [start, end)."""
    shifts = duty_shifts(session, [p.id for p in persons], start, end)
    return {
        person.id: tuple(
            duty_windows(
                shifts[person.id],
                zone_for(session, settings, person),
                post_call_rest=settings.post_call_rest,
            )
        )
        for person in persons
        if person.id in shifts
    }


def busy_for(
    session: Session, settings: Settings, person: Person, start: datetime, end: datetime
) -> tuple[Busy, ...]:
    """One person's duty windows around [start, end)."""
    return busy_for_people(session, settings, [person], start, end).get(person.id, ())


def allowed_moment(session: Session, settings: Settings, person: Person, after: datetime) -> datetime:
    """The person's next allowed moment from `after`: inside their hours, not paused, not
    on duty or post-call. `after` itself when no moment is found (so nothing is lost)."""
    zone = zone_for(session, settings, person)
    busy = busy_for(session, settings, person, after, after + timedelta(days=45))
    try:
        return next_contact_time(person, zone, after, busy=busy)
    except ValueError:
        return after


# --- replacing a person's shifts ---------------------------------------------------------------


def replace_shifts(
    session: Session,
    *,
    person: Person,
    shifts: Iterable[Shift],
    source: str,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Put `shifts` in place of the person's rows from `source` (within [start, end) when
    given: an upload for March replaces March), and ask the nudge planner to look again.

    Rotations get their check-ins planned from their start (`next_checkin_at`); the
    check-ins' dedupe keys make a rotation seen again send nothing twice.
    """
    statement = delete(RotaShift).where(RotaShift.person_id == person.id, RotaShift.source == source)
    if start is not None and end is not None:
        statement = statement.where(RotaShift.starts_at < end, RotaShift.ends_at > start)
    session.execute(statement)
    count = 0
    for shift in shifts:
        session.add(
            RotaShift(
                team_id=person.team_id,
                person_id=person.id,
                kind=shift.kind,
                label=shift.label,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                all_day=shift.all_day,
                source=source,
                next_checkin_at=max(shift.starts_at, now)
                if shift.kind == ROTATION and shift.ends_at > now
                else None,
                created_at=now,
            )
        )
        count += 1
    # Duty may have moved: the planner recomputes this mentor's next slot.
    mark_for_replanning(person, now)
    return count


def resolve_rows(
    session: Session, settings: Settings, team_id: str, parsed: ParsedRota, *, whose: Person | None = None
) -> RotaPlan:
    """Rows to UTC shifts per person (by Slack id). A row's person is found by Slack id or
    email among the program's people; rows naming nobody go to `whose` (a personal
    calendar). Lines naming no one we know become errors."""
    plan = RotaPlan(errors=list(parsed.errors), notes=list(parsed.notes))
    addresses = {row.who for row in parsed.rows if row.who}
    people = _people_by_address(session, team_id, addresses)
    for row in parsed.rows:
        person = people.get(row.who) if row.who else whose
        if person is None:
            reason = (
                "no one in this program has that email or Slack ID (pair them first)"
                if row.who
                else "the calendar doesn't say whose shift this is; choose the person in the form"
            )
            plan.errors.append(RowError(row.line, reason))
            continue
        shift = to_utc(row, zone_for(session, settings, person))
        problem = shift_problem(shift)
        if problem:
            plan.errors.append(RowError(row.line, problem))
            continue
        plan.shifts.setdefault(person.user_id, []).append(shift)
    plan.errors.sort(key=lambda e: e.line)
    return plan


def _people_by_address(session: Session, team_id: str, addresses: set[str]) -> dict[str, Person]:
    if not addresses:
        return {}
    rows = session.scalars(
        select(Person).where(
            Person.team_id == team_id,
            or_(Person.user_id.in_(addresses), func.lower(Person.email).in_(addresses)),
        )
    )
    found: dict[str, Person] = {}
    for person in rows:
        found[person.user_id] = person
        if person.email:
            found[person.email.lower()] = person
    return found


# --- an admin's upload: check, then apply ----------------------------------------------------


def is_calendar(data: bytes | str, name: str = "") -> bool:
    """Whether an upload is iCalendar rather than CSV (its name, or how it begins)."""
    head = data[:200] if isinstance(data, str) else data[:200].decode("utf-8", "ignore")
    return name.lower().endswith(".ics") or "BEGIN:VCALENDAR" in head.upper()


def read_upload(data: bytes | str, *, name: str, now: datetime) -> ParsedRota:
    """Parse an upload as iCalendar or CSV (RotaFileError for an unusable file)."""
    if is_calendar(data, name):
        return parse_calendar(data, start=now - FEED_PAST, end=now + timedelta(days=366))
    return read_rota(data)


def _plan_to_json(plan: RotaPlan) -> dict[str, Any]:
    return {
        "shifts": {
            user_id: [
                [s.kind, s.starts_at.isoformat(), s.ends_at.isoformat(), s.label, s.all_day] for s in shifts
            ]
            for user_id, shifts in plan.shifts.items()
        },
        "errors": [[e.line, e.reason] for e in plan.errors],
        "notes": plan.notes,
    }


def _plan_from_json(data: dict[str, Any]) -> RotaPlan:
    return RotaPlan(
        shifts={
            user_id: [
                Shift(kind, datetime.fromisoformat(start), datetime.fromisoformat(end), label, bool(all_day))
                for kind, start, end, label, all_day in rows
            ]
            for user_id, rows in (data.get("shifts") or {}).items()
        },
        errors=[RowError(int(line), str(reason)) for line, reason in data.get("errors") or []],
        notes=list(data.get("notes") or []),
    )


def check_upload(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    actor: str,
    data: bytes | str,
    source: str,
    now: datetime,
    whose_user_id: str | None = None,
) -> tuple[RotaPlan, str]:
    """The dry run of an upload, saved for "Apply" (its key is returned)."""
    parsed = read_upload(data, name=source, now=now)
    whose = ensure_person(session, team_id, whose_user_id) if whose_user_id else None
    plan = resolve_rows(session, settings, team_id, parsed, whose=whose)
    if not plan.shifts and not plan.errors:
        raise RotaFileError("That file holds no shifts in the coming year.")
    key = secrets.token_hex(8)
    session.add(
        RotaImport(
            key=key,
            team_id=team_id,
            created_by=actor,
            source=source[:255],
            plan=_plan_to_json(plan),
            created_at=now,
        )
    )
    return plan, key


def apply_plan(session: Session, *, team_id: str, plan: RotaPlan, now: datetime) -> dict[str, int]:
    """Replace each person's uploaded shifts over the dates the plan covers for them."""
    people = {
        p.user_id: p
        for p in session.scalars(
            select(Person).where(Person.team_id == team_id, Person.user_id.in_(list(plan.shifts)))
        )
    }
    counts = {"people": 0, "shifts": 0}
    for user_id, shifts in plan.shifts.items():
        person = people.get(user_id)
        if person is None or not shifts:
            continue
        counts["people"] += 1
        counts["shifts"] += replace_shifts(
            session,
            person=person,
            shifts=shifts,
            source=FROM_UPLOAD,
            now=now,
            start=min(s.starts_at for s in shifts),
            end=max(s.ends_at for s in shifts),
        )
    return counts


class PlanGone(LookupError):
    """The checked upload is unknown, too old, or already applied; the message says which."""


def apply_upload(session: Session, *, team_id: str, key: str, actor: str, now: datetime) -> dict[str, int]:
    """Apply a checked upload once (PlanGone for an old, unknown or applied one)."""
    row = session.scalars(
        select(RotaImport).where(RotaImport.key == key, RotaImport.team_id == team_id).with_for_update()
    ).first()
    if row is None:
        raise PlanGone("I lost track of that check. Please run `/mentor rota` again.")
    if row.applied_at is not None:
        raise PlanGone("That rota was already applied, so nothing changed.")
    if row.created_at < now - PLAN_LIFETIME:
        raise PlanGone("That check is more than a day old. Please upload the file again for a fresh one.")
    counts = apply_plan(session, team_id=team_id, plan=_plan_from_json(row.plan), now=now)
    row.applied_at, row.applied_by = now, actor
    row.plan = {"applied": counts}  # the staff emails and times are not kept past the import
    return counts


def tidy_uploads(session: Session, now: datetime) -> int:
    """Delete checked uploads nobody applied within a day (housekeeping)."""
    return (
        session.execute(
            delete(RotaImport).where(
                RotaImport.applied_at.is_(None), RotaImport.created_at < now - PLAN_LIFETIME
            )
        ).rowcount
        or 0
    )


# --- a person's feed ----------------------------------------------------------------------------


def set_feed(
    session: Session, settings: Settings, *, team_id: str, user_id: str, text: str, now: datetime
) -> str:
    """Save (or replace) the person's feed URL; returns it masked. FeedRefused for a link we
    won't fetch. It is fetched at once by the caller and daily by the clock."""
    url = normalize_feed_url(text, allow_local_http=settings.rota_feed_allow_local_http)
    person = ensure_person(session, team_id, user_id)
    feed = session.scalars(select(RotaFeed).where(RotaFeed.person_id == person.id)).first()
    stored = seal_link(settings, url, team_id=team_id, person_id=person.id)
    if feed is None:
        feed = RotaFeed(team_id=team_id, person_id=person.id, url=stored, added_at=now)
        session.add(feed)
    feed.url, feed.added_at, feed.next_refresh_at = stored, now, now + timedelta(days=1)
    feed.failing_since = feed.failure_told_at = feed.last_error = None
    return mask_url(url)


def remove_feed(session: Session, *, team_id: str, user_id: str, now: datetime) -> bool:
    """Forget the person's feed and the shifts it gave; False when there was none."""
    person = ensure_person(session, team_id, user_id)
    feed = session.scalars(select(RotaFeed).where(RotaFeed.person_id == person.id)).first()
    if feed is None:
        return False
    session.delete(feed)
    replace_shifts(session, person=person, shifts=(), source=FROM_FEED, now=now)
    return True


def rota_summary(
    session: Session, settings: Settings, *, team_id: str, user_id: str, now: datetime
) -> RotaSummary:
    """A person's coming duty (two weeks), current and coming rotations, and their feed."""
    person = ensure_person(session, team_id, user_id)
    zone = zone_for(session, settings, person)
    rows = session.scalars(
        select(RotaShift)
        .where(
            RotaShift.person_id == person.id,
            RotaShift.ends_at > now,
            RotaShift.starts_at < now + SUMMARY_AHEAD * 6,
        )
        .order_by(RotaShift.starts_at)
    ).all()
    duty, rotations = [], []
    for row in rows:
        start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        if row.kind in DUTY_KINDS and row.starts_at < now + SUMMARY_AHEAD:
            what = "night shift" if row.kind == "night" else "on call"
            duty.append(f"{start:%a} {start.day} {start:%b} {start:%H:%M} – {end:%a} {end:%H:%M} · {what}")
        elif row.kind == ROTATION:
            last = (row.ends_at - timedelta(seconds=1)).astimezone(zone)
            rotations.append(f"{row.label or 'A rotation'}: {start.day} {start:%b} – {last.day} {last:%b}")
    feed = session.scalars(select(RotaFeed).where(RotaFeed.person_id == person.id)).first()
    return RotaSummary(
        user_id=user_id,
        duty=tuple(duty[:20]),
        rotations=tuple(rotations[:10]),
        feed=_masked_feed(settings, feed) if feed else None,
        feed_problem=feed.last_error if feed and feed.failing_since else None,
        post_call_rest=settings.post_call_rest,
    )


def _masked_feed(settings: Settings, feed: RotaFeed) -> str:
    try:
        return mask_url(open_link(settings, feed.url, team_id=feed.team_id, person_id=feed.person_id))
    except UnreadableLink:
        return "a link this app can no longer read (set it again)"


# --- the end-of-rotation line ----------------------------------------------------------------------


class LineRefused(ValueError):
    """A reflection line that is too long or looks like it holds patient information."""

    @property
    def message(self) -> str:
        """The sentence to show beside the field."""
        return str(self.args[0])


def check_line(text: str) -> str:
    """The line to store; LineRefused when empty, too long or not safe to keep."""
    line = " ".join(text.split())
    if not line:
        raise LineRefused("Write a few words — or close this window if you'd rather not.")
    if len(line) > REFLECTION_MAX_CHARS:
        raise LineRefused(f"Please keep it to {REFLECTION_MAX_CHARS} characters (this has {len(line)}).")
    refusal = privacy_check(line, ask="write the line")
    if refusal:
        raise LineRefused(refusal)
    return line


def save_reflection(
    session: Session, *, team_id: str, user_id: str, rotation_key: str, text: str, now: datetime
) -> None:
    """Keep the mentee's line for the rotation (a second one replaces the first)."""
    line = check_line(text)
    person = ensure_person(session, team_id, user_id)
    key = rotation_key[:120]
    row = session.scalars(
        select(RotationReflection).where(
            RotationReflection.person_id == person.id, RotationReflection.rotation_key == key
        )
    ).first()
    if row is None:
        session.add(
            RotationReflection(
                team_id=team_id,
                person_id=person.id,
                rotation_key=key,
                text=line,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        row.text, row.updated_at = line, now


def reflection_of(session: Session, *, team_id: str, user_id: str, rotation_key: str) -> str | None:
    """The line already written for this rotation, if any (to edit it)."""
    person = ensure_person(session, team_id, user_id)
    return session.scalar(
        select(RotationReflection.text).where(
            RotationReflection.person_id == person.id, RotationReflection.rotation_key == rotation_key[:120]
        )
    )
