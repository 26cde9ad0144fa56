"""A program's own nudges, and switching nudges off and on for one program.

Admins add nudges beside the built-in library (`/mentor nudges add`); they are stored as
`CustomNudge` rows with keys `custom:<id>` and are never deleted, only switched off, so
answers recorded against them keep their meaning. Built-in nudges can be switched off
per program too (a `DisabledNudge` row), because the shared library cannot fit every
specialty. Every change writes an `AuditLog` row.

Each public function here is one unit of work inside the caller's transaction.
"""

from __future__ import annotations

import difflib
import re
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import privacy
from bot.library.catalogue import builtin_nudges, unknown_placeholders
from bot.library.service import active_nudges, custom_nudge, disabled_builtin_keys
from bot.library.types import (
    CUSTOM_PREFIX,
    FIELD_CHOICES,
    FIELD_PRACTICE,
    FIELD_QUESTION,
    FIELD_TEXT,
    FOLLOWUP_CHOICE_LIMIT,
    FOLLOWUP_CHOICES_MAX,
    FOLLOWUP_CHOICES_MIN,
    FOLLOWUP_QUESTION_LIMIT,
    MENTEE_PLACEHOLDER,
    PRACTICES,
    TEXT_STYLE_LIMIT,
    ChangeRefused,
    DraftRejected,
    LibraryEntry,
    Nudge,
    NudgeDraft,
    PracticeShelf,
    Toggle,
)
from bot.models import AuditLog, CustomNudge, DisabledNudge
from bot.people import ensure_workspace
from bot.privacy.workspace import WorkspaceScreen
from bot.sqlutil import insert_ignoring_conflict

# --- checking a draft -------------------------------------------------------------------


def _refusal(text: str) -> str | None:
    """The refusal for identifiers in one field. Names are left to `add_custom_nudge`,
    which can place the workspace's people and ask about the rest."""
    if not text:
        return None
    refused = privacy.assess(text).refused
    return privacy.refusal(list(refused), ask="write the nudge") if refused else None


def _check_followup(question: str, choices: tuple[str, ...]) -> dict[str, str]:
    """Problems with the optional follow-up, by field: a question and its choices come
    together, or not at all."""
    if not question and not choices:
        return {}
    problems = {FIELD_QUESTION: _question_problem(question), FIELD_CHOICES: _choices_problem(choices)}
    return {field: problem for field, problem in problems.items() if problem}


def _has_placeholder(text: str) -> bool:
    # Only the nudge's own text is filled in; a follow-up shows placeholders as typed.
    return bool(unknown_placeholders(text)) or MENTEE_PLACEHOLDER in text


def _question_problem(question: str) -> str | None:
    if not question:
        return "Add the question these choices answer, or clear the choices."
    if len(question) > FOLLOWUP_QUESTION_LIMIT:
        return (
            f"Keep the question to {FOLLOWUP_QUESTION_LIMIT} characters or fewer (this one has "
            f"{len(question)})."
        )
    if _has_placeholder(question):
        return "Placeholders only work in the nudge itself; write the question plainly."
    return _refusal(question)


def _choices_problem(choices: tuple[str, ...]) -> str | None:
    if not choices:
        return (
            f"Add {FOLLOWUP_CHOICES_MIN} to {FOLLOWUP_CHOICES_MAX} choices, one per line, "
            "or clear the question."
        )
    if not FOLLOWUP_CHOICES_MIN <= len(choices) <= FOLLOWUP_CHOICES_MAX:
        return (
            f"Give {FOLLOWUP_CHOICES_MIN} to {FOLLOWUP_CHOICES_MAX} choices, one per line "
            f"(there are {len(choices)})."
        )
    # Each choice becomes a button, and Slack limits how long a button label may be.
    too_long = [i for i, c in enumerate(choices, start=1) if len(c) > FOLLOWUP_CHOICE_LIMIT]
    if too_long:
        return (
            f"Choice {too_long[0]} is {len(choices[too_long[0] - 1])} characters; each becomes a "
            f"button, so keep it to {FOLLOWUP_CHOICE_LIMIT} or fewer."
        )
    if len({c.casefold() for c in choices}) != len(choices):
        return "Two choices are the same; make each one different."
    if any(_has_placeholder(c) for c in choices):
        return "Placeholders only work in the nudge itself; write the choices plainly."
    return _refusal("\n".join(choices))


def check_draft(draft: NudgeDraft) -> dict[str, str]:
    """What is wrong with a draft, by field; empty when it may be stored.

    The same rules the built-in library follows (one placeholder, Slack's limits, the
    ten-second style limit), plus the privacy screen every stored text goes through.
    """
    errors: dict[str, str] = {}
    if draft.practice not in PRACTICES:
        errors[FIELD_PRACTICE] = "Choose the practice this nudge is about."

    text = draft.clean_text()
    unknown = unknown_placeholders(text)
    if not text:
        errors[FIELD_TEXT] = "Write the nudge: one small thing a mentor can do in under five minutes."
    elif len(text) > TEXT_STYLE_LIMIT:
        errors[FIELD_TEXT] = (
            f"Keep it to {TEXT_STYLE_LIMIT} characters or fewer (this one has {len(text)}), so it "
            "reads in under ten seconds."
        )
    elif unknown:
        errors[FIELD_TEXT] = (
            f"Only {MENTEE_PLACEHOLDER} can be filled in (it becomes the mentee's name). "
            f"Please remove {', '.join(unknown)}."
        )
    elif refusal := _refusal(text):
        errors[FIELD_TEXT] = refusal

    errors.update(_check_followup(draft.clean_question(), draft.clean_choices()))
    return errors


# --- adding -----------------------------------------------------------------------------


def _audit(
    session: Session,
    team_id: str,
    actor_user_id: str,
    action: str,
    target: str,
    now: datetime,
    **detail: object,
) -> None:
    session.add(
        AuditLog(
            team_id=team_id,
            actor_user_id=actor_user_id,
            action=action,
            target=target,
            detail=detail or None,
            created_at=now,
        )
    )


def _ask_about_names(session: Session, team_id: str, draft: NudgeDraft, now: datetime) -> None:
    """Raise NamesToConfirm when the draft names someone the workspace cannot place."""
    screen = WorkspaceScreen(session, team_id)
    fields = (draft.clean_text(), draft.clean_question(), *draft.clean_choices())
    names = [name for field in fields if field for name in screen.assess(field, today=now.date()).names]
    if names:
        raise privacy.NamesToConfirm(dict.fromkeys(names))


def add_custom_nudge(
    session: Session, team_id: str, actor_user_id: str, draft: NudgeDraft, now: datetime
) -> Nudge:
    """Check the draft and store it as the program's own nudge, switched on.

    Raises DraftRejected (nothing stored) when a field needs fixing, including when
    the program already has a nudge with the same words, and NamesToConfirm when its
    only problem is a name the workspace cannot place.
    """
    errors = check_draft(draft)
    text = draft.clean_text()
    if FIELD_TEXT not in errors:
        same = session.scalars(
            select(CustomNudge.key).where(CustomNudge.team_id == team_id, CustomNudge.text == text)
        ).first()
        if same:
            errors[FIELD_TEXT] = f"Your program already has this nudge (`{same}`)."
    if errors:
        raise DraftRejected(errors)
    _ask_about_names(session, team_id, draft, now)

    ensure_workspace(session, team_id)
    question = draft.clean_question()
    choices = draft.clean_choices()
    row = CustomNudge(
        team_id=team_id,
        # The key needs the row's id; a unique stand-in holds the place until the insert.
        key=f"{CUSTOM_PREFIX}new-{uuid.uuid4().hex}",
        practice=draft.practice,
        text=text,
        followup_question=question or None,
        followup_choices=list(choices) or None,
        enabled=True,
        created_by=actor_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    row.key = f"{CUSTOM_PREFIX}{row.id}"
    session.flush()
    _audit(
        session,
        team_id,
        actor_user_id,
        "nudge.add",
        row.key,
        now,
        practice=row.practice,
        followup=bool(question),
    )
    return custom_nudge(row)


# --- switching off and on ---------------------------------------------------------------

# Slack may hand a key back wrapped: `code`, or <http://care.help|care.help> when it
# looked like a web address.
_SLACK_LINK = re.compile(r"^<[^|>]*\|([^>]*)>$|^<(?:https?://)?([^>]*)>$")


def normalize_key(raw: str) -> str:
    """A key as typed into Slack, cleaned up: quotes and link markup removed, lowercased.

    A bare number is read as the program's own nudge with that number (`7` → `custom:7`).
    """
    key = raw.strip().strip("`'\"“”‘’").strip()
    match = _SLACK_LINK.match(key)
    if match:
        key = match.group(1) or match.group(2) or ""
    key = key.strip().lower()
    return f"{CUSTOM_PREFIX}{key}" if key.isdigit() else key


def _custom_row(session: Session, team_id: str, key: str) -> CustomNudge | None:
    return session.scalars(
        select(CustomNudge).where(CustomNudge.team_id == team_id, CustomNudge.key == key)
    ).first()


def _unknown_key(session: Session, team_id: str, key: str) -> ChangeRefused:
    known = [n.key for n in builtin_nudges() if not n.retired]
    known += session.scalars(select(CustomNudge.key).where(CustomNudge.team_id == team_id))
    close = difflib.get_close_matches(key, known, n=2, cutoff=0.8)
    hint = (
        f" Did you mean {' or '.join(f'`{k}`' for k in close)}?"
        if close
        else " Type `/mentor nudges` to see the practices, then `/mentor nudges <practice>` for their keys."
    )
    return ChangeRefused(f"There's no nudge with the key `{key}`.{hint}")


def _refuse_if_last(session: Session, team_id: str, nudge: Nudge) -> None:
    # The planner rotates through every practice; a practice with nothing left to send
    # would silently drop out of the rotation.
    others = [
        n for n in active_nudges(session, team_id) if n.practice == nudge.practice and n.key != nudge.key
    ]
    if not others:
        title = PRACTICES[nudge.practice].title
        raise ChangeRefused(
            f"`{nudge.key}` is the last nudge switched on for *{title}*, and every practice needs at "
            "least one. Add one of your own first (`/mentor nudges add`), or switch another back on."
        )


def set_nudge_enabled(
    session: Session,
    team_id: str,
    actor_user_id: str,
    raw_key: str,
    *,
    enabled: bool,
    now: datetime,
) -> Toggle:
    """Switch one nudge on or off for this program (built-in or the program's own).

    Nothing is deleted: a custom nudge keeps its row, and a switched-off built-in is
    remembered per team. Raises ChangeRefused (nothing changed) for an unknown or
    retired key, or when it would leave a practice with no nudge switched on.
    """
    key = normalize_key(raw_key)
    action = "nudge.enable" if enabled else "nudge.disable"
    if key.startswith(CUSTOM_PREFIX):
        row = _custom_row(session, team_id, key)
        if row is None:
            raise _unknown_key(session, team_id, key)
        if row.enabled == enabled:
            return Toggle(custom_nudge(row), enabled, changed=False)
        if not enabled:
            _refuse_if_last(session, team_id, custom_nudge(row))
        row.enabled = enabled
        row.updated_at = now
        session.flush()
        _audit(session, team_id, actor_user_id, action, key, now, builtin=False)
        return Toggle(custom_nudge(row), enabled, changed=True)

    nudge = next((n for n in builtin_nudges() if n.key == key), None)
    if nudge is None:
        raise _unknown_key(session, team_id, key)
    if nudge.retired:
        raise ChangeRefused(
            f"`{key}` has been retired from the built-in library, so no program gets it any more."
        )
    is_on = key not in disabled_builtin_keys(session, team_id)
    if is_on == enabled:
        return Toggle(nudge, enabled, changed=False)
    if enabled:
        session.execute(
            delete(DisabledNudge).where(DisabledNudge.team_id == team_id, DisabledNudge.key == key)
        )
    else:
        _refuse_if_last(session, team_id, nudge)
        ensure_workspace(session, team_id)
        insert_ignoring_conflict(
            session,
            DisabledNudge,
            {"team_id": team_id, "key": key, "disabled_by": actor_user_id, "disabled_at": now},
            ["team_id", "key"],
        )
    _audit(session, team_id, actor_user_id, action, key, now, builtin=True)
    return Toggle(nudge, enabled, changed=True)


# --- reading the library ----------------------------------------------------------------


def _custom_entries(session: Session, team_id: str) -> list[LibraryEntry]:
    rows = session.scalars(select(CustomNudge).where(CustomNudge.team_id == team_id).order_by(CustomNudge.id))
    return [LibraryEntry(custom_nudge(r), r.enabled) for r in rows]


def library_overview(session: Session, team_id: str) -> list[PracticeShelf]:
    """Each practice, in order: built-in nudges on and off, and the program's own."""
    off = disabled_builtin_keys(session, team_id)
    custom = _custom_entries(session, team_id)
    shelves = []
    for practice in PRACTICES.values():
        builtins = [n for n in builtin_nudges() if n.practice == practice.key and not n.retired]
        switched_off = sum(1 for n in builtins if n.key in off)
        shelves.append(
            PracticeShelf(
                practice=practice,
                builtin_on=len(builtins) - switched_off,
                builtin_off=switched_off,
                custom=tuple(e for e in custom if e.nudge.practice == practice.key),
            )
        )
    return shelves


def practice_entries(session: Session, team_id: str, practice: str) -> list[LibraryEntry]:
    """Every nudge of one practice a program can use: built-in first, then its own.

    Retired built-ins are left out; they belong to history, not to the library.
    """
    off = disabled_builtin_keys(session, team_id)
    builtins = [
        LibraryEntry(n, n.key not in off)
        for n in builtin_nudges()
        if n.practice == practice and not n.retired
    ]
    return builtins + [e for e in _custom_entries(session, team_id) if e.nudge.practice == practice]


def resolve_practice(word: str) -> str | None:
    """A practice key from what an admin typed (`care`, `No-Ego`, `own errors`…), or None."""
    wanted = re.sub(r"[\s-]+", "_", word.strip().lower())
    return wanted if wanted in PRACTICES else None
