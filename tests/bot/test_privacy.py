"""Free-text screening: identifiers are refused, ordinary mentoring talk passes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import check, refusal, screen

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Debriefed about the patient, MRN 00482913", "record_number"),
        ("medical record number: 4471-2209", "record_number"),
        ("NHS number 943 476 5919 came up", "record_number"),
        ("pt ID#: 99812", "record_number"),
        ("her DOB is 3/14/1987", "date_of_birth"),
        ("born on 14 March 1987", "date_of_birth"),
        ("talked through the case from 1987-03-14", "old_date"),
        ("date of birth 02.11.64", "date_of_birth"),
        ("called the family on (617) 555-0199", "phone"),
        ("ring +44 20 7946 0958 for the ward", "phone"),
        ("pager 617.555.0199", "phone"),
        ("SSN 123-45-6789 was on the form", "ssn"),
        ("emailed jane.doe@gmail.com about it", "email"),
        ("the number 123456789 was on the wristband", "long_number"),
        ("Mrs Patel in bed 12 was the near miss", "name_in_bed"),
        ("Mr. Okoro, seen 3/11, had the reaction", "care_date"),
        ("mr jones in bed 3", "name_in_bed"),
        ("Mr JONES bed 3", "name_in_bed"),
        ("Patient: Juan Perez  Age: 54  Admit: 11/20/2026", "patient_name"),
        ("Patient Jane Doe born 1950", "patient_name"),
        ("John Smith, 67M, admitted 11/02 with CHF", "name_with_age"),
        ("call the family at 555-1234", "phone"),
        ("her mobile is 07700 900123", "phone"),
        ("pt 123456 in bed 2", "record_number"),
        ("see <https://ehr.example.org/chart?mrn=12345678|chart>", "record_number"),
        ("<@ Mr Jones bed 4 MRN 1234567>", "record_number"),
    ],
)
def test_identifiers_are_found(text, kind):
    assert kind in [f.kind for f in screen(text, today=TODAY)]
    assert check(text, today=TODAY) is not None


@pytest.mark.parametrize(
    "text",
    [
        "We had a good 15 minute chat about how her week is going.",
        "Asked what I could do better as a mentor; she said more time on rounds.",
        "Talked openly about a medication error I made in 2009 and what I changed.",
        "Let him lead the family meeting today; I only stepped in once.",
        "On 2026-11-03 we did the Ask-Tell-Ask debrief after the near miss.",
        "Met on 11/20 for coffee, 20 mins, discussed night shifts.",
        "Dr. Chen and I ran the debrief together with the whole team of 12.",
        "Mr Singh (our consultant surgeon) joined the teaching session.",
        "Scored 4 of 5 on the Zwisch scale, moving to passive help.",
        "Version 2.0 of the handover list is much better.",
        "Her in-service scores went 210 225 240 over three years.",
        "Shared <https://example.org/feedback-guide|the R2C2 guide> with <!here>.",
        "Talked with <@W0123456789|dr.long> and <#C0123456789|ward-4> about feedback.",
        "Admitted with 8/10 pain and GCS 14/15; she escalated at the right time.",
        "Charge nurse Maria and Dr. Chen ran the debrief; K 3.2, Hb 7.9, NEWS 5 at 03:10.",
        "",
    ],
)
def test_ordinary_mentoring_talk_passes(text):
    assert screen(text, today=TODAY) == [], screen(text, today=TODAY)


def test_refusal_explains_without_repeating_the_identifier():
    findings = screen("DOB 3/14/1987, MRN 00482913, call 617-555-0199", today=TODAY)
    message = refusal(findings)

    assert "00482913" not in message and "1987" not in message and "555" not in message
    assert "a medical record or patient number" in message
    assert "a date of birth" in message
    assert " and " in message
    assert message.startswith("This wasn't saved because it looks like it contains")


@given(st.integers(100, 899), st.integers(10, 99), st.integers(1000, 9999), st.text(max_size=40))
def test_any_ssn_shaped_number_is_refused(area, group, serial, surrounding):
    text = f"{surrounding} {area}-{group}-{serial} {surrounding}"
    assert check(text, today=TODAY) is not None


@given(st.emails())
def test_any_email_is_refused(email):
    assert "email" in [f.kind for f in screen(f"wrote to {email} today", today=TODAY)]


@given(st.dates(min_value=date(1920, 1, 1), max_value=date(2024, 12, 31)))
def test_old_full_dates_read_as_birth_dates(day):
    for text in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%B %d, %Y")):
        assert check(f"seen {text}", today=TODAY) is not None, text


def test_the_request_can_fit_the_kind_of_text():
    message = check("call 617-555-0199", today=TODAY, ask="write the nudge")
    assert message.endswith("please write the nudge without identifiers and try again.")


# --- the defects reported: realistic ward talk the old screen let through -----------------


@pytest.mark.parametrize(
    "text",
    [
        "talked about mrs. lee who fell overnight",
        "daughter Susan called",
        "a phone number written 617.555.0199",
        "she lives at 42 Maple Street with her son",
        "age 93",
        # In this project's own style: a full name with an age or an admission date, a
        # name right after a room number, a patient number in dashed groups.
        "Eleanor Whitfield, 78, was the case we debriefed",
        "Rosa Delgado admitted 3/12 and the resident missed the lactate",
        "room 14 Kowalski was the hard one this week",
        "patient 004-55-21 had the insulin mix up",
    ],
)
def test_the_reported_defects_are_caught(text):
    assert check(text, today=TODAY) is not None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("daughter Susan called", "relative_name"),
        ("a phone number written 617.555.0199", "phone"),
        ("she lives at 42 Maple Street with her son", "address"),
        ("age 93", "age_over_89"),
        ("Eleanor Whitfield, 78, was the case we debriefed", "name_with_age"),
        ("Rosa Delgado admitted 3/12 and the resident missed the lactate", "care_date"),
        ("room 14 Kowalski was the hard one this week", "name_in_bed"),
        ("patient 004-55-21 had the insulin mix up", "record_number"),
    ],
)
def test_each_defect_is_refused_for_the_right_reason(text, kind):
    assert kind in [f.kind for f in screen(text, today=TODAY)]
