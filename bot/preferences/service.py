"""Personal settings: when the app may speak to someone, their nudge slot, pause and stop.

Each public function is one unit of work on a session the caller opened (one
transaction). Changes that could move a mentor's next nudge call
`bot.timing.mark_for_replanning`, which is the whole contract with the nudge planner:
this module never computes nudge slots itself.

Pauses are whole local days. "Paused until Sunday 10 January" means nothing is sent
until the start of Monday 11 January in the person's own zone; `paused_until` stores
that instant in UTC. When the person's zone changes (their override, or Slack's), a
day-boundary pause is moved so it still ends at local midnight.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.durations import DurationError, check_last_day, parse_pause
from bot.models import Pair, Person, Workspace
from bot.outbox import cancel_open_for_person
from bot.people import ensure_person, zone_chain, zone_choice
from bot.preferences.form import validate_form
from bot.preferences.types import (
    AUTO_ZONE,
    NOT_PAUSED,
    PAUSE_REASONS,
    FormErrors,
    PauseOutcome,
    PersonalSettings,
    PreferenceError,
    ResumeOutcome,
    SettingsForm,
    StartOutcome,
    StopOutcome,
    ZoneOutcome,
)
from bot.rhythm import parse_days
from bot.timing import (
    is_paused,
    mark_for_replanning,
    pause_end_instant,
    rezone_pause,
)
from bot.zones import UnknownZone, is_valid_zone, resolve_zone

log = logging.getLogger(__name__)


def role_of(session: Session, person: Person) -> str:
    """ "mentor", "mentee" or "none", from the person's active pairs."""
    as_mentor = session.scalar(
        select(Pair.id).where(Pair.mentor_id == person.id, Pair.ended_at.is_(None)).limit(1)
    )
    if as_mentor is not None:
        return "mentor"
    as_mentee = session.scalar(
        select(Pair.id).where(Pair.mentee_id == person.id, Pair.ended_at.is_(None)).limit(1)
    )
    return "mentee" if as_mentee is not None else "none"


def snapshot(session: Session, settings: Settings, person: Person, now: datetime) -> PersonalSettings:
    """Everything needed to describe a person's settings, read once."""
    choice = zone_choice(person, session.get(Workspace, person.team_id), settings)
    return PersonalSettings(
        team_id=person.team_id,
        user_id=person.user_id,
        role=role_of(session, person),
        nudge_days=parse_days(person.nudge_days),
        nudge_minute=person.nudge_minute,
        cadence=person.cadence,
        contact_start=person.contact_start,
        contact_end=person.contact_end,
        quiet_weekends=person.quiet_weekends,
        zone=choice.name,
        zone_source=choice.source,
        slack_tz=person.tz,
        tz_override=person.tz_override,
        paused_until=person.paused_until,
        pause_reason=person.pause_reason,
        opted_out_at=person.opted_out_at,
        is_active=person.is_active,
        now=now,
        backoff_level=person.backoff_level or 0,
    )


def load(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    now: datetime,
    *,
    enterprise_id: str | None = None,
) -> PersonalSettings:
    """A person's settings, creating the person with defaults on first sight."""
    _person, current = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    return current


def _person_and_settings(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    now: datetime,
    enterprise_id: str | None,
) -> tuple[Person, PersonalSettings]:
    """The person (created with defaults on first sight) and their settings as they stand.

    Every read and change here opens with this; a change compares its result with it.
    """
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    return person, snapshot(session, settings, person, now)


# --- pause and resume -------------------------------------------------------------------


def pause(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    *,
    last_day: date,
    now: datetime,
    reason: str = "break",
    enterprise_id: str | None = None,
) -> PauseOutcome:
    """Pause messages through `last_day` (a local date). Refuses past or too-distant days."""
    if reason not in PAUSE_REASONS:
        raise ValueError(f"unknown pause reason {reason!r}")
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    try:
        check_last_day(last_day, before.today)
    except DurationError as error:
        raise PreferenceError(error.message) from None
    previous = person.paused_until if before.is_paused else None
    cancelled = _apply_pause(session, person, last_day, reason, before.tzinfo, now)
    log.info(
        "team=%s user=%s: paused (%s) until %s, %d queued message(s) cancelled",
        team_id,
        user_id,
        reason,
        person.paused_until,
        cancelled,
    )
    return PauseOutcome(snapshot(session, settings, person, now), previous, cancelled)


def pause_for_text(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    text: str,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> PauseOutcome:
    """`/mentor pause <text>`: read the length in the person's own calendar, then pause."""
    _person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    try:
        last_day = parse_pause(text, before.today)
    except DurationError as error:
        raise PreferenceError(error.message) from None
    return pause(session, settings, team_id, user_id, last_day=last_day, now=now)


def _apply_pause(
    session: Session, person: Person, last_day: date, reason: str, zone: ZoneInfo, now: datetime
) -> int:
    if not is_paused(person, now):
        # A new pause starts now; changing or extending a running one keeps its start, so
        # "paused for over a month" (bot.attention) counts from when it really began.
        person.paused_at = now
    person.paused_until = pause_end_instant(last_day, zone)
    person.pause_reason = reason
    # The planner recomputes the next slot, which falls after the pause.
    mark_for_replanning(person, now)
    session.flush()
    return cancel_open_for_person(
        session, person.id, "not sent: the person paused messages", due_before=person.paused_until
    )


def resume(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> ResumeOutcome:
    """End a pause now. Someone who stopped everything and asks to resume clearly wants
    messages again, so a stop is lifted too (and the reply says so)."""
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    if person.paused_until is not None:
        person.paused_until = None
        person.paused_at = None
        person.pause_reason = None
    if before.is_stopped:
        person.opted_out_at = None
    if before.is_paused or before.is_stopped:
        mark_for_replanning(person, now)
        log.info("team=%s user=%s: resumed", team_id, user_id)
    return ResumeOutcome(snapshot(session, settings, person, now), before.is_paused, before.is_stopped)


# --- stop and start ---------------------------------------------------------------------


def stop(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> StopOutcome:
    """Opt out of every message, and cancel whatever was queued."""
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    cancelled = 0
    if not before.is_stopped:
        person.opted_out_at = now
        mark_for_replanning(person, now)
        session.flush()
        cancelled = cancel_open_for_person(session, person.id, "not sent: the person stopped all messages")
        log.info("team=%s user=%s: stopped all messages (%d queued cancelled)", team_id, user_id, cancelled)
    return StopOutcome(snapshot(session, settings, person, now), before.is_stopped, cancelled)


def start(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> StartOutcome:
    """Undo a stop. A pause, if any, stays: they asked for that separately."""
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    if before.is_stopped:
        person.opted_out_at = None
        mark_for_replanning(person, now)
        log.info("team=%s user=%s: started messages again", team_id, user_id)
    return StartOutcome(snapshot(session, settings, person, now), before.is_stopped)


# --- time zone --------------------------------------------------------------------------


def set_timezone(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    text: str,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> ZoneOutcome:
    """Override the zone with the one `text` names, or follow Slack again for "auto"."""
    cleaned = text.strip()
    if cleaned.lower() in (AUTO_ZONE, "slack", "default", "reset"):
        override = None
    else:
        try:
            override = resolve_zone(cleaned)
        except UnknownZone as error:
            raise PreferenceError(error.message) from None
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    person.tz_override = override
    after = snapshot(session, settings, person, now)
    changed = after.zone != before.zone
    if changed:
        rezone_pause(person, before.tzinfo, after.tzinfo)
        mark_for_replanning(person, now)
        after = snapshot(session, settings, person, now)
    log.info("team=%s user=%s: time zone %s → %s", team_id, user_id, before.zone, after.zone)
    return ZoneOutcome(after, before.zone, changed)


# --- the settings form ------------------------------------------------------------------


def save_settings(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    form: SettingsForm,
    *,
    now: datetime,
    enterprise_id: str | None = None,
) -> PersonalSettings:
    """Check the form and save it; raises :class:`FormErrors` (saving nothing) if invalid."""
    person, before = _person_and_settings(session, settings, team_id, user_id, now, enterprise_id)
    override = form.timezone if form.timezone != AUTO_ZONE and is_valid_zone(form.timezone) else None
    # Dates in the form are on the calendar of the zone the form chose.
    new_zone = ZoneInfo(zone_chain(override, person.tz, session.get(Workspace, team_id), settings).name)
    today = now.astimezone(new_zone).date()
    # Check and save what the form showed, not what the role is now: a mentee whose form
    # had no nudge fields may have been paired as a mentor while it was open, and errors
    # must name blocks the modal has (Slack rejects the others). Unshown fields keep
    # their stored values.
    errors = validate_form(form, today, shows_nudges=form.shows_nudges)
    if errors:
        raise FormErrors(errors)
    assert form.contact_start is not None and form.contact_end is not None

    if form.shows_nudges:
        assert form.nudge_days and form.nudge_minute is not None and form.cadence
        person.nudge_days = ",".join(str(day) for day in sorted(set(form.nudge_days)))
        person.nudge_minute = form.nudge_minute
        person.cadence = form.cadence
        # Saving a pace is choosing it: any slowing-down after unanswered nudges ends.
        person.backoff_level = 0
        person.unanswered_streak = 0
    person.contact_start = form.contact_start
    person.contact_end = form.contact_end
    person.quiet_weekends = form.quiet_weekends
    person.tz_override = override
    if before.zone != new_zone.key:
        rezone_pause(person, before.tzinfo, new_zone)
    mark_for_replanning(person, now)

    if form.pause_kind == NOT_PAUSED:
        person.paused_until = None
        person.paused_at = None
        person.pause_reason = None
    else:
        assert form.pause_last_day is not None
        # An untouched pause stays as it is (a zone change above already moved its end).
        unchanged = (
            before.is_paused
            and before.pause_last_day == form.pause_last_day
            and before.pause_reason == form.pause_kind
        )
        if not unchanged:
            _apply_pause(session, person, form.pause_last_day, form.pause_kind, new_zone, now)
    log.info("team=%s user=%s: settings saved", team_id, user_id)
    return snapshot(session, settings, person, now)
