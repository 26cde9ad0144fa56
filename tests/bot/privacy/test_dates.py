"""Dates and ages: a real date beside a word of care is refused; decimals, doses, times,
heart rates and exam marks are not dates or ages. And the screen's own size limit."""

from __future__ import annotations

from datetime import date

import pytest

from bot.privacy import TEXT_LIMIT, assess, check

TODAY = date(2026, 12, 10)


def kinds(text: str) -> list[str]:
    return [f.kind for f in assess(text, today=TODAY).refused]


@pytest.mark.parametrize(
    "text",
    [
        "She came in with a haemoglobin of 6.8 and we went over transfusion triggers",
        "We spent 1.5 hours on discharge planning and who does what",
        "Sent home on ramipril 2.5 mg; we talked through the titration",
        "Admission clerking takes him 2.5 hours, so we worked on speed",
        "We see about 3.5 patients an hour in clinic, so we talked about pacing",
        "Potassium was 6.1 on admission and she handled it calmly",
        "The intern clerked 4 admissions before 10.30 and then hit a wall",
        "We met on 3 Dec at the cafe; later we talked about the admission process in general.",
        "She admitted to me on 3/4 that nights were wearing her down",
    ],
)
def test_numbers_that_are_not_dates_beside_care_words_pass(text):
    assert "care_date" not in kinds(text)
    assert assess(text, today=TODAY).fine


@pytest.mark.parametrize(
    "text",
    [
        "admitted on 12/02 with a GI bleed and the intern missed it",
        "discharged 11/3 and bounced back within a day",
        "readmitted Tuesday the 9th, which upset the team",
        "he died on 2 March and the resident took it hard",
        "seen in A&E on 24/12/2025 after a fall",
        "admitted 3rd Jan with pneumonia",
    ],
)
def test_a_real_date_beside_a_word_of_care_is_refused(text):
    found = kinds(text)
    assert "care_date" in found or "old_date" in found


def test_a_date_after_went_home_alone_is_not_a_care_date():
    # "went home" is not one of the care words: a date alone is a meeting's.
    assert "care_date" not in kinds("went home 11/3 and bounced back within a day")


@pytest.mark.parametrize(
    "text",
    [
        "Heart rate was 96 and she didn't escalate, so we talked about it",
        "The pass mark was 90 and she got 94",
        "his score is 92 on the practice paper, he's delighted",
        "Her sats were 94 on air and she still called the reg",
        "It's 95 steps up to the library, we took the lift",
    ],
)
def test_numbers_in_the_nineties_that_are_not_ages_pass(text):
    assert "age_over_89" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("born in 1931, she still does the crossword every day", "date_of_birth"),
        ("DOB 1948, lives with her son", "date_of_birth"),
        ("pt is ninety-three and very sharp", "age_over_89"),
        ("she's in her 90s and still gardening", "age_over_89"),
        ("the old man in his late nineties taught the student patience", "age_over_89"),
        ("he is 96 and wants to go home", "age_over_89"),
        ("she's 103 and the ward threw her a party", "age_over_89"),
        ("Gladys is 94 and asked the student to sit with her", "name_with_age"),
    ],
)
def test_ages_over_89_and_birth_years_in_words_people_use_are_refused(text, kind):
    assert kind in kinds(text)


def test_text_over_the_limit_is_refused_before_anything_is_read():
    prose = "We talked about feedback on rounds and asking for help early. "
    at_limit = (prose * (TEXT_LIMIT // len(prose) + 1))[:TEXT_LIMIT]

    assert assess(at_limit, today=TODAY).fine
    verdict = assess(at_limit + "x", today=TODAY)

    assert [f.kind for f in verdict.refused] == ["too_long"] and not verdict.names
    message = check(at_limit + "x", today=TODAY)
    assert message is not None and "4,000 characters" in message and "shorten" in message


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("Ann-" * 999, False),
        ("a." * 1300 + "@" + "b." * 600, False),
        ("MRN " + "-1" * 1990, True),
        ("see www." + "a." * 1990, False),
        ("admitted " + "1/2 " * 990, True),
        ("x " + "7.2 admitted " * 300, False),
    ],
)
def test_long_runs_built_to_slow_a_regex_get_an_ordinary_verdict(text, refused):
    # How long these take is measured in bench/bench_privacy.py; here, only the answer.
    assert len(text) <= TEXT_LIMIT
    assert bool(assess(text, today=TODAY).refused) is refused
