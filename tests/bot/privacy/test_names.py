"""Names: colleagues are placed, patients and families refused, the rest asked about."""

from __future__ import annotations

import socket
import sys
from datetime import date

import pytest

from bot.privacy import KnownNames, assess, check, name_words
from bot.privacy.lexicon import load_lexicon

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Chen and I ran the debrief together.",
        "charge nurse Maria helped my intern prioritise the bleeps",
        "shadowed the nurse practitioner, Ms Alvarez NP, for two hours",
        "Mr Singh (our consultant surgeon) joined the teaching session.",
        "Sister Kelly ran the huddle and my resident listened in",
        "Pharmacist Aisha went through the anticoagulation chart with him",
        "Talked with <@U0123ABCDEF|maria> about feedback.",
        "Murphy's sign was positive and he got the diagnosis right",
        "went over Glasgow Coma Scale scoring with the new interns",
        "Our firm, Osler, has the best handover",
        "Talked about Parkinson's and falls risk with the student",
        "Grace under pressure is what I said I saw in her today",
        "Will meet again after the on-call block",
        "May be worth doing a teaching session on fluids",
        "She spoke Spanish with the family and the interpreter helped",
        "If {mentee} looks tired, say plainly that a break is expected, not a favour.",
    ],
)
def test_colleagues_titles_eponyms_and_common_words_pass(text):
    verdict = assess(text, today=TODAY)
    assert verdict.fine, verdict


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Talked with Maria about feedback", ("Maria",)),
        ("Talked with the student about why Gloria Mendes needed a second opinion", ("Gloria Mendes",)),
        ("she told me Mrs Kaur reminded her of her own grandmother", ("Mrs Kaur",)),
        ("went through the sepsis timeline for ivan petrenko", ("ivan petrenko",)),
        ("talked to gerald about his fall", ("gerald",)),
        ("we discussed Harold's confusion and Dolores's fall", ("Harold's", "Dolores's")),
    ],
)
def test_a_name_it_cannot_place_is_asked_about_not_refused(text, names):
    verdict = assess(text, today=TODAY)
    assert verdict.ask and not verdict.refused
    assert verdict.names == names


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Maria in bed 6 kept pulling her line out", "name_in_bed"),
        ("saw john in bay 4, still septic", "name_in_bed"),
        ("bed 3 Okafor needs a family meeting", "name_in_bed"),
        ("Her son Derek is the health care proxy", "relative_name"),
        ("son kevin was upset about the discharge", "relative_name"),
        ("the wife, Paulette, was very angry", "relative_name"),
        ("Patient Joan Albright wanted to leave", "patient_name"),
        ("John Smith 67M with CHF was the teaching case", "name_with_age"),
        ("Case of Samuel Adeyemi (59) with DKA", "name_with_age"),
    ],
)
def test_a_name_whose_context_makes_it_a_patients_is_refused_never_asked(text, kind):
    verdict = assess(text, today=TODAY, known=KnownNames.of(["Maria Alvarez", "John Smith"]))
    assert kind in [f.kind for f in verdict.refused]
    assert not verdict.ask


def test_a_text_with_an_identifier_and_a_name_is_refused_without_a_question():
    verdict = assess("Maria gave me MRN 00482913", today=TODAY)
    assert verdict.refused and not verdict.ask and not verdict.fine


def test_workspace_names_place_first_names_surnames_and_both_but_not_a_namesake():
    known = KnownNames.of(["Maria Alvarez", "dr.long"])

    assert assess("Maria ran the round", known=known).fine
    assert assess("Talked with Maria Alvarez", known=known).fine
    assert assess("Asked Dr Long's advice", known=known).fine
    assert assess("Talked with Maria Lopez about it", known=known).names == ("Maria Lopez",)


def test_the_refusal_never_repeats_the_name():
    message = check("Talked with Maria about feedback", today=TODAY)
    assert message is not None
    assert "Maria" not in message and "@mention" in message


def test_name_words_split_names_into_their_lower_case_words():
    assert name_words("Dr. Sarah Chen-Li") == {"dr", "sarah", "chen-li", "chen", "li"}


def test_the_lists_load_from_installed_packages_with_the_network_off(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("no network in a hospital")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    load_lexicon.cache_clear()

    loaded = load_lexicon()

    assert len(loaded.first_names) > 50_000 and len(loaded.last_names) > 100_000
    assert loaded.is_name("maria") and not loaded.is_name("furosemide")
    assert assess("Talked with Maria about feedback").ask
    # philter-lite's own pipeline (and NLTK, whose tagger it downloads) is never imported.
    assert "nltk" not in sys.modules


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # An honorific after "patient", a bed or a relation is still that patient or relative.
        ("patient Mrs Okafor was upset about the delay", "patient_name"),
        ("bed 3 Mr Okafor kept calling out overnight", "name_in_bed"),
        ("his daughter Mrs Susan Hale rang the ward twice", "relative_name"),
        ("the student's patient Mr Jones went downhill", "patient_name"),
        # A possessive staff title after a name makes the name a patient's, not a colleague's.
        ("Mr Jones, my student's patient, went downhill overnight", "patient_name"),
        ("Mrs Patel, the consultant's patient, was our teaching case", "patient_name"),
        ("Doris, the intern's patient, had two falls", "patient_name"),
        ("Mrs Kaur the dietitian's patient is eating again", "patient_name"),
        # A care home's resident is a patient.
        ("The care home resident, Doris Webb, came in confused", "patient_name"),
        ("resident Arthur Pike from the nursing home came in septic", "patient_name"),
    ],
)
def test_patients_behind_an_honorific_or_a_role_are_refused(text, kind):
    verdict = assess(text, today=TODAY)
    assert kind in [f.kind for f in verdict.refused], verdict


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # After Mr or Mrs, a role with "a" or "the" does not make a colleague.
        ("We talked about Mr. Ferreira, a doctor himself, refusing treatment", "Mr. Ferreira"),
        ("Mr Jones, the student, went downhill", "Mr Jones"),
        # What happens to patients, said of the person named after a title.
        ("Sister Mary from the convent was admitted and the student was kind to her", "Mary"),
        # The writer's own family, or a colleague's: asked about, not refused.
        ("my friend Sarah from med school gave a great talk on feedback", "Sarah"),
        ("My mentee's son Leo starts school, so we moved our meetings", "Leo"),
        ("I told her how my daughter Ella's illness affected my training", "Ella's"),
    ],
)
def test_names_a_title_or_a_relation_cannot_settle_are_asked_about(text, name):
    verdict = assess(text, today=TODAY)
    assert verdict.ask and verdict.names == (name,), verdict


@pytest.mark.parametrize(
    "text",
    [
        "Mr Singh (our consultant surgeon) joined the teaching session.",
        "shadowed the nurse practitioner, Ms Alvarez NP, for two hours",
        "I asked Priya, the F1, to lead the handover",
        "Jordan (PA) led the huddle",
        "My resident Jo went home early after nights",
        "Sister Kelly admitted she was tired after the run of nights",
    ],
)
def test_colleagues_with_their_roles_still_pass(text):
    assert assess(text, today=TODAY).fine


def test_a_relative_of_someone_else_is_still_refused():
    assert "relative_name" in [f.kind for f in assess("Her partner James rang the ward", today=TODAY).refused]


@pytest.mark.parametrize(
    "text",
    [
        "<@U0123ABCD|Eleanor Whitfield MRN 4471234>",
        "see <#C0123ABCD|mrn-4471234-whitfield>",
        "<!here|Mrs Okafor bed 3> please",
    ],
)
def test_what_is_typed_as_a_mention_label_is_screened(text):
    assert assess(text, today=TODAY).refused


def test_a_persons_label_is_their_name_and_a_channel_label_is_not_a_number():
    assert assess("Talked with <@U0123ABCD|maria garcia> in <#C0123ABCD|ward-4-mentors>").fine
