"""Helpers shared by the roster import tests: emails, checking and applying a plan, the stored row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import RosterImport
from bot.roster.apply import (
    apply_plan,
)
from bot.roster.plan import (
    check_roster,
)
from bot.roster.read import (
    read_roster,
)
from tests.bot.roster.fixtures import (
    DOMAIN,
    add_corpus_people,
    corpus,
)
from tests.conftest import ADMIN, MENTEE
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


SAM = MENTEE  # sam.lee@riverside.example in the shared fixture


def rows_of(name):
    parsed = read_roster(corpus(name))
    return parsed, [(r.line, r.mentor, r.mentee, r.cohort) for r in parsed.rows]


def e(name):
    return f"{name}@{DOMAIN}"


def check(deps, data, *, end_missing=False, source="roster.csv", now=NOW):
    return check_roster(
        deps.client,
        deps.session_factory,
        team_id=TEAM_ID,
        data=data,
        source=source,
        end_missing=end_missing,
        now=now,
    )


def apply(deps, plan, *, now=NOW, actor=ADMIN):
    with transaction(deps.session_factory) as session:
        return apply_plan(session, deps.settings, team_id=TEAM_ID, plan=plan, actor=actor, now=now)


@pytest.fixture
def corpus_people(fake_slack):
    add_corpus_people(fake_slack)


def stored_row(session, key):
    return session.scalars(select(RosterImport).where(RosterImport.key == key)).first()
