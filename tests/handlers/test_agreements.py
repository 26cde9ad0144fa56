"""Mentoring agreements end to end: `/mentor agreement` → the mentee's draft → the mentor's
*Suggest changes* → the mentee's *Accept* → both see the agreed version → the halfway
review, marked per goal → report counts without text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.agreements.blocks import CONFIRM, DRAFT_VIEW, MARK, SUGGEST
from bot.agreements.service import agreement_counts, agreement_summary
from bot.agreements.types import AGREED_KIND, PROPOSAL_KIND, REVIEW_KIND
from bot.models import Agreement, AgreementVersion, GoalReview
from bot.people import find_person
from schedules.clock import Clock
from tests.bot.feedback.helpers import action_ids, button, pair_up
from tests.conftest import MENTEE, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

# Tuesday 2 March 2027, 14:00 UTC: inside both people's hours (London, New York).
NOW = datetime(2027, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def pair_id(session_factory):
    return pair_up(session_factory, MENTOR, MENTEE)


def text_values(**fields: str) -> dict:
    return {block: {block: {"type": "plain_text_input", "value": value}} for block, value in fields.items()}


def last_dm(deps, fake_slack, user_id: str):
    Clock(deps).tick()
    return fake_slack.dms_to(user_id)[-1], fake_slack.messages["D" + user_id[1:]][-1]


def versions(session_factory):
    with session_factory() as session:
        return session.scalars(select(AgreementVersion).order_by(AgreementVersion.number)).all()


def test_draft_change_accept_and_review(slack, deps, fake_slack, clock, session_factory, pair_id):
    # The mentee drafts.
    reply = slack.command("agreement", user_id=MENTEE)
    assert reply.status == 200
    view = fake_slack.last("views.open").view
    assert view["callback_id"] == DRAFT_VIEW and view_errors(view) == []
    slack.submit(
        view,
        {
            **text_values(goal_1="Lead a family meeting with support", goal_2="Present at journal club"),
            "meet_every": {
                "meet_every": {"type": "static_select", "selected_option": {"value": "fortnightly"}}
            },
            **text_values(reach="Slack DM", feedback="Briefly, straight after a case"),
        },
        user_id=MENTEE,
    )
    [v1] = versions(session_factory)
    assert v1.author_role == "mentee" and v1.goals == [
        "Lead a family meeting with support",
        "Present at journal club",
    ]

    # The mentor gets it with Confirm / Suggest changes, and suggests a change.
    call, message = last_dm(deps, fake_slack, MENTOR)
    assert action_ids(call.blocks) == [CONFIRM, SUGGEST]
    assert "Lead a family meeting with support" in call.text_of_blocks()
    slack.click(
        SUGGEST,
        user_id=MENTOR,
        value=button(call.blocks, SUGGEST)["value"],
        message=message,
        channel_id="D" + MENTOR[1:],
    )
    edit = fake_slack.last("views.open").view
    assert edit["callback_id"] == DRAFT_VIEW and view_errors(edit) == []
    slack.submit(
        edit,
        text_values(
            goal_1="Lead a family meeting, with me in the room",
            goal_2="Present at journal club",
            note="Step by step",
        ),
        user_id=MENTOR,
    )
    assert [v.author_role for v in versions(session_factory)] == ["mentee", "mentor"]  # history is kept

    # A click on the old version now changes nothing.
    stale = slack.click(CONFIRM, user_id=MENTOR, value=f"{v1.agreement_id}:1")
    assert stale.status == 200

    # The mentee sees the suggestion (Accept / Edit) and accepts it.
    call, message = last_dm(deps, fake_slack, MENTEE)
    assert "Their note: “Step by step”" in call.text_of_blocks()
    assert [e["text"]["text"] for b in call.blocks for e in b.get("elements", []) if "action_id" in e] == [
        "Accept",
        "Edit",
    ]
    slack.click(
        CONFIRM,
        user_id=MENTEE,
        value=button(call.blocks, CONFIRM)["value"],
        message=message,
        channel_id="D" + MENTEE[1:],
    )
    replaced = [c for c in fake_slack.calls_to("response_url") if c.args.get("replace_original")][-1]
    assert "is agreed" in str(replaced.args["blocks"])
    with session_factory() as session:
        agreement = session.scalars(select(Agreement)).one()
        assert (agreement.status, agreement.agreed_version) == ("agreed", 2)
        assert agreement.next_review_at == NOW + (NOW.replace(month=9) - NOW) / 2

    # The mentor (who proposed the agreed version) gets it too.
    call, _ = last_dm(deps, fake_slack, MENTOR)
    assert (
        call.args["text"].startswith("Your mentoring agreement with")
        and "with me in the room" in call.text_of_blocks()
    )

    # Halfway: both get the review; a goal is marked Met, then changed by a second click.
    clock.set(agreement.next_review_at + timedelta(hours=1))
    Clock(deps).tick()
    with session_factory() as session:
        reviews = session.scalars(select(Agreement.reviews_sent)).one()
    assert reviews == 1
    review = fake_slack.dms_to(MENTEE)[-1]
    assert review.args["text"].startswith("Halfway")
    assert len(fake_slack.dms_to(MENTOR)) == 4  # proposal, "Sent" after their edit, agreed, review
    mark = button(review.blocks, MARK)["value"]  # goal 0, Met
    slack.click(MARK, user_id=MENTEE, value=mark)
    slack.click(MARK, user_id=MENTOR, value=mark.replace(":0:met", ":1:working"))
    with session_factory() as session:
        marks = session.scalars(select(GoalReview).order_by(GoalReview.goal_index)).all()
        assert [(m.goal_index, m.state) for m in marks] == [(0, "met"), (1, "working")]
        mentee = find_person(session, TEAM_ID, MENTEE)
        [summary] = agreement_summary(session, deps.settings, TEAM_ID, mentee.id)
        assert [(g.text, g.state) for g in summary.goals] == [
            ("Lead a family meeting, with me in the room", "met"),
            ("Present at journal club", "working"),
        ]
        counts = agreement_counts(session, TEAM_ID, NOW - timedelta(days=1), clock.now + timedelta(days=1))
    assert (counts.made, counts.goals_met, counts.goals_working) == (1, 1, 1)
    assert "journal" not in repr(counts)  # figures only, never goal text


def test_a_goal_with_a_patient_identifier_is_refused_beside_the_field(
    slack, fake_slack, session_factory, pair_id
):
    slack.command("agreement", user_id=MENTEE)
    view = fake_slack.last("views.open").view

    reply = slack.submit(
        view, text_values(goal_1="Follow up Mr Jones in bed 4, MRN 12345678"), user_id=MENTEE
    )

    body = reply.json()
    assert body["response_action"] == "errors" and "goal_1" in body["errors"]
    assert versions(session_factory) == []


def test_only_the_other_person_can_confirm(slack, deps, fake_slack, session_factory, pair_id):
    slack.command("agreement", user_id=MENTEE)
    slack.submit(
        fake_slack.last("views.open").view, text_values(goal_1="Present at journal club"), user_id=MENTEE
    )
    [v1] = versions(session_factory)

    slack.click(CONFIRM, user_id=MENTEE, value=f"{v1.agreement_id}:1")  # their own proposal
    slack.click(CONFIRM, user_id="U0ADMIN01", value=f"{v1.agreement_id}:1")  # not in the pair

    with session_factory() as session:
        assert session.scalars(select(Agreement.status)).one() == "proposed"
    said = [c.args.get("text") for c in fake_slack.calls_to("response_url")]
    assert any("your own proposal" in (t or "") for t in said) and any(
        "someone else" in (t or "") for t in said
    )


def test_a_mentor_without_an_agreement_invites_the_mentee_and_a_new_pair_is_invited(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    assert slack.command("agreement", user_id=MENTOR).status == 200
    assert "I've asked <@" in fake_slack.calls_to("response_url")[-1].args["text"]
    call, _ = last_dm(deps, fake_slack, MENTEE)
    assert call.args["text"].startswith("You and <@") and "agreement.draft" in action_ids(call.blocks)
    for kind in (PROPOSAL_KIND, AGREED_KIND, REVIEW_KIND):
        assert kind.startswith("agreement_")
