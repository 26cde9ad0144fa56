"""The Home tab of each role: what a mentor, a mentee and an admin see — and do not see —
validated with slack_sdk's Block Kit models and the fake Slack's limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from slack_sdk.models.views import View
from sqlalchemy import insert, select

from bot.db import transaction
from bot.home.service import build_home
from bot.models import Pair, Person, PulseBatch, PulseSelfAnswer
from tests.conftest import ADMIN
from tests.fakes.block_limits import view_errors
from tests.fakes.slack_api import TEAM_ID
from tests.program_world import agreement, check_in, meeting, nudge, pair, person

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday; 15:00 in London, 10:00 in New York
MENTOR, MENTEE, OTHER_MENTEE = "U0HMENTOR", "U0HMENTEE", "U0HMENTE2"


def shown(view) -> str:
    return "\n".join(str(b) for b in view["blocks"])


def actions(view) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def valid(view) -> dict:
    """The view passes slack_sdk's models and the fake Slack's limits."""
    View(**view).validate_json()
    assert view_errors(view) == []
    return view


def home(session_factory, settings, user_id, *, page=0):
    with transaction(session_factory) as session:
        return valid(build_home(session, settings, TEAM_ID, user_id, NOW, page=page))


def seed_pair_history(session_factory):
    with transaction(session_factory) as session:
        person(session, MENTOR, tz="Europe/London")
        first = pair(session, MENTOR, MENTEE, started_at=NOW - timedelta(days=200))
        pair(session, MENTOR, OTHER_MENTEE, started_at=NOW - timedelta(days=20))
        mentor = person(session, MENTOR)
        nudge(session, mentor, sent_at=NOW - timedelta(days=13), practice="listen", answer="done")
        nudge(session, mentor, sent_at=NOW - timedelta(days=6), practice="care", answer="done")
        nudge(session, mentor, sent_at=NOW - timedelta(days=2), practice="autonomy")
        nudge(session, mentor, sent_at=NOW - timedelta(days=120), practice="no_ego", answer="done")
        meeting(session, first, recorded_at=datetime(2026, 11, 10, tzinfo=UTC), practices=["care"])
        meeting(session, first, recorded_at=datetime(2026, 12, 2, tzinfo=UTC), practices=["care", "listen"])
        agreement(session, first, ["Lead the morning handover"], agreed_at=NOW - timedelta(days=30), met=(0,))
        return first.id


def test_a_mentor_sees_their_own_progress_and_no_mentee_figure_before_release(session_factory, settings):
    seed_pair_history(session_factory)

    text = shown(home(session_factory, settings, MENTOR))

    assert "*Next nudge:* Tue 8 Dec at 09:30 (Europe/London)" in text
    assert "Sat 5 Dec · Care" not in text  # practice titles, not keys
    assert "Caring about the learner · ✅ done" in text and "Self-direction · no answer" in text
    assert f"<@{MENTEE}> — 2 meetings logged, last in December 2026" in text
    assert f"<@{OTHER_MENTEE}> — 0 meetings logged" in text
    assert "Caring about the learner ×3 · Time to listen ×2" in text
    assert "Keeping ego out ×" not in text  # marked done 120 days ago: outside the 90
    assert "Not shown yet" in text and "mentees 3" not in text
    assert "Lead the morning handover" in text and "Met" in text
    assert "Program at a glance" not in text and "rank" not in text.replace("ranked", "")
    assert {"settings.open", "home.pause_2w"} <= set(actions(home(session_factory, settings, MENTOR)))


def test_released_figures_show_the_mentees_average_and_the_gap_per_practice(session_factory, settings):
    seed_pair_history(session_factory)
    with transaction(session_factory) as session:
        mentor = person(session, MENTOR)
        round_ = check_in(
            session,
            session.scalars(select(Pair).where(Pair.mentor_id == mentor.id)).first(),
            9,
            due_at=datetime(2026, 8, 1, tzinfo=UTC),
            answered=False,
        )
        round_.kind, round_.person_id = "mentor", mentor.id
        session.add(
            PulseSelfAnswer(
                team_id=TEAM_ID, round_id=round_.id, mentor_id=mentor.id, quarter="2026-Q3", care=4
            )
        )
        session.add(
            PulseBatch(
                team_id=TEAM_ID,
                scope="mentor",
                mentor_id=mentor.id,
                first_quarter="2026-Q3",
                last_quarter="2026-Q3",
                answers=6,
                mentees=5,
                mentors=1,
                items={"care": [15, 6]},
            )
        )

    text = shown(home(session_factory, settings, MENTOR))

    assert "Caring about the learner: mentees 2.5 · you 4.0 · gap +1.5" in text
    assert "Not shown yet" not in text


def test_a_mentee_sees_their_mentors_the_feedback_button_and_only_whether_they_answered(
    session_factory, settings
):
    pair_id = seed_pair_history(session_factory)
    with transaction(session_factory) as session:
        first = session.get(Pair, pair_id)
        round_ = check_in(session, first, 3, due_at=NOW - timedelta(days=2), answered=False)

    waiting = home(session_factory, settings, MENTEE)
    text = shown(waiting)
    assert f"*Your mentor:* <@{MENTOR}>" in text
    assert "waiting for you" in text and "feedback.home_ask" in actions(waiting)
    assert "Lead the morning handover" in text
    assert "Next nudge" not in text and "Program at a glance" not in text

    with transaction(session_factory) as session:
        from bot.models import PulseParticipation

        session.add(
            PulseParticipation(pair_id=pair_id, number=round_.number, team_id=TEAM_ID, quarter="2026-Q4")
        )

    text = shown(home(session_factory, settings, MENTEE))
    assert "answered — thank you" in text and "waiting for you" not in text


def test_an_admin_sees_the_program_at_a_glance_the_flagged_pairs_and_the_tools(session_factory, settings):
    seed_pair_history(session_factory)
    with transaction(session_factory) as session:
        person(session, ADMIN)
        person(session, "U0QUIET1", opted_out_at=NOW - timedelta(days=60))
        pair(session, "U0QUIET1", "U0QUIET2", started_at=NOW - timedelta(days=100))

    view = home(session_factory, settings, ADMIN)
    text = shown(view)

    assert "Program at a glance — December so far" in text
    assert "*Active pairs:* 3" in text
    assert "*People now:* 0 paused · 1 stopped all messages" in text
    assert "*Nudges:* 2 sent · 1 answered (50%) · 0 expired unsent" in text  # 1 Dec and 5 Dec
    assert "*Meetings logged:* 1 · *Reflections shared:* 0" in text
    assert "Self-direction: 0 of 1 answered (0%)" in text
    assert "not enough answers published yet" in text
    assert "*Pairs that need attention (1)*" in text
    assert "<@U0QUIET1> with <@U0QUIET2> — no meeting logged since the pair started 14 weeks ago" in text
    assert "the mentor stopped all messages 8 weeks ago" in text
    assert {"home.roster_import", "home_report", "home_export", "home.reflection_channel"} <= set(
        actions(view)
    )


def test_people_who_are_not_admins_get_no_program_view(session_factory, settings):
    seed_pair_history(session_factory)
    for user in (MENTOR, MENTEE):
        view = home(session_factory, settings, user)
        assert "home_report" not in actions(view) and "Pairs that need attention" not in shown(view)


def add_program(session_factory, pairs: int) -> None:
    """`pairs` active pairs (none with a meeting: every one is flagged); the admin mentors 40."""
    with transaction(session_factory) as session:
        admin = person(session, ADMIN)
        session.execute(
            insert(Person),
            [
                {"team_id": TEAM_ID, "user_id": f"U0P{i:06d}", "tz": "America/New_York"}
                for i in range(pairs * 2)
            ],
        )
        ids = dict(
            session.execute(select(Person.user_id, Person.id).where(Person.user_id.like("U0P%"))).all()
        )
        started = NOW - timedelta(days=100)
        rows = [
            {
                "team_id": TEAM_ID,
                "mentor_id": admin.id if i < 40 else ids[f"U0P{i:06d}"],
                "mentee_id": ids[f"U0P{pairs + i:06d}"],
                "started_at": started,
            }
            for i in range(pairs)
        ]
        session.execute(insert(Pair), rows)
        mentor = session.get(Person, ids["U0P000100"])
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=admin.id, started_at=started))


def test_a_2000_pair_program_stays_within_block_kit_limits_with_paged_flags(session_factory, settings):
    add_program(session_factory, 2000)

    started = time.monotonic()
    first = home(session_factory, settings, ADMIN)
    elapsed = time.monotonic() - started
    last = home(session_factory, settings, ADMIN, page=10_000)

    for view in (first, last):
        assert len(view["blocks"]) <= 100
        assert "didn't fit" not in shown(view)
    assert "*Pairs that need attention (2001)* — page 1 of 201" in shown(first)
    assert "home.flagged_next" in actions(first) and "home.flagged_previous" not in actions(first)
    assert "page 201 of 201" in shown(last)
    assert "home.flagged_previous" in actions(last) and "home.flagged_next" not in actions(last)
    # The admin mentors 40: 15 listed, the rest counted.
    assert "…and 25 more mentees" in shown(first)
    assert "Next nudge" in shown(first) and "*Your mentor:*" in shown(first)
    print(f"\nadmin Home for 2,000 pairs built in {elapsed:.2f}s, {len(first['blocks'])} blocks")
