"""Setting up pairs for the pulse tests, answering check-ins, and reading the pulse tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.db import SessionFactory, transaction
from bot.deps import Deps
from bot.models import (
    Pair,
    Person,
    PulseBatch,
    PulseInbox,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    RoundKind,
)
from bot.people import ensure_person
from bot.pulse.blocks import item_block
from bot.pulse.items import ITEM_KEYS
from bot.pulse.publishing import box_context
from bot.pulse.sealing import open_box
from bot.pulse.service import record_answers, record_self_check
from bot.pulse.types import Answers, PlanReport
from schedules.pulse_step import publish_due
from tests.fakes.slack_api import TEAM_ID

# Monday 4 January 2027, 14:00 UTC: pairs start; their first check-in is 30 days later,
# Wednesday 3 February at 14:00 UTC (09:00 in New York, 14:00 in London).
START = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
FIRST_DUE = START + timedelta(days=30)
# Two hours into the next quarter: the first quarter (2027-Q1) is closed and publishable.
AFTER_Q1 = datetime(2027, 4, 1, 2, 0, tzinfo=UTC)


def make_pair(
    session_factory: SessionFactory,
    mentor: str,
    mentee: str,
    *,
    started: datetime = START,
    cohort: str | None = None,
    mentor_tz: str = "Europe/London",
    mentee_tz: str = "America/New_York",
) -> int:
    """An active pair started at `started`; returns the pair id."""
    with transaction(session_factory) as session:
        mentor_row = ensure_person(session, TEAM_ID, mentor)
        mentee_row = ensure_person(session, TEAM_ID, mentee)
        mentor_row.tz, mentee_row.tz = mentor_tz, mentee_tz
        pair = Pair(
            team_id=TEAM_ID,
            mentor_id=mentor_row.id,
            mentee_id=mentee_row.id,
            cohort=cohort,
            started_at=started,
        )
        session.add(pair)
        session.flush()
        return pair.id


def rounds(session_factory: SessionFactory, kind: str | None = None) -> list[PulseRound]:
    """Every round, oldest first."""
    with session_factory() as session:
        query = select(PulseRound).order_by(PulseRound.id)
        if kind is not None:
            query = query.where(PulseRound.kind == kind)
        return list(session.scalars(query))


def mentee_round(session_factory: SessionFactory, pair_id: int, number: int = 1) -> PulseRound:
    """The round of one pair's pulse."""
    with session_factory() as session:
        return session.scalars(
            select(PulseRound).where(PulseRound.pair_id == pair_id, PulseRound.number == number)
        ).one()


def inbox(session_factory: SessionFactory) -> list[PulseInbox]:
    """Every sealed answer waiting to be published."""
    with session_factory() as session:
        return list(session.scalars(select(PulseInbox)))


def sealed_answers(deps: Deps) -> list[dict[str, Any]]:
    """Every waiting answer, opened with the app's key as the publishing step would
    (the content, plus its row's quarter)."""
    found = []
    for row in inbox(deps.session_factory):
        content = open_box(deps.settings, row.sealed, box_context(row.team_id, row.quarter))
        found.append({**content, "quarter": row.quarter})
    return found


def batches(session_factory: SessionFactory, scope: str | None = None) -> list[PulseBatch]:
    """Every published batch (optionally of one scope), oldest first."""
    with session_factory() as session:
        query = select(PulseBatch).order_by(PulseBatch.id)
        if scope is not None:
            query = query.where(PulseBatch.scope == scope)
        return list(session.scalars(query))


def next_quarter_start(moment: datetime) -> datetime:
    """The first instant of the quarter after `moment`'s (UTC)."""
    month = ((moment.month - 1) // 3 + 1) * 3 + 1
    year = moment.year + (month > 12)
    return datetime(year, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def publish(deps: Deps, clock: Any, at: datetime | None = None) -> dict[str, int]:
    """Move the clock two hours past the end of the current quarter (or to `at`) and run
    the publishing step, as the clock's pulse step would; returns its counts."""
    clock.set(at or next_quarter_start(clock()) + timedelta(hours=2))
    report = PlanReport()
    publish_due(deps.session_factory, deps.settings, deps.now(), report)
    return dict(report.counts)


def participation(session_factory: SessionFactory) -> list[PulseParticipation]:
    """Every participation row."""
    with session_factory() as session:
        return list(session.scalars(select(PulseParticipation)))


def self_answers(session_factory: SessionFactory) -> list[PulseSelfAnswer]:
    """Every self-check answer."""
    with session_factory() as session:
        return list(session.scalars(select(PulseSelfAnswer)))


def answers_of(value: int | None = 3, comment: str | None = None, **overrides: int | None) -> Answers:
    """Seven answers, all `value` unless overridden (None is "doesn't apply")."""
    values = {key: overrides.get(key, value) for key in ITEM_KEYS}
    return Answers(tuple(values.items()), comment)


def modal_values(view: dict[str, Any], answers: Answers) -> dict[str, Any]:
    """Slack's `state.values` for the check-in modal, as if these answers were tapped."""
    values: dict[str, Any] = {}
    for key, value in answers.values:
        chosen = "na" if value is None else str(value)
        block = item_block(key)
        assert any(b.get("block_id") == block for b in view["blocks"]), block
        values[block] = {block: {"type": "radio_buttons", "selected_option": {"value": chosen}}}
    if any(b.get("block_id") == "comment" for b in view["blocks"]):
        values["comment"] = {"comment": {"type": "plain_text_input", "value": answers.comment}}
    return values


def user_of(session_factory: SessionFactory, person_id: int) -> str:
    """A person's Slack id."""
    with session_factory() as session:
        found = session.get(Person, person_id)
        assert found is not None
        return found.user_id


def answer_round(deps: Deps, found: PulseRound, answers: Answers, **kwargs: Any) -> None:
    """Answer one round through the service, as its recipient would."""
    user = user_of(deps.session_factory, found.person_id)
    record = record_self_check if found.kind == RoundKind.MENTOR else record_answers
    with transaction(deps.session_factory) as session:
        record(session, deps.settings, TEAM_ID, user, found.id, answers, deps.now(), **kwargs)


def open_mentee_rounds(
    session_factory: SessionFactory, mentor_ids: Sequence[int] | None = None
) -> list[PulseRound]:
    """Mentee rounds (optionally about some mentors), oldest first."""
    found = rounds(session_factory, RoundKind.MENTEE)
    return [r for r in found if mentor_ids is None or r.mentor_id in mentor_ids]
