"""The built-in practice library: shape, Slack limits, voice, privacy, and history."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject, SectionBlock

from bot.blocks.common import to_dicts
from bot.db import transaction
from bot.library.catalogue import builtin_nudges, load_library, parse_library
from bot.library.service import active_nudges, find_nudge
from bot.library.types import (
    PRACTICE_KEYS,
    PRACTICES,
    LibraryError,
    Nudge,
)
from bot.privacy import screen
from tests.bot.library.files import TINY_LIBRARY, library_file
from tests.fakes.block_limits import message_errors
from tests.fakes.slack_api import TEAM_ID

NUDGES = builtin_nudges()
ACTIVE = [n for n in NUDGES if not n.retired]
# A long, real-looking mention: what {mentee} becomes at its largest (Grid ids are longer).
LONG_MENTEE = "W0123456789ABCDEFGH"
STYLE_CHARS = 300
# About ten seconds of reading at a comfortable 240 words a minute.
STYLE_WORDS = 40


def _ids(nudges):
    return [n.key for n in nudges]


# --- shape ------------------------------------------------------------------------------


def test_keys_are_unique():
    duplicates = [k for k, count in Counter(_ids(NUDGES)).items() if count > 1]
    assert duplicates == []


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_keys_name_their_practice_and_a_short_slug(nudge):
    practice, _, slug = nudge.key.partition(".")
    assert practice == nudge.practice
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), nudge.key
    assert len(nudge.key) <= 64


@pytest.mark.parametrize("practice", PRACTICE_KEYS)
def test_every_practice_has_at_least_eight_active_nudges(practice):
    assert sum(1 for n in ACTIVE if n.practice == practice) >= 8


def test_the_six_practices_are_the_ones_the_program_names():
    assert set(PRACTICE_KEYS) == {"care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy"}
    assert {n.practice for n in NUDGES} == set(PRACTICES)


def test_some_nudges_name_the_mentee_and_some_do_not():
    naming = [n for n in ACTIVE if n.names_mentee]
    assert 0 < len(naming) < len(ACTIVE)


def test_roughly_a_third_have_a_followup():
    share = sum(1 for n in ACTIVE if n.followup) / len(ACTIVE)
    assert 0.25 <= share <= 0.45, share


def test_feedback_chats_use_ask_tell_ask():
    # "ask their view … tell one thing … ask what next", in plain words.
    shaped = [n for n in ACTIVE if re.search(r"\bask\b.*\btell\b.*\bask\b", n.text, re.IGNORECASE)]
    assert len(shaped) >= 2, _ids(shaped)


# --- Slack's limits and the house style -------------------------------------------------


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_every_text_renders_within_slack_limits(nudge):
    for mentee in (LONG_MENTEE, None):
        rendered = nudge.render(mentee)
        blocks = to_dicts([SectionBlock(text=rendered)])
        assert message_errors(rendered, blocks) == []
        assert len(rendered) <= 3000


@pytest.mark.parametrize(
    "nudge", [n for n in NUDGES if n.followup], ids=_ids(n for n in NUDGES if n.followup)
)
def test_every_followup_fits_on_one_tap_buttons(nudge):
    followup = nudge.followup
    assert len(followup.question) <= 150
    assert 2 <= len(followup.choices) <= 5
    assert len(set(followup.choices)) == len(followup.choices)
    buttons = ActionsBlock(
        elements=[
            ButtonElement(text=PlainTextObject(text=choice), action_id=f"followup_{i}", value=str(i))
            for i, choice in enumerate(followup.choices)
        ]
    )
    assert all(len(choice) <= 75 for choice in followup.choices)
    assert message_errors(followup.question, to_dicts([SectionBlock(text=followup.question), buttons])) == []


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_every_text_reads_in_under_ten_seconds(nudge):
    assert len(nudge.text) <= STYLE_CHARS
    assert len(nudge.text.split()) <= STYLE_WORDS


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_only_the_mentee_placeholder_is_used(nudge):
    leftover = nudge.text.replace("{mentee}", "")
    assert "{" not in leftover and "}" not in leftover, nudge.text


# --- voice and privacy ------------------------------------------------------------------


def _all_words(nudge):
    followup = nudge.followup
    return [nudge.text, *((followup.question, *followup.choices) if followup else ())]


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_no_text_looks_like_it_holds_patient_identifiers(nudge):
    # The stored words are what matter; a mention's id is Slack's, not a patient's.
    for text in (*_all_words(nudge), nudge.render()):
        assert screen(text) == [], (nudge.key, text)


# Words that would compare mentors, scold, or ask for the details of an error.
UNWELCOME = re.compile(
    r"\b(leaderboard|rank(ing|ed)?|other mentors|top mentors?|compared|behind|you forgot|"
    r"you haven't|you should have|failed to|why didn't|details|which patient|describe the error)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("nudge", NUDGES, ids=_ids(NUDGES))
def test_no_competition_scolding_or_requests_for_details(nudge):
    for text in _all_words(nudge):
        assert not UNWELCOME.search(text), (nudge.key, text)


# --- rendering --------------------------------------------------------------------------


def test_rendering_names_the_mentee_with_a_mention():
    nudge = next(n for n in ACTIVE if n.names_mentee)

    rendered = nudge.render("U0MENTEE1")

    assert "<@U0MENTEE1>" in rendered
    assert "{mentee}" not in rendered


@pytest.mark.parametrize(
    "nudge", [n for n in ACTIVE if n.names_mentee], ids=_ids(n for n in ACTIVE if n.names_mentee)
)
def test_rendering_without_a_mentee_says_your_mentee(nudge):
    rendered = nudge.render()

    assert "{mentee}" not in rendered and "<@" not in rendered
    assert "your mentee" in rendered.lower()


def test_rendering_a_nudge_that_names_nobody_ignores_the_mentee():
    nudge = next(n for n in ACTIVE if not n.names_mentee)

    assert nudge.render("U0MENTEE1") == nudge.render() == nudge.text


def test_your_mentee_is_capitalised_at_the_start_of_a_sentence():
    nudge = Nudge("care.x", "care", "{mentee} looked tired. Ask {mentee} why? {mentee} may say.")

    assert nudge.render() == "Your mentee looked tired. Ask your mentee why? Your mentee may say."


def test_rendering_escapes_slack_markup_typed_into_a_text():
    nudge = Nudge("custom:1", "care", "Q&A with {mentee} <15 min> <!channel>", custom=True)

    assert nudge.render("U1") == "Q&amp;A with <@U1> &lt;15 min&gt; &lt;!channel&gt;"


# --- history: keys outlive texts --------------------------------------------------------


def test_a_retired_key_is_still_found_but_never_offered(session_factory, tmp_path):
    with library_file(tmp_path), transaction(session_factory) as session:
        offered = [n.key for n in active_nudges(session, TEAM_ID)]
        found = find_nudge(session, TEAM_ID, "care.old-wording")

    assert "care.old-wording" not in offered
    assert "care.only" in offered
    assert found is not None and found.retired and found.text == "An old nudge."


def test_editing_a_text_keeps_the_key_and_history_reads_the_new_words(session_factory, tmp_path):
    edited = yaml.safe_load(TINY_LIBRARY)
    edited["nudges"][0]["text"] = "Ask {mentee} how they really are."
    with library_file(tmp_path, yaml.safe_dump(edited)), transaction(session_factory) as session:
        found = find_nudge(session, TEAM_ID, "care.only")

    assert found is not None and found.text == "Ask {mentee} how they really are."


def test_unknown_keys_are_not_found(session_factory):
    with transaction(session_factory) as session:
        assert find_nudge(session, TEAM_ID, "care.no-such-nudge") is None
        assert find_nudge(session, TEAM_ID, "custom:999") is None


# --- a malformed file is refused, saying what to fix ------------------------------------


def _one(**entry):
    base = {"key": "care.ok", "practice": "care", "text": "Ask {mentee} how they are."}
    base.update(entry)
    return {"nudges": [{k: v for k, v in base.items() if v is not None}]}


FOLLOWUP = {"question": "How did it go?", "choices": ["Well", "Not yet"]}
YES_NO_TRAP = """
nudges:
  - key: care.ok
    practice: care
    text: Hi
    followup: {question: Did it happen, choices: [Yes, No]}
"""

BAD_LIBRARIES = [
    ([], "mapping with a `nudges` list"),
    ({"nudge": []}, "mapping with a `nudges` list"),
    ({"nudges": ["just a sentence"]}, "entry #1 must be a mapping"),
    (_one(key=None), "entry #1 has no key"),
    ({"nudges": [_one()["nudges"][0], _one()["nudges"][0]]}, "care.ok: this key is used twice"),
    (_one(key="custom:1"), "reserved for admins' own nudges"),
    (_one(key="Care.Week Really"), "a key looks like `care.week-really`"),
    (_one(key="care." + "x" * 70), "at most 64 characters"),
    (_one(key="listen.ok"), "listen.ok: the key must start with its practice, `care.`"),
    (_one(practice="kindness", key="kindness.ok"), "unknown practice 'kindness'"),
    (_one(text="   "), "care.ok: empty text"),
    (_one(text=["a", "list"]), "the text must be text"),
    (_one(text="x" * 2901), "longer than Slack allows"),
    (_one(text="Ask {name} how they are."), "unknown placeholder(s) ['{name}']"),
    (_one(folowup=FOLLOWUP), "unknown field(s) ['folowup']"),
    (_one(retired="yes"), "`retired` must be true or false"),
    (_one(followup={"question": "How did it go?"}), "a followup needs a question and choices"),
    (_one(followup={**FOLLOWUP, "hint": "x"}), "unknown followup field(s) ['hint']"),
    (_one(followup={**FOLLOWUP, "choices": ["Only one"]}), "2 to 5 choices"),
    (_one(followup={**FOLLOWUP, "choices": list("abcdef")}), "2 to 5 choices"),
    (_one(followup={**FOLLOWUP, "choices": ["ok", "y" * 76]}), "longer than 75 characters"),
    (_one(followup={**FOLLOWUP, "question": "q" * 151}), "longer than 150 characters"),
    (_one(followup={**FOLLOWUP, "choices": ["Same", "same"]}), "must all be different"),
    (_one(followup={**FOLLOWUP, "choices": "Well, Not yet"}), "choices must be a list"),
    # The trap YAML sets: an unquoted Yes is a boolean.
    (
        yaml.safe_load(YES_NO_TRAP),
        "put every choice in quotes",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD_LIBRARIES)
def test_a_malformed_library_is_refused_with_a_clear_message(raw, message):
    with pytest.raises(LibraryError) as refused:
        parse_library(raw)

    assert message in str(refused.value)


def test_a_good_entry_passes_the_same_checks():
    (nudge,) = parse_library(_one(followup=FOLLOWUP, text="  Ask {mentee}\n how they are.  "))

    assert nudge.text == "Ask {mentee} how they are."
    assert nudge.followup is not None and nudge.followup.choices == ("Well", "Not yet")


def test_a_file_that_is_not_yaml_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "nudges.yaml"
    path.write_text("nudges:\n  - key: care.ok\n    text: [unclosed\n", encoding="utf-8")

    with pytest.raises(LibraryError, match=r"nudges\.yaml is not valid YAML"):
        load_library(path)


def test_the_shipped_file_loads_through_the_same_loader():
    from bot.library.catalogue import CONTENT

    assert load_library(CONTENT) == NUDGES
