"""`python -m bot import-rota FILE [--apply] [--team T…]`: the rota upload from a terminal.

Prints the dry run (shifts per kind, people, every bad line with its number); applies
only with `--apply` (or a **y** at a terminal). People are found in the program's
database by email or Slack ID, so no Slack call is needed. Exit status: 0 done, 1
unusable file, 3 done but some lines had errors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.models import Workspace
from bot.rota.blocks import error_lines, plan_lines
from bot.rota.service import apply_plan, read_upload, resolve_rows
from bot.rota.types import RotaFileError

EXIT_OK, EXIT_FAILED, EXIT_SOME_ERRORS = 0, 1, 3


def _team(session_factory: SessionFactory, team_id: str | None) -> str | None:
    if team_id:
        return team_id
    with session_factory() as session:
        teams = session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)).all()
    return teams[0] if len(teams) == 1 else None


def import_rota(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    path: Path,
    team_id: str | None,
    apply: bool,
    now: datetime,
    out: TextIO | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    """Check a rota file and, when told, apply it in one transaction."""
    out = out or sys.stdout
    team = _team(session_factory, team_id)
    if team is None:
        print("mentor-nudge: name the workspace with --team T…", file=sys.stderr)
        return EXIT_FAILED
    try:
        data = path.read_bytes()
        parsed = read_upload(data, name=path.name, now=now)
    except OSError as error:
        print(f"mentor-nudge: cannot read {path}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except RotaFileError as problem:
        print(f"mentor-nudge: {problem}", file=sys.stderr)
        return EXIT_FAILED
    with session_factory() as session:
        plan = resolve_rows(session, settings, team, parsed)
    print(f"Rota check of {path.name} (dry run):", file=out)
    for line in plan_lines(plan) + error_lines(plan):
        print(f"  {line}", file=out)
    if not plan.shifts:
        return EXIT_SOME_ERRORS if plan.errors else EXIT_OK
    if not apply and not (confirm and confirm("Apply these changes? [y/N] ")):
        print("Nothing changed. Run again with --apply to apply it.", file=out)
        return EXIT_OK
    with transaction(session_factory) as session:
        counts = apply_plan(session, team_id=team, plan=plan, now=now)
    print(f"Applied: {counts['shifts']} shift(s) for {counts['people']} person(s).", file=out)
    return EXIT_SOME_ERRORS if plan.errors else EXIT_OK
