"""The App Home: the settings section, room for other features' sections, and failures contained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import text

from bot.blocks.common import section
from bot.db import transaction
from bot.home.service import SECTIONS, build_home
from bot.models import Pair
from bot.people import ensure_person
from tests.fakes.block_limits import view_errors
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def home_text(view) -> str:
    return "\n".join(str(b) for b in view["blocks"])


def test_home_shows_settings_status_buttons_and_what_the_app_does(session_factory, settings):
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, "U0HOME001").tz = "Europe/London"
        view = build_home(session, settings, TEAM_ID, "U0HOME001", NOW)

    assert view["type"] == "home" and view_errors(view) == []
    shown = home_text(view)
    assert "Tuesdays at 09:30, weekly" in shown
    assert "18:00–08:00 and weekends" in shown
    assert "Europe/London (from Slack)" in shown
    assert "Privacy" in shown
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["settings.open", "home.pause_2w"]


def test_paused_and_stopped_people_get_the_button_that_undoes_it(session_factory, settings):
    with transaction(session_factory) as session:
        paused = ensure_person(session, TEAM_ID, "U0PAUSED1")
        paused.paused_until, paused.pause_reason = NOW + timedelta(days=3), "leave"
        ensure_person(session, TEAM_ID, "U0STOPPED").opted_out_at = NOW - timedelta(days=1)
        paused_view = build_home(session, settings, TEAM_ID, "U0PAUSED1", NOW)
        stopped_view = build_home(session, settings, TEAM_ID, "U0STOPPED", NOW)

    def buttons(view):
        return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]

    assert buttons(paused_view) == ["settings.open", "settings.resume"]
    assert "Paused (on leave)" in home_text(paused_view)
    assert buttons(stopped_view) == ["settings.start", "settings.open"]
    assert "Stopped since" in home_text(stopped_view)


def test_other_features_add_sections_in_order(session_factory, settings):
    extra = [*SECTIONS, ("Your pairs", lambda context: [section(f"Pairs of {context.person.user_id}")])]

    with transaction(session_factory) as session:
        view = build_home(session, settings, TEAM_ID, "U0HOME002", NOW, sections=extra)

    shown = home_text(view)
    assert shown.index("Your settings") < shown.index("Pairs of U0HOME002") < shown.index("Privacy")


def test_a_failing_section_is_replaced_by_a_note_and_the_rest_still_shows(session_factory, settings):
    def broken_query(context):
        context.session.execute(text("SELECT * FROM no_such_table"))
        return []

    sections = [("Broken", broken_query), *SECTIONS]
    with transaction(session_factory) as session:
        view = build_home(session, settings, TEAM_ID, "U0HOME003", NOW, sections=sections)
        # The failed query did not spoil the transaction.
        assert ensure_person(session, TEAM_ID, "U0HOME003").id

    shown = home_text(view)
    assert "Broken can't be shown right now" in shown
    assert "Tuesdays at 09:30" in shown


def test_sections_that_would_pass_slacks_100_block_limit_are_left_out_whole(session_factory, settings):
    def chatty(context):
        return [section(f"line {i}") for i in range(40)]

    sections = [*SECTIONS, ("One", chatty), ("Two", chatty), ("Three", chatty)]
    with transaction(session_factory) as session:
        view = build_home(session, settings, TEAM_ID, "U0HOME004", NOW, sections=sections)

    assert len(view["blocks"]) <= 100 and view_errors(view) == []
    assert "didn't fit" in home_text(view)
    assert "Privacy" in home_text(view)


def test_a_section_with_nothing_to_show_leaves_no_empty_divider(session_factory, settings):
    sections = [
        *SECTIONS,
        ("Nothing here", lambda context: []),
        ("Last", lambda context: [section("last one")]),
    ]

    with transaction(session_factory) as session:
        view = build_home(session, settings, TEAM_ID, "U0HOME005", NOW, sections=sections)

    kinds = [b["type"] for b in view["blocks"]]
    assert not any(a == b == "divider" for a, b in pairwise(kinds))
    assert "last one" in home_text(view)


def test_mentees_see_the_feedback_section_and_others_do_not(session_factory, settings):
    with transaction(session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, "U0HOMEMTR")
        mentee = ensure_person(session, TEAM_ID, "U0HOMEMTE")
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=mentee.id))
    with transaction(session_factory) as session:
        mentee_view = build_home(session, settings, TEAM_ID, "U0HOMEMTE", NOW)
        mentor_view = build_home(session, settings, TEAM_ID, "U0HOMEMTR", NOW)

    assert "Ask for a feedback chat" in home_text(mentee_view) and view_errors(mentee_view) == []
    assert "Ask for a feedback chat" not in home_text(mentor_view)
