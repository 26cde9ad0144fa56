"""`/mentor nudges` messages and modals stay inside Slack's limits, however big the library."""

from __future__ import annotations

import pytest

from bot.library.blocks import (
    ADD_BUTTON_ACTION,
    ADD_CALLBACK_ID,
    PAGE_SIZE,
    TOGGLE_ACTION,
    add_nudge_modal,
    added_view,
    overview_message,
    page_count,
    paginate,
    practice_message,
    toggle_message,
)
from bot.library.catalogue import builtin_nudges
from bot.library.types import (
    FIELD_CHOICES,
    FIELD_PRACTICE,
    FIELD_QUESTION,
    FIELD_TEXT,
    PRACTICES,
    TEXT_STYLE_LIMIT,
    Followup,
    LibraryEntry,
    Nudge,
    PracticeShelf,
    Toggle,
)
from tests.fakes.block_limits import message_errors, view_errors


def _custom(
    i: int, practice: str = "care", *, length: int = TEXT_STYLE_LIMIT, enabled: bool = True
) -> LibraryEntry:
    text = (f"Nudge {i}: ask {{mentee}} something kind & specific <today>. " * 10)[:length]
    return LibraryEntry(Nudge(f"custom:{i}", practice, text, custom=True, retired=not enabled), enabled)


def _shelves(custom_per_practice: int) -> list[PracticeShelf]:
    shelves = []
    n = 0
    for practice in PRACTICES.values():
        entries = []
        for _ in range(custom_per_practice):
            n += 1
            entries.append(_custom(n, practice.key, enabled=n % 3 != 0))
        shelves.append(PracticeShelf(practice, builtin_on=9, builtin_off=1, custom=tuple(entries)))
    return shelves


def _sections(blocks):
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def _context(blocks):
    return "\n".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


def test_pages_split_a_list_evenly():
    assert page_count(0) == 1
    assert page_count(PAGE_SIZE) == 1
    assert page_count(PAGE_SIZE + 1) == 2
    page = paginate(list(range(40)), 3)
    assert page.items == tuple(range(2 * PAGE_SIZE, 40))
    assert (page.number, page.count) == (3, page_count(40))


def test_an_empty_program_sees_counts_and_how_to_add_one():
    text, blocks = overview_message(_shelves(0))

    assert message_errors(text, blocks) == []
    shown = _sections(blocks)
    assert "*Caring about the learner* (`care`): 10 built-in (1 switched off)" in shown
    assert "None yet" in shown
    assert any(b["type"] == "actions" and b["elements"][0]["action_id"] == ADD_BUTTON_ACTION for b in blocks)
    assert "Page" not in _context(blocks)


@pytest.mark.parametrize("per_practice", [1, 5, 20, 60])
def test_every_page_of_a_large_program_fits_slacks_limits(per_practice):
    shelves = _shelves(per_practice)
    total = per_practice * len(shelves)
    seen = []
    for number in range(1, page_count(total) + 1):
        text, blocks = overview_message(shelves, number)
        assert message_errors(text, blocks) == [], number
        assert len(blocks) <= 50
        seen += [word.strip("`") for word in _sections(blocks).split() if word.startswith("`custom:")]
    assert seen == [f"custom:{i}" for i in range(1, total + 1)]


def test_the_overview_says_which_page_and_how_to_get_the_next():
    _text, blocks = overview_message(_shelves(5), 1)

    assert "Page 1 of 2. Next: `/mentor nudges 2`" in _context(blocks)
    _text, last = overview_message(_shelves(5), 2)
    assert "Page 2 of 2." in _context(last) and "Next" not in _context(last)


def test_the_overview_counts_the_programs_own_nudges_that_are_off():
    shelves = _shelves(3)  # every third one is off

    _text, blocks = overview_message(shelves)

    assert (
        "*Caring about the learner* (`care`): 10 built-in (1 switched off) · 3 of your own (1 switched off)"
        in _sections(blocks)
    )


def test_typed_text_is_escaped_in_lists():
    _text, blocks = overview_message(_shelves(1))

    shown = _sections(blocks)
    assert "&amp;" in shown and "&lt;today&gt;" in shown
    assert "<today>" not in shown


def test_a_practice_page_shows_every_nudge_with_key_and_state():
    entries = [
        LibraryEntry(n, n.key != "care.name-one-thing") for n in builtin_nudges() if n.practice == "care"
    ]
    entries += [_custom(i) for i in range(1, 4)]

    text, blocks = practice_message(PRACTICES["care"], entries)

    assert message_errors(text, blocks) == []
    shown = _sections(blocks)
    assert "`care.week-really` · on · with a follow-up" in shown
    assert "`care.name-one-thing` · *off*" in shown
    assert shown.index("*Built-in*") < shown.index("*Your program's own*") < shown.index("`custom:1`")
    assert text == f"Caring about the learner: {len(entries) - 1} of {len(entries)} nudges switched on."


def test_a_practice_with_many_nudges_pages_within_limits():
    entries = [_custom(i) for i in range(1, 100)]
    for number in range(1, page_count(len(entries)) + 1):
        text, blocks = practice_message(PRACTICES["listen"], entries, number)
        assert message_errors(text, blocks) == []
        assert len(blocks) <= 50


def test_the_add_form_is_a_valid_modal_with_the_four_fields():
    view = add_nudge_modal()

    assert view_errors(view) == []
    assert view["callback_id"] == ADD_CALLBACK_ID
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [FIELD_PRACTICE, FIELD_TEXT, FIELD_QUESTION, FIELD_CHOICES]
    assert [o["value"] for o in inputs[FIELD_PRACTICE]["element"]["options"]] == list(PRACTICES)
    assert inputs[FIELD_TEXT]["element"]["max_length"] == TEXT_STYLE_LIMIT
    assert inputs[FIELD_QUESTION].get("optional") and inputs[FIELD_CHOICES].get("optional")
    assert all(b["block_id"] == b["element"]["action_id"] for b in inputs.values())


def test_the_add_form_can_start_from_typed_text():
    view = add_nudge_modal("Ask {mentee} about home.")

    text_input = next(b for b in view["blocks"] if b.get("block_id") == FIELD_TEXT)
    assert text_input["element"]["initial_value"] == "Ask {mentee} about home."
    assert view_errors(add_nudge_modal("x" * 5000)) == []


def test_the_confirmation_shows_the_nudge_as_a_mentor_reads_it():
    nudge = Nudge(
        "custom:4",
        "care",
        "{mentee} first: ask about <home>.",
        Followup("How?", ("Good", "Not yet")),
        custom=True,
    )

    view = added_view(nudge)

    assert view_errors(view) == []
    shown = _sections(view["blocks"])
    assert "Added `custom:4` to *Caring about the learner*" in shown
    assert ">Your mentee first: ask about &lt;home&gt;." in shown
    assert "Good · Not yet" in shown
    assert "`/mentor nudges disable custom:4`" in _context(view["blocks"])


def test_switching_off_offers_an_undo_that_switches_it_back_on():
    nudge = next(iter(builtin_nudges()))
    text, blocks = toggle_message(Toggle(nudge, enabled=False, changed=True))

    assert message_errors(text, blocks) == []
    assert text.startswith(f"Switched `{nudge.key}` off for your program.")
    button = blocks[-1]["elements"][0]
    assert (button["action_id"], button["value"]) == (TOGGLE_ACTION, f"on {nudge.key}")


def test_nothing_to_undo_when_nothing_changed():
    nudge = next(iter(builtin_nudges()))
    text, blocks = toggle_message(Toggle(nudge, enabled=True, changed=False))

    assert "already on" in text
    assert all(b["type"] != "actions" for b in blocks)
