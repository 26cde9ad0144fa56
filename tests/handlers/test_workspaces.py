"""Several workspaces in one deployment (OAuth mode): each is served with its own token, an
uninstall stops only its own messages, and no one reaches another workspace's data."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import NOT_INSTALLED_MESSAGE
from bot.models import Delivery, DeliveryStatus, NudgeAnswer, Pair, Reflection, Workspace
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.slack_api import FakeSlack
from tests.oauth_helpers import (
    B_ADMIN,
    B_MENTEE,
    B_MENTOR,
    ORG,
    ORG_TEAM_1,
    ORG_TEAM_2,
    TEAM_A,
    TEAM_B,
    install,
    token_of,
    workspace_user,
)
from tests.reflection_support import configure

WARD = "C0WARD0A1"


def said(fake: FakeSlack, reply) -> str:
    """What the person was told: in the acknowledgement, or afterwards by response_url."""
    if reply.body:
        return reply.json().get("text", "")
    return fake.last("response_url").args["text"]


def pair_and_ask_for_nudges(a, b, fake):
    """Each workspace's admin pairs a mentor and mentee; each mentor asks for a nudge now."""
    assert "now mentoring" in said(fake, a.command(f"pair <@{MENTOR}> <@{MENTEE}>", user_id=ADMIN))
    assert "now mentoring" in said(fake, b.command(f"pair <@{B_MENTOR}> <@{B_MENTEE}>", user_id=B_ADMIN))
    assert "On its way" in said(fake, a.command("nudge", user_id=MENTOR))
    assert "On its way" in said(fake, b.command("nudge", user_id=B_MENTOR))


def outbox(session_factory, team_id):
    """A workspace's outbox rows due by now: a new pair's invitation to draft an agreement
    is due a day later, so it is left out (these tests are about whose token sends)."""
    with session_factory() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.team_id == team_id, Delivery.kind != "agreement_invite")
                .order_by(Delivery.id)
            )
        )


def button(blocks, action_id):
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button")


def assert_every_call_used_its_workspaces_token(fake: FakeSlack) -> None:
    """Each call about a person went out with the token of that person's workspace."""
    checked = 0
    for call in fake.calls:
        who = call.args.get("user") or call.args.get("user_id") or call.args.get("channel")
        if call.token is None or not isinstance(who, str) or who not in fake.users:
            continue
        grant = fake.grants[call.token]
        member = fake.users[who]
        assert grant.sees(member.team_id, member.enterprise_id), (call.method, who, call.token)
        checked += 1
    assert checked > 0


# --- each workspace with its own token -------------------------------------------------------


def test_commands_nudges_and_the_clock_use_each_workspaces_own_token(
    two_workspaces, fake_slack, oauth_deps, session_factory
):
    a, b = two_workspaces
    token_a, token_b = token_of(fake_slack, TEAM_A), token_of(fake_slack, TEAM_B)
    pair_and_ask_for_nudges(a, b, fake_slack)

    Clock(oauth_deps).tick()

    sent_a = [d for d in outbox(session_factory, TEAM_A) if d.status == DeliveryStatus.SENT]
    sent_b = [d for d in outbox(session_factory, TEAM_B) if d.status == DeliveryStatus.SENT]
    # Each workspace: its mentor's nudge and the two welcome messages of its new pair.
    assert sorted(d.kind for d in sent_a) == sorted(d.kind for d in sent_b) == ["message", "message", "nudge"]
    assert all(
        d.status == DeliveryStatus.SENT
        for d in outbox(session_factory, TEAM_A) + outbox(session_factory, TEAM_B)
    )
    # One chat.postMessage per delivered message, each with its own workspace's token.
    assert fake_slack.calls_by_token("chat.postMessage") == {token_a: len(sent_a), token_b: len(sent_b)}
    assert {c.token for c in fake_slack.dms_to(MENTOR)} == {token_a}
    assert {c.token for c in fake_slack.dms_to(B_MENTOR)} == {token_b}
    # Profiles read by the commands went the same way.
    assert {c.token for c in fake_slack.calls_to("users.info") if c.args["user"] == B_MENTOR} == {token_b}
    assert_every_call_used_its_workspaces_token(fake_slack)


def test_an_org_wide_install_sends_to_each_of_its_workspaces_with_the_org_token(
    browser, fake_slack, wsgi, listener_executor, oauth_deps, session_factory
):
    install(browser, team_id=None, enterprise_id=ORG, org_wide=True)
    org_token = token_of(fake_slack, ORG)
    schools = []
    for n, team in enumerate((ORG_TEAM_1, ORG_TEAM_2), start=1):
        for role in ("ADMN", "MNTR", "MNTE"):
            fake_slack.add_user(f"W0{role}{n}00", f"{role.lower()}{n}", team_id=team, enterprise_id=ORG)
        schools.append(
            workspace_user(wsgi, fake_slack, listener_executor, team, enterprise_id=ORG, org_wide=True)
        )
    # The org's IT names one program admin in each school.
    oauth_deps.settings = replace(oauth_deps.settings, admin_user_ids=("W0ADMN100", "W0ADMN200"))
    for n, school in enumerate(schools, start=1):
        assert "now mentoring" in said(
            fake_slack, school.command(f"pair <@W0MNTR{n}00> <@W0MNTE{n}00>", user_id=f"W0ADMN{n}00")
        )
        assert "On its way" in said(fake_slack, school.command("nudge", user_id=f"W0MNTR{n}00"))

    Clock(oauth_deps).tick()

    for n, team in enumerate((ORG_TEAM_1, ORG_TEAM_2), start=1):
        to_mentor = fake_slack.dms_to(f"W0MNTR{n}00")
        assert len(to_mentor) == 2  # the welcome and the nudge
        # The org's one token, told which workspace each call is about.
        assert {(c.token, c.args.get("team_id")) for c in to_mentor} == {(org_token, team)}
        assert {d.team_id for d in outbox(session_factory, team)} == {team}
    with session_factory() as session:
        assert {w.team_id: w.enterprise_id for w in session.scalars(select(Workspace))} == {
            ORG_TEAM_1: ORG,
            ORG_TEAM_2: ORG,
        }
    # A click in an org-wide install (its payload has `team: null`) is the clicker's workspace's.
    nudge = next(c for c in fake_slack.dms_to("W0MNTR100") if "nudge_done" in str(c.blocks))
    channel = "D" + "W0MNTR100"[1:]
    message = next(m for m in fake_slack.messages[channel] if "nudge_done" in str(m["blocks"]))
    schools[0].click(
        "nudge_done",
        user_id="W0MNTR100",
        value=button(nudge.blocks, "nudge_done")["value"],
        message=message,
        channel_id=channel,
    )
    with session_factory() as session:
        [answer] = session.scalars(select(NudgeAnswer))
    assert (answer.team_id, answer.answer) == (ORG_TEAM_1, "done")
    [update] = fake_slack.calls_to("chat.update")
    assert (update.token, update.args.get("team_id")) == (org_token, ORG_TEAM_1)


# --- uninstalling one workspace --------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0002"], "oauth": []}},
    ],
    ids=["uninstalled", "bot-token-revoked"],
)
def test_uninstalling_one_workspace_stops_only_its_messages(
    two_workspaces, fake_slack, oauth_deps, session_factory, event
):
    a, b = two_workspaces
    token_b = token_of(fake_slack, TEAM_B)
    pair_and_ask_for_nudges(a, b, fake_slack)
    queued_a = len(outbox(session_factory, TEAM_A))

    b.event(event)

    assert oauth_deps.installations.find(TEAM_B) is None
    assert oauth_deps.installations.find(TEAM_A) is not None
    stopped = outbox(session_factory, TEAM_B)
    assert stopped and {d.status for d in stopped} == {DeliveryStatus.CANCELLED}
    assert all("uninstalled" in d.error or "revoked" in d.error for d in stopped)
    fake_slack.reset_calls()
    Clock(oauth_deps).tick()
    assert fake_slack.calls_by_token("chat.postMessage") == {token_of(fake_slack, TEAM_A): queued_a}
    assert token_b not in {c.token for c in fake_slack.calls}
    # Anyone in B who tries the app is told to reinstall; A carries on.
    fake_slack.reset_calls()
    b.command("help", user_id=B_MENTOR)
    assert fake_slack.last("response_url").args["text"] == NOT_INSTALLED_MESSAGE
    assert "/mentor" in said(fake_slack, a.command("help", user_id=MENTOR))


def test_a_token_slack_refuses_at_send_time_holds_that_workspace_until_it_installs_again(
    two_workspaces, fake_slack, oauth_deps, session_factory, browser
):
    a, b = two_workspaces
    pair_and_ask_for_nudges(a, b, fake_slack)
    fake_slack.revoke_token(token_of(fake_slack, TEAM_B))  # and the event never arrived

    Clock(oauth_deps).tick()

    assert {d.status for d in outbox(session_factory, TEAM_A)} == {DeliveryStatus.SENT}
    assert {d.status for d in outbox(session_factory, TEAM_B)} == {DeliveryStatus.PENDING}
    with session_factory() as session:
        assert session.get(Workspace, TEAM_B).sending_paused_reason
    # Reinstalling lifts the hold and the waiting messages go out with the new token.
    install(browser, team_id=TEAM_B)
    Clock(oauth_deps).tick()
    assert {d.status for d in outbox(session_factory, TEAM_B)} == {DeliveryStatus.SENT}
    assert fake_slack.dms_to(B_MENTOR)[-1].token == token_of(fake_slack, TEAM_B)


# --- no way into another workspace's data ------------------------------------------------------


def a_nudge_in_workspace_a(a, b, fake, deps):
    """A's mentor receives a nudge: returns (the DM call, its DM channel, the message)."""
    pair_and_ask_for_nudges(a, b, fake)
    Clock(deps).tick()
    call = next(c for c in fake.dms_to(MENTOR) if c.blocks and "nudge_done" in str(c.blocks))
    channel = "D" + MENTOR[1:]
    message = next(m for m in fake.messages[channel] if m["ts"] and "nudge_done" in str(m["blocks"]))
    return call, channel, message


def test_a_button_carrying_another_workspaces_nudge_changes_nothing(
    two_workspaces, fake_slack, oauth_deps, session_factory
):
    a, b = two_workspaces
    call, channel, message = a_nudge_in_workspace_a(a, b, fake_slack, oauth_deps)
    done = button(call.blocks, "nudge_done")

    b.click("nudge_done", user_id=B_MENTOR, value=done["value"], message=message, channel_id=channel)

    with session_factory() as session:
        assert list(session.scalars(select(NudgeAnswer))) == []
    assert fake_slack.calls_to("chat.update") == []
    assert "can't find that nudge" in fake_slack.last("response_url").args["text"]


def test_a_note_modal_carrying_another_workspaces_nudge_stores_nothing(
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
    view = fake_slack.last("views.open").view  # A's own note box, with A's nudge in private_metadata

    b.submit(
        view,
        {"note": {"note": {"type": "plain_text_input", "value": "Not mine to write."}}},
        user_id=B_MENTOR,
    )

    with session_factory() as session:
        assert list(session.scalars(select(NudgeAnswer))) == []
    assert fake_slack.calls_to("chat.update") == []


def test_commands_naming_another_workspaces_people_neither_show_nor_change_their_pairs(
    two_workspaces, fake_slack, session_factory
):
    a, b = two_workspaces
    a.command(f"pair <@{MENTOR}> <@{MENTEE}>", user_id=ADMIN)

    shown = said(fake_slack, b.command(f"pairs <@{MENTOR}>", user_id=B_ADMIN))
    b.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id=B_ADMIN)
    listing = said(fake_slack, b.command("pairs", user_id=B_ADMIN))

    assert MENTEE not in shown and MENTEE not in listing
    with session_factory() as session:
        [pair] = session.scalars(select(Pair))
    assert (pair.team_id, pair.ended_at) == (TEAM_A, None)


def test_a_reflection_prompt_of_another_workspace_can_be_neither_opened_nor_answered(
    two_workspaces, fake_slack, oauth_deps, session_factory, clock
):
    from tests.handlers.reflections_support import PROMPT_TIME, share_values
    from tests.reflection_support import prompts

    a, b = two_workspaces
    fake_slack.add_channel(WARD, "ward-4-mentors")
    configure(oauth_deps, WARD, rule="first-mon", minute=600)
    clock.set(PROMPT_TIME)
    Clock(oauth_deps).tick()
    prompt = [p for p in prompts(oauth_deps) if p.ts][-1]
    message = next(m for m in fake_slack.messages[WARD] if m["ts"] == prompt.ts)
    a.click(
        "anon:reflection_share",
        user_id=MENTOR,
        value=str(prompt.id),
        message=message,
        channel_id=WARD,
        block_id="share",
    )
    share_view = fake_slack.last("views.open").view

    b.click(
        "anon:reflection_share",
        user_id=B_MENTOR,
        value=str(prompt.id),
        message=message,
        channel_id=WARD,
        block_id="share",
    )
    opened_for_b = fake_slack.last("views.open")
    b.submit(share_view, share_values("Someone else's thread."), user_id=B_MENTOR)

    # B's click opened only the "no such prompt" box, with B's token.
    assert opened_for_b.token == token_of(fake_slack, TEAM_B)
    assert opened_for_b.view.get("callback_id") != share_view["callback_id"]
    with session_factory() as session:
        assert list(session.scalars(select(Reflection))) == []
    assert [m for m in fake_slack.messages[WARD] if m["thread_ts"]] == []
