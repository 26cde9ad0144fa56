"""Finding people's names in a note, and what the words around each name say.

A name list alone cannot tell "Grace" the nurse from "grace under pressure", nor
"Dr Chen" from "Mrs Chen". So the finder reads three kinds of evidence together:

- **the words**: philter-lite's first- and last-name lists, and how common each name is
  as an ordinary English word (`bot.privacy.lexicon`);
- **the shape of the text**: a run of capitalised words in mid-sentence is a proper
  noun; a capital at the start of a sentence says little; lower case says "word"
  unless a name list and a rare spelling say otherwise;
- **the context**: a title before the name (Dr, Nurse, charge nurse) or a credential
  after it (NP, RN) makes it a colleague's; an honorific (Mrs) makes it certainly a
  name; a relation (daughter Susan), a bed number (bed 3 Okafor), "patient", or an age
  right after the name (Eleanor Whitfield, 78) makes it a patient's or family's;
  "sign", "scale", "ward" after it, or an eponym list, make it a thing.

The result is a list of `NameMention`s; `bot.privacy` decides what to refuse and what to
ask about, and which names the workspace already knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.privacy.lexicon import Lexicon
from bot.privacy.vocab import (
    BED_WORDS,
    CREDENTIALS,
    EPONYMS,
    HONORIFICS,
    LEADS_TO_A_PERSON,
    NEVER_NAMES,
    PATIENT_WORDS,
    POSSESSIVES,
    RELATIONS,
    STAFF_TITLES,
    STOPWORDS,
    THING_NOUNS,
)

# Where a name was found, when the place says whose it is (None: a plain name).
RELATIVE, BED, PATIENT, AGE = "relative", "bed", "patient", "age"

# How common (per pyspellchecker's counts) a name may be as an English word and still
# be read as a name: mid-sentence with a capital, at the start of a sentence, and in
# lower case. "Grace" (24,000) is a name mid-sentence but not at the start; "Will"
# (5.9 million) never is without a title; "gerald" (300) is one even in lower case.
MID_SENTENCE_LIMIT = 100_000
SENTENCE_START_LIMIT = 2_000
LOWER_CASE_LIMIT = 1_000
LOWER_CASE_SINGLE_LIMIT = 700
# After "daughter", "bed 3" or "patient" a lower-case name may be commoner ("son mike").
LOWER_CASE_AFTER_TRIGGER_LIMIT = 50_000

_TOKEN = re.compile(
    r"(?P<word>[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*(?:['’]s?)?)"
    r"|(?P<num>\d+(?:[.,:/]\d+)*[^\W\d_]*)"
    r"|(?P<punct>[^\w\s])"
)
_SENTENCE_END = frozenset(".!?;:•·|")
# Connectors allowed between a trigger and its name: "daughter, Susan", "wife (Paulette)".
_CONNECTORS = frozenset({",", "(", "-", ":", "–", "named", "called", "is", "was", "=", "—"})
# "Eleanor Whitfield, 78", "John Smith 67M", "Arthur Penhaligon aged 82", "(59)".
_AGE_AFTER = re.compile(
    r"^\s*[,(]?\s*(?:aged?\s*:?\s*|a\s+)?(?P<age>\d{1,3})\s*"
    r"(?:\)|,|-?\s*(?:yo\b|y/?o\b|y\.o\.|yrs?\b|years?\b|year\b|[MFmf]\b))"
)

# "Maria in bed 6", "Mr Ito (room 4)".
_BED_AFTER = re.compile(r"^\s*[(,]?\s*(?:in|at|from)?\s*(?:" + "|".join(sorted(BED_WORDS)) + r")\s*\d", re.I)
# "Doris, the intern's patient", "Mr Jones, a patient of Dr Rao".
_PATIENT_AFTER = re.compile(
    r"^\s*[,(-]?\s*(?:(?:the|a|an|my|our|his|her|their|your)\s+)?"
    r"(?:[^\W\d_][\w-]*['’]s\s+(?:own\s+)?(?:patient|pt)\b|(?:patient|pt)\s+(?:of|on|in|under|from|who)\b)",
    re.I,
)
# "Gladys is 94": a name with an age over 89 (younger ages need the shapes above).
_OLD_AGE_AFTER = re.compile(
    r"^\s+(?:is|was)\s+(?:now\s+)?(?:9\d|1[01]\d)\b(?!\s*(?:%|mg|kg|ml|minutes|mins|hours|bpm|/|\.\d))", re.I
)
# What happens to a patient, said of the person just named: "Sister Mary from the convent
# was admitted", "Mr Ferreira died". A title does not make them a colleague then.
_PATIENT_EVENT_AFTER = re.compile(
    r"^(?:(?!\b(?:and|but|said|says|told|that|because|when|while|so|who|which)\b)[^.;!?\n]){0,40}?"
    r"\b(?:was|were|got|been|being|is)\s+(?:\w+ly\s+)?(?:re)?(?:admitted|discharged|intubated"
    r"|resuscitated|ventilated|sectioned|brought\s+in)\b"
    r"|^\s*[,(]?\s*(?:has\s+|had\s+|sadly\s+|suddenly\s+)*(?:died|passed\s+away|deteriorated"
    r"|refus(?:ed|ing)\s+(?:treatment|the|his|her|to))\b",
    re.I,
)
# "a doctor himself": describing the person talked about, not naming a colleague.
_SELF = re.compile(r"^[^.;!?\n]{0,20}?\b(?:him|her|them)sel(?:f|ves)\b", re.I)
# "care home resident", "resident from the nursing home": a resident who lives there.
_HOME = re.compile(
    r"\b(?:care|nursing|residential|rest|group|retirement|old\s+people['’]?s)\s+homes?\b", re.I
)


@dataclass(frozen=True)
class NameMention:
    """A name in the text: as written, its name words (lower case) and its context."""

    text: str
    words: tuple[str, ...]
    context: str | None
    start: int
    end: int
    # After Mr, Mrs, Ms…: placed in a workspace only by a whole name ("Mrs Patel" is not
    # Priya Patel just because they share a surname).
    honorific: bool = False


class _Token:
    """One word, number or punctuation mark, with what the rules ask of it worked out once."""

    __slots__ = ("capitalised", "end", "is_word", "kind", "lower", "sentence_start", "start", "text")

    def __init__(self, text: str, start: int, end: int, kind: str, sentence_start: bool) -> None:
        self.text, self.start, self.end, self.kind = text, start, end, kind
        self.sentence_start = sentence_start
        self.is_word = kind == "word"
        # Lower case, without a possessive "'s".
        word = text.lower().replace("’", "'")
        self.lower = word[:-2] if word.endswith("'s") else word.rstrip("'")
        # Title case ("Okafor", "O'Connell"), not all capitals ("MRN", "GCS").
        self.capitalised = self.is_word and text[0].isupper() and not (len(text) > 1 and text.isupper())


def tokenize(text: str) -> list[_Token]:
    """Words, numbers and punctuation, each knowing whether it starts a sentence.

    A sentence starts after . ! ? ; : or a bullet, and at the first word of a line
    (after any list marker or formatting: "- *Channels*").
    """
    tokens: list[_Token] = []
    line_has_word = False
    for match in _TOKEN.finditer(text):
        previous = tokens[-1] if tokens else None
        if previous is not None and "\n" in text[previous.end : match.start()]:
            line_has_word = False
        kind = match.lastgroup or "punct"
        starts = not line_has_word or (previous is not None and previous.text in _SENTENCE_END)
        tokens.append(_Token(match.group(), match.start(), match.end(), kind, starts))
        line_has_word = line_has_word or kind != "punct"
    return tokens


class NameFinder:
    """Finds name mentions in one text (build one per text; it is cheap)."""

    def __init__(self, text: str, lexicon: Lexicon) -> None:
        self.text = text
        self.lex = lexicon
        self.tokens = tokenize(text)
        self.taken: set[int] = set()
        self.mentions: list[NameMention] = []

    # --- the words ------------------------------------------------------------------

    def _is_name(self, token: _Token) -> bool:
        return any(self.lex.is_name(part) for part in token.lower.split("-") if part)

    def _frequency(self, token: _Token) -> int:
        return self.lex.frequency(token.lower)

    def _never(self, token: _Token) -> bool:
        return token.lower in NEVER_NAMES or token.lower in STOPWORDS

    def _name_after_trigger(self, token: _Token) -> bool:
        """A name after a relation, a bed number or "patient": capitalised and not an
        everyday word, or in lower case on a name list and rare as a word."""
        if not token.is_word or self._never(token):
            return False
        if token.capitalised:
            return self._frequency(token) < MID_SENTENCE_LIMIT
        return self._is_name(token) and self._frequency(token) < LOWER_CASE_AFTER_TRIGGER_LIMIT

    # --- walking the tokens -----------------------------------------------------------

    def _skip_connectors(self, index: int) -> int:
        while index < len(self.tokens) and self.tokens[index].lower in _CONNECTORS:
            index += 1
        return index

    def _name_run(self, index: int, accept, limit: int = 3) -> list[int]:
        """Indexes of up to `limit` name tokens from `index` that `accept` allows."""
        run: list[int] = []
        while index < len(self.tokens) and len(run) < limit and accept(self.tokens[index]):
            run.append(index)
            index += 1
        return run

    def _add(
        self, run: list[int], context: str | None, prefix: int | None = None, *, honorific: bool = False
    ) -> None:
        if not run or any(i in self.taken for i in run):
            return
        first = prefix if prefix is not None else run[0]
        start, end = self.tokens[first].start, self.tokens[run[-1]].end
        words = tuple(self.tokens[i].lower for i in run)
        self.taken.update(range(first, run[-1] + 1))
        self.mentions.append(NameMention(self.text[start:end], words, context, start, end, honorific))

    def _after(self, run: list[int], length: int = 120) -> str:
        """The text just after a run of tokens (bounded, so long texts stay linear)."""
        end = self.tokens[run[-1]].end
        return self.text[end : end + length]

    def _title_at(self, index: int) -> bool:
        """A staff title at `index` ("registrar", "F1", "Sister"), never a possessive
        ("the student's patient") nor a care home's "resident"."""
        if not 0 <= index < len(self.tokens) or not self.tokens[index].is_word:
            return False
        token = self.tokens[index]
        if token.text.lower().replace("’", "'").endswith("'s"):
            return False
        word = token.lower
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if following is not None and following.kind == "num" and following.start == token.end:
            word += following.text.lower()  # "F1", "FY2", "ST3"
            if self.text.startswith(("'s", "’s"), following.end):
                return False  # "my F1's patient"
        if word == "resident" and self._lives_in_a_home(index):
            return False
        return word in STAFF_TITLES

    def _lives_in_a_home(self, index: int) -> bool:
        """ "care home resident", "resident … from the nursing home"."""
        token = self.tokens[index]
        return bool(_HOME.search(self.text[max(0, token.start - 40) : token.end + 60]))

    def _colleague(self, run: list[int], *, honorific: bool = False) -> bool:
        """A title just before the name, or a credential or role just after it — unless
        what follows says the person is a patient ("Sister Mary … was admitted")."""
        if _PATIENT_EVENT_AFTER.match(self._after(run)):
            return False
        before = run[0] - 1
        while before >= 0 and (
            self.tokens[before].text in ",(.-" or self.tokens[before].lower in ("our", "my", "the")
        ):
            before -= 1
        if self._title_at(before) and not self._is_relation(before):
            return True
        return self._role_after(run, honorific=honorific)

    def _role_after(self, run: list[int], *, honorific: bool) -> bool:
        """ "Ms Alvarez NP", "Tom (our physio)", "Priya, the F1". After Mr or Mrs a role
        counts only as "our" or "my" role: "Mr Jones, the student" may be the student's
        patient, "Mr Ferreira, a doctor himself" certainly is one."""
        after, determiner = run[-1] + 1, None
        while after < len(self.tokens) and (
            self.tokens[after].text in ",(-" or self.tokens[after].lower in ("our", "my", "the", "a", "is")
        ):
            if self.tokens[after].lower in ("our", "my", "the", "a"):
                determiner = self.tokens[after].lower
            after += 1
        if after >= len(self.tokens):
            return False
        token = self.tokens[after]
        if token.lower in CREDENTIALS and not token.text.lower().endswith(("'s", "’s")):
            return True
        if not self._title_at(after) or _SELF.match(self._after([after], 30)):
            return False
        return not honorific or determiner in ("our", "my")

    def _is_relation(self, index: int) -> bool:
        """Whether the word at `index` names a relative ("sister" only after "his", "the"…)."""
        word = self.tokens[index].lower
        if word == "sister":
            return index > 0 and self.tokens[index - 1].lower in POSSESSIVES
        return word in RELATIONS

    def _writers_own(self, index: int) -> bool:
        """ "my daughter Ella", "my mentee's son Leo": the relative of the writer or of a
        colleague, whose name is asked about rather than refused."""
        before = self._word_at(index - 1)
        if before == "my":
            return True
        previous = self.tokens[index - 1] if index > 0 else None
        return (
            previous is not None
            and previous.text.lower().endswith(("'s", "’s"))
            and (previous.lower in STAFF_TITLES)
        )

    def _honorific_at(self, index: int) -> int | None:
        """Where the name starts after an honorific at `index` ("Mrs", "Mr."), or None."""
        token = self.tokens[index] if 0 <= index < len(self.tokens) else None
        if token is None or not token.is_word or token.lower.rstrip(".") not in HONORIFICS:
            return None
        if index + 1 < len(self.tokens) and self.tokens[index + 1].text == ".":
            return index + 2
        return index + 1

    def _honorific_run(self, start: int) -> list[int]:
        """The name after an honorific: any word, and a second one if it reads as a name."""
        run = self._name_run(start, lambda t: t.is_word and not self._never(t), limit=1)
        if run and self._second_name_word(run[0] + 1, after=run[0]):
            run.append(run[0] + 1)
        return run

    # --- the rules, most certain first -------------------------------------------------

    def find(self) -> list[NameMention]:
        """Every name mention, in order of the rules (triggers first, then plain names)."""
        self._after_triggers()
        self._after_honorifics()
        self._names_before_beds()
        self._capitalised_runs()
        self._lower_case_runs()
        self._contexts_after()
        return sorted(self.mentions, key=lambda m: m.start)

    def _after_honorifics(self) -> None:
        """Mrs Kaur, mr. tran, Mr and Mrs Lindqvist: any word after an honorific is a name."""
        for i in range(len(self.tokens)):
            j = self._honorific_at(i)
            if j is None:
                continue
            # "Mr and Mrs Lindqvist": the name comes after the second honorific.
            if self._word_at(j) == "and" and self._word_at(j + 1) in HONORIFICS:
                continue
            run = self._honorific_run(j)
            if run and not self._colleague(run, honorific=True):
                self._add(run, None, prefix=i, honorific=True)

    def _second_name_word(self, index: int, *, after: int) -> bool:
        """After "Mrs Kaur", is the next word more of the name ("Mrs Eleanor Kaur")?
        Not after a possessive, and only a capital or a rare name-list word."""
        if index >= len(self.tokens) or self.tokens[after].text.lower().endswith(("'s", "’s")):
            return False
        token = self.tokens[index]
        if not token.is_word or self._never(token):
            return False
        return token.capitalised or (self._is_name(token) and self._frequency(token) < LOWER_CASE_LIMIT)

    def _after_triggers(self) -> None:
        """daughter Susan, bed 3 Okafor, patient Joan Albright, patient Mrs Okafor."""
        for i, token in enumerate(self.tokens):
            if not token.is_word:
                continue
            context, j = None, i + 1
            if self._is_relation(i):
                context = RELATIVE
            elif token.lower in PATIENT_WORDS or (token.lower == "resident" and self._lives_in_a_home(i)):
                context = PATIENT
            elif self._bed_number_at(i):
                context, j = BED, j + 1
            if context is None:
                continue
            j = self._skip_connectors(j)
            # "patient Mrs Okafor", "his daughter Mrs Susan Hale": the honorific is part of it.
            name_start = self._honorific_at(j)
            if name_start is not None:
                run = self._honorific_run(name_start)
            else:
                run = self._name_run(j, self._name_after_trigger, limit=2)
            if not run or self._colleague(run, honorific=name_start is not None):
                continue
            if context == RELATIVE and self._writers_own(i):
                context = None  # "my daughter Ella": the writer's family, asked about
            self._add(
                run, context, prefix=j if name_start is not None else None, honorific=name_start is not None
            )

    def _word_at(self, index: int) -> str | None:
        return self.tokens[index].lower if 0 <= index < len(self.tokens) else None

    def _bed_number_at(self, index: int) -> bool:
        """ "bed 3", "rm 12", "b12": a bed word with its number."""
        token = self.tokens[index]
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if following is None or following.kind != "num":
            return False
        return token.lower in BED_WORDS or (token.lower == "b" and following.start == token.end)

    def _capitalised_runs(self) -> None:
        """Runs of capitalised words that read as a person's name."""
        i = 0
        while i < len(self.tokens):
            run = self._name_run(i, lambda t: t.capitalised and not self._never(t), limit=4)
            if not run:
                i += 1
                continue
            i = run[-1] + 1
            run = self._without_sentence_opener(run)
            if not run or any(k in self.taken for k in run) or self._colleague(run):
                continue
            if self._reads_as_person(run):
                self._add(run, None)

    def _without_sentence_opener(self, run: list[int]) -> list[int]:
        """ "Asked Hannah": a capital that only starts the sentence is not part of the name."""
        first = self.tokens[run[0]]
        if (
            len(run) > 1
            and first.sentence_start
            and (not self._is_name(first) or self._frequency(first) >= SENTENCE_START_LIMIT)
        ):
            return run[1:]
        return run

    def _reads_as_person(self, run: list[int]) -> bool:
        tokens = [self.tokens[k] for k in run]
        if self._reads_as_thing(run):
            return False
        if len(tokens) > 1:
            return any(self._is_name(t) for t in tokens) and all(
                self._frequency(t) < MID_SENTENCE_LIMIT for t in tokens
            )
        token = tokens[0]
        if not self._is_name(token) or "-" in token.text:
            # A lone double-barrelled capital ("Cedars-Sinai", "Stevens-Johnson") is an
            # institution or an eponym far more often than a person's surname alone.
            return False
        if token.sentence_start:
            return token.lower in self.lex.first_names and self._frequency(token) < SENTENCE_START_LIMIT
        return self._frequency(token) < MID_SENTENCE_LIMIT

    def _reads_as_thing(self, run: list[int]) -> bool:
        """Glasgow Coma Scale, Murphy's sign, the Osler firm, Windows-1252, at Johns Hopkins."""
        tokens = [self.tokens[k] for k in run]
        following = self.tokens[run[-1] + 1] if run[-1] + 1 < len(self.tokens) else None
        if following is not None and (
            following.lower in THING_NOUNS
            # attached "-1252" or "/19": a product or a version, not a person
            or (following.start == tokens[-1].end and following.text in "-/")
        ):
            return True
        if tokens[-1].lower in THING_NOUNS or any(self._eponym(t) for t in tokens):
            return True
        # St Mary's, the Osler firm, at Johns Hopkins, in Glasgow
        return self._word_at(run[0] - 1) in ("st", "saint", "the", "at", "in")

    def _eponym(self, token: _Token) -> bool:
        return token.lower in EPONYMS or any(part in EPONYMS for part in token.lower.split("-"))

    def _lower_case_runs(self) -> None:
        """ivan petrenko, gerald: lower-case names that are rare as English words."""
        i = 0
        while i < len(self.tokens):
            run = self._name_run(i, self._lower_case_name, limit=3)
            if not run:
                i += 1
                continue
            i = run[-1] + 1
            if any(k in self.taken for k in run) or self._colleague(run):
                continue
            if len(run) > 1 or self._lone_lower_case_name(run[0]):
                self._add(run, None)

    def _lower_case_name(self, token: _Token) -> bool:
        return (
            token.is_word
            and token.text.islower()
            and not self._never(token)
            and self._is_name(token)
            and token.lower not in self.lex.clinical_words
            and token.lower not in EPONYMS
            and self._frequency(token) < LOWER_CASE_LIMIT
        )

    def _lone_lower_case_name(self, index: int) -> bool:
        """ "talked to gerald about", "yvonne kept asking": a rare first name on its own
        reads as a name at the start of a sentence or after a word that leads to a person."""
        token = self.tokens[index]
        if token.lower not in self.lex.first_names or self._frequency(token) >= LOWER_CASE_SINGLE_LIMIT:
            return False
        return token.sentence_start or self._word_at(index - 1) in LEADS_TO_A_PERSON

    def _names_before_beds(self) -> None:
        """ "saw john in bay 4": a name-list word just before "in bed 6" is a patient's."""
        for i in range(2, len(self.tokens) - 1):
            bed, place, number = self.tokens[i], self.tokens[i - 1], self.tokens[i + 1]
            if bed.lower not in BED_WORDS or place.lower not in ("in", "at") or number.kind != "num":
                continue
            name = self.tokens[i - 2]
            if name.is_word and not self._never(name) and self._name_after_trigger(name):
                self._add([i - 2], BED)

    def _contexts_after(self) -> None:
        """A plain name followed by an age, "in bed 6" or "the intern's patient" becomes a
        patient's."""
        for n, mention in enumerate(self.mentions):
            if mention.context is not None:
                continue
            rest = self.text[mention.end : mention.end + 120]
            age = _AGE_AFTER.match(rest)
            if (age and 0 < int(age.group("age")) <= 120) or _OLD_AGE_AFTER.match(rest):
                self.mentions[n] = _with_context(mention, AGE)
            elif _BED_AFTER.match(rest):
                self.mentions[n] = _with_context(mention, BED)
            elif _PATIENT_AFTER.match(rest):
                self.mentions[n] = _with_context(mention, PATIENT)


def _with_context(mention: NameMention, context: str) -> NameMention:
    return replace(mention, context=context)


def find_names(text: str, lexicon: Lexicon) -> list[NameMention]:
    """The names in `text` (Slack markup already removed), in order."""
    return NameFinder(text, lexicon).find()
