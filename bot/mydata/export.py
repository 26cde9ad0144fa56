"""`/mentor my-data`: everything kept about one person, table by table, every column.

One walk over every table that holds something about a person (bot.mydata.inventory
lists them and the tests hold the walk to that list). Rows come whole — every column,
times as ISO 8601 — with the Slack ids of the other people a row is about, never their
names or emails. Left out, with the reason in the summary: anything that is someone
else's record (a mentor's nudges or meeting log that name their mentee), anonymous
check-in answers, and secrets (tokens).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from bot.models import (
    AuditLog,
    CustomNudge,
    Delivery,
    DisabledNudge,
    FeedbackRequest,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    PulseSettings,
    Reflection,
    ReflectionChannel,
    RosterImport,
    Workspace,
    slack_installations,
)
from bot.mydata.goals_and_rota import export_sections, rota_imports_by
from bot.mydata.inventory import SECRETS
from bot.mydata.types import LEFT_OUT, MyData
from bot.people import find_person


def plain(value: Any) -> Any:
    """A column value as JSON can hold it (times as ISO 8601 text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_of(obj: Any) -> dict[str, Any]:
    """Every column of an ORM row, by column name."""
    table: Table = obj.__table__
    return {column.name: plain(getattr(obj, column.key)) for column in table.columns}


class _Ids:
    """Person row id → Slack id, looked up once per person (for the other side of a pair)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, str] = {}

    def slack_id(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in self.known:
            person = self.session.get(Person, person_id)
            self.known[person_id] = person.user_id if person is not None else ""
        return self.known[person_id] or None

    def with_people(self, row: dict[str, Any], *columns: str) -> dict[str, Any]:
        """`row` plus `<column minus _id>_user_id` for each person column named."""
        for column in columns:
            row[column.removesuffix("_id") + "_user_id"] = self.slack_id(row.get(column))
        return row


def collect(session: Session, team_id: str, user_id: str, now: datetime) -> MyData:
    """Everything kept about `user_id` in `team_id`. Reads only; creates nothing."""
    person = find_person(session, team_id, user_id)
    ids = _Ids(session)
    sections: dict[str, list[dict[str, Any]]] = {}
    if person is not None:
        sections.update(_personal(session, person, ids))
        sections.update(export_sections(session, person, row_of))
    sections.update(_by_slack_id(session, team_id, user_id, person))
    return MyData(team_id, user_id, now, {name: rows for name, rows in sections.items() if rows})


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.scalars(query))


def _all(session: Session, model: Any, *where: Any) -> list[dict[str, Any]]:
    """Every row of `model` matching `where`, whole, in primary-key order."""
    query = select(model).where(*where).order_by(*model.__table__.primary_key.columns)
    return [row_of(row) for row in _rows(session, query)]


def _personal(session: Session, person: Person, ids: _Ids) -> dict[str, list[dict[str, Any]]]:
    """Rows that point at the person's row: settings, pairs, nudges, meetings, requests, check-ins."""
    pid, team_id = person.id, person.team_id
    pairs = _rows(
        session,
        select(Pair)
        .where(
            Pair.team_id == team_id,
            or_(Pair.mentor_id == pid, Pair.mentee_id == pid, Pair.created_by == person.user_id),
        )
        .order_by(Pair.id),
    )
    mentee_pairs = [p.id for p in pairs if p.mentee_id == pid]
    requests = or_(FeedbackRequest.mentor_id == pid, FeedbackRequest.mentee_id == pid)
    return {
        "person": [row_of(person)],
        "pair": [_pair_row(p, pid, ids) for p in pairs],
        "nudge_send": [
            ids.with_people(r, "mentee_id") for r in _all(session, NudgeSend, NudgeSend.person_id == pid)
        ],
        "nudge_answer": _all(session, NudgeAnswer, NudgeAnswer.person_id == pid),
        "meeting_log": [
            ids.with_people(r, "mentee_id") for r in _all(session, MeetingLog, MeetingLog.mentor_id == pid)
        ],
        "feedback_request": [
            {**ids.with_people(r, "mentor_id", "mentee_id"), "your_side": _side(r, pid)}
            for r in _all(session, FeedbackRequest, requests)
        ],
        "pulse_round": [
            ids.with_people(r, "mentor_id") for r in _all(session, PulseRound, PulseRound.person_id == pid)
        ],
        # That they answered a pair's check-in (pair, number, quarter) — never what.
        "pulse_participation": _all(
            session, PulseParticipation, PulseParticipation.pair_id.in_(mentee_pairs)
        ),
        "pulse_self_answer": _all(session, PulseSelfAnswer, PulseSelfAnswer.mentor_id == pid),
    }


def _side(row: dict[str, Any], pid: int) -> str:
    return "mentee" if row["mentee_id"] == pid else "mentor"


def _pair_row(pair: Pair, pid: int, ids: _Ids) -> dict[str, Any]:
    row = ids.with_people(row_of(pair), "mentor_id", "mentee_id")
    row["your_role"] = "mentor" if pair.mentor_id == pid else "mentee" if pair.mentee_id == pid else "set up"
    return row


def _by_slack_id(
    session: Session, team_id: str, user_id: str, person: Person | None
) -> dict[str, list[dict[str, Any]]]:
    """Rows that name the person by Slack id: reflections, admin work, audit, outbox, installs."""
    to_them = Delivery.recipient == user_id
    if person is not None:
        to_them = or_(to_them, Delivery.person_id == person.id)
    return {
        "reflection": _all(session, Reflection, Reflection.team_id == team_id, Reflection.user_id == user_id),
        "reflection_channel": _all(
            session,
            ReflectionChannel,
            ReflectionChannel.team_id == team_id,
            ReflectionChannel.admin_user_id == user_id,
        ),
        "custom_nudge": _all(
            session, CustomNudge, CustomNudge.team_id == team_id, CustomNudge.created_by == user_id
        ),
        "disabled_nudge": _all(
            session, DisabledNudge, DisabledNudge.team_id == team_id, DisabledNudge.disabled_by == user_id
        ),
        "pulse_settings": _all(
            session, PulseSettings, PulseSettings.team_id == team_id, PulseSettings.updated_by == user_id
        ),
        "roster_import": [
            _import_row(row)
            for row in _rows(
                session,
                select(RosterImport)
                .where(
                    RosterImport.team_id == team_id,
                    or_(RosterImport.created_by == user_id, RosterImport.applied_by == user_id),
                )
                .order_by(RosterImport.id),
            )
        ],
        "rota_import": rota_imports_by(session, team_id, user_id, row_of),
        "audit_log": _all(
            session,
            AuditLog,
            AuditLog.team_id == team_id,
            or_(AuditLog.actor_user_id == user_id, AuditLog.target.contains(user_id, autoescape=True)),
        ),
        "delivery": _all(session, Delivery, Delivery.team_id == team_id, to_them),
        "slack_installations": _installations(session, team_id, user_id),
    }


def _import_row(row: RosterImport) -> dict[str, Any]:
    """An import they ran or applied. A check nobody applied holds other people's emails:
    only its counts are theirs, and those exist only once it is applied."""
    found = row_of(row)
    if row.applied_at is None:
        found["plan"] = LEFT_OUT
    return found


def installation_scope(session: Session, team_id: str) -> Any:
    """Installation rows of this workspace: its own, and an org-wide one of its Grid org."""
    workspace = session.get(Workspace, team_id)
    scope = slack_installations.c.team_id == team_id
    if workspace is not None and workspace.enterprise_id:
        scope = or_(
            scope,
            (slack_installations.c.enterprise_id == workspace.enterprise_id)
            & slack_installations.c.is_enterprise_install.is_(True),
        )
    return scope


def _installations(session: Session, team_id: str, user_id: str) -> list[dict[str, Any]]:
    """Installs they made (Slack's record of who approved the app), without any token."""
    table = slack_installations
    rows = session.execute(
        select(table)
        .where(installation_scope(session, team_id), table.c.user_id == user_id)
        .order_by(table.c.id)
    ).mappings()
    return [{k: (LEFT_OUT if k in SECRETS else plain(v)) for k, v in row.items()} for row in rows]
