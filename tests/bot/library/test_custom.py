"""A program's own nudges, and switching nudges off and on: the service, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.db import transaction
from bot.library.catalogue import builtin_nudges
from bot.library.custom import (
    add_custom_nudge,
    check_draft,
    library_overview,
    normalize_key,
    practice_entries,
    resolve_practice,
    set_nudge_enabled,
)
from bot.library.service import active_nudges, find_nudge
from bot.library.types import ChangeRefused, DraftRejected, NudgeDraft
from bot.models import AuditLog, CustomNudge, DisabledNudge
from bot.privacy import check
from tests.bot.library.files import library_file
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
OTHER_TEAM = "T0OTHER01"
GOOD = NudgeDraft(practice="listen", text="Ask {mentee} what they'd like more of from you this month.")


def _audit(session):
    return [
        (a.action, a.target, a.actor_user_id) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))
    ]


def _add(session_factory, draft=GOOD, team_id=TEAM_ID):
    with transaction(session_factory) as session:
        return add_custom_nudge(session, team_id, ADMIN, draft, NOW)


# --- adding -----------------------------------------------------------------------------


def test_an_added_nudge_gets_a_custom_key_joins_the_rotation_and_is_audited(session_factory):
    nudge = _add(session_factory)

    with transaction(session_factory) as session:
        row = session.scalars(select(CustomNudge)).one()
        assert nudge.key == f"custom:{row.id}"
        assert (row.practice, row.text, row.enabled, row.created_by) == (
            "listen",
            GOOD.text,
            True,
            ADMIN,
        )
        assert row.created_at == NOW
        assert nudge.key in [n.key for n in active_nudges(session, TEAM_ID)]
        assert find_nudge(session, TEAM_ID, nudge.key) == nudge
        assert _audit(session) == [("nudge.add", nudge.key, ADMIN)]


def test_each_added_nudge_has_its_own_key(session_factory):
    first = _add(session_factory)
    second = _add(session_factory, NudgeDraft(practice="care", text="Ask {mentee} about their weekend."))

    assert first.key != second.key
    assert {first.key, second.key} == {"custom:1", "custom:2"}


def test_a_followup_is_stored_tidied_and_rendered_as_choices(session_factory):
    draft = NudgeDraft(
        practice="autonomy",
        text="Let {mentee} run   the handover\n today.",
        question="  How did it go? ",
        choices="They ran it\n\n  Needed help  \nDidn't happen\n",
    )

    nudge = _add(session_factory, draft)

    assert nudge.text == "Let {mentee} run the handover today."
    assert nudge.followup is not None
    assert nudge.followup.question == "How did it go?"
    assert nudge.followup.choices == ("They ran it", "Needed help", "Didn't happen")


def test_nudges_belong_to_their_own_workspace(session_factory):
    nudge = _add(session_factory)

    with transaction(session_factory) as session:
        assert find_nudge(session, OTHER_TEAM, nudge.key) is None
        assert all(not n.custom for n in active_nudges(session, OTHER_TEAM))


@pytest.mark.parametrize(
    ("draft", "field", "says"),
    [
        (NudgeDraft(practice=None, text="Ask {mentee} how they are."), "practice", "Choose the practice"),
        (
            NudgeDraft(practice="kindness", text="Ask {mentee} how they are."),
            "practice",
            "Choose the practice",
        ),
        (NudgeDraft(practice="care", text="   "), "text", "Write the nudge"),
        (NudgeDraft(practice="care", text="x" * 301), "text", "this one has 301"),
        (NudgeDraft(practice="care", text="Ask {name} how {mentee} is."), "text", "Please remove {name}"),
        (NudgeDraft(practice="care", text="Hi", question="How did it go?"), "choices", "Add 2 to 5 choices"),
        (NudgeDraft(practice="care", text="Hi", choices="Yes\nNo"), "question", "Add the question"),
        (NudgeDraft(practice="care", text="Hi", question="q" * 151, choices="a\nb"), "question", "has 151"),
        (NudgeDraft(practice="care", text="Hi", question="Q?", choices="Only one"), "choices", "there are 1"),
        (
            NudgeDraft(practice="care", text="Hi", question="Q?", choices="a\nb\nc\nd\ne\nf"),
            "choices",
            "are 6",
        ),
        (
            NudgeDraft(practice="care", text="Hi", question="Q?", choices="ok\n" + "y" * 76),
            "choices",
            "Choice 2",
        ),
        (NudgeDraft(practice="care", text="Hi", question="Q?", choices="Yes\nyes"), "choices", "the same"),
        (
            NudgeDraft(practice="care", text="Hi", question="Did {mentee} like it?", choices="a\nb"),
            "question",
            "Placeholders",
        ),
    ],
)
def test_a_draft_with_a_problem_is_refused_field_by_field(session_factory, draft, field, says):
    with pytest.raises(DraftRejected) as refused:
        _add(session_factory, draft)

    assert says in refused.value.errors[field]
    with transaction(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(CustomNudge)) == 0
        assert _audit(session) == []


@pytest.mark.parametrize(
    ("field", "draft"),
    [
        ("text", NudgeDraft(practice="care", text="Call {mentee} on 617-555-0199 tonight.")),
        ("text", NudgeDraft(practice="care", text="Debrief {mentee} about MRN 00482913.")),
        (
            "question",
            NudgeDraft(practice="care", text="Hi", question="Was it Mrs Patel in bed 12?", choices="a\nb"),
        ),
        ("choices", NudgeDraft(practice="care", text="Hi", question="Who?", choices="DOB 3/14/1987\nNobody")),
    ],
)
def test_patient_identifiers_are_refused_with_the_privacy_explanation(session_factory, field, draft):
    with pytest.raises(DraftRejected) as refused:
        _add(session_factory, draft)

    message = refused.value.errors[field]
    assert "never stores patient information" in message
    assert message in {
        check(draft.clean_text(), ask="write the nudge"),
        check(draft.clean_question(), ask="write the nudge"),
        check("\n".join(draft.clean_choices()), ask="write the nudge"),
    }


def test_the_same_words_twice_are_refused_naming_the_first(session_factory):
    first = _add(session_factory)

    with pytest.raises(DraftRejected) as refused:
        _add(session_factory, NudgeDraft(practice="care", text=f"  {GOOD.text} "))

    assert refused.value.errors == {"text": f"Your program already has this nudge (`{first.key}`)."}


def test_a_clean_draft_has_no_errors():
    assert check_draft(GOOD) == {}


# --- switching off and on ---------------------------------------------------------------


def test_a_custom_nudge_switched_off_stays_findable_but_is_not_offered(session_factory):
    nudge = _add(session_factory)

    with transaction(session_factory) as session:
        toggle = set_nudge_enabled(session, TEAM_ID, ADMIN, nudge.key, enabled=False, now=NOW)
    assert toggle.changed and not toggle.enabled

    with transaction(session_factory) as session:
        assert nudge.key not in [n.key for n in active_nudges(session, TEAM_ID)]
        found = find_nudge(session, TEAM_ID, nudge.key)
        assert found is not None and found.retired
        assert session.scalar(select(func.count()).select_from(CustomNudge)) == 1  # never deleted
        set_nudge_enabled(session, TEAM_ID, ADMIN, nudge.key, enabled=True, now=NOW)
    with transaction(session_factory) as session:
        assert nudge.key in [n.key for n in active_nudges(session, TEAM_ID)]
        assert _audit(session) == [
            ("nudge.add", nudge.key, ADMIN),
            ("nudge.disable", nudge.key, ADMIN),
            ("nudge.enable", nudge.key, ADMIN),
        ]


def test_a_built_in_nudge_can_be_switched_off_for_one_program_only(session_factory):
    key = "care.week-really"

    with transaction(session_factory) as session:
        set_nudge_enabled(session, TEAM_ID, ADMIN, key, enabled=False, now=NOW)

    with transaction(session_factory) as session:
        assert key not in [n.key for n in active_nudges(session, TEAM_ID)]
        assert key in [n.key for n in active_nudges(session, OTHER_TEAM)]
        here, elsewhere = find_nudge(session, TEAM_ID, key), find_nudge(session, OTHER_TEAM, key)
        assert here is not None and here.retired
        assert elsewhere is not None and not elsewhere.retired
        row = session.get(DisabledNudge, (TEAM_ID, key))
        assert row is not None and (row.disabled_by, row.disabled_at) == (ADMIN, NOW)

        set_nudge_enabled(session, TEAM_ID, ADMIN, key, enabled=True, now=NOW)
    with transaction(session_factory) as session:
        assert key in [n.key for n in active_nudges(session, TEAM_ID)]
        assert session.get(DisabledNudge, (TEAM_ID, key)) is None
        assert [a[0] for a in _audit(session)] == ["nudge.disable", "nudge.enable"]


def test_switching_to_the_state_it_is_in_changes_nothing(session_factory):
    with transaction(session_factory) as session:
        toggle = set_nudge_enabled(session, TEAM_ID, ADMIN, "care.week-really", enabled=True, now=NOW)
        assert not toggle.changed and toggle.enabled
        set_nudge_enabled(session, TEAM_ID, ADMIN, "care.week-really", enabled=False, now=NOW)
        again = set_nudge_enabled(session, TEAM_ID, ADMIN, "care.week-really", enabled=False, now=NOW)
        assert not again.changed
        assert [a[0] for a in _audit(session)] == ["nudge.disable"]


def test_an_unknown_key_is_refused_with_the_closest_keys(session_factory):
    with transaction(session_factory) as session, pytest.raises(ChangeRefused) as refused:
        set_nudge_enabled(session, TEAM_ID, ADMIN, "care.week-realy", enabled=False, now=NOW)

    assert "There's no nudge with the key `care.week-realy`" in str(refused.value)
    assert "`care.week-really`" in str(refused.value)


def test_an_unknown_custom_key_is_refused(session_factory):
    with transaction(session_factory) as session, pytest.raises(ChangeRefused, match="no nudge with the key"):
        set_nudge_enabled(session, TEAM_ID, ADMIN, "custom:41", enabled=False, now=NOW)


def test_another_programs_custom_nudge_cannot_be_switched(session_factory):
    nudge = _add(session_factory, team_id=OTHER_TEAM)

    with transaction(session_factory) as session, pytest.raises(ChangeRefused):
        set_nudge_enabled(session, TEAM_ID, ADMIN, nudge.key, enabled=False, now=NOW)


def test_the_last_nudge_of_a_practice_cannot_be_switched_off(session_factory, tmp_path):
    with library_file(tmp_path):
        with transaction(session_factory) as session, pytest.raises(ChangeRefused) as refused:
            set_nudge_enabled(session, TEAM_ID, ADMIN, "care.only", enabled=False, now=NOW)
        assert "last nudge switched on for *Caring about the learner*" in str(refused.value)

        own = _add(session_factory, NudgeDraft(practice="care", text="Ask {mentee} about home."))
        with transaction(session_factory) as session:
            set_nudge_enabled(session, TEAM_ID, ADMIN, "care.only", enabled=False, now=NOW)
        with transaction(session_factory) as session, pytest.raises(ChangeRefused):
            set_nudge_enabled(session, TEAM_ID, ADMIN, own.key, enabled=False, now=NOW)


def test_a_retired_built_in_cannot_be_switched(session_factory, tmp_path):
    with (
        library_file(tmp_path),
        transaction(session_factory) as session,
        pytest.raises(ChangeRefused, match="retired from the built-in library"),
    ):
        set_nudge_enabled(session, TEAM_ID, ADMIN, "care.old-wording", enabled=True, now=NOW)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("care.week-really", "care.week-really"),
        ("`Care.Week-Really`", "care.week-really"),
        ("<http://care.help|care.help>", "care.help"),
        ("<http://care.help>", "care.help"),
        ("custom:7", "custom:7"),
        ("7", "custom:7"),
        ("“custom:7”", "custom:7"),
    ],
)
def test_keys_are_read_the_way_slack_hands_them_over(typed, key):
    assert normalize_key(typed) == key


@pytest.mark.parametrize(
    ("typed", "practice"),
    [
        ("care", "care"),
        ("No-Ego", "no_ego"),
        ("own errors", "own_errors"),
        ("LISTEN", "listen"),
        ("kindness", None),
    ],
)
def test_practices_are_recognised_however_they_are_typed(typed, practice):
    assert resolve_practice(typed) == practice


# --- reading the library ----------------------------------------------------------------


def test_the_overview_counts_built_ins_and_the_programs_own_by_practice(session_factory):
    own = _add(session_factory, NudgeDraft(practice="care", text="Ask {mentee} about home."))
    _add(session_factory, NudgeDraft(practice="care", text="Ask {mentee} about sleep."))
    with transaction(session_factory) as session:
        set_nudge_enabled(session, TEAM_ID, ADMIN, "care.week-really", enabled=False, now=NOW)
        set_nudge_enabled(session, TEAM_ID, ADMIN, own.key, enabled=False, now=NOW)
        shelves = {s.practice.key: s for s in library_overview(session, TEAM_ID)}

    builtin_care = sum(1 for n in builtin_nudges() if n.practice == "care" and not n.retired)
    care = shelves["care"]
    assert (care.builtin_on, care.builtin_off, len(care.custom), care.custom_on) == (
        builtin_care - 1,
        1,
        2,
        1,
    )
    assert (shelves["listen"].builtin_off, shelves["listen"].custom) == (0, ())
    assert list(shelves) == ["care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy"]


def test_a_practice_lists_built_ins_first_then_the_programs_own(session_factory):
    own = _add(session_factory, NudgeDraft(practice="care", text="Ask {mentee} about home."))
    with transaction(session_factory) as session:
        set_nudge_enabled(session, TEAM_ID, ADMIN, "care.name-one-thing", enabled=False, now=NOW)
        entries = practice_entries(session, TEAM_ID, "care")

    keys = [e.nudge.key for e in entries]
    assert keys[-1] == own.key
    assert keys[:-1] == [n.key for n in builtin_nudges() if n.practice == "care" and not n.retired]
    assert [e.nudge.key for e in entries if not e.enabled] == ["care.name-one-thing"]
