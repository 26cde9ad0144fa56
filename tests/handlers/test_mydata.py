"""A person's own data end to end: `/mentor my-data` puts two files in their DM through the
fake Slack's three-step upload; `/mentor forget-me` and `/mentor forget @person` show what
would go, and only a signed click by the right person, in time, deletes it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.blocks.privacy import privacy_blocks
from bot.models import AuditLog, Person
from bot.mydata.blocks import CANCEL_ACTION, FORGET_ME_ACTION, FORGET_MEMBER_ACTION, confirmation_value
from bot.mydata.forget import AUDIT_ACTION
from bot.web import wsgi_app
from schedules.clock import Clock
from tests.bot.mydata.world import (
    ADAMS,
    KIM,
    NOW,
    OTHER_TEAM,
    PATEL,
    PATEL_EMAIL,
    PATEL_WORDS,
    build_world,
    dump_workspace,
)
from tests.conftest import ADMIN
from tests.fakes.block_limits import message_errors
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import SlackUser

PATEL_DM = "D" + PATEL[1:]


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def world(session_factory, settings, fake_slack):
    for user_id in (PATEL, ADAMS, KIM):
        fake_slack.add_user(user_id, user_id.lower(), tz="Europe/London")
    return build_world(session_factory, settings)


def button(blocks, action_id):
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id}")


def last_said(fake_slack):
    return fake_slack.last("response_url").args


def people(session_factory, user_id):
    with session_factory() as session:
        return list(
            session.scalars(select(Person).where(Person.team_id == TEAM_ID, Person.user_id == user_id))
        )


# --- /mentor my-data -----------------------------------------------------------------------------


def test_my_data_arrives_as_two_files_in_their_own_dm(slack, fake_slack, world):
    reply = slack.command("my-data", user_id=PATEL)

    assert "it will arrive in your DM" in reply.json()["text"]
    assert "Sent: your data is in your direct messages" in last_said(fake_slack)["text"]
    [covering] = fake_slack.dms_to(PATEL)
    assert "everything Mentor Nudge keeps about you" in covering.args["text"]
    assert "2 mentoring pairs" in covering.args["text"]
    summary, document = fake_slack.uploads.shared_in(PATEL_DM)
    assert summary.filename == "mentor-nudge-my-data-2026-12-01.md"
    assert document.filename == "mentor-nudge-my-data-2026-12-01.json"
    assert "# What Mentor Nudge keeps about you" in summary.text and PATEL_WORDS[0] in summary.text
    parsed = json.loads(document.text)
    assert parsed["user_id"] == PATEL and parsed["tables"]["person"][0]["email"] == PATEL_EMAIL
    assert "xoxb-secret" not in document.text
    assert len(fake_slack.uploads.shared()) == 2  # to nobody else


def test_without_files_write_they_are_told_what_to_ask_for(slack, fake_slack, world):
    fake_slack.fail("files.getUploadURLExternal", "missing_scope")

    slack.command("my-data", user_id=PATEL)

    said = last_said(fake_slack)["text"]
    assert "`files:write`" in said and "/mentor admins" in said
    assert fake_slack.uploads.shared() == []


def test_someone_the_app_never_met_gets_an_export_saying_so_and_no_record(
    slack, fake_slack, session_factory, world
):
    fake_slack.add_user("U0NEWRA01", "new.resident")

    slack.command("my-data", user_id="U0NEWRA01")

    assert "keeps nothing about you" in fake_slack.dms_to("U0NEWRA01")[0].args["text"]
    assert len(fake_slack.uploads.shared_in("D0NEWRA01")) == 2
    assert people(session_factory, "U0NEWRA01") == []  # asking created no record


# --- /mentor forget-me ------------------------------------------------------------------------------


def ask_forget_me(slack, user_id=PATEL):
    body = slack.command("forget-me", user_id=user_id).json()
    assert message_errors(body["text"], body["blocks"]) == []
    return body


def test_forget_me_shows_what_would_go_and_changes_nothing_yet(slack, session_factory, world):
    before = dump_workspace(session_factory)

    body = ask_forget_me(slack)

    text = json.dumps(body["blocks"])
    assert "Deleted now" in text and "can't be undone" in text and "Only counts stay" in text
    assert "2 mentoring pairs" in text and "1 nudge" in text
    assert "You're a program admin" in text  # Dr Patel was granted admin rights
    forget = button(body["blocks"], FORGET_ME_ACTION)
    assert forget["style"] == "danger" and forget["confirm"]["confirm"]["text"] == "Yes, forget"
    assert dump_workspace(session_factory) == before


def test_the_click_forgets_them_and_clears_their_home(slack, fake_slack, session_factory, world):
    value = button(ask_forget_me(slack)["blocks"], FORGET_ME_ACTION)["value"]

    slack.click(FORGET_ME_ACTION, user_id=PATEL, value=value)

    said = last_said(fake_slack)
    assert said["replace_original"] is True and said["text"].startswith("Done. Mentor Nudge no longer keeps")
    assert "/mentor start" in said["text"]
    assert people(session_factory, PATEL) == []
    assert PATEL not in dump_workspace(session_factory)
    home = fake_slack.last("views.publish").args
    assert home["user_id"] == PATEL and "keeps nothing about you now" in json.dumps(home["view"])


def test_a_click_by_someone_else_changes_nothing(slack, fake_slack, session_factory, world):
    value = button(ask_forget_me(slack)["blocks"], FORGET_ME_ACTION)["value"]
    before = dump_workspace(session_factory)

    slack.click(FORGET_ME_ACTION, user_id=KIM, value=value)  # a forged click with Dr Patel's button

    assert "meant for someone else" in last_said(fake_slack)["text"]
    assert dump_workspace(session_factory) == before and len(people(session_factory, KIM)) == 1


@pytest.mark.parametrize(
    "value", ["", "garbage", f"{PATEL}|{PATEL}|soon", f"{PATEL}|{PATEL}|99999999999999999999"]
)
def test_a_malformed_button_changes_nothing(slack, fake_slack, session_factory, world, value):
    before = dump_workspace(session_factory)

    slack.click(FORGET_ME_ACTION, user_id=PATEL, value=value)

    assert "meant for someone else" in last_said(fake_slack)["text"]
    assert dump_workspace(session_factory) == before


def test_an_old_confirmation_changes_nothing(slack, fake_slack, session_factory, world, clock):
    value = button(ask_forget_me(slack)["blocks"], FORGET_ME_ACTION)["value"]
    clock.advance(hours=1, minutes=1)
    before = dump_workspace(session_factory)

    slack.click(FORGET_ME_ACTION, user_id=PATEL, value=value)

    assert "more than 60 minutes old" in last_said(fake_slack)["text"]
    assert dump_workspace(session_factory) == before


def test_keep_everything_changes_nothing_and_removes_the_buttons(slack, fake_slack, session_factory, world):
    ask_forget_me(slack)
    before = dump_workspace(session_factory)

    slack.click(CANCEL_ACTION, user_id=PATEL, value="keep")

    said = last_said(fake_slack)
    assert said["replace_original"] is True and "Nothing was changed" in said["text"]
    assert dump_workspace(session_factory) == before


def test_after_forget_me_commands_create_no_record_and_my_data_is_empty(
    slack, fake_slack, session_factory, world
):
    value = button(ask_forget_me(slack)["blocks"], FORGET_ME_ACTION)["value"]
    slack.click(FORGET_ME_ACTION, user_id=PATEL, value=value)

    slack.command("help", user_id=PATEL)
    slack.command("my-data", user_id=PATEL)

    assert people(session_factory, PATEL) == []
    assert "keeps nothing about you" in fake_slack.dms_to(PATEL)[-1].args["text"]


# --- /mentor forget @person (admins) --------------------------------------------------------------


def test_only_admins_may_forget_someone_else(slack, session_factory, world):
    before = dump_workspace(session_factory)

    reply = slack.command(f"forget <@{PATEL}>", user_id=KIM).json()

    assert "is for program admins" in reply["text"]
    assert dump_workspace(session_factory) == before


def test_an_admin_forgets_someone_who_left_after_confirming(slack, fake_slack, session_factory, world):
    body = slack.command(f"forget <@{PATEL}|dr.patel>", user_id=ADAMS).json()
    assert message_errors(body["text"], body["blocks"]) == []
    assert f"What happens to <@{PATEL}>" in json.dumps(body["blocks"])
    value = button(body["blocks"], FORGET_MEMBER_ACTION)["value"]

    slack.click(FORGET_MEMBER_ACTION, user_id=ADAMS, value=value)

    assert f"no longer keeps anything about <@{PATEL}>" in last_said(fake_slack)["text"]
    assert people(session_factory, PATEL) == []
    with session_factory() as session:
        [audit] = session.scalars(select(AuditLog).where(AuditLog.action == AUDIT_ACTION)).all()
    assert (audit.actor_user_id, audit.target, audit.detail) == (ADAMS, None, None)


def test_an_admins_button_works_only_for_that_admin(slack, fake_slack, session_factory, world):
    body = slack.command(f"forget <@{PATEL}>", user_id=ADAMS).json()
    value = button(body["blocks"], FORGET_MEMBER_ACTION)["value"]
    before = dump_workspace(session_factory)

    slack.click(FORGET_MEMBER_ACTION, user_id=ADMIN, value=value)  # another admin, forged
    assert "meant for someone else" in last_said(fake_slack)["text"]
    forged = confirmation_value(PATEL, NOW, KIM)  # a non-admin crafts their own
    slack.click(FORGET_MEMBER_ACTION, user_id=KIM, value=forged)
    assert "Only program admins" in last_said(fake_slack)["text"]

    assert dump_workspace(session_factory) == before


def test_an_admin_who_stopped_being_one_cannot_use_their_old_button(
    slack, fake_slack, session_factory, world
):
    body = slack.command(f"forget <@{PATEL}>", user_id=ADAMS).json()
    value = button(body["blocks"], FORGET_MEMBER_ACTION)["value"]
    with session_factory() as session, session.begin():
        session.scalars(select(Person).where(Person.user_id == ADAMS)).one().is_admin = False
    before = dump_workspace(session_factory)

    slack.click(FORGET_MEMBER_ACTION, user_id=ADAMS, value=value)

    assert "Only program admins" in last_said(fake_slack)["text"]
    assert dump_workspace(session_factory) == before


def test_an_admin_in_another_workspace_reaches_nothing_here(
    app, engine, fake_slack, listener_executor, session_factory, world
):
    elsewhere = SlackUser(wsgi_app(app, engine), fake_slack, listener_executor, team_id=OTHER_TEAM)
    before = dump_workspace(session_factory)

    # ADMIN is an admin everywhere (the configuration); Dr Patel's data there is only a row.
    elsewhere.command(f"forget <@{PATEL}>", user_id=ADMIN)
    elsewhere.click(FORGET_MEMBER_ACTION, user_id=ADMIN, value=confirmation_value(PATEL, NOW, ADMIN))

    assert dump_workspace(session_factory) == before
    with session_factory() as session:
        there = session.scalars(
            select(Person).where(Person.team_id == OTHER_TEAM, Person.user_id == PATEL)
        ).all()
    assert there == []  # forgotten there — and only there


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("forget", "Who should I forget?"),
        ("forget someone", "Who should I forget?"),
        ("forget <@U0NOBODY1>", "keeps nothing about <@U0NOBODY1>"),
    ],
)
def test_forget_without_someone_to_forget_changes_nothing(slack, session_factory, world, text, says):
    before = dump_workspace(session_factory)

    assert says in slack.command(text, user_id=ADAMS).json()["text"]

    assert dump_workspace(session_factory) == before


def test_an_admin_naming_themselves_gets_the_forget_me_confirmation(slack, world):
    body = slack.command(f"forget <@{ADAMS}>", user_id=ADAMS).json()

    assert button(body["blocks"], FORGET_ME_ACTION)["value"].startswith(f"{ADAMS}|{ADAMS}|")


def test_help_lists_the_commands_for_whom_they_are(slack, world):
    everyone = slack.command("help", user_id=KIM).json()["text"]
    admins = slack.command("help", user_id=ADAMS).json()["text"]

    assert "/mentor my-data" in everyone and "/mentor forget-me" in everyone
    assert "/mentor forget," not in everyone and "/mentor forget," in admins


def test_the_clock_sends_nothing_to_them_afterwards(slack, deps, fake_slack, session_factory, world, clock):
    value = button(ask_forget_me(slack)["blocks"], FORGET_ME_ACTION)["value"]
    slack.click(FORGET_ME_ACTION, user_id=PATEL, value=value)
    fake_slack.reset_calls()

    for _ in range(3):
        Clock(deps).tick()
        clock.advance(days=1)

    assert fake_slack.dms_to(PATEL) == []
    assert all("former-" not in json.dumps(call.args) for call in fake_slack.calls_to("chat.postMessage"))
    assert timedelta(days=3) == clock.now - NOW


def test_privacy_tells_everyone_about_retention_their_copy_and_forgetting(slack):
    words = str(slack.command("privacy", user_id=KIM).json()["blocks"])

    assert "emptied 180 days after it was written" in words
    assert "`/mentor my-data`" in words and "`/mentor forget-me`" in words and "can't be undone" in words


def test_privacy_says_the_configured_retention():
    assert "emptied 45 days after" in str(privacy_blocks(retention_days=45))


def test_someone_with_nothing_kept_is_told_so_and_can_still_ask_to_be_left_alone(
    slack, fake_slack, session_factory, world
):
    body = ask_forget_me(slack, user_id="U0NEWRA01")
    assert "*Kept about you now:* nothing." in json.dumps(body["blocks"])

    slack.click(
        FORGET_ME_ACTION, user_id="U0NEWRA01", value=button(body["blocks"], FORGET_ME_ACTION)["value"]
    )

    assert last_said(fake_slack)["text"].startswith("Done.")
    with session_factory() as session, session.begin():
        from bot.people import ensure_person

        assert (
            ensure_person(session, TEAM_ID, "U0NEWRA01").opted_out_at is not None
        )  # an admin adds them later
