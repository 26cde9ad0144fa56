"""The small word lists the screen's context rules read (all lower case).

The big lists — tens of thousands of first and last names, and how common each word is
in everyday English — come from packages (`bot.privacy.lexicon`). These short ones are
the words around a name that say whose name it is: a title says colleague, a relation
or a bed number says patient or family, a following "sign" or "scale" says eponym. They
live in `bot/content/privacy_words.yaml`, so adding a word is a one-line data change.
"""

from __future__ import annotations

from importlib import resources

import yaml

_WORDS = yaml.safe_load(resources.files("bot").joinpath("content/privacy_words.yaml").read_text("utf-8"))


def _words(key: str) -> frozenset[str]:
    return frozenset(str(_WORDS[key]).split())


# Before a name, these make it someone's name for sure (and usually a patient's).
HONORIFICS = _words("honorifics")
# Before a name, these make the person a colleague.
STAFF_TITLES = _words("staff_titles")
# After a name, these make the person a colleague ("Ms Alvarez NP").
CREDENTIALS = _words("credentials")
# Before a name, these make it a relative's or carer's name.
RELATIONS = _words("relations")
# "sister" is a relation after these ("his sister Mary") and a nurse's title otherwise.
POSSESSIVES = _words("possessives")
# A number after these, then a name, puts the name in a bed ("bed 3 Okafor").
BED_WORDS = _words("bed_words")
# "patient Joan Albright", "pt Denise Coleman".
PATIENT_WORDS = _words("patient_words")
# Words that say a date is about a patient's care or life, not a meeting.
EVENT_WORDS = _words("event_words")
# Capitalised words that are never a person's name here (days, wards, languages, titles).
NEVER_NAMES = _words("never_names") | STAFF_TITLES | HONORIFICS | RELATIONS
# After a capitalised word, these say it names a thing or a place ("Murphy's sign").
THING_NOUNS = _words("thing_nouns")
# Medical and teaching eponyms, institutions and places named without naming a patient.
EPONYMS = _words("eponyms")
# After these, a lone lower-case first name reads as a person ("talked to gerald").
LEADS_TO_A_PERSON = _words("leads_to_a_person")
# Function words that end a name ("Mr and Mrs Lindqvist" reads across "and").
STOPWORDS = _words("stopwords")
