""" "Is Maria a colleague?" in OAuth mode: after "Yes, save" the form's handler talks to
Slack with the workspace's own token (the request's client), never the token-less
template — the note's card is refreshed, the reflection reaches its thread, the custom
nudge's form shows its done screen."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import ColleagueName, CustomNudge, NudgeAnswer
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTOR
from tests.fakes.slack_api import FakeSlack
from tests.handlers.reflections_support import PROMPT_TIME, share_values
from tests.handlers.test_library import _values
from tests.handlers.test_privacy_ask import note_values
from tests.handlers.test_workspaces import a_nudge_in_workspace_a, button
from tests.oauth_helpers import TEAM_A, token_of
from tests.reflection_support import configure, prompts, reflection_rows

WARD = "C0WARD0A1"


def calls_after(fake: FakeSlack, count: int) -> list:
    return fake.calls[count:]


def answer_yes(user, pushed, form_id, user_id):
    return user.submit({**pushed, "id": "VQUESTION1", "previous_view_id": form_id}, {}, user_id=user_id)


def colleague_names(session_factory):
    with session_factory() as session:
        return sorted(session.scalars(select(ColleagueName.name)))


def test_yes_save_on_a_note_refreshes_the_nudge_with_the_workspaces_token(
    two_workspaces, fake_slack, oauth_deps, session_factory
):
    a, b = two_workspaces
    call, channel, message = a_nudge_in_workspace_a(a, b, fake_slack, oauth_deps)
    a.click(
        "nudge_note",
        user_id=MENTOR,
        value=button(call.blocks, "nudge_note")["value"],
        message=message,
        channel_id=channel,
    )
    form = {**fake_slack.last("views.open").view, "id": "VNOTE0001"}
    text = "Talked with Maria about how to give feedback on rounds."
    pushed = a.submit(form, note_values(text), user_id=MENTOR).json()
    assert pushed["response_action"] == "push"
    before = len(fake_slack.calls)

    reply = answer_yes(a, pushed["view"], "VNOTE0001", MENTOR)

    assert reply.json() == {"response_action": "clear"}
    with session_factory() as session:
        assert [n.note for n in session.scalars(select(NudgeAnswer))] == [text]
    after = calls_after(fake_slack, before)
    assert [c.method for c in after] == ["chat.update"]
    assert after[0].token == token_of(fake_slack, TEAM_A)
    assert "Your note is saved" in after[0].text_of_blocks()
    assert colleague_names(session_factory) == ["maria"]


def test_yes_save_on_a_reflection_posts_it_in_the_thread_with_the_workspaces_token(
    two_workspaces, fake_slack, oauth_deps, session_factory, clock
):
    a, _ = two_workspaces
    fake_slack.add_channel(WARD, "ward-4-mentors")
    configure(oauth_deps, WARD, rule="first-mon", minute=600)
    clock.set(PROMPT_TIME)
    Clock(oauth_deps).tick()
    prompt = next(p for p in prompts(oauth_deps) if p.ts)
    message = next(m for m in fake_slack.messages[WARD] if m["ts"] == prompt.ts)
    clock.advance(hours=3)
    a.click(
        "anon:reflection_share",
        user_id=MENTOR,
        value=str(prompt.id),
        message=message,
        channel_id=WARD,
        block_id="share",
    )
    form = {**fake_slack.last("views.open").view, "id": "VSHARE001"}
    text = "Watching Priya ask for feedback first made me try it."
    pushed = a.submit(form, share_values(text, anonymous=True), user_id=MENTOR).json()
    assert pushed["response_action"] == "push"
    before = len(fake_slack.calls)

    reply = answer_yes(a, pushed["view"], "VSHARE001", MENTOR)

    assert reply.json() == {"response_action": "clear"}
    [row] = reflection_rows(oauth_deps)
    assert (row.user_id, row.text) == (None, text)
    [post] = [m for m in fake_slack.messages[WARD] if m["thread_ts"] == prompt.ts]
    assert text in str(post)
    assert {c.token for c in calls_after(fake_slack, before)} == {token_of(fake_slack, TEAM_A)}
    assert not fake_slack.dms_to(MENTOR)  # nothing had to be given back
    assert colleague_names(session_factory) == ["priya"]


def test_yes_save_on_a_custom_nudge_shows_the_done_screen_with_the_workspaces_token(
    two_workspaces, fake_slack, oauth_deps, session_factory
):
    a, _ = two_workspaces
    a.command("nudges add", user_id=ADMIN)
    form = {**fake_slack.last("views.open").args["view"], "id": "VFORM0001"}
    text = "Ask {mentee} what Bernadette's teaching on nights taught them."
    pushed = a.submit(form, _values(text=text), user_id=ADMIN).json()
    assert pushed["response_action"] == "push"
    before = len(fake_slack.calls)

    reply = answer_yes(a, pushed["view"], "VFORM0001", ADMIN)

    assert reply.status == 200 and reply.body in (b"", b"{}")
    with session_factory() as session:
        assert session.scalar(select(CustomNudge.text)) == text
    [update] = calls_after(fake_slack, before)
    assert (update.method, update.token) == ("views.update", token_of(fake_slack, TEAM_A))
    assert update.args["view_id"] == "VFORM0001"
    assert update.view["title"]["text"] == "Nudge added"
    assert colleague_names(session_factory) == ["bernadette"]
