"""The screen with what only this app knows: who is in the workspace.

A name is placed when it belongs to someone the app has seen in the workspace (their
Slack display or full name) or to a name someone confirmed as a colleague ("Is Maria
a colleague?" → Yes, save). Most texts hold no name to place, and then nothing is
read; otherwise one query fetches the people and confirmed names that share a word
with the names found, and the answer is kept for the rest of the request.

A confirmed name places exactly that name. "Yes, save" stores it only once the form's
own handler has saved the text: while that handler runs, the names just answered for
are lent to every screen of the workspace (`answered_yes`), and only those that
placed a name in the text are then kept (`confirm_colleagues`). Admins list and remove
confirmed names with `/mentor colleagues`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from bot.models import AuditLog, ColleagueName, Person
from bot.people import ensure_workspace
from bot.privacy import NO_ONE, TITLE_WORDS, KnownName, KnownNames, Verdict, assess, refusal, whole_name
from bot.privacy.names import NameMention
from bot.sqlutil import insert_ignoring_conflict

# A confirmed name is kept as its words, lower case, one space apart, at most this long.
NAME_LIMIT = 255
_PERSON, _CONFIRMED = "person", "confirmed"


@dataclass
class _Answered:
    """Names someone just said "Yes, save" for, lent to the screen while their form saves."""

    team_id: str
    names: frozenset[frozenset[str]]
    # The names (as written) that these answers placed in a text: the ones to keep.
    used: set[str] = field(default_factory=set)


_ANSWERED: ContextVar[_Answered | None] = ContextVar("privacy_answered", default=None)


@contextmanager
def answered_yes(team_id: str, names: Iterable[str]) -> Iterator[_Answered]:
    """While the block runs, screens of `team_id` place `names` as if confirmed.

    Nothing is stored: the caller keeps `used` (the names that placed a mention) with
    `confirm_colleagues` once the text they were asked about is saved.
    """
    answered = _Answered(team_id, frozenset(w for n in names if (w := whole_name(n))))
    token = _ANSWERED.set(answered)
    try:
        yield answered
    finally:
        _ANSWERED.reset(token)


def _bare(word: str) -> str:
    """A name word in lower case, without a possessive: "Harold's" → "harold"."""
    return word.lower().replace("’", "'").removesuffix("'s").strip("'")


def stored_name(name: str) -> str:
    """How a confirmed name is kept: "Mrs. Maria  Lopez" → "maria lopez" (no honorific)."""
    words = [_bare(w) for w in name.replace(".", " ").split()]
    words = [w for w in words if w not in TITLE_WORDS]
    return " ".join(words)[:NAME_LIMIT]


class WorkspaceScreen:
    """The privacy screen for one workspace, for the length of one request."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.session = session
        self.team_id = team_id
        self._looked_up: set[str] = set()
        self._people: dict[str, KnownName] = {}
        self._confirmed: set[str] = set()

    def known(self, mentions: Iterable[NameMention]) -> KnownNames:
        """The workspace's names that could place these mentions (one query for new words)."""
        words = {w for m in mentions if m.context is None for w in m.words} - self._looked_up
        if words:
            for kind, name in self._names_sharing_a_word(words):
                if kind == _CONFIRMED:
                    self._confirmed.add(name)
                else:
                    self._people.setdefault(name, KnownName.of(name))
            self._looked_up |= words
        if not self._people and not self._confirmed:
            return NO_ONE
        return KnownNames(tuple(self._people.values()), frozenset(whole_name(n) for n in self._confirmed))

    def _names_sharing_a_word(self, words: set[str]) -> list[tuple[str, str]]:
        def matching(column: Any) -> ColumnElement[bool]:
            return or_(*(func.lower(column).like(f"%{w}%") for w in sorted(words)))

        people = select(literal(_PERSON).label("kind"), Person.display_name.label("name")).where(
            Person.team_id == self.team_id, matching(Person.display_name)
        )
        full_names = select(literal(_PERSON).label("kind"), Person.real_name.label("name")).where(
            Person.team_id == self.team_id, matching(Person.real_name)
        )
        confirmed = select(literal(_CONFIRMED).label("kind"), ColleagueName.name.label("name")).where(
            ColleagueName.team_id == self.team_id, matching(ColleagueName.name)
        )
        rows = self.session.execute(union_all(people, full_names, confirmed)).all()
        return [(kind, name) for kind, name in rows if name]

    def assess(self, text: str, *, today: date | None = None) -> Verdict:
        """`bot.privacy.assess` with the workspace's people placed."""
        verdict = assess(text, today=today)
        if verdict.refused or not verdict.names:
            return verdict
        known = self.known(verdict.mentions)
        placed = verdict.placing(known)
        answered = _ANSWERED.get()
        if not placed.names or answered is None or answered.team_id != self.team_id:
            return placed
        with_answers = verdict.placing(KnownNames(known.people, known.confirmed | answered.names))
        answered.used.update(set(placed.names) - set(with_answers.names))
        return with_answers

    def check(
        self, text: str, *, today: date | None = None, ask: str = "describe the conversation"
    ) -> str | None:
        """None when `text` may be stored; else the refusal (unplaced names included)."""
        findings = self.assess(text, today=today).findings()
        return refusal(findings, ask=ask) if findings else None


def confirm_colleagues(
    session: Session, team_id: str, names: Iterable[str], *, today: date, enterprise_id: str | None = None
) -> None:
    """Remember names a person said are colleagues, so nobody in the workspace is asked again."""
    ensure_workspace(session, team_id, enterprise_id=enterprise_id)
    for name in {stored_name(n) for n in names} - {""}:
        insert_ignoring_conflict(
            session,
            ColleagueName,
            {"team_id": team_id, "enterprise_id": enterprise_id, "name": name, "confirmed_on": today},
            ["team_id", "name"],
        )


@dataclass(frozen=True)
class ConfirmedName:
    """A name someone answered "Yes, save" for, as an admin sees it."""

    name: str
    confirmed_on: date


def confirmed_names(session: Session, team_id: str) -> list[ConfirmedName]:
    """The workspace's confirmed colleague names, in alphabetical order."""
    rows = session.execute(
        select(ColleagueName.name, ColleagueName.confirmed_on)
        .where(ColleagueName.team_id == team_id)
        .order_by(ColleagueName.name)
    )
    return [ConfirmedName(name, confirmed_on) for name, confirmed_on in rows]


def forget_colleague(session: Session, team_id: str, name: str, *, actor: str, now: datetime) -> bool:
    """Remove one confirmed name (written as it was confirmed, any case or honorific), so
    the screen asks about it again. False when the workspace has no such name.

    Audited without the name: it is removed most often because it was a patient's.
    """
    row = session.scalar(
        select(ColleagueName).where(ColleagueName.team_id == team_id, ColleagueName.name == stored_name(name))
    )
    if row is None:
        return False
    session.add(
        AuditLog(
            team_id=team_id,
            actor_user_id=actor,
            action="privacy.colleague_name_removed",
            detail={"confirmed_on": row.confirmed_on.isoformat()},
            created_at=now,
        )
    )
    session.delete(row)
    return True
