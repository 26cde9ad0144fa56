"""The program export: CSV files of nudges and answers, meetings, reflections (counts,
and the named ones), released pulse aggregates and agreements, for a date range.

Named exports carry Slack member ids (never names or emails: those live in Slack).
A de-identified export replaces every Slack id — people, channels — and every cohort
name with a pseudonym that is stable within the export and unlinkable across exports
(a fresh random salt each time), and leaves out every free text whatever was asked.
Anonymous things stay anonymous: check-in answers appear only as released aggregates,
anonymous reflections only as counts. docs/exports.md documents every column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.agreements.types import CHANGED, MET, WORKING
from bot.config import Settings
from bot.models import (
    Agreement,
    AgreementVersion,
    AuditLog,
    Delivery,
    GoalReview,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Person,
    Reflection,
    ReflectionPrompt,
)
from bot.pulse.items import ITEM_KEYS
from bot.pulse.results import program_overview
from bot.reports.rules import SLACK_ID, Pseudonyms, day_bounds
from bot.reports.service import program_zone
from bot.reports.types import CsvTable, ExportOptions

NUDGE_COLUMNS = (
    "mentor", "mentee_named", "practice", "nudge_key", "origin", "reason", "planned_for", "sent_at",
    "delivery_status", "answer", "first_answered_at", "response_seconds", "followup_choice", "note",
)  # fmt: skip
MEETING_COLUMNS = ("pair", "mentor", "mentee", "month", "minutes", "practices", "source", "recorded_at")
PROMPT_COLUMNS = ("channel", "month", "theme", "question_key", "status", "reflections", "named", "anonymous")
NAMED_REFLECTION_COLUMNS = ("channel", "month", "author", "shared_on", "practices", "source", "text")
PULSE_COLUMNS = ("group", "cohort", "released", "mentees_at_least", "answers", "item", "average")
AGREEMENT_COLUMNS = (
    "pair", "mentor", "mentee", "status", "agreed_on", "goals", "met", "still_working", "changed",
    "goal_1", "goal_2", "goal_3",
)  # fmt: skip

# A Slack id (or pair number, cohort name) → what the export shows: itself, or a pseudonym.
AUDIT_ACTION = "export"
# Ids per IN (…) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500

Mask = Callable[[str | None, str], str]
# A free text → what the export shows: itself, or "".
Text = Callable[[str | None], str]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _guard(value: object) -> object:
    # A spreadsheet would run a cell that starts with these as a formula.
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def csv_bytes(table: CsvTable) -> bytes:
    """The table as UTF-8 CSV (with a byte-order mark, so spreadsheets read accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_guard(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def collect_export(
    session: Session, settings: Settings, team_id: str, options: ExportOptions, now: datetime
) -> list[CsvTable]:
    """Every table of the export for the days [first, last] in the program's zone."""
    zone = program_zone(session, settings, team_id)
    start, end = day_bounds(options.first, options.last + timedelta(days=1), zone)
    pseudonyms = Pseudonyms()

    def mask(slack_id: str | None, prefix: str = "p") -> str:
        if not slack_id:
            return ""
        return pseudonyms(slack_id, prefix) if options.deidentify else slack_id

    def text(value: str | None) -> str:
        return (value or "") if options.with_text else ""

    first_month, last_month = f"{options.first:%Y-%m}", f"{options.last:%Y-%m}"
    prompts, named = _reflections(session, team_id, first_month, last_month, mask, text)
    tables = [
        CsvTable("nudges.csv", NUDGE_COLUMNS, _nudges(session, team_id, start, end, mask, text)),
        CsvTable("meetings.csv", MEETING_COLUMNS, _meetings(session, team_id, start, end, mask)),
        CsvTable("reflection_prompts.csv", PROMPT_COLUMNS, prompts),
        # A named reflection is on view in its Slack thread: its channel, month and day
        # would tie the author's pseudonym back to them, and with it all their other rows.
        # A de-identified export leaves them out (they stay counted in the prompts' file).
        *([] if options.deidentify else [CsvTable("reflections_named.csv", NAMED_REFLECTION_COLUMNS, named)]),
        CsvTable(
            "pulse_released.csv", PULSE_COLUMNS, _pulse(session, settings, team_id, min(end, now), mask)
        ),
        CsvTable("agreements.csv", AGREEMENT_COLUMNS, _agreements(session, team_id, start, end, mask, text)),
    ]
    if options.deidentify:
        for table in tables:
            table.rows[:] = [_scrubbed(row, pseudonyms) for row in table.rows]
    return tables


def record_export(session: Session, team_id: str, actor: str, options: ExportOptions, now: datetime) -> None:
    """The audit log's line for an export: who, when, which days and what kind — people's
    data left the app, so it is on the record like every admin action."""
    detail = {
        "from": options.first.isoformat(),
        "to": options.last.isoformat(),
        "deidentified": options.deidentify,
        "free_text": options.with_text,
    }
    session.add(
        AuditLog(team_id=team_id, actor_user_id=actor, action=AUDIT_ACTION, detail=detail, created_at=now)
    )


def _scrubbed(row: tuple[object, ...], pseudonyms: Pseudonyms) -> tuple[object, ...]:
    """Defence in depth for a de-identified export: any Slack id left in a cell (none
    should be) becomes a pseudonym too."""
    return tuple(
        SLACK_ID.sub(lambda found: pseudonyms(found.group(0), "x"), cell) if isinstance(cell, str) else cell
        for cell in row
    )


def _nudges(
    session: Session, team_id: str, start: datetime, end: datetime, mask: Mask, text: Text
) -> list[tuple[object, ...]]:
    """One row per nudge planned in the range, with its outbox state and its answer."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(NudgeSend, mentor.user_id, mentee.user_id, Delivery.status, NudgeAnswer)
        .join(mentor, mentor.id == NudgeSend.person_id)
        .outerjoin(mentee, mentee.id == NudgeSend.mentee_id)
        .outerjoin(Delivery, Delivery.id == NudgeSend.delivery_id)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(NudgeSend.team_id == team_id, NudgeSend.planned_for >= start, NudgeSend.planned_for < end)
        .order_by(NudgeSend.planned_for, NudgeSend.id)
    ).all()
    found: list[tuple[object, ...]] = []
    for send, mentor_id, mentee_id, status, answer in rows:
        found.append(
            (
                mask(mentor_id, "p"),
                mask(mentee_id, "p"),
                send.practice,
                send.nudge_key,
                send.origin,
                send.reason or "",
                _iso(send.planned_for),
                _iso(send.sent_at),
                status or "purged",
                (answer.answer or "") if answer else "",
                _iso(answer.first_answered_at) if answer else "",
                answer.response_seconds if answer and answer.response_seconds is not None else "",
                (answer.followup_choice or "") if answer else "",
                text(answer.note) if answer else "",
            )
        )
    return found


def _meetings(
    session: Session, team_id: str, start: datetime, end: datetime, mask: Mask
) -> list[tuple[object, ...]]:
    """One row per meeting (or "not yet", 0 minutes) recorded in the range."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(MeetingLog, mentor.user_id, mentee.user_id)
        .join(mentor, mentor.id == MeetingLog.mentor_id)
        .join(mentee, mentee.id == MeetingLog.mentee_id)
        .where(MeetingLog.team_id == team_id, MeetingLog.recorded_at >= start, MeetingLog.recorded_at < end)
        .order_by(MeetingLog.recorded_at, MeetingLog.id)
    ).all()
    return [
        (
            mask(str(log.pair_id), "pair"),
            mask(mentor_id),
            mask(mentee_id),
            log.month,
            log.minutes,
            ";".join(log.practices or []),
            log.source,
            _iso(log.recorded_at),
        )
        for log, mentor_id, mentee_id in rows
    ]


def _reflections(
    session: Session, team_id: str, first_month: str, last_month: str, mask: Mask, text: Text
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Per prompt: counts (named and anonymous); and one row per named reflection only."""
    prompts = session.execute(
        select(
            ReflectionPrompt,
            func.count(Reflection.id),
            func.count(Reflection.user_id),
        )
        .outerjoin(Reflection, Reflection.prompt_id == ReflectionPrompt.id)
        .where(
            ReflectionPrompt.team_id == team_id,
            ReflectionPrompt.month >= first_month,
            ReflectionPrompt.month <= last_month,
        )
        .group_by(ReflectionPrompt.id)
        .order_by(ReflectionPrompt.month, ReflectionPrompt.id)
    ).all()
    counts = [
        (mask(p.channel_id, "c"), p.month, p.theme, p.question_key, p.status, total, named, total - named)
        for p, total, named in prompts
    ]
    rows = session.execute(
        select(Reflection, ReflectionPrompt.channel_id, ReflectionPrompt.month)
        .join(ReflectionPrompt, ReflectionPrompt.id == Reflection.prompt_id)
        .where(
            Reflection.team_id == team_id,
            Reflection.user_id.is_not(None),
            ReflectionPrompt.month >= first_month,
            ReflectionPrompt.month <= last_month,
        )
        .order_by(ReflectionPrompt.month, Reflection.id)
    ).all()
    named_rows = [
        (
            mask(channel, "c"),
            month,
            mask(reflection.user_id),
            reflection.shared_on.isoformat(),
            ";".join(reflection.practices or []),
            reflection.source,
            text(reflection.text),
        )
        for reflection, channel, month in rows
    ]
    return counts, named_rows


def _pulse(
    session: Session, settings: Settings, team_id: str, as_of: datetime, mask: Mask
) -> list[tuple[object, ...]]:
    """Released figures as of the range's end, through bot.pulse's results API: the
    program line and each cohort, one row per item; unreleased groups say so, with no figure."""
    overview = program_overview(session, settings, team_id, as_of)
    rows: list[tuple[object, ...]] = []
    groups = [("program", overview.program), *[("cohort", c) for c in overview.cohorts]]
    for group, figures in groups:
        cohort = mask(figures.cohort, "cohort") if group == "cohort" else ""
        averages = dict(figures.averages)
        for key in ITEM_KEYS:
            average = averages.get(key) if figures.released else None
            rows.append(
                (
                    group,
                    cohort,
                    "yes" if figures.released else "no",
                    figures.mentees if figures.released and figures.mentees is not None else "",
                    figures.answered if figures.released and figures.answered is not None else "",
                    key,
                    "" if average is None else f"{average:.2f}",
                )
            )
    return rows


def _agreements(
    session: Session, team_id: str, start: datetime, end: datetime, mask: Mask, text: Text
) -> list[tuple[object, ...]]:
    """One row per agreement open at some time in the range: counts, goal text only with
    --include-text (never de-identified)."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Agreement, mentor.user_id, mentee.user_id)
        .join(mentor, mentor.id == Agreement.mentor_id)
        .join(mentee, mentee.id == Agreement.mentee_id)
        .where(
            Agreement.team_id == team_id,
            Agreement.created_at < end,
            (Agreement.ended_at.is_(None)) | (Agreement.ended_at >= start),
        )
        .order_by(Agreement.id)
    ).all()
    goals_of = _goals(session, [agreement for agreement, _mentor, _mentee in rows])
    found: list[tuple[object, ...]] = []
    for agreement, mentor_id, mentee_id in rows:
        goals, states = goals_of[agreement.id]
        padded = [*goals, "", "", ""][:3]
        found.append(
            (
                mask(str(agreement.pair_id), "pair"),
                mask(mentor_id),
                mask(mentee_id),
                agreement.status,
                agreement.cycle_started_at.date().isoformat() if agreement.cycle_started_at else "",
                len(goals),
                states.count(MET),
                states.count(WORKING),
                states.count(CHANGED),
                *(text(goal) for goal in padded),
            )
        )
    return found


def _goals(session: Session, agreements: list[Agreement]) -> dict[int, tuple[list[str], list[str | None]]]:
    """Per agreement: the goals of its agreed (else latest) version, and each agreed goal's
    latest mark — two queries per CHUNK agreements, not three per agreement."""
    found: dict[int, tuple[list[str], list[str | None]]] = {}
    for start in range(0, len(agreements), CHUNK):
        chunk = {a.id: a for a in agreements[start : start + CHUNK]}
        versions = {
            (agreement_id, number): goals or []
            for agreement_id, number, goals in session.execute(
                select(AgreementVersion.agreement_id, AgreementVersion.number, AgreementVersion.goals).where(
                    AgreementVersion.agreement_id.in_(chunk)
                )
            )
        }
        latest: dict[tuple[int, int], str] = {}
        for agreement_id, version, index, state in session.execute(
            select(GoalReview.agreement_id, GoalReview.version, GoalReview.goal_index, GoalReview.state)
            .where(GoalReview.agreement_id.in_(chunk))
            .order_by(GoalReview.marked_at, GoalReview.id)
        ):
            if version == chunk[agreement_id].agreed_version:
                latest[(agreement_id, index)] = state  # later marks overwrite earlier ones
        for agreement_id, agreement in chunk.items():
            number = agreement.agreed_version or agreement.latest_version
            agreed = versions.get((agreement_id, agreement.agreed_version or 0), [])
            found[agreement_id] = (
                versions.get((agreement_id, number), []),
                [latest.get((agreement_id, index)) for index in range(len(agreed))],
            )
    return found
