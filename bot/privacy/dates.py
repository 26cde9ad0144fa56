"""Dates and ages that identify a patient: a birth date, a date of care, an age over 89.

A date alone is ordinary ("we met on 3 Dec"); it identifies a patient beside the words
that say whose date it is — "admitted", "discharged", "died", "DOB", "born". Both halves
must be real: the date a calendar date in a shape people write (day ≤ 31, month ≤ 12,
not "7.2" or "2.5 mg", which are a haemoglobin and a dose), and the word close to it in
the same sentence ("admitted with a Hb of 7.2" holds no date; "we met on 3 Dec … the
admission" is two thoughts).

An age over 89 is one with an age's words ("93 year old", "aged 91", "she's 95", "in
her late nineties"); "heart rate was 96" and "the pass mark was 90" are numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date

from bot.privacy.vocab import EVENT_WORDS

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"(?:st|nd|rd|th)"
_WEEKDAYS = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu|thurs?|fri|sat|sun)"
)

DOB_WORDS = re.compile(
    r"\b(?:DOB|date\s+of\s+birth|born(?:\s+(?:on|in))?|birth\s*date|birthday)\b|\bD\.O\.B\b\.?", re.I
)
# Dates with a year: 14/03/1987, 2026-11-03, 4 June 1948, June 4th, 1948.
FULL_DATE = re.compile(
    r"\b(?:"
    r"(?P<y1>\d{4})[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?P<y2>\d{4}|\d{2})"
    rf"|\d{{1,2}}{_ORDINAL}?\s+(?:of\s+)?{_MONTHS}\.?,?\s+(?P<y3>\d{{4}})"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}{_ORDINAL}?,?\s+(?P<y4>\d{{4}})"
    r")\b",
    re.IGNORECASE,
)
# Numeric dates with or without a year: 12/02, 3-11, 14.03.52, 2024-11-03. Two numbers
# joined by a dot are a decimal or a time (7.2, 10.30), never a date here.
_NUMERIC_DATE = re.compile(
    r"(?<![\w/.,:-])(?:"
    r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?:(?P=sep)(?P<year>\d{4}|\d{2}))?"
    r"|(?P<iso>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
    r")(?![\w/:-]|[.,]\d)"
)
# Dates in words: 3rd May, 2 March, May 3, "on the 3rd", "the 14th of".
_WORD_DATE = re.compile(
    rf"\b(?:\d{{1,2}}{_ORDINAL}?\s+(?:of\s+)?{_MONTHS}\b\.?"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}{_ORDINAL}?\b"
    rf"|(?:on|since|from|until|till|by|{_WEEKDAYS})\s+the\s+\d{{1,2}}{_ORDINAL}\b"
    rf"|the\s+\d{{1,2}}{_ORDINAL}(?:\s+of\b|(?=\s*(?:[,.;:)!?]|$))))",
    re.IGNORECASE,
)
# A number with a unit after it is a measurement: "2/3 ml", "12-14 hours".
_UNIT_AFTER = re.compile(
    r"\s*(?:%|per\s*cent|mg|mcg|micrograms?|g\b|kg|ml|l\b|litres?|liters?|mmol|mmhg|units?|iu\b|mins?\b"
    r"|minutes?|hours?|hrs?\b|h\b|days?\b|weeks?\b|bpm|patients?|beds?\b|times\b|x\b)",
    re.IGNORECASE,
)
_SCORE = re.compile(
    r"\b(?:pain|gcs|mmse|moca|amt|apgar|news2?|score[sd]?|rated?|scale)\W{0,3}(?:of\s+|was\s+|is\s+)?\d{1,2}/\d{1,2}\b"
    r"|\b\d{1,2}/(?:10|15|30)\s+(?:pain|on\s+the)\b",
    re.IGNORECASE,
)
# "She admitted she was tired", "admitted to me that…": admitting a feeling, not a patient.
_CONFESSING = (
    r"(?!\s+(?:that|to\s+(?:me|us|him|her|them|feeling|being|having)|it|how|what|she|he|they|i|we|you)\b)"
)
# "the discharge summary", "the admission list": the paperwork of care, not an event.
_PAPERWORK = (
    r"(?!\s+(?:summar(?:y|ies)|letters?|planning|plans?|templates?|checklists?|lounge|process|lists?|units?"
    r"|wards?|criteria|paperwork|meetings?|clerking|rotas?|targets?|forms?|notes|teams?|coordinators?"
    r"|policy|policies|protocols?|pathways?|bundles?|documents?)\b)"
)
_EVENT = re.compile(
    r"\b(?:(?:admit(?:s|ted)?"
    + _CONFESSING
    + "|"
    + "|".join(sorted(EVENT_WORDS - {"admit", "admitted"}))
    + r"|passed\s+away)\b"
    + _PAPERWORK
    + ")",
    re.IGNORECASE,
)
# A birth year after a birth word: "born in 1929", "DOB 1950".
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# How near (in characters, within one sentence) a date must be to the word that makes it
# a patient's: "admitted on 12/02 with" (4), "discharged home on the 3rd" (13).
NEAR = 40
_SENTENCE_BREAK = re.compile(r"[.!?;]\s|\n")
# No date shape is longer than this ("14th of September, 2026").
_LONGEST_DATE = 30

# How far back a full date must be before it reads as a birth date rather than a recent
# event ("on 2026-11-03 we talked" is fine; "14/03/1987" is not).
RECENT_YEARS = 1

# --- ages -------------------------------------------------------------------------------

_OLD = r"(?:9\d|1[01]\d)"
_SPELLED_OLD = (
    r"(?:ninety|one\s+hundred|a\s+hundred)"
    r"(?:[- ]?(?:and[- ])?(?:one|two|three|four|five|six|seven|eight|nine))?"
)
# "is 95%", "was 96 mg": a number with a unit after it is a measurement, not an age.
_NOT_AN_AGE = r"(?:%|per\s*cent|mg|kg|ml|mmol|units|min|mins|minutes|hours|bpm|/|\.\d|th\b|st\b|nd\b|rd\b)"
# Who "is 93": a person, never "the heart rate" or "the pass mark".
_PERSON = (
    r"(?:he|she|they|who|pt|patient|man|woman|lady|gentleman|gent|chap|guy|fellow|mum|mom|dad|mother"
    r"|father|husband|wife|grandma|grandpa|gran|granny|nan|grandmother|grandfather)"
)
AGE_OVER_89 = re.compile(
    rf"\b{_OLD}\s*-?\s*(?:yo\b|y/?o\b|y\.o\.|yrs?\b|years?(?:[- ]old)?\b|year[- ]old\b|[MF]\b)"
    rf"|\b(?:age|aged|age:)\s*:?\s*{_OLD}\b"
    rf"|\b{_PERSON}\s+(?:is|was|turns|turned)\s+(?:now\s+|only\s+|just\s+|nearly\s+|almost\s+)?{_OLD}\b"
    rf"(?!\s*{_NOT_AN_AGE})"
    rf"|(?<!\bit)(?<!\bthat)(?<!\bwhat)(?<!\bthere)(?<!\bhere)(?<!\bwho)['’]s\s+(?:now\s+|only\s+|just\s+)?"
    rf"{_OLD}\b(?!\s*{_NOT_AN_AGE})"
    rf"|\bturn(?:s|ed|ing)\s+{_OLD}\b(?!\s*{_NOT_AN_AGE})"
    rf"|\b(?:is|was|turns|turned|turning|aged?|['’]s)\s+(?:now\s+|nearly\s+|almost\s+)?{_SPELLED_OLD}\b"
    r"(?![- ]?(?:per\s*cent|percent|minutes|hours|mg|ml|units|beats|times))"
    rf"|\b{_SPELLED_OLD}[- ]years?[- ]old\b"
    r"|\bin\s+(?:his|her|their)\s+(?:early\s+|mid[- ]?|late\s+)?(?:90s|90['’]s|nineties|hundreds)\b"
    r"|\b(?:centenarian|nonagenarian|supercentenarian)s?\b",
    re.IGNORECASE,
)


# Every age `AGE_OVER_89` finds holds one of these; most texts hold none, and are not
# put through its many alternatives at every position.
_AGE_HINT = re.compile(r"(?<!\d)(?:9\d|1[01]\d)(?!\d)|ninet|hundred|narian", re.IGNORECASE)


def age_over_89(text: str) -> bool:
    """An age over 89 in any of the ways people write one."""
    return bool(_AGE_HINT.search(text)) and bool(AGE_OVER_89.search(text))


def without_scores(text: str) -> str:
    """Scores written as fractions ("pain 8/10", "GCS 3/15", "MMSE 24/30") blanked out,
    so they are not read as dates."""
    return _SCORE.sub(lambda m: " " * len(m.group()), text)


def full_year(match: re.Match[str], today: date) -> int | None:
    """The year of a `FULL_DATE` match, two-digit years read as the nearest past century."""
    for group in ("y1", "y2", "y3", "y4"):
        value = match.group(group)
        if value:
            year = int(value)
            if year < 100:  # two-digit years: 87 → 1987, 24 → 2024
                year += 1900 if year > (today.year % 100) else 2000
            return year
    return None


def _calendar(first: int, second: int) -> bool:
    """Day and month in either order: 12/02, 3/14 (US), 31-12."""
    if first < 1 or second < 1:
        return False
    return (first <= 31 and second <= 12) or (first <= 12 and second <= 31)


def _date_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds something that is really a calendar date, in order."""
    return sorted(_dates_in(text))


def _dates_in(text: str) -> Iterator[tuple[int, int]]:
    for match in _NUMERIC_DATE.finditer(text):
        if _UNIT_AFTER.match(text, match.end()):
            continue
        if match.group("iso"):
            if 1 <= int(match.group("iso_m")) <= 12 and 1 <= int(match.group("iso_d")) <= 31:
                yield match.span()
            continue
        if match.group("sep") == "." and not match.group("year"):
            continue  # 7.2, 10.30: a decimal or a time
        if _calendar(int(match.group("a")), int(match.group("b"))):
            yield match.span()
    for match in _WORD_DATE.finditer(text):
        yield match.span()
    for match in FULL_DATE.finditer(text):
        yield match.span()


def _near(text: str, first: tuple[int, int], second: tuple[int, int], distance: int = NEAR) -> bool:
    """Whether two spans are within `distance` characters, with no sentence break between."""
    (_, a_end), (b_start, _) = sorted((first, second))
    if b_start - a_end > distance:
        return False
    return _SENTENCE_BREAK.search(text, a_end, max(a_end, b_start)) is None


def _beside(text: str, words: re.Pattern[str], spans: list[tuple[int, int]], distance: int = NEAR) -> bool:
    """Whether any match of `words` is near one of `spans` (sorted by start)."""
    starts = [start for start, _ in spans]
    for word in words.finditer(text):
        # Only spans starting within reach are looked at: a long text stays linear.
        low = bisect_left(starts, word.start() - distance - _LONGEST_DATE)
        high = bisect_right(starts, word.end() + distance)
        if any(_near(text, word.span(), span, distance) for span in spans[low:high]):
            return True
    return False


def birth_date(text: str, today: date) -> bool:
    """A date of birth: a birth word beside a date, or beside a year ("born in 1929")."""
    if not DOB_WORDS.search(text):
        return False
    if _beside(text, DOB_WORDS, _date_spans(text)):
        return True
    # A bare year only just after the birth word: "born in 1929", not "2019 … born in Leeds".
    return any(
        (year := _YEAR.search(text, word.end(), word.end() + 12)) is not None
        and int(year.group()) <= today.year
        for word in DOB_WORDS.finditer(text)
    )


def care_date(text: str) -> bool:
    """A date of admission, discharge or death: the event word beside a real date."""
    if not _EVENT.search(text):
        return False
    return _beside(text, _EVENT, _date_spans(text))


def old_full_date(text: str, today: date) -> bool:
    """A full date from more than `RECENT_YEARS` ago (it could be a date of birth)."""
    for match in FULL_DATE.finditer(text):
        year = full_year(match, today)
        if year is not None and year < today.year - RECENT_YEARS:
            return True
    return False
