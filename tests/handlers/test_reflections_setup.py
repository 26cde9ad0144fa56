"""Reflection channels end to end: setting a channel up."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import AuditLog, PromptStatus, ReflectionChannel
from tests.conftest import ADMIN, MENTOR
from tests.handlers.reflections_support import WARD, WARD_MENTION, channel_count, post_prompt, state
from tests.handlers.reflections_support import clock as clock  # a pytest fixture
from tests.reflection_support import configure, prompts

# --- set-up --------------------------------------------------------------------------------


def setup_values(
    *, day="last-fri", time="15:30", tz="australia/sydney", themes=("listen",), options=("reminder",)
):
    values = state(
        day=("day", "static_select", {"selected_option": {"value": day}}),
        time=("time", "timepicker", {"selected_time": time}),
        tz=("tz", "plain_text_input", {"value": tz}),
        options=("options", "checkboxes", {"selected_options": [{"value": o} for o in options]}),
    )
    for n in range(1, 7):
        chosen = themes[n - 1] if n <= len(themes) else None
        values[f"theme_{n}"] = {
            "theme": {"type": "static_select", "selected_option": {"value": chosen} if chosen else None}
        }
    return values


def test_set_up_opens_a_modal_and_saving_it_turns_prompts_on(slack, fake_slack, deps):
    fake_slack.add_channel(WARD, "ward-4-mentors")

    reply = slack.command(f"reflections {WARD_MENTION}", user_id=ADMIN)

    assert reply.status == 200
    view = fake_slack.last("views.open").view
    assert view["callback_id"] == "reflection_setup"
    assert view["private_metadata"] == WARD
    assert view["submit"]["text"] == "Turn on"
    # Defaults: first Tuesday at 10:00 in the program's zone, all six themes, anonymous on.
    day_block = next(b for b in view["blocks"] if b.get("block_id") == "day")
    assert day_block["element"]["initial_option"]["value"] == "first-tue"
    assert next(b for b in view["blocks"] if b.get("block_id") == "tz")["element"]["initial_value"] == "UTC"
    assert fake_slack.calls_to("response_url") == []  # the app is in the channel: no warning
    assert channel_count(deps) == 0  # not until saved

    done = slack.submit(view, setup_values(), user_id=ADMIN).json()

    assert done["response_action"] == "update"
    text = str(done["view"]["blocks"])
    assert f"Reflections are on for <#{WARD}>" in text
    # Monday 4 Jan 09:00 UTC is already evening in Sydney; the last Friday is 29 January.
    assert "Fri 29 Jan 2027, 15:30 AEDT" in text and "Time to listen" in text
    with deps.session_factory() as session:
        channel = session.scalars(select(ReflectionChannel)).one()
        assert (channel.timezone, channel.day_rule, channel.minute_of_day) == (
            "Australia/Sydney",
            "last-fri",
            930,
        )
        assert channel.themes == ["listen"]
        assert (channel.allow_anonymous, channel.reminder_enabled, channel.admin_user_id) == (
            False,
            True,
            ADMIN,
        )
        assert session.scalars(select(AuditLog.action)).all() == ["reflections.on"]


def test_the_list_shows_each_channel_with_its_next_prompt_in_its_own_zone(slack, fake_slack, deps):
    configure(deps, WARD, rule="day-31", minute=600, tz="America/Los_Angeles")
    configure(deps, "C0SURG001", rule="first-mon", minute=480, tz="Europe/London")

    body = slack.command("reflections", user_id=ADMIN).json()

    text = str(body["blocks"])
    assert body["response_type"] == "ephemeral"
    assert f"<#{WARD}>* — the 31st (or the month's last day) at 10:00 (America/Los_Angeles)" in text
    assert "Next prompt: Sun 31 Jan 2027, 10:00 PST, theme: Caring about the learner" in text
    assert "Next prompt: Mon 1 Feb 2027, 08:00 GMT" in text  # 4 Jan 08:00 has just passed in London


def test_a_bad_time_zone_is_refused_on_its_field_and_nothing_is_saved(slack, fake_slack, deps):
    fake_slack.add_channel(WARD, "ward-4-mentors")
    slack.command(f"reflections {WARD_MENTION}", user_id=ADMIN)
    view = fake_slack.last("views.open").view

    body = slack.submit(view, setup_values(tz="Mars/Olympus_Mons", themes=()), user_id=ADMIN).json()

    assert body["response_action"] == "errors"
    assert "Mars/Olympus_Mons" in body["errors"]["tz"] and "America/New_York" in body["errors"]["tz"]
    assert body["errors"]["theme_1"] == "Choose at least one theme."
    assert channel_count(deps) == 0


def test_set_up_acknowledges_first_and_explains_a_form_that_did_not_open(slack, fake_slack, deps):
    fake_slack.add_channel(WARD, "ward-4-mentors", is_member=False)
    fake_slack.fail("views.open", "expired_trigger_id")

    reply = slack.command(f"reflections {WARD_MENTION}", user_id=ADMIN)

    assert reply.status == 200 and reply.body == b""
    [answer] = fake_slack.calls_to("response_url")  # no channel warning for a form that never opened
    assert "couldn't open the set-up form (Slack said `expired_trigger_id`)" in answer.args["text"]
    assert channel_count(deps) == 0


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        ({"is_member": False}, "type `/invite @Mentor Nudge` in"),
        ({"is_archived": True}, "is archived"),
        (None, "it's private and I haven't been added"),
    ],
)
def test_set_up_warns_at_once_when_the_app_cannot_post_in_the_channel(slack, fake_slack, flags, fragment):
    if flags is not None:
        fake_slack.add_channel(WARD, "ward-4-mentors", **flags)

    slack.command(f"reflections {WARD_MENTION}", user_id=ADMIN)

    assert fake_slack.last("views.open")  # the modal still opens
    [warning] = fake_slack.calls_to("response_url")
    assert warning.args["text"].startswith("Heads-up before the first prompt:")
    assert fragment in warning.args["text"]


def test_changing_settings_reopens_the_modal_filled_in(slack, fake_slack, deps):
    fake_slack.add_channel(WARD, "ward-4-mentors")
    configure(deps, WARD, rule="last-fri", minute=15 * 60, tz="Europe/London", themes=("care", "listen"))

    slack.command(f"reflections {WARD_MENTION}", user_id=ADMIN)

    view = fake_slack.last("views.open").view
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert view["submit"]["text"] == "Save"
    assert by_id["day"]["element"]["initial_option"]["value"] == "last-fri"
    assert by_id["time"]["element"]["initial_time"] == "15:00"
    assert by_id["theme_2"]["element"]["initial_option"]["value"] == "listen"
    assert "initial_option" not in by_id["theme_3"]["element"]


def test_off_stops_prompts_and_keeps_history(slack, fake_slack, deps, clock):
    post_prompt(deps, fake_slack, clock)

    body = slack.command(f"reflections off {WARD_MENTION}", user_id=ADMIN).json()

    assert body["text"].startswith(f"Stopped reflection prompts in <#{WARD}>")
    with deps.session_factory() as session:
        channel = session.scalars(select(ReflectionChannel)).one()
        assert (channel.enabled, channel.next_prompt_at) == (False, None)
    assert [p.status for p in prompts(deps)] == [PromptStatus.POSTED]  # history stays
    again = slack.command(f"reflections off {WARD_MENTION}", user_id=ADMIN).json()
    assert "aren't on" in again["text"]
    listing = str(slack.command("reflections", user_id=ADMIN).json()["blocks"])
    assert "off since 4 Jan 2027 (past reflections are kept)" in listing


def test_on_is_accepted_before_the_channel(slack, fake_slack):
    fake_slack.add_channel(WARD, "ward-4-mentors")

    slack.command(f"reflections on {WARD_MENTION}", user_id=ADMIN)

    assert fake_slack.last("views.open").view["private_metadata"] == WARD


def test_reflections_is_for_admins_only(slack, fake_slack, deps):
    body = slack.command(f"reflections {WARD_MENTION}", user_id=MENTOR).json()

    assert "is for program admins" in body["text"]
    assert fake_slack.calls_to("views.open") == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("reflections ward-4", "I didn't understand `ward-4`"),
        ("reflections #ward-4", "I couldn't find the channel `#ward-4`"),
        ("reflections <@U0MENTOR1|dr.okafor>", "That's a person, not a channel"),
        ("reflections <#C1AAAAAAA|a> <#C2BBBBBBB|b>", "One channel at a time"),
        ("reflections off", "Which channel? Type `/mentor reflections off #channel`"),
        ("reflections retry", "Which channel? Type `/mentor reflections retry #channel`"),
        (f"reflections retry {WARD_MENTION}", f"Reflection prompts aren't set up for <#{WARD}>"),
        (f"reflections off {WARD_MENTION}", "there was nothing to stop"),
    ],
)
def test_bad_channel_arguments_get_specific_messages_and_change_nothing(
    slack, fake_slack, deps, text, fragment
):
    body = slack.command(text, user_id=ADMIN).json()

    assert body["response_type"] == "ephemeral"
    assert fragment in body["text"]
    assert fake_slack.calls_to("views.open") == []
    assert channel_count(deps) == 0


def test_help_lists_reflections_for_admins_only(slack):
    assert "/mentor reflections" in str(slack.command("help", user_id=ADMIN).json()["blocks"])
    assert "/mentor reflections" not in str(slack.command("help", user_id=MENTOR).json()["blocks"])
