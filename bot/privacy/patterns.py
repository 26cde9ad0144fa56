"""Identifiers with a shape: numbers, codes, dates, ages, addresses, contact details.

Each recognizer pairs a shape with the words that give it away, the way Presidio's
pattern recognizers use "context words": a seven-digit number is a record number on
its own, a four-digit one only after "social"; a date is a patient's after
"admitted", "discharged", "died" or "DOB", not after "met on". The list covers the
Safe-Harbor kinds that can appear in a typed note; what it refuses is never asked about.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.privacy.dates import FULL_DATE, age_over_89, birth_date, care_date, old_full_date, without_scores


@dataclass(frozen=True)
class Finding:
    """One kind of identifier spotted in a text (the text itself is not repeated)."""

    kind: str
    label: str


# --- contact details ------------------------------------------------------------------

# Every repeat below is bounded or possessive, and each pattern can start only where a
# run of its characters starts: a pasted 4,000-character run of "a." or "Ann-" costs one
# linear scan, never one scan per starting position (quadratic).
_LOCAL_CHARS = r"[\w.!#$%&'*+/=?^`{|}~-]"
EMAIL = re.compile(
    rf"(?<!{_LOCAL_CHARS}){_LOCAL_CHARS}{{1,64}}@(?:[A-Za-z0-9-]{{1,63}}+\.){{1,126}}[A-Za-z0-9-]{{2,63}}+"
)
# An email spelled out so no filter sees it: "bob.jones at yahoo dot com".
SPELLED_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}\s*(?:\(at\)|\[at\]|\sat\s)\s*[\w-]{1,63}\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*"
    r"(?:com|org|net|edu|gov|co|uk|io|us|ca|au|nz|ie|info|me)\b",
    re.IGNORECASE,
)
# Phone numbers in the forms people write them: (617) 555-0199, 617.555.0199, +44 20
# 7946 0958, 07700 900123, 0412 555 019, 1-800-555-0134, 555 0148. Groups of three
# three-digit numbers ("scores 210 225 240") are not phone numbers.
PHONE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?:\+\d{1,3}[\s.-]?|1[\s.-])?(?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])\d{3,4}[\s.-]\d{4}"
    r"|\+\d{1,3}[\s.-]?\d{2,5}(?:[\s.-]\d{2,4}){2,3}"
    r"|\d{3}[\s.-]\d{4}"
    r"|0\d{3,4}\s?\d{6}"
    r"|0\d{3}\s\d{3}\s\d{3}"
    r")(?![\w/-]|\.\d)"
)
# Digits after a word that says "phone": "call home 555 0148", "cell 6175550199".
PHONE_WORDS = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|cellphone|landline|fax|ring|call)\b"
    r"[^\d\n]{0,20}\+?\d[\d\s().-]{5,}\d",
    re.IGNORECASE,
)
URL = re.compile(
    r"(?:https?://|(?<![\w.-])www\.)[^\s<>|]++|(?<![\w.-])[\w-]++(?:\.[\w-]++)++/[^\s<>|]*+", re.IGNORECASE
)
URL_WITH_ID = re.compile(r"\d{4,}|[?&;](?:mrn|pid|patient\w*|pt|id|chart|record|visit|encounter)\w*=", re.I)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
IP_ADDRESS = re.compile(rf"(?<![\d.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\d.])")

# --- numbers and codes ------------------------------------------------------------------

SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
SSN_LAST_FOUR = re.compile(r"\b(?:social(?:\s+security)?|ssn|ss#)\b[^.\n]{0,30}?\b\d{4}\b", re.IGNORECASE)

# Words after which a code with digits identifies someone, grouped by what it is.
# A code: one token with a digit, perhaps after a short capital prefix ("XYZ 4821") or
# before a short capital suffix ("AB12 CDE"), perhaps continued by digit groups.
_CODE = (
    r"(?:(?-i:[A-Z]{1,4})[ -])?(?=[\w/-]{0,40}\d)[A-Za-z0-9][\w/-]{0,40}+(?:[ -]\d[\d-]{0,20}+){0,6}+"
    r"(?:[ ](?-i:[A-Z]{2,3})\b)?"
)
_KEYWORD_GROUPS = (
    (
        "record_number",
        "a medical record or patient number",
        r"mrn|medical\s+record|record|hospital\s+(?:no|number|num|#)|hosp\s*(?:no|#)|nhs|chi|ur|unit\s+(?:no|number)"
        r"|chart|(?:patient|pt)\s*(?:id|no|number|num|#)|id\s*(?:no|number)"
        r"|(?:patient|pt)(?=\.?\s*#?\s*\d[\d-]{4,})",
    ),
    (
        "health_plan",
        "an insurance or health plan number",
        r"medicaid|medicare|insurance|member\s*(?:id|no|number)|policy|beneficiary|plan\s*(?:id|no|number)|nhi",
    ),
    ("account", "an account or billing number", r"account|acct|billing|invoice|bill\s+(?:no|number)"),
    (
        "licence",
        "a licence, passport or certificate number",
        r"licen[cs]e|passport|certificate|permit",
    ),
    ("vehicle", "a vehicle plate or serial number", r"plate|registration|vin|reg\.?\s+no"),
    ("device", "a device serial or lot number", r"serial|s/n|sn|lot|implant|device\s+(?:id|no|number)"),
    (
        "other_id",
        "an ID number or code",
        r"(?:study|trial|subject|sample|specimen|case|accession|incident|ticket|reference|ref|wristband|band|barcode|badge)"
        r"\s*(?:id|no\.?|number|num|code|#)?",
    ),
)
# Between the word and its code: "MRN: ", "number is ", "no. ", "ID #".
_LEAD_IN = r"[^\w\n]{0,4}(?:(?:is|was|of|no\.?|number|id|code|#)\W{0,3}){0,3}"
_KEYWORD_PATTERNS = tuple(
    (kind, label, re.compile(rf"\b(?:{words})\b{_LEAD_IN}(?P<code>{_CODE})", re.I))
    for kind, label, words in _KEYWORD_GROUPS
)


def _looks_like_a_code(code: str) -> bool:
    """At least three digits, or a plate-like mix of letters and digits (four or more)."""
    digits = sum(c.isdigit() for c in code)
    return digits >= 3 or (digits > 0 and len(code) >= 4 and any(c.isascii() and c.isalpha() for c in code))


LONG_NUMBER = re.compile(r"(?<![\d.,])\d{7,}(?![\d.,])")
# Numbers written in groups: 123-456-78, 004-55-21, 0012-3344-55, 22-8841-03, 4471-2209.
GROUPED_NUMBER = re.compile(r"(?<![\w/.-])\d{1,5}(?:[-.]\d{1,5}){1,4}(?![\w/-]|\.\d)")
# Upper-case codes with five or more digits: XJH884412309, D1234567, 1HGCM82633A004352.
# Found as whole runs, then checked in Python (lookaheads from every position are quadratic).
_CAPITAL_RUN = re.compile(r"(?<![\w-])[A-Z0-9][A-Z0-9-]*+")


def _alnum_code(text: str) -> bool:
    for match in _CAPITAL_RUN.finditer(text):
        run = match.group().rstrip("-")
        following = text[match.end() : match.end() + 1]
        if following and (following.isalnum() or following == "_"):
            continue  # part of a longer word: "ABC12345xyz"
        digits = sum(c.isdigit() for c in run)
        if len(run) >= 6 and digits >= 5 and any(c.isalpha() for c in run):
            return True
    return False


# --- dates and ages ---------------------------------------------------------------------

# Dates of birth and of care, and ages over 89: `bot.privacy.dates`.

# --- places -----------------------------------------------------------------------------

_STREET = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Court|Ct|Crescent|Cres|Way|Boulevard|Blvd"
    r"|Place|Pl|Terrace|Terr|Square|Sq|Gardens|Gdns|Grove|Row|Walk|Mews|Parkway|Pkwy|Highway|Hwy|Circle"
    r"|Cir|Trail|Trl|Park|Hill|View|Rise|Green)"
)
STREET_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\.?\s+){{1,3}}{_STREET}\b"
    r"|\bP\.?\s?O\.?\s*Box\s*\d+"
    r"|\b(?:apt|apartment|flat)\s*#?\s*\d+[A-Za-z]?\b",
)
RESIDENCE = re.compile(
    r"\b(?:lives?|living|resides?|residing|stays|staying)\s+(?:alone\s+|by\s+(?:him|her)self\s+|"
    r"with\s+\w+(?:\s+\w+)?\s+)?(?:in|at|on)\s+(?:\d|[A-Z])"
    r"|\b(?:comes?|came|drove|drives|travels|travel+ed|transferred|moved)\s+(?:in\s+|down\s+|up\s+|over\s+)?"
    r"from\s+[A-Z]"
    r"|\b(?:pt|patient|family)\s+(?:is|are|was)\s+from\s+[A-Z]"
    r"|\b(?:home\s+)?address\s*(?:is|:)?\s*\d",
)
_US_STATES = (
    "(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ"
    "|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
)
POSTCODE = re.compile(
    r"\b(?:zip|zip\s*code|zipcode|postcode|post\s+code|postal\s+code)\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # UK: SW1A 2AA
    rf"|\b{_US_STATES}\s+\d{{5}}(?:-\d{{4}})?\b"  # US: a state and a ZIP, IL 62704
)


def _is_date(text: str) -> bool:
    """Whether a grouped number is a plausible calendar date (2026-11-03, 11-02-2026)."""
    parts = [int(p) for p in re.split(r"[-.]", text) if p]
    if len(parts) != 3:
        return len(parts) == 2 and all(1 <= p <= 31 for p in parts)
    year_first = parts[0] > 31 and 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    year_last = 1 <= min(parts[0], parts[1]) <= 12 and max(parts[0], parts[1]) <= 31
    return year_first or year_last


def _grouped_numbers(text: str) -> bool:
    """Digits in dashed or dotted groups that are not a date, a phone or a decimal."""
    for match in GROUPED_NUMBER.finditer(text):
        value = match.group()
        digits = sum(c.isdigit() for c in value)
        groups = len(re.split(r"[-.]", value))
        if _is_date(value) or re.fullmatch(r"(?:19|20)\d\d-(?:19|20)\d\d", value):
            continue
        if (groups >= 3 and digits >= 6) or (groups == 2 and digits >= 7 and "-" in value):
            return True
    return False


def _keyword_code(text: str) -> list[Finding]:
    found = []
    for kind, label, pattern in _KEYWORD_PATTERNS:
        for match in pattern.finditer(text):
            if _looks_like_a_code(match.group("code")):
                found.append(Finding(kind, label))
                break
    return found


def _dates(text: str, today: date) -> list[Finding]:
    """A date of birth, a date of care (admission, discharge, death) or an old full date."""
    text = without_scores(text)
    if birth_date(text, today):
        return [Finding("date_of_birth", "a date of birth")]
    if care_date(text):
        return [Finding("care_date", "a date of admission, discharge or death")]
    if old_full_date(text, today):
        return [Finding("old_date", "a full date from years ago (it could be a date of birth)")]
    return []


def _address(text: str) -> bool:
    return bool(STREET_ADDRESS.search(text) or RESIDENCE.search(text))


def _urls(text: str) -> bool:
    return any(URL_WITH_ID.search(match.group()) for match in URL.finditer(text))


def _phones(text: str) -> bool:
    without_dates = FULL_DATE.sub(" ", text)
    return bool(PHONE.search(without_dates) or PHONE_WORDS.search(without_dates))


# Single checks, most serious first: (kind, label, test).
_CHECKS: tuple[tuple[str, str, Callable[[str], bool]], ...] = (
    ("ssn", "a Social Security number", lambda t: bool(SSN.search(t) or SSN_LAST_FOUR.search(t))),
    ("email", "an email address", lambda t: bool(EMAIL.search(t) or SPELLED_EMAIL.search(t))),
    ("phone", "a phone or fax number", _phones),
    ("url", "a link that points at someone's record", _urls),
    ("ip_address", "an IP address", lambda t: bool(IP_ADDRESS.search(t))),
    ("address", "a street address or where someone lives", lambda t: bool(_address(t))),
    ("postcode", "a ZIP code or postcode", lambda t: bool(POSTCODE.search(t))),
    ("age_over_89", "an age over 89", age_over_89),
)
# Findings that already account for a long run of digits.
_NUMBER_KINDS = frozenset(
    {"phone", "ssn", "record_number", "health_plan", "account", "licence", "vehicle", "device"}
    | {"other_id", "url", "ip_address"}
)


def _bare_number(text: str) -> bool:
    """A long number, a grouped number or a code, with no word to say what it is."""
    return bool(LONG_NUMBER.search(text) or _grouped_numbers(text) or _alnum_code(text))


def identifier_findings(text: str, today: date) -> list[Finding]:
    """Every shaped identifier in `text`, most serious first (one finding per kind)."""
    without_emails = EMAIL.sub(" email ", text)
    findings = [Finding(kind, label) for kind, label, test in _CHECKS[:2] if test(text)]
    findings += [Finding(kind, label) for kind, label, test in _CHECKS[2:] if test(without_emails)]
    findings += _keyword_code(without_emails)
    findings += _dates(without_emails, today)
    if not any(f.kind in _NUMBER_KINDS for f in findings) and _bare_number(without_emails):
        findings.append(Finding("long_number", "a long number or code that could be a record number"))
    return findings
