"""Check-in messages, the modal and `/mentor pulse` screens stay inside Slack's limits, and
a submitted modal is read forgivingly but strictly."""

from __future__ import annotations

import pytest

from bot.blocks.state import ModalState
from bot.pulse.blocks import (
    ANSWER_CALLBACK,
    SELF_CALLBACK,
    answered_blocks,
    answers_from_view,
    check_in_modal,
    invitation_blocks,
    invitation_text,
    metadata,
    parse_metadata,
)
from bot.pulse.items import ITEM_KEYS
from bot.pulse.screens import personal_blocks, program_blocks
from bot.pulse.types import (
    CohortFigures,
    Invitation,
    ItemFigure,
    MentorResults,
    PersonalPulse,
    ProgramOverview,
    PulseInputError,
    PulseTiming,
)
from tests.fakes.block_limits import message_errors, view_errors
from tests.pulse_helpers import answers_of, modal_values


def invitation(**overrides) -> Invitation:
    values = {
        "round_id": 7,
        "kind": "mentee",
        "mentor_user": "U0MENTOR1",
        "close_out": False,
        "closes_on": "Sunday 4 April",
        "anonymity_min": 5,
    }
    values.update(overrides)
    return Invitation(**values)


VARIANTS = [
    invitation(),
    invitation(reminder=True),
    invitation(close_out=True),
    invitation(kind="mentor"),
    invitation(kind="mentor", reminder=True),
]


@pytest.mark.parametrize("shown", VARIANTS)
def test_every_invitation_fits_slack_and_has_one_button(shown):
    blocks = invitation_blocks(shown)
    assert message_errors(invitation_text(shown), blocks) == []
    assert message_errors("x", answered_blocks(shown)) == []
    buttons = [e for b in blocks for e in b.get("elements", []) if e.get("type") == "button"]
    assert [b["value"] for b in buttons] == ["7"]


@pytest.mark.parametrize("shown", VARIANTS)
def test_the_modal_fits_slack_and_reads_back_what_was_tapped(shown):
    view = check_in_modal(shown, "D0MENTEE1", "1760000001.000100")
    assert view_errors(view) == []
    assert view["callback_id"] == (SELF_CALLBACK if shown.kind == "mentor" else ANSWER_CALLBACK)
    assert parse_metadata(view["private_metadata"]) == (7, "D0MENTEE1", "1760000001.000100")
    submitted = answers_of(2, comment="Thanks!" if shown.kind == "mentee" else None, care=None, zwisch=4)
    state = ModalState(modal_values(view, submitted))

    read = answers_from_view(state, with_comment=shown.kind == "mentee")

    assert read == submitted


def test_a_modal_with_missing_or_odd_answers_names_each_of_them():
    view = check_in_modal(invitation(), None, None)
    values = modal_values(view, answers_of(3))
    del values["item_care"]
    values["item_listen"]["item_listen"]["selected_option"] = {"value": 3}  # a number, not text
    values["item_zwisch"]["item_zwisch"]["selected_option"] = {"value": "5"}

    with pytest.raises(PulseInputError) as refused:
        answers_from_view(ModalState(values), with_comment=True)

    assert set(refused.value.errors) == {"item_care", "item_listen", "item_zwisch"}


@pytest.mark.parametrize("text", [None, "", "abc", "12|", "|D1|1.2", "-3||"])
def test_metadata_that_is_not_ours_reads_as_nothing(text):
    round_id, _channel, _ts = parse_metadata(text)
    assert round_id is None or text == "12|"
    assert metadata(12, None, None) == "12||" and parse_metadata("12||") == (12, None, None)


def _results(released: bool, comments: int = 0) -> MentorResults:
    items = tuple(
        ItemFigure(key, 2.5 if released else None, 3.5, 1.0 if released else None) for key in ITEM_KEYS
    )
    return MentorResults(
        released=released,
        anonymity_min=5,
        window_months=12,
        items=items,
        answers=40,
        comments=tuple("A long comment about listening. " * 20 for _ in range(comments)),
        self_checks=2,
    )


@pytest.mark.parametrize("released", [True, False])
def test_results_screens_fit_slack_even_with_many_long_comments(released):
    view = PersonalPulse(_results(released, comments=30 if released else 0), (), PulseTiming(30, 60), False)
    blocks = personal_blocks(view, 5, 12)
    assert message_errors("x", blocks) == []
    shown = str(blocks)
    assert ("Gap: *+1.0*" in shown) is released
    assert ("Not enough answers yet to keep them anonymous" in shown) is not released


def test_comments_are_shown_whole_up_to_the_500_characters_a_mentee_may_write():
    longest = "<b>&" + "w" * 480 + "\nsecond line end"  # 500 characters, with what must be escaped
    results = MentorResults(
        released=True,
        anonymity_min=5,
        window_months=12,
        items=_results(True).items,
        comments=(longest,) * 10,
        through="2027-Q1",
    )
    blocks = personal_blocks(PersonalPulse(results, (), PulseTiming(30, 60), False), 5, 12)
    assert message_errors("x", blocks) == []
    shown = "".join(str(b) for b in blocks)
    assert shown.count("&lt;b&gt;&amp;" + "w" * 480 + "\\n>second line end") == 10
    assert "January–March 2027" in shown


def test_the_program_screen_fits_slack_with_many_cohorts_and_never_names_a_mentor():
    cohorts = tuple(
        CohortFigures(f"Cohort {n}", released=n % 2 == 0, mentees=6, asked=12, answered=9, averages=())
        if n % 2 == 0
        else CohortFigures(f"Cohort {n}", released=False)
        for n in range(80)
    )
    overview = ProgramOverview(PulseTiming(30, 60), 5, 12, CohortFigures(None, False), cohorts)
    blocks = program_blocks(overview)
    assert message_errors("x", blocks) == []
    assert "more cohorts" in str(blocks) and "<@" not in str(blocks)
