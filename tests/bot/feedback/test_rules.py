"""Reading `/mentor ask` and checking topics and notes before anything is stored."""

from __future__ import annotations

import pytest

from bot.feedback.rules import check_note, check_topic, parse_ask, plain_text
from bot.feedback.types import NOTE_MAX_CHARS, TOPIC_MAX_CHARS, AskRefused, NoteRefused


def test_a_mention_first_names_the_mentor_and_the_rest_is_the_topic():
    assert parse_ask("<@U0MENTOR1|dr.okafor> how my  talks land") == ("U0MENTOR1", "how my  talks land")
    assert parse_ask("<@U0MENTOR1>") == ("U0MENTOR1", "")
    assert parse_ask("how my talks land") == (None, "how my talks land")
    assert parse_ask("   ") == (None, "")


def test_a_name_typed_without_the_menu_is_refused_not_guessed():
    with pytest.raises(AskRefused) as refused:
        parse_ask("@okafor hello")
    assert "`@okafor`" in refused.value.message and refused.value.about == "mentor"


def test_command_text_is_stored_as_typed_with_mentions_kept():
    assert plain_text("M&amp;M  prep &lt;3\nwith <@U0AB12345|ana>") == "M&M prep <3 with <@U0AB12345>"


def test_a_mention_in_a_topic_is_a_colleague_not_a_record_number():
    # Screened as a mention, it is not mistaken for an identifier, and it stays a mention.
    assert (
        check_topic("pairing with <@U07ABC1234|dr.kim> on nights") == "pairing with <@U07ABC1234> on nights"
    )
    assert check_topic("pairing with <@U07ABC1234>") == "pairing with <@U07ABC1234>"


def test_topics_are_trimmed_limited_and_screened():
    assert check_topic("  ") is None
    assert check_topic(" my  first\nmonth ") == "my first month"
    assert check_topic("x" * TOPIC_MAX_CHARS) == "x" * TOPIC_MAX_CHARS
    with pytest.raises(AskRefused) as too_long:
        check_topic("x" * (TOPIC_MAX_CHARS + 1))
    assert too_long.value.about == "topic" and "300 characters" in too_long.value.message
    with pytest.raises(AskRefused) as identifier:
        check_topic("the case with MRN 5551234")
    assert "medical record" in identifier.value.message and "Nothing was sent" in identifier.value.message


def test_notes_are_limited_and_screened():
    assert check_note("") is None
    assert check_note(" Thursday  after clinic ") == "Thursday after clinic"
    with pytest.raises(NoteRefused):
        check_note("y" * (NOTE_MAX_CHARS + 1))
    with pytest.raises(NoteRefused) as refused:
        check_note("call me on 617 555 0199")
    assert "phone" in refused.value.message
