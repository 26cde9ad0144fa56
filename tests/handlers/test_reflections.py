"""`/mentor reflections`, sharing, retries and thread replies, end to end through signed requests."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import transaction
from bot.models import AuditLog, Delivery, DeliveryStatus, Person, PromptStatus, Reflection, ReflectionChannel
from bot.reflections.service import record_reflection
from bot.reflections.types import PROMPT_KIND
from handlers.input_limits import TEXT_LIMIT
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.db_faults import failing_statements
from tests.reflection_support import configure, deliveries, prompts, reflection_rows

WARD = "C0WARD001"
WARD_MENTION = f"<#{WARD}|ward-4-mentors>"
# Monday 4 January 2027, 10:00 in London: a "first Monday at 10:00" prompt is due.
PROMPT_TIME = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))


def channel_count(deps):
    with deps.session_factory() as session:
        return session.scalar(select(func.count(ReflectionChannel.id)))


def tick(deps):
    return Clock(deps).tick()


def post_prompt(deps, fake_slack, clock, *, anonymous=True, **channel_flags):
    """Set #ward up, let the clock post January's prompt, return (prompt row, Slack message)."""
    fake_slack.add_channel(WARD, "ward-4-mentors", **channel_flags)
    configure(deps, WARD, rule="first-mon", minute=600, anonymous=anonymous)
    clock.set(PROMPT_TIME)
    tick(deps)
    [prompt] = prompts(deps)
    message = fake_slack.messages[WARD][0] if fake_slack.messages[WARD] else None
    return prompt, message


def state(**blocks):
    """View state values: {block_id: (action type, state fields)} → Slack's nested shape."""
    values = {}
    for block_id, (action_id, kind, fields) in blocks.items():
        values[block_id] = {action_id: {"type": kind, **fields}}
    return values


def share_values(text, *, practices=("listen",), anonymous=False):
    values = state(
        reflection=("reflection", "plain_text_input", {"value": text}),
        practices=(
            "practices",
            "multi_static_select",
            {"selected_options": [{"value": p} for p in practices]},
        ),
    )
    values.update(
        state(
            anonymous=(
                "anonymous",
                "checkboxes",
                {"selected_options": [{"value": "yes"}] if anonymous else []},
            )
        )
    )
    return values


def open_share(slack, fake_slack, prompt, message, user=MENTOR):
    slack.click(
        "anon:reflection_share",
        user_id=user,
        value=str(prompt.id),
        message=message,
        channel_id=WARD,
        block_id="share",
    )
    return fake_slack.last("views.open").view


def thread_posts(fake_slack, prompt):
    return [m for m in fake_slack.messages[WARD] if m["thread_ts"] == prompt.ts]


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


# --- the prompt and sharing --------------------------------------------------------------------


def test_the_prompt_has_the_theme_a_question_and_a_share_button(deps, fake_slack, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)

    text = str(message["blocks"])
    assert "Reflection for January 2027" in text
    assert "This month: Caring about the learner" in text
    assert "Share a reflection" in text and "anonymously" in text
    assert (prompt.status, prompt.ts) == (PromptStatus.POSTED, message["ts"])


def test_share_button_to_threaded_post_recorded_under_the_persons_name(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.advance(days=1)

    view = open_share(slack, fake_slack, prompt, message)
    assert view["callback_id"] == "anon:reflection_submit"
    practices = next(b for b in view["blocks"] if b.get("block_id") == "practices")
    assert [o["value"] for o in practices["element"]["initial_options"]] == ["care"]  # the month's theme
    reply = slack.submit(
        view,
        share_values("I asked my resident what I could do better.", practices=("listen", "care")),
        user_id=MENTOR,
    )

    assert reply.status == 200 and reply.body == b""  # the modal closes
    [post] = thread_posts(fake_slack, prompt)
    assert post["text"] == f"<@{MENTOR}> shared: I asked my resident what I could do better."
    [row] = reflection_rows(deps)
    assert (row.user_id, row.source, row.prompt_id) == (MENTOR, "modal", prompt.id)
    assert row.practices == ["care", "listen"]
    assert str(row.shared_on) == "2027-01-05"


def test_anonymous_reflections_are_posted_and_stored_with_no_link_to_the_person(
    slack, fake_slack, deps, clock, caplog
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.advance(hours=3)
    with deps.session_factory() as session:
        before = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Person, AuditLog, Delivery)
        }
    caplog.set_level(logging.INFO)

    view = open_share(slack, fake_slack, prompt, message)
    slack.submit(
        view, share_values("Naming my own slip-up made it easier for them.", anonymous=True), user_id=MENTOR
    )

    [post] = thread_posts(fake_slack, prompt)
    assert post["text"].startswith("A colleague shared:")
    assert MENTOR not in str(post)  # not in text, blocks or metadata
    assert post["metadata"] is None
    [row] = reflection_rows(deps)
    assert row.user_id is None
    assert row.text == "Naming my own slip-up made it easier for them."
    # Only the day is kept, and nothing else was written that could sit beside it.
    assert not hasattr(row, "created_at")
    with deps.session_factory() as session:
        after = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Person, AuditLog, Delivery)
        }
    assert after == before
    assert not [r for r in caplog.records if MENTOR in r.getMessage()]


def test_without_anonymous_sharing_the_modal_says_names_are_shown(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock, anonymous=False)

    view = open_share(slack, fake_slack, prompt, message)

    assert "anonymous" not in [b.get("block_id") for b in view["blocks"]]
    assert "Your name is shown with your reflection" in str(view["blocks"])
    assert "anonymously" not in str(message["blocks"])


@pytest.mark.parametrize(
    "text",
    [
        "Mr Jones in bed 12 taught us a lot about listening.",
        "We discussed MRN 4455667 on the round.",
        "Call me on 020 7946 0958 to talk it through.",
    ],
)
def test_text_that_looks_like_patient_information_is_refused_with_an_explanation(
    slack, fake_slack, deps, clock, text
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)

    body = slack.submit(view, share_values(text), user_id=MENTOR).json()

    assert body["response_action"] == "errors"
    assert "patient information" in body["errors"]["reflection"]
    assert thread_posts(fake_slack, prompt) == []
    assert reflection_rows(deps) == []


def test_a_month_that_closes_while_the_modal_is_open_keeps_the_text_and_says_why(
    slack, fake_slack, deps, clock
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)
    clock.set(datetime(2027, 2, 1, 0, 0, tzinfo=UTC))

    body = slack.submit(view, share_values("Written just before midnight."), user_id=MENTOR).json()

    assert body["response_action"] == "errors"  # not "update": the modal and its text stay
    assert list(body["errors"]) == ["reflection"]
    assert "This month's reflection has closed" in body["errors"]["reflection"]
    assert "copy them" in body["errors"]["reflection"]
    assert thread_posts(fake_slack, prompt) == [] and reflection_rows(deps) == []


def test_a_reflection_the_database_cannot_record_is_not_posted_and_the_modal_keeps_it(
    slack, fake_slack, deps, clock, engine
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)

    with failing_statements(engine, r"^INSERT INTO reflection") as failed:
        body = slack.submit(view, share_values("Feedback works best the same day."), user_id=MENTOR).json()

    assert failed
    assert body["response_action"] == "errors" and "That didn't save" in body["errors"]["reflection"]
    assert thread_posts(fake_slack, prompt) == []  # nothing in the thread the month-end count would miss
    assert reflection_rows(deps) == []


def test_the_reflection_is_recorded_before_it_is_posted(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)
    seen_while_posting = []
    original = fake_slack.handle

    def look_then_answer(method, args, token):
        if method == "chat.postMessage" and args.get("thread_ts") == prompt.ts and not seen_while_posting:
            seen_while_posting.append(len(reflection_rows(deps)))
        return original(method, args, token)

    fake_slack.handle = look_then_answer
    slack.submit(view, share_values("Recorded, then posted."), user_id=MENTOR)

    assert seen_while_posting == [1]
    assert len(thread_posts(fake_slack, prompt)) == 1 and len(reflection_rows(deps)) == 1


def test_a_long_reflection_full_of_symbols_reaches_the_thread_whole(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)
    text = "<&> " * 500  # 2,000 characters; 7,000 once escaped, more than two sections hold

    slack.submit(view, share_values(text.strip()), user_id=MENTOR)

    [post] = thread_posts(fake_slack, prompt)
    shown = "\n".join(b["text"]["text"] for b in post["blocks"])
    assert len(post["blocks"]) > 1 and "…" not in shown
    assert shown.count("&lt;&amp;&gt;") == 500  # every one, none cut in half
    [row] = reflection_rows(deps)
    assert row.text == text.strip()


def test_sharing_closes_when_the_month_ends(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.set(datetime(2027, 2, 1, 0, 0, tzinfo=UTC))

    view = open_share(slack, fake_slack, prompt, message)

    assert "closed" in str(view["blocks"])
    assert view.get("callback_id") != "anon:reflection_submit"


def test_a_share_box_that_cannot_open_asks_for_another_click_only_the_clicker_sees(
    slack, fake_slack, deps, clock
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    fake_slack.fail("views.open", "expired_trigger_id")

    open_share(slack, fake_slack, prompt, message)

    answer = fake_slack.last("response_url").args
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "click *Share a reflection* again" in answer["text"]
    assert thread_posts(fake_slack, prompt) == []


def test_the_share_box_gets_one_try_when_slack_is_busy(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    fake_slack.rate_limit("views.open", retry_after=1)

    open_share(slack, fake_slack, prompt, message)

    assert len(fake_slack.calls_to("views.open")) == 1
    assert "click *Share a reflection* again" in fake_slack.last("response_url").args["text"]


def test_a_reflection_slack_refuses_is_sent_back_to_its_writer_and_not_recorded(
    slack, fake_slack, deps, clock
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    view = open_share(slack, fake_slack, prompt, message)
    fake_slack.channels[WARD].is_archived = True

    slack.submit(view, share_values("Protected time works.", anonymous=True), user_id=MENTOR)

    [dm] = fake_slack.dms_to(MENTOR)
    assert "the channel has been archived" in dm.args["text"]
    assert "Protected time works." in dm.args["text"]
    assert reflection_rows(deps) == []


# --- month-end summary ---------------------------------------------------------------------------


def test_the_month_end_summary_counts_reflections_and_practices_without_names(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    for user, practices, anonymous in (
        (MENTOR, ("listen", "care"), False),
        (MENTEE, ("listen",), True),
        (ADMIN, (), False),
    ):
        view = open_share(slack, fake_slack, prompt, message, user=user)
        slack.submit(
            view, share_values("A short thought.", practices=practices, anonymous=anonymous), user_id=user
        )

    clock.set(datetime(2027, 1, 31, 16, 0, tzinfo=UTC))  # 16:00 in London on the 31st
    tick(deps)

    summary = thread_posts(fake_slack, prompt)[-1]
    assert "3 reflections were shared here this month." in summary["text"]
    assert "Caring about the learner (1) · Time to listen (2)" in summary["text"]
    assert "Thank you" in summary["text"]
    assert not any(user in str(summary) for user in (MENTOR, MENTEE, ADMIN))
    tick(deps)
    assert len(thread_posts(fake_slack, prompt)) == 4  # three reflections and one summary


# --- when Slack refuses the prompt ---------------------------------------------------------------

PROBLEMS = [
    ("not_in_channel", {"is_member": False}, "type `/invite @Mentor Nudge` in", {"is_member": True}),
    (
        "channel_not_found",
        {"is_private": True, "is_member": False},
        "`/invite @Mentor Nudge`",
        {"is_member": True},
    ),
    ("is_archived", {"is_archived": True}, "Unarchive it", {"is_archived": False}),
]


def notices_to_admin(fake_slack):
    """The admin's DMs about prompts: early in January the monthly program report (bot.reports)
    reaches admins too, and is not what these tests are about."""
    return [c for c in fake_slack.dms_to(ADMIN) if "program report" not in (c.args.get("text") or "")]


@pytest.mark.parametrize(("code", "broken", "advice", "fixed"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_a_prompt_slack_refuses_waits_the_admin_is_told_and_try_again_posts_it_once(
    slack, fake_slack, deps, clock, code, broken, advice, fixed
):
    prompt, message = post_prompt(deps, fake_slack, clock, **broken)
    assert message is None
    [prompt] = prompts(deps)
    assert (prompt.status, prompt.problem) == (PromptStatus.WAITING, code)
    [held] = deliveries(deps, PROMPT_KIND)
    assert held.status == DeliveryStatus.PENDING and code in held.error

    clock.set(datetime(2027, 1, 4, 13, 0, tzinfo=UTC))  # 08:00 for the admin in New York
    tick(deps)
    tick(deps)

    [notice] = notices_to_admin(fake_slack)  # told once, though the hourly retry failed again
    assert advice in notice.args["text"] and f"<#{WARD}>" in notice.args["text"]
    assert "I've fixed it — try again" in notice.text_of_blocks()
    assert fake_slack.messages[WARD] == []

    for name, value in fixed.items():
        setattr(fake_slack.channels[WARD], name, value)
    dm = fake_slack.messages["D" + ADMIN[1:]][0]
    slack.click(
        "reflection_retry", user_id=ADMIN, value=str(prompt.id), message=dm, channel_id="D" + ADMIN[1:]
    )
    assert "within a minute" in fake_slack.last("response_url").args["text"]
    tick(deps)
    tick(deps)

    assert len(fake_slack.messages[WARD]) == 1
    [prompt] = prompts(deps)
    assert prompt.status == PromptStatus.POSTED
    assert any("now posted" in c.args["text"] for c in fake_slack.dms_to(ADMIN))


def test_retry_command_rearms_a_waiting_prompt_and_a_second_failure_is_told_again(
    slack, fake_slack, deps, clock
):
    post_prompt(deps, fake_slack, clock, is_member=False)
    clock.set(datetime(2027, 1, 4, 13, 0, tzinfo=UTC))
    tick(deps)

    first = slack.command(f"reflections retry {WARD_MENTION}", user_id=ADMIN).json()
    assert "within a minute" in first["text"]
    tick(deps)  # still not invited: a new notice, since the admin asked
    tick(deps)  # (queued by that failure, sent on the next tick)
    assert len(notices_to_admin(fake_slack)) == 2
    assert "/invite @Mentor Nudge" in notices_to_admin(fake_slack)[1].args["text"]

    fake_slack.channels[WARD].is_member = True
    slack.command(f"reflections retry {WARD_MENTION}", user_id=ADMIN)
    tick(deps)
    assert len(fake_slack.messages[WARD]) == 1
    again = slack.command(f"reflections retry {WARD_MENTION}", user_id=ADMIN).json()
    assert "already posted" in again["text"]


def test_the_waiting_prompt_is_retried_automatically_each_daytime_hour(slack, fake_slack, deps, clock):
    post_prompt(deps, fake_slack, clock, is_member=False)
    [held] = deliveries(deps, PROMPT_KIND)
    assert held.next_attempt_at == PROMPT_TIME + timedelta(hours=1)
    listing = str(slack.command("reflections", user_id=ADMIN).json()["blocks"])
    assert "This month's prompt is waiting" in listing and "/invite @Mentor Nudge" in listing

    fake_slack.channels[WARD].is_member = True  # someone invited the app, nobody pressed anything
    clock.set(held.next_attempt_at)
    tick(deps)

    assert len(fake_slack.messages[WARD]) == 1
    assert prompts(deps)[0].status == PromptStatus.POSTED


# --- thread replies (optional: channels:history + message.channels) -------------------------------


def reply_event(prompt, text, *, ts="1760009999.000100", user=MENTEE, **extra):
    return {
        "type": "message",
        "channel": WARD,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": prompt.ts,
        **extra,
    }


def test_a_reply_typed_into_the_thread_is_recorded_once(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    slack.event(reply_event(prompt, "Asking for feedback first changed the tone."))
    slack.event(reply_event(prompt, "Asking for feedback first changed the tone."))  # Slack retried

    [row] = reflection_rows(deps)
    assert (row.user_id, row.source, row.practices) == (MENTEE, "thread", ["care"])


def test_bot_posts_top_level_messages_and_other_threads_are_ignored(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    replies = [
        slack.event(reply_event(prompt, "from a bot", bot_id="B0OTHER01")),
        slack.event({**reply_event(prompt, "top level"), "thread_ts": None}),
        slack.event({**reply_event(prompt, "another thread"), "thread_ts": "1750000000.000100"}),
        slack.event({**reply_event(prompt, "joined"), "subtype": "channel_join"}),
    ]

    assert reflection_rows(deps) == []
    # Answered 200 all the same: Slack retries, then disables, events that get errors.
    assert [r.status for r in replies] == [200, 200, 200, 200]


def test_edited_and_deleted_thread_replies_follow_the_writer(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)
    slack.event(reply_event(prompt, "First thought."))

    edited = reply_event(prompt, "Mr Jones in bed 12 reminded me why.")
    slack.event({**reply_event(prompt, ""), "subtype": "message_changed", "message": edited})
    assert reflection_rows(deps) == []  # the screened-out edit is not kept
    [notice] = deliveries(deps, recipient=MENTEE)
    assert "didn't record it" in notice.payload["text"]

    slack.event(reply_event(prompt, "Second thought.", ts="1760009999.000200"))
    slack.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": WARD,
            "channel_type": "channel",
            "ts": "1760010000.000300",
            "deleted_ts": "1760009999.000200",
            "previous_message": {"ts": "1760009999.000200", "thread_ts": prompt.ts, "user": MENTEE},
        }
    )
    assert reflection_rows(deps) == []


def test_a_reflection_cannot_be_recorded_against_another_teams_prompt(deps, fake_slack, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    with pytest.raises(LookupError), transaction(deps.session_factory) as session:
        record_reflection(
            session,
            team_id="T0OTHER01",
            prompt_id=prompt.id,
            text="x",
            practices=[],
            user_id=None,
            now=clock.now,
        )
    with deps.session_factory() as session:
        assert session.scalar(select(func.count(Reflection.id))) == 0


def test_a_thread_reply_longer_than_a_form_allows_is_not_stored_and_the_writer_told(
    slack, fake_slack, deps, clock
):
    prompt, _message = post_prompt(deps, fake_slack, clock)
    slack.event(reply_event(prompt, "A short first thought."))

    # Slack lets a message run to 40,000 characters; a reflection has the forms' limit.
    long_text = "Listening first. " * 2400
    edited = reply_event(prompt, long_text)
    answer = slack.event({**reply_event(prompt, ""), "subtype": "message_changed", "message": edited})

    assert answer.status == 200
    assert reflection_rows(deps) == []  # the earlier short version is gone with it
    [notice] = deliveries(deps, recipient=MENTEE)
    told = notice.payload["text"]
    assert f"{len(long_text.strip()):,} characters" in told and f"{TEXT_LIMIT:,}" in told


@pytest.mark.parametrize(
    "broken",
    [
        {"text": 12345},
        {"text": ["a list"]},
        {"user": {"id": MENTEE}},
        {"ts": 1760009999.0001},
        {"thread_ts": ["x"]},
        {"subtype": "message_changed", "message": "not a dict"},
        {"subtype": "message_deleted", "previous_message": ["x"], "deleted_ts": 5},
        {"subtype": "message_deleted", "previous_message": {"thread_ts": 1}, "deleted_ts": "1.2"},
    ],
)
def test_thread_events_with_values_of_the_wrong_type_are_ignored_not_raised(
    slack, fake_slack, deps, clock, broken, caplog
):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    answer = slack.event({**reply_event(prompt, "Asked for feedback first."), **broken})

    assert answer.status == 200
    assert reflection_rows(deps) == []
    assert not [r for r in caplog.records if r.exc_info]
