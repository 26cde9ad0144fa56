"""A program in which one person — Dr Patel, mentor of Sam and mentee of Dr Okafor, and a
program admin — has left a trace in every table that can hold one, and others have
left theirs beside it (including in a second workspace), for the my-data, forget and
retention tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from bot.db import SessionFactory, transaction
from bot.models import (
    AuditLog,
    Base,
    ColleagueName,
    CustomNudge,
    Delivery,
    DeliveryStatus,
    DisabledNudge,
    FeedbackRequest,
    FeedbackStatus,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    PulseBatch,
    PulseInbox,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    PulseSettings,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
    RosterImport,
    slack_installations,
)
from bot.people import ensure_person
from bot.pulse.publishing import box_context
from bot.pulse.sealing import seal
from tests.bot.mydata.world_goals import add_goals_and_rota
from tests.fakes.slack_api import TEAM_ID

OTHER_TEAM = "T0OTHER01"

PATEL = "U0PATEL01"  # the person whose data this is
SAM = "U0SAMLEE1"  # Dr Patel's mentee
OKAFOR = "U0OKAFOR1"  # Dr Patel's mentor
ADAMS = "U0ADAMS01"  # another admin
KIM = "U0KIMRA01"  # someone unrelated

PATEL_EMAIL = "r.patel@riverside.example"
PATEL_NAME = "Rhea Patel"

# Words only Dr Patel wrote: none may survive her being forgotten.
PATEL_WORDS = (
    "patel-note-handover-pearls",
    "patel-topic-exam-prep",
    "patel-feedback-thursday",
    "patel-reflection-night-shift",
    "patel-goal-lead-a-family-meeting",
    "patel-rotation-line-icu",
)
# A secret: the feed address must never be shown whole, nor survive her being forgotten.
PATEL_FEED = "https://rota.example/feeds/patel-secret-token-91c2.ics"
PUBLISHED_ABOUT_PATEL = "published-comment-about-patel"
# Words others wrote, about their own side: they stay.
SAM_TOPIC = "sam-topic-procedures"
OKAFOR_NOTE = "okafor-note-friday"
ANON_COMMENT = "anonymous-comment-about-okafor"
ANON_REFLECTION = "anonymous-reflection-text"

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=40)


@dataclass
class World:
    """Row ids the tests look at again."""

    patel_id: int
    sam_id: int
    okafor_id: int
    patel_mentors_sam: int
    okafor_mentors_patel: int
    patel_nudge: int
    okafor_nudge_naming_patel: int
    okafor_meeting_with_patel: int
    patel_meeting_with_sam: int
    patel_asks_okafor: int
    sam_asks_patel: int
    anonymous_about_okafor: str
    about_patel: str
    patel_reflection: int
    anonymous_reflection: int
    channel: int
    other_team_patel_id: int


def _pair(session, mentor, mentee, *, created_by=None, team_id=TEAM_ID) -> Pair:
    pair = Pair(
        team_id=team_id, mentor_id=mentor.id, mentee_id=mentee.id, started_at=EARLIER, created_by=created_by
    )
    session.add(pair)
    session.flush()
    pair.next_pulse_at = None
    return pair


def _delivery(
    session, *, key, recipient, person_id=None, kind="message", status=DeliveryStatus.SENT, payload=None
):
    row = Delivery(
        team_id=TEAM_ID,
        kind=kind,
        recipient=recipient,
        person_id=person_id,
        dedupe_key=key,
        payload=payload or {},
        due_at=EARLIER,
        next_attempt_at=EARLIER,
        status=status,
        channel="D" + recipient[1:] if status == DeliveryStatus.SENT else None,
        ts="1700000000.000100" if status == DeliveryStatus.SENT else None,
        sent_at=EARLIER if status == DeliveryStatus.SENT else None,
    )
    session.add(row)
    session.flush()
    return row


def _people(session):
    patel = ensure_person(session, TEAM_ID, PATEL)
    patel.display_name, patel.real_name, patel.email = "dr.patel", PATEL_NAME, PATEL_EMAIL
    patel.tz, patel.is_admin = "Europe/London", True
    sam, okafor = ensure_person(session, TEAM_ID, SAM), ensure_person(session, TEAM_ID, OKAFOR)
    sam.display_name, okafor.display_name = "sam.lee", "dr.okafor"
    sam.email, okafor.email = "sam.lee@riverside.example", "okafor@riverside.example"
    ensure_person(session, TEAM_ID, ADAMS).is_admin = True
    ensure_person(session, TEAM_ID, KIM)
    return patel, sam, okafor


def _nudges(session, patel, okafor, sam_pair):
    mine = NudgeSend(
        team_id=TEAM_ID,
        person_id=patel.id,
        nudge_key="care.ask-how",
        practice="care",
        mentee_id=sam_pair.mentee_id,
        origin="scheduled",
        planned_for=EARLIER,
        sent_at=EARLIER,
        channel="D0PATEL01",
        ts="1700000000.000200",
        delivery_id=_delivery(
            session, key=f"nudge:{TEAM_ID}:{PATEL}:w1", recipient=PATEL, person_id=patel.id, kind="nudge"
        ).id,
    )
    theirs = NudgeSend(
        team_id=TEAM_ID,
        person_id=okafor.id,
        nudge_key="listen.ask-feedback",
        practice="listen",
        mentee_id=patel.id,
        origin="scheduled",
        planned_for=EARLIER,
        sent_at=EARLIER,
    )
    session.add_all([mine, theirs])
    session.flush()
    session.add_all(
        [
            NudgeAnswer(
                team_id=TEAM_ID,
                nudge_send_id=mine.id,
                person_id=patel.id,
                answer="done",
                answered_at=EARLIER,
                followup_choice="Went well",
                note=PATEL_WORDS[0],
                note_at=EARLIER,
            ),
            NudgeAnswer(
                team_id=TEAM_ID,
                nudge_send_id=theirs.id,
                person_id=okafor.id,
                answer="skip",
                answered_at=EARLIER,
            ),
        ]
    )
    # Queued for Dr Patel, and a welcome to Sam that names her (stored text).
    _delivery(
        session,
        key=f"nudge:{TEAM_ID}:{PATEL}:w2",
        recipient=PATEL,
        person_id=patel.id,
        kind="nudge",
        status=DeliveryStatus.PENDING,
    )
    _delivery(
        session,
        key=f"welcome:{TEAM_ID}:{SAM}",
        recipient=SAM,
        status=DeliveryStatus.PENDING,
        payload={"text": f"Welcome! Your mentor is <@{PATEL}>.", "blocks": None},
    )
    return mine, theirs


def _conversations(session, patel, sam, okafor, sam_pair, okafor_pair):
    meetings = [
        MeetingLog(
            team_id=TEAM_ID,
            pair_id=sam_pair.id,
            mentor_id=patel.id,
            mentee_id=sam.id,
            month="2026-10",
            minutes=30,
            practices=["care"],
            source="command",
        ),
        MeetingLog(
            team_id=TEAM_ID,
            pair_id=okafor_pair.id,
            mentor_id=okafor.id,
            mentee_id=patel.id,
            month="2026-10",
            minutes=60,
            practices=["listen"],
            source="command",
        ),
    ]
    asks = FeedbackRequest(
        team_id=TEAM_ID,
        pair_id=okafor_pair.id,
        mentor_id=okafor.id,
        mentee_id=patel.id,
        topic=PATEL_WORDS[1],
        source="command",
        status=FeedbackStatus.PENDING,
        requested_at=NOW - timedelta(days=1),
        last_asked_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=6),
        delivery_id=_delivery(
            session,
            key="feedback:asks",
            recipient=OKAFOR,
            kind="feedback_request",
            status=DeliveryStatus.PENDING,
        ).id,
    )
    asked = FeedbackRequest(
        team_id=TEAM_ID,
        pair_id=sam_pair.id,
        mentor_id=patel.id,
        mentee_id=sam.id,
        topic=SAM_TOPIC,
        source="home",
        status=FeedbackStatus.LATER,
        requested_at=EARLIER,
        last_asked_at=EARLIER,
        closes_at=EARLIER + timedelta(days=7),
        answered_at=EARLIER + timedelta(days=1),
        mentor_note=PATEL_WORDS[2],
        channel="D0PATEL01",
        ts="1700000000.000300",
    )
    okafor_to_sam = FeedbackRequest(  # unrelated: Okafor's own note to someone else stays
        team_id=TEAM_ID,
        pair_id=okafor_pair.id,
        mentor_id=okafor.id,
        mentee_id=patel.id,
        source="home",
        status=FeedbackStatus.TALK,
        requested_at=EARLIER,
        last_asked_at=EARLIER,
        closes_at=EARLIER + timedelta(days=7),
        answered_at=EARLIER,
        mentor_note=OKAFOR_NOTE,
    )
    session.add_all([*meetings, asks, asked, okafor_to_sam])
    session.flush()
    return meetings, asks, asked


def _sealed(settings, session, row_id, *, mentor, mentee, cohort, care, comment):
    """One mentee answer, sealed as bot.pulse.service seals it."""
    content = {
        "mentor": mentor,
        "cohort": cohort,
        "mentee": mentee,
        "items": {"care": care},
        "comment": comment,
    }
    box = seal(settings, content, box_context(TEAM_ID, "2026-Q4"))
    session.add(PulseInbox(id=row_id, team_id=TEAM_ID, quarter="2026-Q4", sealed=box))


def _published(session, patel):
    """Figures published about Dr Patel, and a cohort's (about no mentor)."""
    common = {"team_id": TEAM_ID, "first_quarter": "2026-Q4", "last_quarter": "2026-Q4", "answers": 5}
    session.add_all(
        [
            PulseBatch(
                **common,
                scope="mentor",
                mentor_id=patel.id,
                mentees=5,
                mentors=1,
                items={"care": [15, 5]},
                comments=[PUBLISHED_ABOUT_PATEL],
            ),
            PulseBatch(
                **common, scope="cohort", cohort="PGY-1", mentees=5, mentors=3, items={"care": [16, 5]}
            ),
        ]
    )


def _pulse(settings, session, patel, sam, okafor, sam_pair, okafor_pair):
    to_sam = PulseRound(
        team_id=TEAM_ID,
        key=f"pair:{sam_pair.id}:1",
        kind="mentee",
        pair_id=sam_pair.id,
        person_id=sam.id,
        mentor_id=patel.id,
        number=1,
        due_at=EARLIER,
        closes_at=NOW + timedelta(days=20),
        status="sent",
    )
    to_patel = PulseRound(
        team_id=TEAM_ID,
        key=f"pair:{okafor_pair.id}:1",
        kind="mentee",
        pair_id=okafor_pair.id,
        person_id=patel.id,
        mentor_id=okafor.id,
        number=1,
        due_at=EARLIER,
        closes_at=NOW + timedelta(days=20),
        status="sent",
        channel="D0PATEL01",
        ts="1700000000.000400",
    )
    self_check = PulseRound(
        team_id=TEAM_ID,
        key=f"self:{patel.id}:1",
        kind="mentor",
        person_id=patel.id,
        mentor_id=patel.id,
        number=1,
        due_at=EARLIER,
        closes_at=NOW + timedelta(days=20),
        status="sent",
    )
    session.add_all([to_sam, to_patel, self_check])
    session.flush()
    session.add_all(
        [
            PulseParticipation(pair_id=sam_pair.id, number=1, team_id=TEAM_ID, quarter="2026-Q4"),
            PulseParticipation(pair_id=okafor_pair.id, number=1, team_id=TEAM_ID, quarter="2026-Q4"),
            PulseSelfAnswer(
                team_id=TEAM_ID, round_id=self_check.id, mentor_id=patel.id, quarter="2026-Q4", care=2
            ),
        ]
    )
    _sealed(
        settings,
        session,
        "a" * 32,
        mentor=patel.id,
        mentee=sam.id,
        cohort=None,
        care=3,
        comment="about patel",
    )
    # Dr Patel's own answer about Dr Okafor: no link to her, and it must stay.
    _sealed(
        settings,
        session,
        "b" * 32,
        mentor=okafor.id,
        mentee=patel.id,
        cohort=None,
        care=4,
        comment=ANON_COMMENT,
    )
    _published(session, patel)


def _channel_and_reflections(session):
    channel = ReflectionChannel(
        team_id=TEAM_ID,
        channel_id="C0REFLECT",
        day_rule="first-tue",
        minute_of_day=600,
        timezone="Europe/London",
        themes=["care"],
        rotation_anchor=0,
        admin_user_id=PATEL,
    )
    session.add(channel)
    session.flush()
    prompt = ReflectionPrompt(
        team_id=TEAM_ID,
        reflection_channel_id=channel.id,
        channel_id="C0REFLECT",
        month="2026-11",
        theme="care",
        question_key="care.q1",
        planned_at=EARLIER,
        closes_at=NOW,
        status="posted",
    )
    session.add(prompt)
    session.flush()
    named = Reflection(
        team_id=TEAM_ID,
        prompt_id=prompt.id,
        text=PATEL_WORDS[3],
        practices=["care"],
        user_id=PATEL,
        source="thread",
        source_ts="1700000000.000500",
        shared_on=date(2026, 11, 3),
    )
    anonymous = Reflection(
        team_id=TEAM_ID,
        prompt_id=prompt.id,
        text=ANON_REFLECTION,
        practices=["care"],
        user_id=None,
        source="modal",
        shared_on=date(2026, 11, 4),
    )
    kims = Reflection(
        team_id=TEAM_ID,
        prompt_id=prompt.id,
        text="kim-reflection",
        practices=["listen"],
        user_id=KIM,
        source="modal",
        shared_on=date(2026, 11, 5),
    )
    session.add_all([named, anonymous, kims])
    session.flush()
    return channel, named, anonymous


def _admin_work(session):
    session.add_all(
        [
            CustomNudge(
                team_id=TEAM_ID, key="custom:1", practice="care", text="Ask about sleep.", created_by=PATEL
            ),
            DisabledNudge(team_id=TEAM_ID, key="care.ask-how", disabled_by=PATEL),
            PulseSettings(team_id=TEAM_ID, first_days=21, every_days=45, updated_by=PATEL),
            RosterImport(
                key="k" * 32,
                team_id=TEAM_ID,
                created_by=PATEL,
                source="roster.csv",
                plan={"added": 3},
                applied_at=EARLIER,
                applied_by=PATEL,
            ),
            RosterImport(  # Dr Adams's check, not applied, lists Dr Patel by email
                key="p" * 32,
                team_id=TEAM_ID,
                created_by=ADAMS,
                source="next.csv",
                plan={"rows": [{"mentor": PATEL_EMAIL, "mentee": "sam.lee@riverside.example"}]},
            ),
            AuditLog(team_id=TEAM_ID, actor_user_id=PATEL, action="pair.start", target=f"{PATEL}>{SAM}"),
            AuditLog(
                team_id=TEAM_ID, actor_user_id=ADAMS, action="admin.add", target=PATEL, detail={"who": PATEL}
            ),
            AuditLog(team_id=TEAM_ID, actor_user_id=ADAMS, action="pair.start", target=f"{OKAFOR}>{KIM}"),
            ColleagueName(team_id=TEAM_ID, name="maria lopez", confirmed_on=date(2026, 11, 20)),
        ]
    )
    session.execute(
        insert(slack_installations).values(
            client_id="1.2",
            app_id="A0MENTOR1",
            team_id=TEAM_ID,
            bot_token="xoxb-secret-bot-token",
            user_id=PATEL,
            user_token="xoxp-secret-user-token",
            installed_at=EARLIER.replace(tzinfo=None),
        )
    )


def build_world(session_factory: SessionFactory, settings) -> World:
    """Every trace Dr Patel can leave, and the others' beside them."""
    with transaction(session_factory) as session:
        patel, sam, okafor = _people(session)
        sam_pair = _pair(session, patel, sam, created_by=PATEL)
        okafor_pair = _pair(session, okafor, patel, created_by=ADAMS)
        mine, theirs = _nudges(session, patel, okafor, sam_pair)
        meetings, asks, asked = _conversations(session, patel, sam, okafor, sam_pair, okafor_pair)
        _pulse(settings, session, patel, sam, okafor, sam_pair, okafor_pair)
        add_goals_and_rota(
            session,
            patel=patel,
            sam=sam,
            pair=sam_pair,
            goal=PATEL_WORDS[4],
            line=PATEL_WORDS[5],
            feed=PATEL_FEED,
            other=KIM,
            written=EARLIER,
            now=NOW,
        )
        channel, named, anonymous = _channel_and_reflections(session)
        _admin_work(session)
        # The same member id in another workspace: nothing there may change.
        elsewhere = ensure_person(session, OTHER_TEAM, PATEL)
        elsewhere.email = PATEL_EMAIL
        session.flush()
        return World(
            patel_id=patel.id,
            sam_id=sam.id,
            okafor_id=okafor.id,
            patel_mentors_sam=sam_pair.id,
            okafor_mentors_patel=okafor_pair.id,
            patel_nudge=mine.id,
            okafor_nudge_naming_patel=theirs.id,
            okafor_meeting_with_patel=meetings[1].id,
            patel_meeting_with_sam=meetings[0].id,
            patel_asks_okafor=asks.id,
            sam_asks_patel=asked.id,
            anonymous_about_okafor="b" * 32,
            about_patel="a" * 32,
            patel_reflection=named.id,
            anonymous_reflection=anonymous.id,
            channel=channel.id,
            other_team_patel_id=elsewhere.id,
        )


def dump_workspace(session_factory, team_id=TEAM_ID) -> str:
    """Every value of every row of the workspace, as text (rows with no team are included)."""
    lines = []
    with session_factory() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if "team_id" in table.c:
                query = query.where((table.c.team_id == team_id) | table.c.team_id.is_(None))
            for row in session.execute(query).mappings():
                lines.append(f"{table.name}: {json.dumps(dict(row), default=str)}")
    return "\n".join(lines)
