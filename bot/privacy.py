"""Screening free text for patient identifiers before anything is stored.

Mentor Nudge asks about conversations, never about patients. Notes and reflections
are checked here and refused — with a plain explanation of what looked wrong — when
they seem to hold a record number, a date of birth, a phone number, an SSN, an email
address, or a patient's name next to a date or number.

The checks lean cautious: refusing a harmless note costs the writer a small edit,
while storing a patient identifier would break the promise hospital IT approved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Each pattern has a label a person will read in the refusal.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z0-9-]{2,}")
_SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
# Phone numbers end in a group of four digits (617 555 0199, 020 7946 0958) — which
# keeps score lists like "210 225 240" out — or are a local 555-1234, or a UK mobile.
_PHONE = re.compile(
    r"(?<![\w-])(?:"
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])\d{3,4}[\s.-]\d{4}"
    r"|\d{3}-\d{4}"
    r"|0\d{4}\s?\d{6}"
    r")(?![\w-])"
)
_RECORD_WORDS = re.compile(
    r"\b(?:MRN|medical record|record (?:no|number|#)|hospital (?:no|number|#)|NHS (?:no|number)|"
    r"(?:patient|pt)\.? ?(?:id|no|number|#)|chart (?:no|number|#)|account (?:no|number|#)|acct)"
    r"[^0-9]{0,12}\d[\d -]{3,}"
    r"|\b(?:patient|pt)\.?\s*#?\s*\d{5,}",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{7,}(?![\d.,])")
_DOB_WORDS = re.compile(r"\b(?:DOB|D\.O\.B|date of birth|born(?: on)?|birth ?date)\b", re.IGNORECASE)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_FULL_DATE = re.compile(
    r"\b(?:"
    r"(?P<y1>\d{4})[-/.]\d{1,2}[-/.]\d{1,2}"  # 1987-03-14
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?P<y2>\d{4}|\d{2})"  # 14/03/1987, 3-14-87
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+(?P<y3>\d{{4}})"  # 14 March 1987
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<y4>\d{{4}})"  # March 14, 1987
    r")\b",
    re.IGNORECASE,
)
_ANY_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[-/.]\d{{1,2}}(?:[-/.]\d{{2,4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}|"
    rf"{_MONTHS}\.?\s+\d{{1,2}})\b",
    re.IGNORECASE,
)
_HONORIFIC_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Master)\b\.?\s+[A-Za-z][A-Za-z'’-]+", re.IGNORECASE)
# "Patient: Juan Perez", "pt Jane Doe": a name right after the word patient.
_PATIENT_NAME = re.compile(r"\b(?:[Pp]atient|[Pp]t)\b\.?\s*:?\s+[A-Z][a-z'’-]+\s+[A-Z][A-Za-z'’-]+")
# An age with a sex or "year-old" marker: 67M, 54 F, 8yo, 45-year-old.
_AGE_SEX = re.compile(r"\b\d{1,3}\s?(?:yo|y/o|y\.o\.|-?year-old|yr old|[MF])\b")
_CAPITALISED_NAME = re.compile(r"\b[A-Z][a-z'’-]+\s+[A-Z][a-z'’-]+\b")
# Well-formed Slack mentions (<@U123|name>, <#C123|ward>, <!here>) hold ids, not
# identifiers, and are removed before screening so a long user id is not a "number".
# Links are screened as their URL and label: a pasted chart link can carry an MRN.
_SLACK_MENTION = re.compile(
    r"<@[UW][A-Z0-9]+(?:\|[^<>]*)?>|<#[CG][A-Z0-9]+(?:\|[^<>]*)?>"
    r"|<!(?:here|channel|everyone|subteam\^[A-Z0-9]+)(?:\|[^<>]*)?>"
)
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|<>]*)(?:\|([^<>]*))?>")
_BED_OR_ROOM = re.compile(r"\b(?:bed|room|rm|bay)\s*#?\s*\d+", re.IGNORECASE)

# Identifiers one pattern finds on its own, most serious first.
_SINGLE_PATTERNS = (
    (_SSN, "ssn", "a Social Security number"),
    (_RECORD_WORDS, "record_number", "a medical record or patient number"),
    (_EMAIL, "email", "an email address"),
    (_PHONE, "phone", "a phone number"),
)
# Findings that already account for a long run of digits.
_NUMBER_KINDS = frozenset({"phone", "ssn", "record_number"})

# How far back a full date must be before it reads as a birth date rather than a
# recent event ("on 2026-11-03 we talked" is fine; "14/03/1987" is not).
RECENT_YEARS = 1


@dataclass(frozen=True)
class Finding:
    """One kind of identifier spotted in a text (the text itself is not repeated)."""

    kind: str
    label: str


def _year(match: re.Match[str]) -> int | None:
    for group in ("y1", "y2", "y3", "y4"):
        value = match.group(group)
        if value:
            year = int(value)
            if year < 100:  # two-digit years: 87 → 1987, 24 → 2024
                year += 1900 if year > (date.today().year % 100) else 2000
            return year
    return None


def screen(text: str, *, today: date | None = None) -> list[Finding]:
    """Identifiers found in `text`, most serious first; empty when it looks clean."""
    text = _without_slack_markup(text)
    findings = [*_single_pattern_findings(text), *_date_findings(text, today or date.today())]
    findings += _long_number_findings(text, findings)
    findings += _name_findings(text)
    return findings


def _without_slack_markup(text: str) -> str:
    """Mentions dropped and links spelled out as their URL and label (see `_SLACK_MENTION`)."""
    text = _SLACK_MENTION.sub(" ", text)
    return _SLACK_LINK.sub(lambda m: f" {m.group(1)} {m.group(2) or ''} ", text)


def _single_pattern_findings(text: str) -> list[Finding]:
    return [Finding(kind, label) for pattern, kind, label in _SINGLE_PATTERNS if pattern.search(text)]


def _date_findings(text: str, today: date) -> list[Finding]:
    """A date of birth, or a full date old enough to be one; at most one finding."""
    # Next to "DOB", "born"…, any date at all is a date of birth, however recent.
    if _DOB_WORDS.search(text):
        if _FULL_DATE.search(text) or _ANY_DATE.search(text):
            return [Finding("date_of_birth", "a date of birth")]
        return []
    for match in _FULL_DATE.finditer(text):
        year = _year(match)
        if year is not None and year < today.year - RECENT_YEARS:
            return [Finding("old_date", "a full date from years ago (it could be a date of birth)")]
    return []


def _long_number_findings(text: str, found: list[Finding]) -> list[Finding]:
    """A long number, unless an earlier finding already explains it."""
    if _LONG_NUMBER.search(text) and not any(f.kind in _NUMBER_KINDS for f in found):
        return [Finding("long_number", "a long number that could be a record number")]
    return []


def _name_findings(text: str) -> list[Finding]:
    """Names that read as a patient's: with a date or bed, after "patient", or with an age."""
    findings = []
    if _HONORIFIC_NAME.search(text) and (
        _ANY_DATE.search(text) or _FULL_DATE.search(text) or _BED_OR_ROOM.search(text)
    ):
        findings.append(
            Finding("name_with_date", "what looks like a patient's name with a date or bed number")
        )
    if _PATIENT_NAME.search(text):
        findings.append(Finding("patient_name", "what looks like a patient's name"))
    if _AGE_SEX.search(text) and (_CAPITALISED_NAME.search(text) or _ANY_DATE.search(text)):
        findings.append(
            Finding("age_with_name", "an age with a name or date, which could identify a patient")
        )
    return findings


def refusal(findings: list[Finding], *, ask: str = "describe the conversation") -> str:
    """A plain explanation for the writer; never echoes the identifier back.

    `ask` completes "please … without identifiers" for the kind of text (a note, a nudge).
    """
    labels = [f.label for f in findings]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return (
        f"This wasn't saved because it looks like it contains {listed}. Mentor Nudge never stores "
        f"patient information — please {ask} without identifiers and try again."
    )


def check(text: str, *, today: date | None = None, ask: str = "describe the conversation") -> str | None:
    """None when `text` may be stored; otherwise the message to show its writer."""
    findings = screen(text, today=today)
    return refusal(findings, ask=ask) if findings else None
