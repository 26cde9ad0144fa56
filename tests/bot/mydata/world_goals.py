"""Dr Patel's mentoring agreement and rota, for the world of tests/bot/mydata/world.py."""

from __future__ import annotations

from datetime import timedelta

from bot.models import (
    Agreement,
    AgreementVersion,
    GoalReview,
    RotaFeed,
    RotaImport,
    RotaShift,
    RotationReflection,
)
from tests.fakes.slack_api import TEAM_ID


def add_goals_and_rota(session, *, patel, sam, pair, goal, line, feed, other, written, now):
    """Dr Patel's agreement with Sam (agreed, one goal met: `goal`) and her rota: a call
    shift, a calendar feed (`feed`), an end-of-rotation `line`, and a rota check she ran
    that lists her and `other`."""
    agreement = Agreement(
        team_id=TEAM_ID,
        pair_id=pair.id,
        mentor_id=patel.id,
        mentee_id=sam.id,
        status="agreed",
        latest_version=1,
        proposed_by="mentor",
        agreed_version=1,
        agreed_at=written,
    )
    session.add(agreement)
    session.flush()
    session.add_all(
        [
            AgreementVersion(
                agreement_id=agreement.id,
                number=1,
                author_id=patel.id,
                author_role="mentor",
                goals=[goal],
                meet_every="2 weeks",
                reach="DM first",
                feedback="straight after clinic",
                created_at=written,
            ),
            GoalReview(
                team_id=TEAM_ID,
                agreement_id=agreement.id,
                version=1,
                goal_index=0,
                stage="mid",
                state="met",
                marked_by=patel.id,
                marked_at=written,
            ),
            RotaShift(
                team_id=TEAM_ID,
                person_id=patel.id,
                kind="call",
                starts_at=now + timedelta(days=2),
                ends_at=now + timedelta(days=3),
                source="upload",
            ),
            RotaFeed(team_id=TEAM_ID, person_id=patel.id, url=feed),
            RotationReflection(
                team_id=TEAM_ID,
                person_id=patel.id,
                rotation_key="2026-09-01:icu",
                text=line,
                created_at=written,
                updated_at=written,
            ),
            RotaImport(
                key="r" * 32,
                team_id=TEAM_ID,
                created_by=patel.user_id,
                source="rota.csv",
                plan={"people": {patel.user_id: 1, other: 2}},
            ),
        ]
    )
