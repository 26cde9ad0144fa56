"""Reflection channels end to end: the prompt, sharing, and when Slack refuses the prompt."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.models import AuditLog, Delivery, DeliveryStatus, Person, PromptStatus
from bot.reflections.types import PROMPT_KIND
from tests.conftest import ADMIN, MENTOR
from tests.fakes.db_faults import failing_statements
from tests.handlers.reflections_support import (
    PROMPT_TIME,
    WARD,
    WARD_MENTION,
    open_share,
    post_prompt,
    share_values,
    thread_posts,
    tick,
)
from tests.handlers.reflections_support import clock as clock  # a pytest fixture
from tests.reflection_support import deliveries, prompts, reflection_rows

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
