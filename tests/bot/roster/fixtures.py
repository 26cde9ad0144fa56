"""People, files and snapshots shared by the roster tests (service, import, handlers, CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db import SessionFactory, transaction
from bot.models import AuditLog, Delivery, Pair, Person, RosterImport
from tests.fakes.slack_api import FakeSlack

ROSTERS = Path(__file__).resolve().parents[2] / "data" / "rosters"
DOMAIN = "riverside.example"

ANA, BEN = "U0ANA0001", "U0BEN0001"
CHLOE, DEV, ELI, FATIMA = "U0CHLOE01", "U0DEV0001", "U0ELI0001", "U0FATIMA1"
GONE, HELPBOT = "U0GONE001", "U0HELPBOT"


def add_corpus_people(fake: FakeSlack) -> None:
    """The members the files in tests/data/rosters name (besides ADMIN, MENTOR and MENTEE)."""
    fake.add_user(ANA, "ana.ruiz", tz="Europe/London", email=f"ana.ruiz@{DOMAIN}")
    fake.add_user(BEN, "ben.okoro", tz="America/Chicago", email=f"ben.okoro@{DOMAIN}")
    fake.add_user(CHLOE, "chloe.martin", tz="Australia/Sydney", email=f"chloe.martin@{DOMAIN}")
    fake.add_user(DEV, "dev.patel", tz="America/St_Johns", email=f"dev.patel@{DOMAIN}")
    fake.add_user(ELI, "eli.cohen", tz=None, email=f"eli.cohen@{DOMAIN}")
    fake.add_user(FATIMA, "fatima.haddad", tz="America/New_York", email=f"fatima.haddad@{DOMAIN}")
    fake.add_user(GONE, "former.fellow", email=f"former.fellow@{DOMAIN}", deleted=True)
    fake.add_user(HELPBOT, "helpbot", is_bot=True)


def corpus(name: str) -> bytes:
    """The bytes of one messy roster file."""
    return (ROSTERS / name).read_bytes()


def mentor_id(i: int) -> str:
    """Slack id of generated mentor number `i`."""
    return f"U1M{i:06d}"


def mentee_id(i: int) -> str:
    """Slack id of generated mentee number `i`."""
    return f"U2E{i:06d}"


def add_program(fake: FakeSlack, mentors: int, mentees: int, *, extra_members: int = 0) -> None:
    """A workspace with generated mentors and mentees (and bystanders, to make users.list longer)."""
    for i in range(mentors):
        fake.add_user(mentor_id(i), f"mentor{i}", tz="America/Chicago", email=f"Mentor{i}@{DOMAIN}")
    for i in range(mentees):
        fake.add_user(mentee_id(i), f"mentee{i}", tz="Europe/Dublin", email=f"mentee{i}@{DOMAIN}")
    for i in range(extra_members):
        fake.add_user(f"U3X{i:06d}", f"staff{i}", email=f"staff{i}@{DOMAIN}")


def program_csv(pairs: int, *, mentors: int | None = None, cohort: str = "IM 2027") -> str:
    """A roster of `pairs` lines: mentee i with mentor i % mentors (several mentees each)."""
    mentors = mentors or pairs
    lines = ["Mentor Email,Mentee Email,Cohort"]
    lines += [f"mentor{i % mentors}@{DOMAIN},MENTEE{i}@{DOMAIN},{cohort}" for i in range(pairs)]
    return "\n".join(lines) + "\n"


def snapshot(session_factory: SessionFactory) -> dict[str, Any]:
    """Everything a refused request must leave untouched."""
    with transaction(session_factory) as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Person, Pair, AuditLog, Delivery, RosterImport)
        }
        pairs = session.execute(select(Pair.id, Pair.ended_at, Pair.cohort).order_by(Pair.id)).all()
        admins = session.scalars(select(Person.user_id).where(Person.is_admin.is_(True))).all()
    return {**counts, "pairs": [tuple(p) for p in pairs], "admins": sorted(admins)}


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found: list[str] = []
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_texts(value))
        return found
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


def blocks_text(node: Any) -> str:
    """Every `text` string inside some blocks (or a view), one per line, for assertions."""
    return "\n".join(_texts(node))


def audit_actions(session_factory: SessionFactory) -> list[tuple[str, str, str | None]]:
    """(actor, action, target) of every audit row, oldest first."""
    with transaction(session_factory) as session:
        rows = session.execute(
            select(AuditLog.actor_user_id, AuditLog.action, AuditLog.target).order_by(AuditLog.id)
        ).all()
    return [tuple(r) for r in rows]


def active_pairs(session_factory: SessionFactory) -> set[tuple[str, str, str | None]]:
    """(mentor id, mentee id, cohort) of every active pair."""
    from sqlalchemy.orm import aliased

    mentor, mentee = aliased(Person), aliased(Person)
    with transaction(session_factory) as session:
        rows = session.execute(
            select(mentor.user_id, mentee.user_id, Pair.cohort)
            .join(mentor, Pair.mentor_id == mentor.id)
            .join(mentee, Pair.mentee_id == mentee.id)
            .where(Pair.ended_at.is_(None))
        ).all()
    return {tuple(r) for r in rows}
