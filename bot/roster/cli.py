"""The work behind `python -m bot import-roster FILE.csv` and `python -m bot export-roster`.

`bot.cli` parses the arguments and connects; these functions take the deps and streams
handed in, so tests call them directly.

The import does what `/mentor import` does — read, look people up in Slack, show the
dry run — and then applies only with `--apply`, or after a "y" when run at a terminal.
Piped or scheduled runs without `--apply` never change anything.

Exit status: 0 done (or dry run shown); 1 the file could not be used or Slack failed;
2 configuration problem (as every run mode); 3 done, but some lines had errors (they
are listed, and the good lines were applied if asked) — so a nightly job notices.
"""

from __future__ import annotations

import csv
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.collector import collector_paused
from bot.db import SessionFactory, transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.models import Workspace
from bot.roster.apply import apply_plan
from bot.roster.blocks import count, result_lines, summary_lines
from bot.roster.plan import check_roster
from bot.roster.read import CLI_MAX_DATA_ROWS, CLI_MAX_FILE_BYTES, guard_csv_cell
from bot.roster.service import roster_rows
from bot.roster.types import ImportPlan, RosterFileError
from bot.slack import slack_error_code

EXIT_OK, EXIT_FAILED, EXIT_LINE_ERRORS = 0, 1, 3
EXPORT_HEADER = ("mentor_email", "mentee_email", "cohort", "started")

Confirm = Callable[[str], bool]


def cli_actor() -> str:
    """Who the audit log names for command-line imports: `cli:` and the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in containers without a passwd entry
        user = "unknown"
    return f"cli:{user}"[:32]


# --- the work, with streams and deps handed in (tests call these directly) ----------------------


def import_roster(
    deps: Deps,
    *,
    team_id: str,
    path: Path,
    apply: bool,
    end_missing: bool,
    out: TextIO,
    confirm: Confirm | None,
    actor: str,
) -> int:
    """Dry-run a roster file, print the report, and apply it if asked to (or confirmed)."""
    with collector_paused():
        return _import_roster(
            deps,
            team_id=team_id,
            path=path,
            apply=apply,
            end_missing=end_missing,
            out=out,
            confirm=confirm,
            actor=actor,
        )


def _import_roster(
    deps: Deps,
    *,
    team_id: str,
    path: Path,
    apply: bool,
    end_missing: bool,
    out: TextIO,
    confirm: Confirm | None,
    actor: str,
) -> int:
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"mentor-nudge: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        plan = check_roster(
            deps.client_for(team_id),
            deps.session_factory,
            team_id=team_id,
            data=data,
            source=path.name,
            end_missing=end_missing,
            now=deps.now(),
            limits=(CLI_MAX_DATA_ROWS, CLI_MAX_FILE_BYTES),
        )
    except RosterFileError as problem:
        print(f"mentor-nudge: {path}: {problem}", file=sys.stderr)
        return EXIT_FAILED
    except NotInstalled as missing:
        print(f"mentor-nudge: {missing}; check --team, or install the app there first.", file=sys.stderr)
        return EXIT_FAILED
    except SlackApiError as error:
        print(
            f"mentor-nudge: Slack refused a lookup ({slack_error_code(error)}); nothing was changed. "
            "Try again in a few minutes.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    out.write(dry_run_report(plan))
    done = EXIT_LINE_ERRORS if plan.errors else EXIT_OK
    if plan.change_count == 0:
        out.write("\nNothing to change: the roster already matches this file.\n")
        return done
    if not apply:
        if confirm is None:
            out.write("\nDry run only: nothing was changed. Run again with --apply to make these changes.\n")
            return done
        out.flush()
        if not confirm(f"\nApply these {plan.change_count:,} changes? [y/N] "):
            out.write("Nothing was changed.\n")
            return done
    with transaction(deps.session_factory) as session:
        result = apply_plan(session, deps.settings, team_id=team_id, plan=plan, actor=actor, now=deps.now())
    out.write("\nApplied:\n" + "".join(f"  {line}\n" for line in result_lines(result)))
    if result.welcomed:
        out.write("Welcome messages go out from the clock process (`python -m bot clock` or `socket`).\n")
    return done


def dry_run_report(plan: ImportPlan) -> str:
    """The whole dry run as plain text: every line listed (a terminal has no block limits)."""

    delimiter = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(plan.delimiter, plan.delimiter)
    header = f", header: {' | '.join(plan.header)}" if plan.header else ", no header row"
    lines = [f"Checked {plan.source}: {count(plan.data_rows, 'row')} ({delimiter}-separated{header})"]
    lines += [f"  {line}" for line in summary_lines(plan, bold=False, end_hint="--end-missing ends them")]
    sections = [
        (
            "To add (mentor → mentee)",
            [f"{p.mentor_address} → {p.mentee_address}{_cohort(p.cohort)}" for p in plan.add],
        ),
        (
            "Cohort names to update",
            [f"line {c.line}: {c.old or 'no cohort'} → {c.new}" for c in plan.cohort_changes],
        ),
        (
            "To end (mentor → mentee)",
            [f"{e.mentor_label} → {e.mentee_label}{_cohort(e.cohort)}, since {e.started}" for e in plan.end],
        ),
        ("Lines that can't be imported", [str(error) for error in plan.errors]),
        ("Duplicate lines", [str(d) for d in plan.duplicates]),
        ("Notes", list(plan.notes)),
    ]
    for title, items in sections:
        if items:
            lines.append(f"\n{title}:")
            lines.extend(f"  {item}" for item in items)
    return "\n".join(lines) + "\n"


def _cohort(cohort: str | None) -> str:
    return f"  [{cohort}]" if cohort else ""


def export_roster(session_factory: SessionFactory, *, team_id: str | None, out: TextIO) -> int:
    """Write the active roster as CSV that `import-roster` reads back unchanged."""

    with transaction(session_factory) as session:
        if team_id is None:
            teams = session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)).all()
            if len(teams) != 1:
                found = ", ".join(teams) if teams else "none yet"
                print(
                    f"mentor-nudge: name the workspace with --team (workspaces in the database: {found})",
                    file=sys.stderr,
                )
                return EXIT_FAILED
            team_id = teams[0]
        rows = roster_rows(session, team_id)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow(
            [
                guard_csv_cell(row.mentor),
                guard_csv_cell(row.mentee),
                guard_csv_cell(row.cohort or ""),
                row.started_at.date().isoformat(),
            ]
        )
    return EXIT_OK
