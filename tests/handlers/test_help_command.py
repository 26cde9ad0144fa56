"""`/mentor`, `/mentor help` and unknown subcommands, end to end through signed requests."""

from __future__ import annotations

from sqlalchemy import event

from bot.db import transaction
from bot.people import ensure_person
from handlers.admin_view import AdminView
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID


def test_bare_command_answers_with_help_visible_only_to_the_asker(slack):
    reply = slack.command("", user_id=MENTEE)

    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    text = str(body["blocks"])
    assert "/mentor help" in text


def test_help_lists_every_subcommand_with_one_line_each(slack, app):
    reply = slack.command("help", user_id=ADMIN)

    body = reply.json()
    lines = [
        line for b in body["blocks"] if b["type"] == "section" for line in b["text"]["text"].splitlines()
    ]
    commands = [line for line in lines if line.startswith("`/mentor")]
    assert commands, lines
    assert all(" — " in line for line in commands)


def test_unknown_subcommand_suggests_the_closest_one_and_shows_help(slack):
    reply = slack.command("hepl", user_id=MENTEE)

    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "Unknown command `hepl` — did you mean `/mentor help`?" in body["text"]
    assert any("/mentor help" in str(b) for b in body["blocks"][1:])


def test_unknown_subcommand_without_a_close_match_still_gets_help(slack):
    body = slack.command("zzzzzz", user_id=MENTEE).json()

    assert body["text"].startswith("Unknown command `zzzzzz`.")
    assert len(body["blocks"]) >= 2


def test_help_makes_no_web_api_calls(slack, fake_slack):
    fake_slack.reset_calls()
    slack.command("help", user_id=MENTEE)

    assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == []


def test_privacy_explains_what_is_kept_and_what_never_is(slack, fake_slack):
    body = slack.command("privacy", user_id=MENTEE).json()

    assert body["response_type"] == "ephemeral"
    text = str(body["blocks"])
    assert "no link to you at all" in text
    assert "Patient information" in text
    assert fake_slack.calls_to("chat.postMessage") == []


def test_help_lists_privacy_for_everyone(slack):
    body = slack.command("help", user_id=MENTEE).json()

    assert "`/mentor privacy` — what Mentor Nudge keeps about you" in str(body["blocks"])
    assert "/mentor import" not in str(body["blocks"])  # admin commands are for admins


# --- who help shows as an admin: a short-lived copy, display only ----------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _grant(session_factory, user_id: str, granted: bool) -> None:
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, user_id).is_admin = granted


def test_help_reads_granted_admins_from_a_copy_refreshed_every_half_minute(deps, engine, session_factory):
    ticks = Ticks()
    view = AdminView(refresh_seconds=30, clock=ticks)
    _grant(session_factory, MENTOR, True)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    assert view.shown_as_admin(deps, TEAM_ID, MENTOR) and not view.shown_as_admin(deps, TEAM_ID, MENTEE)
    assert view.shown_as_admin(deps, TEAM_ID, ADMIN)  # ADMIN_USER_IDS, no query needed
    assert statements  # the first look loaded the copy
    _grant(session_factory, MENTEE, True)
    statements.clear()
    ticks.now = 29.0
    assert not view.shown_as_admin(deps, TEAM_ID, MENTEE)  # the copy is still fresh
    assert statements == []  # and help asked the database nothing
    ticks.now = 31.0
    assert view.shown_as_admin(deps, TEAM_ID, MENTEE)
    assert any("SELECT" in statement for statement in statements)


def test_an_admin_removed_meanwhile_is_refused_admin_commands_whatever_help_showed(slack, session_factory):
    _grant(session_factory, MENTOR, True)
    assert "/mentor nudges" in str(slack.command("help", user_id=MENTOR).json()["blocks"])
    _grant(session_factory, MENTOR, False)

    # Help may show the admin lines for a few more seconds; the command itself checks.
    body = slack.command("nudges", user_id=MENTOR).json()
    assert "is for program admins" in body["text"]
