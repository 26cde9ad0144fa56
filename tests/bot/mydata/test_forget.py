"""Forgetting a person: nothing about them is left in their workspace but counts with no one
behind them, the people they were paired with keep their own history, anonymous data is
never touched, and the app stays quiet if they are added again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.blocks.common import mention
from bot.db import transaction
from bot.feedback.blocks import ended_text
from bot.meetings.blocks import overview_blocks
from bot.meetings.service import meeting_overview
from bot.models import (
    Agreement,
    AgreementVersion,
    AuditLog,
    CustomNudge,
    Delivery,
    DeliveryStatus,
    FeedbackRequest,
    FeedbackStatus,
    ForgetMark,
    KeptCount,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    PulseBatch,
    PulseInbox,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    Reflection,
    ReflectionChannel,
    RosterImport,
    RotaFeed,
    RotaImport,
    RotaShift,
    RotationReflection,
    slack_installations,
)
from bot.models.core import FORMER_MEMBER, is_former_member
from bot.mydata.export import collect
from bot.mydata.forget import AUDIT_ACTION, forget_me, forget_member
from bot.mydata.types import ForgetRefused
from bot.people import ensure_person, find_person
from bot.preferences import service as preferences
from bot.pulse.publishing import box_context
from bot.pulse.sealing import open_box
from bot.roster.service import ensure_people
from schedules.feedback_step import settle_feedback
from tests.bot.mydata.world import (
    ADAMS,
    ANON_COMMENT,
    ANON_REFLECTION,
    KIM,
    NOW,
    OKAFOR,
    OKAFOR_NOTE,
    OTHER_TEAM,
    PATEL,
    PATEL_EMAIL,
    PATEL_FEED,
    PATEL_NAME,
    PATEL_WORDS,
    SAM,
    SAM_TOPIC,
    build_world,
    dump_workspace,
)
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID


@pytest.fixture
def world(session_factory, settings):
    return build_world(session_factory, settings)


def forget(session_factory, settings, user_id=PATEL):
    with transaction(session_factory) as session:
        return forget_me(session, settings, team_id=TEAM_ID, user_id=user_id, now=NOW)


def all_of(session_factory, model):
    with session_factory() as session:
        return list(session.scalars(select(model)))


def test_nothing_that_names_them_is_left_in_the_workspace(session_factory, settings, world):
    before = dump_workspace(session_factory)
    assert PATEL in before and PATEL_EMAIL in before and all(w in before for w in PATEL_WORDS)

    forget(session_factory, settings)

    after = dump_workspace(session_factory)
    assert PATEL_FEED in before
    for trace in (PATEL, PATEL_EMAIL, PATEL_NAME, PATEL_FEED, "dr.patel", "D0PATEL01", *PATEL_WORDS):
        assert trace not in after, trace
    with transaction(session_factory) as session:
        assert collect(session, TEAM_ID, PATEL, NOW).empty


def test_their_own_records_go_and_only_counts_stay(session_factory, settings, world):
    outcome = forget(session_factory, settings)

    with session_factory() as session:
        assert session.get(NudgeSend, world.patel_nudge) is None
        assert session.get(MeetingLog, world.patel_meeting_with_sam) is None
        assert session.get(PulseInbox, world.about_patel) is None  # answers about a forgotten mentor
        assert [b.scope for b in session.scalars(select(PulseBatch))] == ["cohort"]  # and figures
        for model in (Agreement, AgreementVersion, RotaShift, RotaFeed, RotationReflection, RotaImport):
            assert session.scalars(select(model)).all() == [], model
        assert session.scalars(select(PulseSelfAnswer)).all() == []
        assert session.scalars(select(PulseParticipation)).all() == []
        assert session.scalars(select(PulseRound)).all() == []
        kept = {(k.period, k.metric, k.practice): k.count for k in session.scalars(select(KeptCount))}
    assert kept == {
        ("2026-10", "nudges_sent", "care"): 1,
        ("2026-10", "nudges_done", "care"): 1,
        ("2026-10", "meetings", ""): 1,
        ("2026-10", "meeting_minutes", ""): 30,
        ("2026-Q4", "check_ins_answered", ""): 2,
        ("2026-Q4", "self_checks", ""): 1,
        ("2026-10", "agreements_agreed", ""): 1,
        ("2026-10", "goals_met", ""): 1,
    }
    assert outcome.pairs_ended == 2 and outcome.placeholder_kept
    assert outcome.deleted["nudge_send"] == 1 and outcome.deleted["delivery"] == 2


def test_the_people_they_were_paired_with_keep_their_own_history(session_factory, settings, world):
    forget(session_factory, settings)

    with session_factory() as session:
        placeholder = session.get(Person, world.patel_id)
        sam_pair = session.get(Pair, world.patel_mentors_sam)
        okafor_pair = session.get(Pair, world.okafor_mentors_patel)
        assert sam_pair.ended_at == NOW and okafor_pair.ended_at == NOW
        assert sam_pair.mentee_id == world.sam_id and okafor_pair.mentor_id == world.okafor_id
        assert sam_pair.next_pulse_at is None  # no closing check-in about, or to, no one
        # Dr Okafor's log of meeting them, and his nudge that named them (without the name).
        meeting = session.get(MeetingLog, world.okafor_meeting_with_patel)
        assert meeting.mentee_id == placeholder.id and meeting.minutes == 60
        nudge = session.get(NudgeSend, world.okafor_nudge_naming_patel)
        assert nudge.mentee_id is None and session.scalars(select(NudgeAnswer)).one().answer == "skip"
        # Sam's request keeps Sam's words; Dr Patel's note on it is gone.
        asked = session.get(FeedbackRequest, world.sam_asks_patel)
        assert (asked.topic, asked.mentor_note, asked.channel) == (SAM_TOPIC, None, None)
        notes = {r.mentor_note for r in session.scalars(select(FeedbackRequest))}
        assert OKAFOR_NOTE in notes
        # Their own open request to Dr Okafor is closed, its DM never sent.
        asks = session.get(FeedbackRequest, world.patel_asks_okafor)
        assert (asks.status, asks.topic) == (FeedbackStatus.ENDED, None)
        assert session.get(Delivery, asks.delivery_id).status == DeliveryStatus.CANCELLED
        # Dr Okafor's planner looks at him again (one mentee fewer).
        okafor = session.get(Person, world.okafor_id)
        assert okafor.next_nudge_at is not None and okafor.next_nudge_at <= NOW


def test_anonymous_things_are_never_touched(session_factory, settings, world):
    forget(session_factory, settings)

    with session_factory() as session:
        # Their answer about Dr Okafor had no link to them: it stays, comment and all.
        anonymous = session.get(PulseInbox, world.anonymous_about_okafor)
        content = open_box(settings, anonymous.sealed, box_context(TEAM_ID, anonymous.quarter))
        assert (content["items"], content["comment"]) == ({"care": 4}, ANON_COMMENT)
        reflections = {r.id: r for r in session.scalars(select(Reflection))}
    assert reflections[world.anonymous_reflection].text == ANON_REFLECTION
    named = reflections[world.patel_reflection]
    # Their named reflection still counts as shared (month-end counts), by no one, with no text.
    assert (named.user_id, named.text, named.source_ts, named.practices) == (None, "", None, ["care"])
    assert {r.user_id for r in reflections.values()} == {None, KIM}


def test_a_placeholder_stands_where_another_persons_history_needs_them(session_factory, settings, world):
    forget(session_factory, settings)

    with session_factory() as session:
        placeholder = session.get(Person, world.patel_id)
        assert find_person(session, TEAM_ID, PATEL) is None
    assert is_former_member(placeholder.user_id) and placeholder.mention == "a former member"
    assert placeholder.user_id != FORMER_MEMBER  # each placeholder is its own
    assert (placeholder.display_name, placeholder.real_name, placeholder.email, placeholder.tz) == (None,) * 4
    assert not placeholder.is_admin and not placeholder.is_active
    assert placeholder.opted_out_at == NOW and placeholder.created_at == NOW
    assert placeholder.next_nudge_at is None and placeholder.next_selfcheck_at is None


def test_someone_with_no_pairs_leaves_no_row_at_all(session_factory, settings, world):
    forget(session_factory, settings, user_id=KIM)

    with session_factory() as session:
        assert find_person(session, TEAM_ID, KIM) is None
        assert not [p for p in session.scalars(select(Person)) if is_former_member(p.user_id)]
    assert KIM not in dump_workspace(session_factory)


def test_messages_to_them_or_naming_them_are_not_sent(session_factory, settings, world):
    forget(session_factory, settings)

    rows = all_of(session_factory, Delivery)
    assert not [r for r in rows if r.recipient == PATEL]
    [welcome] = [r for r in rows if r.recipient == SAM]
    assert welcome.status == DeliveryStatus.CANCELLED and welcome.payload == {}


def test_their_work_as_an_admin_stays_under_no_name(session_factory, settings, world):
    forget(session_factory, settings)

    [nudge] = all_of(session_factory, CustomNudge)
    assert (nudge.text, nudge.created_by) == ("Ask about sleep.", FORMER_MEMBER)
    actions = {(a.action, a.actor_user_id, a.target) for a in all_of(session_factory, AuditLog)}
    assert ("pair.start", FORMER_MEMBER, f"{FORMER_MEMBER}>{SAM}") in actions
    assert ("admin.add", ADAMS, FORMER_MEMBER) in actions
    # Their reflection channel is now looked after by the first admin (from the configuration).
    assert all_of(session_factory, ReflectionChannel)[0].admin_user_id == ADMIN
    # Dr Adams's unapplied check listed them: it is gone (he checks the file again); theirs stays.
    assert [i.source for i in all_of(session_factory, RosterImport)] == ["roster.csv"]
    with session_factory() as session:
        install = session.execute(select(slack_installations)).mappings().one()
    assert (install["user_id"], install["user_token"]) == (FORMER_MEMBER, None)
    assert install["bot_token"] == "xoxb-secret-bot-token"  # the workspace keeps working


def test_another_workspace_is_untouched(session_factory, settings, world):
    forget(session_factory, settings)

    with session_factory() as session:
        there = find_person(session, OTHER_TEAM, PATEL)
        assert there is not None and there.email == PATEL_EMAIL and there.opted_out_at is None


def test_when_they_are_added_again_the_app_stays_quiet_until_they_start(session_factory, settings, world):
    forget(session_factory, settings)
    with session_factory() as session:
        assert len(session.scalars(select(ForgetMark)).all()) == 1

    with transaction(session_factory) as session:
        again = ensure_person(session, TEAM_ID, PATEL)  # an admin pairs them, or they open Home
        assert again.id != world.patel_id and again.opted_out_at is not None
    with session_factory() as session:
        assert session.scalars(select(ForgetMark)).all() == []  # used up: the row holds the choice
    with transaction(session_factory) as session:
        preferences.start(session, settings, TEAM_ID, PATEL, now=NOW + timedelta(days=3))
    with session_factory() as session:
        assert find_person(session, TEAM_ID, PATEL).opted_out_at is None


def test_a_roster_import_that_adds_them_again_keeps_them_quiet(session_factory, settings, world):
    forget(session_factory, settings)

    with transaction(session_factory) as session:
        people = ensure_people(session, TEAM_ID, [PATEL, "U0NEWBIE1"])
        assert people[PATEL].opted_out_at is not None
        assert people["U0NEWBIE1"].opted_out_at is None  # nobody else is affected


def test_forgetting_someone_with_nothing_kept_still_keeps_the_app_quiet_later(session_factory, settings):
    outcome = forget(session_factory, settings, user_id="U0NOBODY1")

    assert outcome.deleted == {} and not outcome.placeholder_kept
    with transaction(session_factory) as session:
        assert ensure_person(session, TEAM_ID, "U0NOBODY1").opted_out_at is not None


def test_forgetting_twice_changes_nothing_more(session_factory, settings, world):
    forget(session_factory, settings)
    first = dump_workspace(session_factory)

    outcome = forget(session_factory, settings)

    assert outcome.deleted == {} and outcome.pairs_ended == 0
    assert dump_workspace(session_factory) == first


def test_a_mentee_waiting_on_a_forgotten_mentor_is_told_kindly(session_factory, settings, world):
    with transaction(session_factory) as session:
        request = session.get(FeedbackRequest, world.sam_asks_patel)
        request.status, request.answered_at, request.mentor_note = FeedbackStatus.PENDING, None, None
        request.closes_at = NOW + timedelta(days=5)
    forget(session_factory, settings)

    counts = settle_feedback(session_factory, settings, NOW + timedelta(minutes=1))

    assert counts["ended"] == 1
    [notice] = [r for r in all_of(session_factory, Delivery) if r.recipient == SAM and r.kind == "message"][
        -1:
    ]
    text = notice.payload["text"]
    assert "to your mentor was closed because your pairing" in text and "former-" not in text


# --- an admin forgets someone -------------------------------------------------------------------


def by_admin(session_factory, settings, actor, user_id=PATEL, team_id=TEAM_ID):
    with transaction(session_factory) as session:
        return forget_member(session, settings, team_id=team_id, actor=actor, user_id=user_id, now=NOW)


def test_an_admin_forgets_someone_who_left_and_the_audit_log_names_only_the_admin(
    session_factory, settings, world
):
    outcome = by_admin(session_factory, settings, ADAMS)

    assert outcome.pairs_ended == 2
    [row] = [a for a in all_of(session_factory, AuditLog) if a.action == AUDIT_ACTION]
    assert (row.actor_user_id, row.target, row.detail, row.created_at) == (ADAMS, None, None, NOW)
    # The channel goes to the admin who did it.
    assert all_of(session_factory, ReflectionChannel)[0].admin_user_id == ADAMS
    assert PATEL not in dump_workspace(session_factory)


@pytest.mark.parametrize(
    ("actor", "user_id", "team_id", "says"),
    [
        (KIM, PATEL, TEAM_ID, "Only program admins"),  # not an admin
        (ADAMS, ADAMS, TEAM_ID, "/mentor forget-me"),  # themselves
        (ADAMS, "U0NOBODY1", TEAM_ID, "keeps nothing about <@U0NOBODY1>"),
        (ADAMS, PATEL, OTHER_TEAM, "Only program admins"),  # an admin here is nobody there
    ],
)
def test_a_forget_that_must_not_happen_changes_nothing(
    session_factory, settings, world, actor, user_id, team_id, says
):
    before = dump_workspace(session_factory), dump_workspace(session_factory, OTHER_TEAM)

    with pytest.raises(ForgetRefused, match=says):
        by_admin(session_factory, settings, actor, user_id, team_id)

    assert (dump_workspace(session_factory), dump_workspace(session_factory, OTHER_TEAM)) == before


def test_an_admin_of_the_other_workspace_cannot_reach_this_one(session_factory, settings, world):
    with transaction(session_factory) as session:
        ensure_person(session, OTHER_TEAM, ADAMS).is_admin = True
    before = dump_workspace(session_factory)

    with pytest.raises(ForgetRefused, match="keeps nothing about"):
        by_admin(session_factory, settings, ADAMS, user_id=SAM, team_id=OTHER_TEAM)

    assert dump_workspace(session_factory) == before


# --- how the people left behind see the placeholder ---------------------------------------------


def test_a_mentors_meeting_log_names_a_forgotten_mentee_in_words(session_factory, settings, world):
    forget(session_factory, settings)

    with transaction(session_factory) as session:
        mentees = meeting_overview(session, settings, TEAM_ID, OKAFOR, NOW)
    shown = json.dumps(overview_blocks(mentees))

    assert "*A former mentee* _(pairing ended)_" in shown and "former-" not in shown.replace("A former", "")


def test_former_members_are_named_in_words_everywhere_a_mention_would_go():
    assert mention(SAM) == f"<@{SAM}>"
    assert mention("former-0a1b2c3d", former="your mentor") == "your mentor"
    assert mention(FORMER_MEMBER) == "a former member"
    assert ended_text("former-0a1b2c3d").startswith("Your feedback-chat request to your mentor was closed")
