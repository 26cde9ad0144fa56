"""Screening free text for patient identifiers before anything is stored.

Mentor Nudge asks about conversations, never about patients. Every note, reflection,
custom nudge and cohort name goes through this screen, which gives one of three
verdicts:

- **refuse** — the text holds an identifier with a shape (a record number, a phone,
  an email, an address, a date of birth or admission, an age over 89, …; see
  `bot.privacy.patterns`) or a name whose context makes it a patient's or a relative's
  ("bed 3 Okafor", "daughter Susan", "Eleanor Whitfield, 78"). These are never asked
  about: the writer is told what to take out.
- **ask** — the only problem is a name the app cannot place ("talked with Maria about
  feedback"). Maria may be a colleague: forms ask "Is Maria a colleague?", and a yes
  is remembered for the workspace. Text that arrives outside a form is refused with
  the advice to @mention colleagues.
- **fine** — nothing found, or only names of people in the workspace, @mentions and
  names after a staff title (Dr, Nurse, charge nurse).

The method, and how it was chosen and measured, is in docs/privacy.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.privacy.lexicon import load_lexicon
from bot.privacy.names import AGE, BED, PATIENT, RELATIVE, NameMention, find_names
from bot.privacy.patterns import EMAIL, URL, Finding, identifier_findings

__all__ = [
    "TEXT_LIMIT",
    "TITLE_WORDS",
    "Finding",
    "KnownName",
    "KnownNames",
    "NamesToConfirm",
    "Verdict",
    "assess",
    "check",
    "name_words",
    "refusal",
    "screen",
    "whole_name",
]

# Well-formed Slack mentions (<@U123|name>, <#C123|ward>, <!here>) hold ids, not
# identifiers: a mention is a colleague, and a long user id is not a "number". The id
# is dropped; the label after "|" is anyone's typing (a modal takes "<@U1|MRN 4471234>"
# as plain text), so it is screened too — for identifiers always, for names unless it
# labels a person (then it is that colleague's name). Links are screened as their URL
# and label: a pasted chart link can carry an MRN.
_SLACK_MENTION = re.compile(
    r"<(?:(?P<person>@[UW][A-Z0-9]+)|#[CG][A-Z0-9]+|!(?:here|channel|everyone|subteam\^[A-Z0-9]+))"
    r"(?:\|(?P<label>[^<>]*))?>"
)
# More than the screen will read: refused before any pattern runs, so no caller can make
# it spend seconds on a pasted document. Every form's own limit is well under this.
TEXT_LIMIT = 4000
TOO_LONG = Finding("too_long", f"more than the {TEXT_LIMIT:,} characters the privacy check reads")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|<>]*)(?:\|([^<>]*))?>")
_FORMATTING = re.compile(r"[*_~`]")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# What a name's context makes it, as a refusal reads it.
_NAME_CONTEXTS = {
    BED: Finding("name_in_bed", "a patient's name with a bed or room number"),
    RELATIVE: Finding("relative_name", "a relative's or carer's name"),
    PATIENT: Finding("patient_name", "what looks like a patient's name"),
    AGE: Finding("name_with_age", "a name with an age, which could identify a patient"),
}
UNPLACED_NAME = Finding("name", "a name I can't place as a colleague's (@mention colleagues instead)")


def name_words(name: str) -> frozenset[str]:
    """The lower-case words of a person's name ("Dr. Sarah Chen-Li" → sarah, chen-li, chen, li, dr)."""
    words = {w.lower().replace("’", "'") for w in _NAME_WORD.findall(name)}
    return frozenset(words | {part for w in words for part in w.split("-") if part})


# Words of a Slack name that are not the person's name ("Dr. Sarah Chen", "dr.long").
TITLE_WORDS = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sr", "nurse"})


def whole_name(name: str) -> frozenset[str]:
    """A name's own words, lower case, as written (no titles, no hyphen parts):
    "Dr. Sarah Chen-Li" → sarah, chen-li."""
    words = {w.lower().replace("’", "'").removesuffix("'s") for w in _NAME_WORD.findall(name)}
    return frozenset(words - TITLE_WORDS - {""})


@dataclass(frozen=True)
class KnownName:
    """One person the workspace knows: every word of their name, and the name itself."""

    words: frozenset[str]
    whole: frozenset[str]

    @classmethod
    def of(cls, name: str) -> KnownName:
        """From a name as written ("Maria Alvarez", "dr.long")."""
        return cls(name_words(name), whole_name(name))


@dataclass(frozen=True)
class KnownNames:
    """Names the workspace can place: its people's Slack names and confirmed colleagues.

    - A **person** of the workspace places a plain name whose words all belong to them
      ("Maria" and "Maria Alvarez" match Maria Alvarez; "Maria Lopez" does not), and a
      name after an honorific only when it is their whole name ("Mrs Priya Patel", not
      "Mrs Patel", who may be anyone's patient).
    - A **confirmed** name (a "Yes, save") places exactly that name: a yes to "Maria
      Lopez" says nothing about every other Maria or Lopez.
    """

    people: tuple[KnownName, ...] = ()
    confirmed: frozenset[frozenset[str]] = frozenset()

    @classmethod
    def of(cls, names: Iterable[str], *, confirmed: Iterable[str] = ()) -> KnownNames:
        """From full names as written ("Maria Alvarez", "dr.long") and confirmed names."""
        people = tuple(person for name in names if (person := KnownName.of(name)).words)
        return cls(people, frozenset(whole for name in confirmed if (whole := whole_name(name))))

    def place(self, mention: NameMention) -> bool:
        """Whether the mention names someone known."""
        words = frozenset(mention.words)
        if not words:
            return False
        if words in self.confirmed:
            return True
        if mention.honorific:
            return any(words == person.whole for person in self.people)
        return any(words <= person.words for person in self.people)


NO_ONE = KnownNames()


@dataclass(frozen=True)
class Verdict:
    """What the screen found: identifiers to refuse, and names to ask about.

    `refused` wins: a text with both is refused, and nobody is asked about its names.
    """

    refused: tuple[Finding, ...] = ()
    names: tuple[str, ...] = ()
    mentions: tuple[NameMention, ...] = field(default=(), repr=False, compare=False)

    @property
    def fine(self) -> bool:
        """Nothing to refuse and nobody to ask about."""
        return not self.refused and not self.names

    @property
    def ask(self) -> bool:
        """Only names the app cannot place: ask whether they are colleagues."""
        return not self.refused and bool(self.names)

    def placing(self, known: KnownNames) -> Verdict:
        """The same verdict with the names `known` can place no longer asked about."""
        unplaced = [m for m in self.mentions if m.context is None and not known.place(m)]
        return Verdict(self.refused, _unique(m.text for m in unplaced), self.mentions)

    def findings(self) -> list[Finding]:
        """Everything found, as refusal findings (an unplaced name as one more)."""
        return [*self.refused, *([UNPLACED_NAME] if self.names else [])]


class NamesToConfirm(Exception):
    """Raised by a service when a text's only problem is names it cannot place."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        super().__init__(", ".join(self.names))


def _without_slack_markup(text: str, *, people: bool = False) -> str:
    """Mentions replaced by their labels — a person's too with `people`, else blanked —
    and links spelled out as their URL and label (see `_SLACK_MENTION`)."""

    def label(mention: re.Match[str]) -> str:
        keep = people or not mention.group("person")
        return f" {mention.group('label') or ''} " if keep else " "

    text = _SLACK_MENTION.sub(label, text)
    return _SLACK_LINK.sub(lambda m: f" {m.group(1)} {m.group(2) or ''} ", text)


def _without_addresses(text: str) -> str:
    """Emails and links blanked out and Slack's *bold* _italic_ ~strike~ marks removed
    (all to spaces, so offsets stay), so neither is read as part of a name."""
    text = EMAIL.sub(lambda m: " " * len(m.group()), text)
    text = URL.sub(lambda m: " " * len(m.group()), text)
    return _FORMATTING.sub(" ", text)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def assess(
    text: str, *, known: KnownNames = NO_ONE, today: date | None = None, names: bool = True
) -> Verdict:
    """The verdict on `text`: identifiers to refuse, names to ask about, or fine.

    `names=False` looks only for identifiers with a shape (numbers, dates, contact
    details), for text where names are expected, such as a roster's email addresses.
    """
    if len(text) > TEXT_LIMIT:
        return Verdict((TOO_LONG,))
    refused = identifier_findings(_without_slack_markup(text, people=True), today or date.today())
    clean = _without_slack_markup(text)
    mentions = find_names(_without_addresses(clean), load_lexicon()) if names else []
    for context in (BED, RELATIVE, PATIENT, AGE):
        if any(m.context == context for m in mentions):
            refused.append(_NAME_CONTEXTS[context])
    return Verdict(tuple(refused), (), tuple(mentions)).placing(known)


def screen(
    text: str, *, known: KnownNames = NO_ONE, today: date | None = None, names: bool = True
) -> list[Finding]:
    """Identifiers found in `text`, most serious first; empty when it looks clean.

    A name the app cannot place counts as a finding here (callers that cannot ask
    refuse it); use `assess` to tell the two apart.
    """
    return assess(text, known=known, today=today, names=names).findings()


def refusal(findings: list[Finding], *, ask: str = "describe the conversation") -> str:
    """A plain explanation for the writer; never echoes the identifier back.

    `ask` completes "please … without identifiers" for the kind of text (a note, a nudge).
    """
    if TOO_LONG in findings:
        return (
            f"This wasn't saved because it's longer than the {TEXT_LIMIT:,} characters Mentor Nudge "
            "checks for patient information. Please shorten it and try again."
        )
    labels = [f.label for f in findings]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return (
        f"This wasn't saved because it looks like it contains {listed}. Mentor Nudge never stores "
        f"patient information — please {ask} without identifiers and try again."
    )


def check(
    text: str,
    *,
    known: KnownNames = NO_ONE,
    today: date | None = None,
    ask: str = "describe the conversation",
) -> str | None:
    """None when `text` may be stored; otherwise the message to show its writer."""
    findings = screen(text, known=known, today=today)
    return refusal(findings, ask=ask) if findings else None
