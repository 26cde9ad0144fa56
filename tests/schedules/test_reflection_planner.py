"""The reflection planner over a simulated year, and its month-end, catch-up and reminder rules.

The clock is a MovableClock jumped from one due instant to the next (prompt, summary,
month end, retries), with two independent clocks ticking at every instant, so a year of
prompts in five channels runs in a few seconds.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import build_deps
from bot.db import transaction
from bot.models import DeliveryStatus, Pair, PromptStatus, ReflectionChannel
from bot.people import ensure_person
from bot.reflections.service import record_reflection, turn_off
from bot.reflections.types import PROMPT_KIND, REMINDER_KIND, SUMMARY_KIND, DayRule
from bot.slack import make_client
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.reflection_planner import MAX_CATCH_UP, ReflectionPlanner, prompts_due
from schedules.sender import Sender
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.reflection_support import configure, deliveries, next_event, prompts

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))


@pytest.fixture
def clock_deps(settings, session_factory, clock):
    # No client-side retries: each test scripts exactly what Slack answers.
    return build_deps(
        settings, client=make_client(settings, retries=0), session_factory=session_factory, clock=clock
    )


def two_clocks(deps):
    """Two clock processes sharing one database (as on PostgreSQL with two `clock`s)."""
    return [Clock(deps, sender=Sender(deps, all_kinds(), worker_id=name)) for name in ("clock-a", "clock-b")]


# --- a year in three time zones -------------------------------------------------------------

# channel id → (zone, rule, local minute): "first Monday" and "31st", and rules whose
# times fall in DST gaps and folds in 2027.
YEAR_CHANNELS = {
    "C0LAMON01": (LA, "first-mon", 9 * 60),
    "C0LASUN01": (LA, "second-sun", 2 * 60 + 30),  # 14 Mar 2027 02:30 does not exist
    "C0LON3101": (LONDON, "day-31", 10 * 60),
    "C0LONSUN1": (LONDON, "last-sun", 60 + 30),  # 28 Mar gap, 31 Oct fold
    "C0SYDSUN1": (SYDNEY, "first-sun", 2 * 60 + 30),  # 4 Apr fold, 3 Oct gap
}
# Where the wall-clock time does not exist, the prompt is posted an hour later.
GAP_DAYS = {
    "C0LASUN01": (date(2027, 3, 14), 3 * 60 + 30),
    "C0LONSUN1": (date(2027, 3, 28), 2 * 60 + 30),
    "C0SYDSUN1": (date(2027, 10, 3), 3 * 60 + 30),
}
# Where it happens twice, the first time (the summer offset) is used.
FOLD_INSTANTS = {
    ("C0LONSUN1", "2027-10"): datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # 01:30 BST
    ("C0SYDSUN1", "2027-04"): datetime(2027, 4, 3, 15, 30, tzinfo=UTC),  # 02:30 AEDT
}


def expected_day(rule: str, year: int, month: int) -> date:
    """The rule's date, from the calendar module rather than the code under test."""
    weeks = calendar.Calendar().monthdatescalendar(year, month)
    days = [d for week in weeks for d in week if d.month == month]
    if rule == "day-31":
        return days[-1]
    week, weekday = rule.split("-")
    index = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(weekday)
    matching = [d for d in days if d.weekday() == index]
    return matching[{"first": 0, "second": 1, "last": -1}[week]]


def test_a_year_of_prompts_in_three_time_zones(clock_deps, fake_slack, clock):
    for channel_id, (zone, rule, minute) in YEAR_CHANNELS.items():
        fake_slack.add_channel(channel_id, channel_id.lower())
        configure(clock_deps, channel_id, rule=rule, minute=minute, tz=zone.key)
    clocks = two_clocks(clock_deps)
    end = datetime(2028, 1, 1, 8, 0, tzinfo=UTC)  # past midnight on 31 December everywhere
    shared: set[int] = set()
    ticks = 0
    while (when := next_event(clock_deps, clock.now)) is not None and when < end:
        clock.set(when)
        for each in clocks:
            each.tick()
        ticks += 1
        # Someone shares in each newly posted prompt, so every month has a summary.
        for prompt in prompts(clock_deps):
            if prompt.status == PromptStatus.POSTED and prompt.id not in shared:
                with transaction(clock_deps.session_factory) as session:
                    record_reflection(
                        session,
                        team_id=TEAM_ID,
                        prompt_id=prompt.id,
                        text="We tried a five-minute check-in after rounds.",
                        practices=[prompt.theme],
                        user_id=None,
                        now=clock.now,
                    )
                shared.add(prompt.id)
        assert ticks < 1000, "the simulation is not converging"

    sent = [d for d in deliveries(clock_deps, PROMPT_KIND) if d.status == DeliveryStatus.SENT]
    summaries = [d for d in deliveries(clock_deps, SUMMARY_KIND) if d.status == DeliveryStatus.SENT]
    for channel_id, (zone, rule, minute) in YEAR_CHANNELS.items():
        mine = [d for d in sent if d.recipient == channel_id]
        months = Counter(d.sent_at.astimezone(zone).strftime("%Y-%m") for d in mine)
        assert months == Counter({f"2027-{m:02d}": 1 for m in range(1, 13)}), channel_id
        # Slack saw exactly those twelve top-level messages in the channel.
        top_level = [m for m in fake_slack.messages[channel_id] if not m["thread_ts"]]
        assert len(top_level) == 12
        for delivery in mine:
            local = delivery.sent_at.astimezone(zone)
            month_key = local.strftime("%Y-%m")
            if (channel_id, month_key) in FOLD_INSTANTS:
                assert delivery.sent_at == FOLD_INSTANTS[(channel_id, month_key)]
                continue
            day = expected_day(rule, local.year, local.month)
            wall = GAP_DAYS[channel_id][1] if GAP_DAYS.get(channel_id, (None,))[0] == day else minute
            assert (local.date(), local.hour * 60 + local.minute) == (day, wall), (channel_id, local)
        # One summary a month, in that month's thread, at 16:00 on its last local day.
        threads = {d.ts for d in mine}
        mine_summaries = [d for d in summaries if d.recipient == channel_id]
        assert len(mine_summaries) == 12
        for summary in mine_summaries:
            local = summary.sent_at.astimezone(zone)
            assert local.day == calendar.monthrange(local.year, local.month)[1]
            assert (local.hour, local.minute) == (16, 0)
            [posted] = [m for m in fake_slack.messages[channel_id] if m["ts"] == summary.ts]
            assert posted["thread_ts"] in threads
            assert "1 reflection was shared" in posted["text"]
    # The themes went round the six practices in order, twice a year.
    themes = [p.theme for p in prompts(clock_deps, "C0LAMON01")]
    assert themes == ["care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy"] * 2


# --- the pure step ----------------------------------------------------------------------


def test_nothing_is_due_before_its_time_and_one_is_due_at_it():
    rule = DayRule.decode("first-tue")
    next_at = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    assert prompts_due(next_at, rule, 600, LONDON, next_at - timedelta(seconds=1)) == ([], next_at)
    due, following = prompts_due(next_at, rule, 600, LONDON, next_at)
    assert due == [next_at]
    assert following == datetime(2027, 2, 2, 10, 0, tzinfo=UTC)


def test_a_long_outage_is_replayed_at_most_a_year_back():
    rule = DayRule.decode("day-1")
    next_at = datetime(2020, 1, 1, 10, 0, tzinfo=UTC)
    now = datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
    due, following = prompts_due(next_at, rule, 600, LONDON, now)
    assert len(due) == MAX_CATCH_UP
    assert following == datetime(2027, 7, 1, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_months_missed_while_the_app_was_down_are_recorded_not_posted(clock_deps, fake_slack, clock):
    fake_slack.add_channel("C0WARD001", "ward")
    configure(clock_deps, "C0WARD001", rule="day-2", minute=600)  # next: 2 Jan 2027
    clock.set(datetime(2027, 3, 10, 12, 0, tzinfo=UTC))  # down through January and February

    Clock(clock_deps).tick()

    assert [(p.month, p.status) for p in prompts(clock_deps)] == [
        ("2027-01", PromptStatus.MISSED),
        ("2027-02", PromptStatus.MISSED),
        ("2027-03", PromptStatus.POSTED),  # March's is late but still in its month
    ]
    assert "not running" in prompts(clock_deps)[0].note
    assert len(fake_slack.messages["C0WARD001"]) == 1


def test_planning_twice_at_the_same_instant_makes_one_prompt(clock_deps, fake_slack, clock):
    fake_slack.add_channel("C0WARD001", "ward")
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600)  # 4 Jan 2027
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    planner = ReflectionPlanner(clock_deps)

    planner.run_once()
    with transaction(clock_deps.session_factory) as session:
        # A second clock that read the channel before the first one moved it on.
        session.execute(select(ReflectionChannel)).scalar_one().next_prompt_at = clock.now
    planner.run_once()

    assert len(prompts(clock_deps)) == 1
    assert len(deliveries(clock_deps, PROMPT_KIND)) == 1


# --- off and on again -----------------------------------------------------------------------


def test_turning_off_cancels_the_unsent_prompt_and_turning_on_in_the_same_month_revives_it(
    clock_deps, fake_slack, clock
):
    fake_slack.add_channel("C0WARD001", "ward", is_member=False)
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600)
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    Clock(clock_deps).tick()  # not in the channel: held
    assert prompts(clock_deps)[0].status == PromptStatus.WAITING

    with transaction(clock_deps.session_factory) as session:
        assert turn_off(session, team_id=TEAM_ID, channel_id="C0WARD001", admin_user_id=ADMIN, now=clock.now)
    assert prompts(clock_deps)[0].status == PromptStatus.CANCELLED
    assert deliveries(clock_deps, PROMPT_KIND)[0].status == DeliveryStatus.CANCELLED

    fake_slack.channels["C0WARD001"].is_member = True
    clock.advance(days=2)
    configure(clock_deps, "C0WARD001", rule="day-20", minute=600, themes=("listen", "care"))
    clock.set(datetime(2027, 1, 20, 10, 0, tzinfo=UTC))
    Clock(clock_deps).tick()
    Clock(clock_deps).tick()

    [prompt] = prompts(clock_deps)
    assert (prompt.month, prompt.status, prompt.theme) == ("2027-01", PromptStatus.POSTED, "listen")
    assert prompt.posted_at == datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    assert len(fake_slack.messages["C0WARD001"]) == 1
    assert "Time to listen" in str(fake_slack.messages["C0WARD001"][0]["blocks"])


def test_a_prompt_whose_channel_was_turned_off_after_planning_is_not_sent(clock_deps, fake_slack, clock):
    fake_slack.add_channel("C0WARD001", "ward")
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600)
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    ReflectionPlanner(clock_deps).run_once()
    with transaction(clock_deps.session_factory) as session:
        session.execute(select(ReflectionChannel)).scalar_one().enabled = False  # as if mid-send

    Clock(clock_deps).sender.run_once()

    assert fake_slack.messages["C0WARD001"] == []
    assert prompts(clock_deps)[0].status == PromptStatus.CANCELLED


# --- month end -----------------------------------------------------------------------------


def test_a_prompt_still_waiting_at_month_end_is_marked_missed_and_the_admin_told(
    clock_deps, fake_slack, clock
):
    fake_slack.add_channel("C0WARD001", "ward", is_archived=True)
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600)
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    Clock(clock_deps).tick()

    clock.set(datetime(2027, 2, 1, 0, 0, tzinfo=UTC))  # January is over in London
    Clock(clock_deps).tick()

    [prompt] = [p for p in prompts(clock_deps) if p.month == "2027-01"]
    assert prompt.status == PromptStatus.MISSED
    assert "is_archived" in prompt.note
    assert deliveries(clock_deps, PROMPT_KIND)[0].status == DeliveryStatus.EXPIRED
    clock.set(datetime(2027, 2, 1, 13, 0, tzinfo=UTC))  # 08:00 in New York: the admin's window opens
    Clock(clock_deps).tick()
    texts = [c.args["text"] for c in fake_slack.dms_to(ADMIN)]
    assert any("couldn't be posted before the month ended" in t and "archived" in t for t in texts)
    assert fake_slack.messages["C0WARD001"] == []


def test_a_month_without_reflections_gets_no_summary(clock_deps, fake_slack, clock):
    fake_slack.add_channel("C0WARD001", "ward")
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600)
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    Clock(clock_deps).tick()

    clock.set(datetime(2027, 1, 31, 16, 0, tzinfo=UTC))
    Clock(clock_deps).tick()

    [summary] = deliveries(clock_deps, SUMMARY_KIND)
    assert summary.status == DeliveryStatus.CANCELLED
    assert "nobody shared" in summary.error
    assert len(fake_slack.messages["C0WARD001"]) == 1  # only the prompt


# --- mid-month reminders --------------------------------------------------------------------


def pair(deps, mentor: str, mentee: str) -> None:
    with transaction(deps.session_factory) as session:
        mentor_row = ensure_person(session, TEAM_ID, mentor)
        mentee_row = ensure_person(session, TEAM_ID, mentee)
        # Paired on the month's first day: no pulse check-in is due within these tests.
        started = datetime(2027, 1, 1, tzinfo=UTC)
        session.add(
            Pair(team_id=TEAM_ID, mentor_id=mentor_row.id, mentee_id=mentee_row.id, started_at=started)
        )


@pytest.fixture
def reminder_channel(clock_deps, fake_slack, clock):
    """#ward with prompts and reminders on, two paired mentors and a mentee in it."""
    fake_slack.add_user("U0MENTOR2", "dr.ito", tz="Asia/Tokyo")
    fake_slack.add_channel("C0WARD001", "ward", members=[MENTOR, "U0MENTOR2", MENTEE, ADMIN])
    pair(clock_deps, MENTOR, MENTEE)
    pair(clock_deps, "U0MENTOR2", MENTEE)
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600, reminder=True)
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    Clock(clock_deps).tick()
    [prompt] = prompts(clock_deps)
    return prompt


def test_one_reminder_mid_month_to_mentors_who_have_not_shared_by_name(
    clock_deps, fake_slack, clock, reminder_channel
):
    prompt = reminder_channel
    with transaction(clock_deps.session_factory) as session:
        record_reflection(
            session,
            team_id=TEAM_ID,
            prompt_id=prompt.id,
            text="Named.",
            practices=[],
            user_id="U0MENTOR2",
            now=clock.now,
        )
    assert datetime(2027, 1, 16, tzinfo=UTC) < prompt.reminder_due_at < datetime(2027, 1, 19, tzinfo=UTC)

    clock.set(prompt.reminder_due_at)
    Clock(clock_deps).tick()
    # Reminders wait for each person's contact window (08:00–18:00 on weekdays).
    [queued] = deliveries(clock_deps, REMINDER_KIND)
    clock.set(queued.due_at)
    Clock(clock_deps).tick()

    reminders = deliveries(clock_deps, REMINDER_KIND)
    assert [r.recipient for r in reminders] == [MENTOR]  # not the mentee, not the named sharer
    [dm] = fake_slack.dms_to(MENTOR)
    assert "already shared" in dm.text_of_blocks() and "anonymously" in dm.text_of_blocks()
    # Planned and sent inside the mentor's window, in London.
    assert reminders[0].status == DeliveryStatus.SENT
    local = reminders[0].due_at.astimezone(LONDON)
    assert local.weekday() < 5 and 8 <= local.hour < 18
    assert fake_slack.last("conversations.members").args["channel"] == "C0WARD001"


def test_no_reminders_when_the_switch_is_off(clock_deps, fake_slack, clock, reminder_channel):
    configure(clock_deps, "C0WARD001", rule="first-mon", minute=600, reminder=False)
    clock.set(reminder_channel.reminder_due_at)
    Clock(clock_deps).tick()

    assert deliveries(clock_deps, REMINDER_KIND) == []
    assert fake_slack.calls_to("conversations.members") == []
    assert prompts(clock_deps)[0].reminder_due_at is None


def test_without_the_scope_to_list_members_the_admin_is_told_once(
    clock_deps, fake_slack, clock, reminder_channel
):
    fake_slack.fail("conversations.members", "missing_scope")
    clock.set(reminder_channel.reminder_due_at)
    Clock(clock_deps).tick()
    clock.advance(hours=2)
    Clock(clock_deps).tick()

    assert deliveries(clock_deps, REMINDER_KIND) == []
    notices = [d for d in deliveries(clock_deps, recipient=ADMIN) if "reminder" in d.payload["text"]]
    assert len(notices) == 1
    assert "channels:read" in notices[0].payload["text"]
    assert len(fake_slack.calls_to("conversations.members")) == 1


def test_a_mentor_who_paused_gets_no_reminder(clock_deps, fake_slack, clock, reminder_channel):
    with transaction(clock_deps.session_factory) as session:
        ensure_person(session, TEAM_ID, MENTOR).paused_until = datetime(2027, 3, 1, tzinfo=UTC)
    clock.set(reminder_channel.reminder_due_at)
    for _ in range(3):
        Clock(clock_deps).tick()
        clock.advance(days=1)

    assert fake_slack.dms_to(MENTOR) == []
