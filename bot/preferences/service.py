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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.durations import MAX_PAUSE_DAYS, DurationError, check_last_day, describe_day, parse_pause
from bot.models import CADENCES, Pair, Person, Workspace
from bot.outbox import cancel_open_for_person
from bot.people import ensure_person, zone_chain, zone_choice
from bot.rhythm import WEEKDAY_NAMES, parse_days
from bot.timing import MINUTES_PER_DAY, SATURDAY, local_datetime, mark_for_replanning
from bot.zones import UnknownZone, is_valid_zone, resolve_zone

log = logging.getLogger(__name__)

# Why someone is paused; "break" is what `/mentor pause` records.
PAUSE_REASONS = {"nights": "on nights", "leave": "on leave", "break": "taking a break"}
NOT_PAUSED = "none"
AUTO_ZONE = "auto"

# Form fields (the settings modal uses these as block ids, so errors land beside them).
NUDGE_DAYS = "nudge_days"
NUDGE_TIME = "nudge_time"
CADENCE = "cadence"
CONTACT_START = "contact_start"
CONTACT_END = "contact_end"
WEEKENDS = "weekends"
TIMEZONE = "timezone"
PAUSE_KIND = "pause_kind"
PAUSE_UNTIL = "pause_until"


class PreferenceError(ValueError):
    """A request we refuse without changing anything; the message says what to do."""

    @property
    def message(self) -> str:
        """The sentence to show the person."""
        return str(self.args[0])


class FormErrors(ValueError):
    """The settings form has problems: field name → message. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class PersonalSettings:
    """A person's settings as of `now`, ready to describe or render (no session needed)."""

    team_id: str
    user_id: str
    # "mentor" (has an active pair as mentor), "mentee" (only as mentee) or "none".
    role: str
    nudge_days: tuple[int, ...]
    nudge_minute: int
    cadence: str
    contact_start: int
    contact_end: int
    quiet_weekends: bool
    zone: str
    zone_source: str
    slack_tz: str | None
    tz_override: str | None
    paused_until: datetime | None
    pause_reason: str | None
    opted_out_at: datetime | None
    is_active: bool
    now: datetime
    # Back-off steps taken after unanswered nudges (0: the chosen pace).
    backoff_level: int = 0

    @property
    def tzinfo(self) -> ZoneInfo:
        """The zone as a ZoneInfo."""
        return ZoneInfo(self.zone)

    @property
    def local_now(self) -> datetime:
        """`now` on the person's wall clock."""
        return self.now.astimezone(self.tzinfo)

    @property
    def today(self) -> date:
        """The person's local date."""
        return self.local_now.date()

    @property
    def shows_nudges(self) -> bool:
        """Nudge settings matter to mentors, and to people not in a pair yet (they may be soon)."""
        return self.role != "mentee"

    @property
    def is_paused(self) -> bool:
        """True while a pause is in force."""
        return self.paused_until is not None and self.paused_until > self.now

    @property
    def is_stopped(self) -> bool:
        """True after `/mentor stop` until they start again."""
        return self.opted_out_at is not None

    @property
    def resume_local(self) -> datetime | None:
        """When the pause ends, on the person's wall clock."""
        return self.paused_until.astimezone(self.tzinfo) if self.is_paused and self.paused_until else None

    @property
    def pause_ends_at_day_start(self) -> bool:
        """True for the usual pause, which ends at the start of a local day."""
        resume = self.resume_local
        if resume is None:
            return False
        return pause_end_instant(resume.date() - timedelta(days=1), self.tzinfo) == self.paused_until

    @property
    def pause_last_day(self) -> date | None:
        """The last local day of the pause (inclusive)."""
        resume = self.resume_local
        if resume is None:
            return None
        return resume.date() - timedelta(days=1) if self.pause_ends_at_day_start else resume.date()


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    return snapshot(session, settings, person, now)


# --- pause and resume -------------------------------------------------------------------


def pause_end_instant(last_day: date, zone: ZoneInfo) -> datetime:
    """The instant a pause whose last day is `last_day` ends: the next local midnight.

    If that midnight does not exist (zones that change clocks at 00:00), it is the
    first instant of that day.
    """
    return local_datetime(last_day + timedelta(days=1), 0, zone)


@dataclass(frozen=True)
class PauseOutcome:
    """What `pause` did."""

    settings: PersonalSettings
    previous_until: datetime | None
    cancelled: int


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    before = snapshot(session, settings, person, now)
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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    today = snapshot(session, settings, person, now).today
    try:
        last_day = parse_pause(text, today)
    except DurationError as error:
        raise PreferenceError(error.message) from None
    return pause(session, settings, team_id, user_id, last_day=last_day, now=now)


def _apply_pause(
    session: Session, person: Person, last_day: date, reason: str, zone: ZoneInfo, now: datetime
) -> int:
    person.paused_until = pause_end_instant(last_day, zone)
    person.pause_reason = reason
    # The planner recomputes the next slot, which falls after the pause.
    mark_for_replanning(person, now)
    session.flush()
    return cancel_open_for_person(
        session, person.id, "not sent: the person paused messages", due_before=person.paused_until
    )


@dataclass(frozen=True)
class ResumeOutcome:
    """What `resume` did: whether there was a pause (and a stop) to end."""

    settings: PersonalSettings
    was_paused: bool
    was_stopped: bool


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    before = snapshot(session, settings, person, now)
    if person.paused_until is not None:
        person.paused_until = None
        person.pause_reason = None
    if before.is_stopped:
        person.opted_out_at = None
    if before.is_paused or before.is_stopped:
        mark_for_replanning(person, now)
        log.info("team=%s user=%s: resumed", team_id, user_id)
    return ResumeOutcome(snapshot(session, settings, person, now), before.is_paused, before.is_stopped)


# --- stop and start ---------------------------------------------------------------------


@dataclass(frozen=True)
class StopOutcome:
    """What `stop` did."""

    settings: PersonalSettings
    already_stopped: bool
    cancelled: int


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    already = person.opted_out_at is not None
    cancelled = 0
    if not already:
        person.opted_out_at = now
        mark_for_replanning(person, now)
        session.flush()
        cancelled = cancel_open_for_person(session, person.id, "not sent: the person stopped all messages")
        log.info("team=%s user=%s: stopped all messages (%d queued cancelled)", team_id, user_id, cancelled)
    return StopOutcome(snapshot(session, settings, person, now), already, cancelled)


@dataclass(frozen=True)
class StartOutcome:
    """What `start` did."""

    settings: PersonalSettings
    was_stopped: bool


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    was_stopped = person.opted_out_at is not None
    if was_stopped:
        person.opted_out_at = None
        mark_for_replanning(person, now)
        log.info("team=%s user=%s: started messages again", team_id, user_id)
    return StartOutcome(snapshot(session, settings, person, now), was_stopped)


# --- time zone --------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneOutcome:
    """What `set_timezone` did."""

    settings: PersonalSettings
    previous_zone: str
    changed: bool


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    before = snapshot(session, settings, person, now)
    person.tz_override = override
    after = snapshot(session, settings, person, now)
    changed = after.zone != before.zone
    if changed:
        rezone_pause(person, before.tzinfo, after.tzinfo)
        mark_for_replanning(person, now)
        after = snapshot(session, settings, person, now)
    log.info("team=%s user=%s: time zone %s → %s", team_id, user_id, before.zone, after.zone)
    return ZoneOutcome(after, before.zone, changed)


def rezone_pause(person: Person, old: ZoneInfo, new: ZoneInfo) -> None:
    """Keep a pause ending at local midnight when the person's zone changes.

    "Paused until Sunday 10 January" is a date on their calendar; moving from London to
    Sydney should not end it at 11:00 on the 11th. Pauses that end at some other
    instant (none made here, but other features may) are left as they are.
    """
    if person.paused_until is None or old.key == new.key:
        return
    resume_day = person.paused_until.astimezone(old).date()
    if pause_end_instant(resume_day - timedelta(days=1), old) == person.paused_until:
        person.paused_until = pause_end_instant(resume_day - timedelta(days=1), new)


# --- the settings form ------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsForm:
    """What the settings modal submitted, already turned into our units.

    `nudge_*` and `cadence` are None when the form did not show them (mentees). A
    field Slack sent without a usable value is None too, and reported by validation.
    """

    nudge_days: tuple[int, ...] | None
    nudge_minute: int | None
    cadence: str | None
    contact_start: int | None
    contact_end: int | None
    quiet_weekends: bool
    timezone: str | None
    pause_kind: str
    pause_last_day: date | None

    @property
    def shows_nudges(self) -> bool:
        """Whether the submitted form had the nudge fields (days come back even when none is ticked)."""
        return self.nudge_days is not None


def validate_form(form: SettingsForm, today: date, *, shows_nudges: bool) -> dict[str, str]:
    """Problems with the form, by field, each saying how to fix it. Empty means valid.

    `today` is the person's local date in the zone the form chose.
    """
    errors: dict[str, str] = {}
    start, end = form.contact_start, form.contact_end
    if start is None:
        errors[CONTACT_START] = "Choose the time messages may start."
    if end is None:
        errors[CONTACT_END] = "Choose the time messages must stop."
    if start is not None and end is not None and end <= start:
        errors[CONTACT_END] = (
            f"This must be later than the start ({_clock(start)}). Hours can't run past midnight; "
            "choose 00:00 to mean midnight."
        )
    if shows_nudges:
        if not form.nudge_days:
            errors[NUDGE_DAYS] = "Choose at least one day for your nudges."
        elif form.quiet_weekends and any(day >= SATURDAY for day in form.nudge_days):
            weekend = [WEEKDAY_NAMES[d] for d in form.nudge_days if d >= SATURDAY]
            errors[NUDGE_DAYS] = (
                f"{' and '.join(weekend)} {'are' if len(weekend) > 1 else 'is'} in your quiet weekend. "
                "Pick weekdays, or untick “No messages at weekends” below."
            )
        if form.nudge_minute is None:
            errors[NUDGE_TIME] = "Choose the time your nudges arrive."
        elif (
            CONTACT_END not in errors
            and start is not None
            and end is not None
            and not start <= form.nudge_minute < end
        ):
            errors[NUDGE_TIME] = (
                f"{_clock(form.nudge_minute)} is outside the hours you allow messages "
                f"({_clock(start)}–{_clock(end)}). Pick a time inside them, or widen your hours below."
            )
        if form.cadence not in CADENCES:
            errors[CADENCE] = "Choose how often nudges come."
    if not form.timezone or (form.timezone != AUTO_ZONE and not is_valid_zone(form.timezone)):
        errors[TIMEZONE] = "Choose a time zone, or “Follow my Slack profile”."
    if form.pause_kind not in (NOT_PAUSED, *PAUSE_REASONS):
        errors[PAUSE_KIND] = "Choose whether to pause."
    elif form.pause_kind != NOT_PAUSED:
        if form.pause_last_day is None:
            errors[PAUSE_UNTIL] = "Choose the last day of your pause (messages start again the day after)."
        elif form.pause_last_day < today:
            errors[PAUSE_UNTIL] = "That day has already passed. Choose today or a later day."
        elif (form.pause_last_day - today).days >= MAX_PAUSE_DAYS:
            latest = describe_day(today + timedelta(days=MAX_PAUSE_DAYS - 1), today)
            errors[PAUSE_UNTIL] = (
                f"A pause can last up to a year (until {latest} at the latest). "
                "To turn messages off for longer, use `/mentor stop`."
            )
    return errors


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
    person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    before = snapshot(session, settings, person, now)
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


def _clock(minute: int) -> str:
    return "00:00" if minute >= MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"
