"""A person's agreements and rota: what `/mentor my-data` shows, what forgetting deletes
and what retention empties.

Agreements belong to a pair, so each side sees the whole of theirs (every version, who
wrote it, each goal review). Forgetting either side deletes the pair's agreements, after
counting them for the program (agreements agreed and goals met per month, in
`kept_count`): an agreement is a conversation between two people and means nothing with
one of them cut out. A rota is the person's own: their shifts, their feed (whose address
is a secret and is shown masked even to them) and their end-of-rotation lines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from bot.models import (
    Agreement,
    AgreementVersion,
    GoalReview,
    GoalState,
    Pair,
    Person,
    RotaFeed,
    RotaImport,
    RotaShift,
    RotationReflection,
)
from bot.models.core import FORMER_MEMBER
from bot.mydata.kept import Tally, month_of
from bot.mydata.types import ForgetOutcome
from bot.rota.feed_link import is_sealed
from bot.rota.rules import mask_url


def _rows(session: Session, model: Any, *where: Any) -> list[Any]:
    query = select(model).where(*where).order_by(*model.__table__.primary_key.columns)
    return list(session.scalars(query))


def _agreements_of(person_id: int) -> Any:
    return or_(Agreement.mentor_id == person_id, Agreement.mentee_id == person_id)


def export_sections(session: Session, person: Person, row_of: Any) -> dict[str, list[dict[str, Any]]]:
    """The person's agreements (with their versions and reviews) and rota, whole rows;
    `row_of` turns an ORM row into a dict (bot.mydata.export's)."""
    agreements = _rows(session, Agreement, _agreements_of(person.id))
    ids = [a.id for a in agreements]
    feeds = []
    for feed in _rows(session, RotaFeed, RotaFeed.person_id == person.id):
        row = row_of(feed)
        # A secret, even in their own export: masked, or (sealed: the export reads the
        # database only, never the key) not shown at all.
        row["url"] = "(sealed; /mentor rota shows it masked)" if is_sealed(feed.url) else mask_url(feed.url)
        feeds.append(row)
    return {
        "agreement": [row_of(a) for a in agreements],
        "agreement_version": [
            row_of(v) for v in _rows(session, AgreementVersion, AgreementVersion.agreement_id.in_(ids))
        ],
        "goal_review": [row_of(r) for r in _rows(session, GoalReview, GoalReview.agreement_id.in_(ids))],
        "rota_shift": [row_of(s) for s in _rows(session, RotaShift, RotaShift.person_id == person.id)],
        "rota_feed": feeds,
        "rotation_reflection": [
            row_of(r) for r in _rows(session, RotationReflection, RotationReflection.person_id == person.id)
        ],
    }


def rota_imports_by(session: Session, team_id: str, user_id: str, row_of: Any) -> list[dict[str, Any]]:
    """Rota files they checked or applied; an unapplied check's plan (other people's
    shifts) is left out, as for roster imports."""
    rows = _rows(
        session,
        RotaImport,
        RotaImport.team_id == team_id,
        or_(RotaImport.created_by == user_id, RotaImport.applied_by == user_id),
    )
    found = []
    for row in rows:
        data = row_of(row)
        if row.applied_at is None:
            data["plan"] = "left out"
        found.append(data)
    return found


def forget_goals_and_rota(session: Session, person: Person, tally: Tally, outcome: ForgetOutcome) -> None:
    """Delete the person's agreements (counted first), shifts, feed and rotation lines."""
    agreements = _rows(session, Agreement, _agreements_of(person.id))
    for agreement in agreements:
        if agreement.agreed_at is not None:
            tally[(month_of(agreement.agreed_at), "agreements_agreed", "")] += 1
    ids = [a.id for a in agreements]
    if ids:
        met = session.execute(
            select(GoalReview.marked_at).where(
                GoalReview.agreement_id.in_(ids), GoalReview.state == GoalState.MET
            )
        )
        for (marked_at,) in met:
            tally[(month_of(marked_at), "goals_met", "")] += 1
        outcome.note(
            "goal_review", _count(session, delete(GoalReview).where(GoalReview.agreement_id.in_(ids)))
        )
        outcome.note(
            "agreement_version",
            _count(session, delete(AgreementVersion).where(AgreementVersion.agreement_id.in_(ids))),
        )
        outcome.note("agreement", _count(session, delete(Agreement).where(Agreement.id.in_(ids))))
    # Reviews they marked on agreements that are not theirs cannot exist; SET NULL covers a race.
    session.execute(update(GoalReview).where(GoalReview.marked_by == person.id).values(marked_by=None))
    for model in (RotaShift, RotaFeed, RotationReflection):
        outcome.note(model.__tablename__, _count(session, delete(model).where(model.person_id == person.id)))


def forget_rota_imports(session: Session, team_id: str, user_id: str, email: str | None) -> int:
    """Their name on rota imports becomes 'former-member'; checks nobody applied that list
    them are deleted (an admin checks the file again). Returns how many were deleted."""
    for column in (RotaImport.created_by, RotaImport.applied_by):
        session.execute(
            update(RotaImport)
            .where(RotaImport.team_id == team_id, column == user_id)
            .values({column.key: FORMER_MEMBER})
            .execution_options(synchronize_session=False)
        )
    mentions = [cast(RotaImport.plan, Text).contains(user_id, autoescape=True)]
    if email:
        mentions.append(cast(RotaImport.plan, Text).contains(email, autoescape=True))
    return _count(
        session,
        delete(RotaImport).where(
            RotaImport.team_id == team_id, RotaImport.applied_at.is_(None), or_(*mentions)
        ),
    )


def empty_old_goal_text(session: Session, cutoff: datetime) -> dict[str, int]:
    """Agreement words go RETENTION_DAYS after the pair ended (a living agreement keeps
    its words while the pair lasts); end-of-rotation lines RETENTION_DAYS after written.
    Goal states, reviews and counts stay."""
    ended_long_ago = select(Agreement.id).where(
        exists().where(Pair.id == Agreement.pair_id, Pair.ended_at.is_not(None), Pair.ended_at < cutoff)
    )
    words = _count(
        session,
        update(AgreementVersion)
        .where(
            AgreementVersion.agreement_id.in_(ended_long_ago),
            or_(
                AgreementVersion.reach.is_not(None),
                AgreementVersion.feedback.is_not(None),
                AgreementVersion.note.is_not(None),
                # JSON has no equality on PostgreSQL; its text does.
                cast(AgreementVersion.goals, Text) != "[]",
            ),
        )
        .values(goals=[], reach=None, feedback=None, note=None),
    )
    lines = _count(
        session,
        update(RotationReflection)
        .where(RotationReflection.text != "", RotationReflection.updated_at < cutoff)
        .values(text=""),
    )
    return {"agreement_version (words)": words, "rotation_reflection.text": lines}


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)
