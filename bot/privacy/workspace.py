"""The screen with what only this app knows: who is in the workspace.

A name is placed when it belongs to someone the app has seen in the workspace (their
Slack display or full name) or to a name someone confirmed as a colleague ("Is Maria
a colleague?" → Yes, save). Most texts hold no name to place, and then nothing is
read; otherwise one query fetches the people and confirmed names that share a word
with the names found, and the answer is kept for the rest of the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, union_all
from sqlalchemy.orm import Session

from bot.models import ColleagueName, Person
from bot.people import ensure_workspace
from bot.privacy import NO_ONE, KnownNames, Verdict, assess, name_words, refusal
from bot.privacy.names import NameMention
from bot.sqlutil import insert_ignoring_conflict

# A confirmed name is kept as its words, lower case, one space apart, at most this long.
NAME_LIMIT = 255


def _bare(word: str) -> str:
    """A name word in lower case, without a possessive: "Harold's" → "harold"."""
    return word.lower().replace("’", "'").removesuffix("'s").strip("'")


def stored_name(name: str) -> str:
    """How a confirmed name is kept: "Mrs. Maria  Lopez" → "maria lopez" (no honorific)."""
    words = [_bare(w) for w in name.replace(".", " ").split()]
    words = [w for w in words if w not in ("mr", "mrs", "ms", "miss", "mx", "dr")]
    return " ".join(words)[:NAME_LIMIT]


class WorkspaceScreen:
    """The privacy screen for one workspace, for the length of one request."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.session = session
        self.team_id = team_id
        self._looked_up: set[str] = set()
        self._people: list[frozenset[str]] = []

    def known(self, mentions: Iterable[NameMention]) -> KnownNames:
        """The workspace's names that could place these mentions (one query for new words)."""
        words = {w for m in mentions if m.context is None for w in m.words} - self._looked_up
        if words:
            self._people.extend(self._names_sharing_a_word(words))
            self._looked_up |= words
        return KnownNames(tuple(self._people)) if self._people else NO_ONE

    def _names_sharing_a_word(self, words: set[str]) -> list[frozenset[str]]:
        def matching(column: Any) -> ColumnElement[bool]:
            return or_(*(func.lower(column).like(f"%{w}%") for w in sorted(words)))

        people = select(Person.display_name.label("name")).where(
            Person.team_id == self.team_id, matching(Person.display_name)
        )
        full_names = select(Person.real_name.label("name")).where(
            Person.team_id == self.team_id, matching(Person.real_name)
        )
        confirmed = select(ColleagueName.name.label("name")).where(
            ColleagueName.team_id == self.team_id, matching(ColleagueName.name)
        )
        rows = self.session.execute(union_all(people, full_names, confirmed)).scalars()
        return [name_words(row) for row in rows if row]

    def assess(self, text: str, *, today: date | None = None) -> Verdict:
        """`bot.privacy.assess` with the workspace's people placed."""
        verdict = assess(text, today=today)
        if verdict.refused or not verdict.names:
            return verdict
        return verdict.placing(self.known(verdict.mentions))

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
