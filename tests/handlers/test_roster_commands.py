"""The /mentor pair, unpair, pairs and admin commands, end to end through signed requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, Person
from bot.people import ensure_person
from bot.roster.service import start_pair
from tests.bot.roster.fixtures import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    ELI,
    GONE,
    HELPBOT,
    active_pairs,
    audit_actions,
    blocks_text,
    snapshot,
)
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.handlers.roster_support import (
    answer,
    at,
    run,
)
from tests.handlers.roster_support import (
    corpus_people as corpus_people,
)

# --- /mentor pair -------------------------------------------------------------------------------


def test_an_admin_pairs_two_people_by_mention(slack, fake_slack, deps):
    said = run(slack, fake_slack, f"pair {at(ANA, 'ana.ruiz')} {at(CHLOE, 'chloe')} IM  2027")

    assert said.startswith(f":white_check_mark: <@{ANA}> is now mentoring <@{CHLOE}> in _IM 2027_.")
    assert "welcome message" in said and f"`/mentor unpair` <@{ANA}> <@{CHLOE}>" in said
    assert active_pairs(deps.session_factory) == {(ANA, CHLOE, "IM 2027")}
    assert audit_actions(deps.session_factory) == [(ADMIN, "pair.start", f"{ANA}>{CHLOE}")]
    assert [c.args["user"] for c in fake_slack.calls_to("users.info")] == [ANA, CHLOE]
    with transaction(deps.session_factory) as session:
        keys = set(session.scalars(select(Delivery.dedupe_key)))
        ana = session.scalars(select(Person).where(Person.user_id == ANA)).one()
    # Two welcomes, and the mentee's invitation to draft a mentoring agreement (a day later).
    assert keys == {
        f"welcome:{TEAM_ID}:{ANA}",
        f"welcome:{TEAM_ID}:{CHLOE}",
        f"agreement-invite:{TEAM_ID}:1:start",
    }
    assert ana.next_nudge_at is not None


def test_pairing_again_says_so_and_changes_nothing(slack, fake_slack, deps):
    run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)}")
    before = snapshot(deps.session_factory)

    said = run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)}")

    assert "is already mentoring" in said and "nothing was changed" in said
    assert snapshot(deps.session_factory) == before


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        (f"pair {at(ANA)} {at(CHLOE)}", MENTOR, "`/mentor pair` is for program admins"),
        ("pair", ADMIN, "Pairing needs two people, the mentor first"),
        (f"pair {at(ANA)}", ADMIN, "Pairing needs two people"),
        (f"pair {at(ANA)} sam", ADMIN, "I couldn't find “sam” in this workspace"),
        (f"pair {at(ANA)} @sam.lee", ADMIN, "I couldn't find “@sam.lee” in this workspace"),
        (f"pair {at(ANA)} <#C0GENERAL|general>", ADMIN, "I couldn't find “&lt;#C0GENERAL|general&gt;”"),
        (f"pair {at(ANA)} <@U0ANA0001", ADMIN, "I couldn't find"),
        (f"pair {at(ANA)} {at(ANA)}", ADMIN, "A person can't mentor themselves"),
        (
            f"pair {at(ANA)} {at('U0NOBODY1')}",
            ADMIN,
            "I can't find a Slack member `U0NOBODY1` in this workspace",
        ),
        (f"pair {at(ANA)} {at(GONE)}", ADMIN, "Slack account is deactivated"),
        (f"pair {at(HELPBOT)} {at(CHLOE)}", ADMIN, "is a bot. Only people can be mentors"),
        (f"pair {at(ANA)} {at(CHLOE)} MRN 12345678", ADMIN, "looks like it contains a medical record"),
        (f"pair {at(ANA)} {at(CHLOE)} {'x' * 130}", ADMIN, "the most is 120"),
    ],
)
def test_bad_pair_requests_get_a_specific_answer_and_change_nothing(
    slack, fake_slack, deps, text, user_id, expected
):
    before = snapshot(deps.session_factory)

    said = run(slack, fake_slack, text, user_id=user_id)

    assert expected in said
    assert snapshot(deps.session_factory) == before
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_slack_outage_during_the_lookup_is_explained_and_changes_nothing(slack, fake_slack, deps):
    before = snapshot(deps.session_factory)
    fake_slack.reset_calls()
    fake_slack.fail("users.info", "fatal_error")

    said = answer(slack.command(f"pair {at(ANA)} {at(CHLOE)}"), fake_slack)

    assert f"Slack didn't answer when I looked up <@{ANA}> (fatal_error)" in said
    assert snapshot(deps.session_factory) == before


# --- /mentor unpair ----------------------------------------------------------------------------


def test_unpairing_ends_the_pair_and_is_audited(slack, fake_slack, deps):
    run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)}")

    said = run(slack, fake_slack, f"unpair {at(ANA)} {at(CHLOE)}")

    assert said.startswith(f"Done: <@{ANA}> no longer mentors <@{CHLOE}>. The pair's history is kept.")
    assert active_pairs(deps.session_factory) == set()
    assert [a[1] for a in audit_actions(deps.session_factory)] == ["pair.start", "pair.end"]
    assert snapshot(deps.session_factory)["pair"] == 1  # ended, not deleted


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        (f"unpair {at(ANA)} {at(CHLOE)}", MENTEE, "`/mentor unpair` is for program admins"),
        ("unpair", ADMIN, "Ending a pair needs both people"),
        (f"unpair {at(ANA)} chloe", ADMIN, "I couldn't find “chloe”"),
        (f"unpair {at(CHLOE)} {at(ANA)}", ADMIN, "paired the other way round"),
        (f"unpair {at(ANA)} {at(DEV)}", ADMIN, f"<@{ANA}> isn't currently mentoring <@{DEV}>"),
        (f"unpair {at(ANA)} {at(ANA)}", ADMIN, "can't be their own mentor"),
    ],
)
def test_bad_unpair_requests_change_nothing(slack, fake_slack, deps, text, user_id, expected):
    run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)}")
    before = snapshot(deps.session_factory)

    said = run(slack, fake_slack, text, user_id=user_id)

    assert expected in said
    assert snapshot(deps.session_factory) == before


# --- /mentor pairs ------------------------------------------------------------------------------


def _many_pairs(deps, count, *, opted_out=()):
    with transaction(deps.session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, BEN)
        for i in range(count):
            mentee = ensure_person(session, TEAM_ID, f"U9M{i:06d}")
            mentee.display_name = f"resident{i:03d}"
            if mentee.user_id in opted_out:
                mentee.opted_out_at = mentee.created_at
            start_pair(
                session,
                team_id=TEAM_ID,
                mentor=mentor,
                mentee=mentee,
                cohort="IM",
                actor=ADMIN,
                now=mentee.created_at,
            )


def test_admins_page_through_the_whole_program(slack, fake_slack, deps):
    _many_pairs(deps, 30, opted_out={"U9M000002"})

    reply = slack.command("pairs", user_id=ADMIN).json()
    text = str(reply["blocks"])
    assert "30 active pairs · 1 mentor · 30 mentees · page 1 of 2" in text
    assert "<@U9M000002> has turned messages off" in text
    buttons = next(b for b in reply["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [("Next", "2")]

    fake_slack.reset_calls()
    slack.click("roster_pairs_next", user_id=ADMIN, value="2")
    page_two = fake_slack.last("response_url").args
    assert page_two["replace_original"] is True
    assert "page 2 of 2" in str(page_two["blocks"]) and "<@U9M000029>" in str(page_two["blocks"])
    assert [
        e["text"]["text"] for b in page_two["blocks"] if b["type"] == "actions" for e in b["elements"]
    ] == ["Previous"]

    assert "page 2 of 2" in str(slack.command("pairs 2", user_id=ADMIN).json()["blocks"])


def test_a_page_past_the_end_gets_a_hint(slack, fake_slack, deps):
    _many_pairs(deps, 3)

    assert "There is only 1 page of pairs; try `/mentor pairs 1`." in run(slack, fake_slack, "pairs 4")


def test_an_old_page_button_after_pairs_ended_shows_the_last_page(slack, fake_slack, deps):
    _many_pairs(deps, 3)
    fake_slack.reset_calls()

    slack.click("roster_pairs_next", user_id=ADMIN, value="2")

    assert "page 1 of 1" in str(fake_slack.last("response_url").args["blocks"])


def test_non_admins_cannot_page_through_the_program(slack, fake_slack, deps):
    _many_pairs(deps, 30)
    fake_slack.reset_calls()

    slack.click("roster_pairs_next", user_id=MENTEE, value="2")

    answer_ = fake_slack.last("response_url").args
    assert "Only program admins" in answer_["text"] and answer_["replace_original"] is False


def test_mentors_and_mentees_see_their_own_pairs(slack, fake_slack, deps):
    run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)} IM")
    run(slack, fake_slack, f"pair {at(BEN)} {at(CHLOE)}")

    mentor_view = slack.command("pairs", user_id=ANA).json()
    mentee_view = slack.command("pairs", user_id=CHLOE).json()

    assert mentor_view["text"] == "You are in 1 mentoring pair."
    assert f"*You mentor*\n• <@{CHLOE}> · _IM_" in blocks_text(mentor_view["blocks"])
    assert mentee_view["text"] == "You are in 2 mentoring pairs."
    assert f"<@{ANA}>" in str(mentee_view["blocks"]) and f"<@{BEN}>" in str(mentee_view["blocks"])
    assert "*Your mentors*" in str(mentee_view["blocks"])


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        ("pairs", DEV, "You're not in a mentoring pair yet"),
        (f"pairs {at(ANA)}", DEV, "You can see your own pairs; program admins can see everyone's."),
        ("pairs everything", ADMIN, "I didn't understand “everything”"),
        (f"pairs {at(ELI)}", ADMIN, f"<@{ELI}> isn't in any active mentoring pair."),
    ],
)
def test_pairs_answers_for_every_case(slack, fake_slack, text, user_id, expected):
    assert expected in run(slack, fake_slack, text, user_id=user_id)


def test_admins_can_look_up_one_persons_pairs(slack, fake_slack):
    run(slack, fake_slack, f"pair {at(ANA)} {at(CHLOE)}")

    said = slack.command(f"pairs {at(ANA)}", user_id=ADMIN).json()

    assert f"<@{ANA}> mentors" in str(said["blocks"]) and f"<@{CHLOE}>" in str(said["blocks"])


# --- admins --------------------------------------------------------------------------------------


def test_admins_add_list_and_remove_admins(slack, fake_slack, deps):
    said = run(slack, fake_slack, f"admin add {at(ANA)}")
    assert said.startswith(f"<@{ANA}> is now a program admin")

    # Ana can now do admin things herself.
    assert "is now mentoring" in run(slack, fake_slack, f"pair {at(BEN)} {at(CHLOE)}", user_id=ANA)

    listing = slack.command("admins", user_id=MENTEE).json()
    assert f"<@{ADMIN}> _(from the app's configuration)_" in str(listing["blocks"])
    assert f"• <@{ANA}>" in str(listing["blocks"])

    assert run(slack, fake_slack, f"admin remove {at(ANA)}") == f"<@{ANA}> is no longer a program admin."
    assert "is for program admins" in run(slack, fake_slack, f"pair {at(BEN)} {at(DEV)}", user_id=ANA)
    assert audit_actions(deps.session_factory) == [
        (ADMIN, "admin.add", ANA),
        (ANA, "pair.start", f"{BEN}>{CHLOE}"),
        (ADMIN, "admin.remove", ANA),
    ]


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        (f"admin add {at(ANA)}", MENTOR, "`/mentor admin` is for program admins"),
        ("admin", ADMIN, "Use `/mentor admin add @person` or `/mentor admin remove @person`"),
        ("admin promote", ADMIN, "Use `/mentor admin add @person`"),
        ("admin add", ADMIN, "Who should I add?"),
        ("admin add ana", ADMIN, "I couldn't find “ana”"),
        (f"admin add {at(HELPBOT)}", ADMIN, "is a bot"),
        (f"admin add {at(GONE)}", ADMIN, "deactivated"),
        (f"admin add {at('U0NOBODY1')}", ADMIN, "can't find a Slack member `U0NOBODY1`"),
        (f"admin add {at(ADMIN)}", ADMIN, "is already a program admin"),
        (f"admin remove {at(ADMIN)}", ADMIN, "through the app's configuration (`ADMIN_USER_IDS`)"),
        (f"admin remove {at(MENTOR)}", ADMIN, "isn't a program admin"),
    ],
)
def test_bad_admin_requests_change_nothing(slack, fake_slack, deps, text, user_id, expected):
    before = snapshot(deps.session_factory)

    said = run(slack, fake_slack, text, user_id=user_id)

    assert expected in said
    assert snapshot(deps.session_factory) == before
