"""`python -m bot import-roster FILE.csv` and `python -m bot export-roster`.

The import does what `/mentor import` does — read, look people up in Slack, show the
dry run — and then applies only with `--apply`, or after a "y" when run at a terminal.
Piped or scheduled runs without `--apply` never change anything.

Exit status: 0 done (or dry run shown); 1 the file could not be used or Slack failed;
2 configuration problem (as every run mode); 3 done, but some lines had errors (they
are listed, and the good lines were applied if asked) — so a nightly job notices.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.db import SessionFactory
    from bot.deps import Deps
    from bot.roster.types import ImportPlan

EXIT_OK, EXIT_FAILED, EXIT_LINE_ERRORS = 0, 1, 3
EXPORT_HEADER = ("mentor_email", "mentee_email", "cohort", "started")

Confirm = Callable[[str], bool]


def add_roster_commands(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `import-roster` and `export-roster` to `python -m bot`'s subcommands."""
    importer = modes.add_parser(
        "import-roster",
        help="check a roster CSV against Slack and the database; apply it with --apply",
        description=(
            "Read a roster CSV (mentor email, mentee email, optional cohort; Slack member IDs work too), "
            "look everyone up in Slack and show what would change. Nothing changes unless you pass --apply "
            "or answer y at the prompt."
        ),
    )
    importer.add_argument("file", type=Path, help="the CSV file (comma, semicolon or tab separated)")
    importer.add_argument("--apply", action="store_true", help="make the changes without asking")
    importer.add_argument(
        "--end-missing",
        action="store_true",
        help="end active pairs that are not in the file (for a file listing the whole program)",
    )
    importer.add_argument("--team", help="Slack workspace id (default: the bot token's workspace)")
    importer.set_defaults(run=run_import)

    exporter = modes.add_parser(
        "export-roster",
        help="write the current roster as CSV (re-importable)",
        description="Write every active pair as CSV: mentor_email, mentee_email, cohort, started.",
    )
    exporter.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    exporter.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    exporter.set_defaults(run=run_export)


# --- the command-line entry points -----------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    """`import-roster`: connect to the database and Slack, then :func:`import_roster`."""
    from bot.app import build_deps
    from bot.db import make_session_factory
    from bot.runtime import connect_slack, load_runtime_settings, open_database

    settings = load_runtime_settings()
    settings.require_bot_token()
    engine = open_database(settings)
    client, identity = connect_slack(settings, engine)
    deps = build_deps(settings, client=client, session_factory=make_session_factory(engine))
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    return import_roster(
        deps,
        team_id=args.team or identity.team_id,
        path=args.file,
        apply=args.apply,
        end_missing=args.end_missing,
        out=sys.stdout,
        confirm=_ask if interactive else None,
        actor=cli_actor(),
    )


def run_export(args: argparse.Namespace) -> int:
    """`export-roster`: needs only the database, not Slack."""
    from bot.db import make_session_factory
    from bot.runtime import load_runtime_settings, open_database

    settings = load_runtime_settings()
    session_factory = make_session_factory(open_database(settings))
    if args.output is None:
        return export_roster(session_factory, team_id=args.team, out=sys.stdout)
    with args.output.open("w", newline="", encoding="utf-8") as out:
        status = export_roster(session_factory, team_id=args.team, out=out)
    if status == EXIT_OK:
        print(f"Wrote the roster to {args.output}", file=sys.stderr)
    return status


def cli_actor() -> str:
    """Who the audit log names for command-line imports: `cli:` and the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in containers without a passwd entry
        user = "unknown"
    return f"cli:{user}"[:32]


def _ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


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
    from slack_sdk.errors import SlackApiError

    from bot.db import transaction
    from bot.roster.apply import apply_plan
    from bot.roster.blocks import result_lines
    from bot.roster.plan import check_roster
    from bot.roster.types import RosterFileError
    from bot.slack import slack_error_code

    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"mentor-nudge: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        plan = check_roster(
            deps.client,
            deps.session_factory,
            team_id=team_id,
            data=data,
            source=path.name,
            end_missing=end_missing,
            now=deps.now(),
        )
    except RosterFileError as problem:
        print(f"mentor-nudge: {path}: {problem}", file=sys.stderr)
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
    from bot.roster.blocks import count, summary_lines

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
    from sqlalchemy import select

    from bot.db import transaction
    from bot.models import Workspace
    from bot.roster.read import guard_csv_cell
    from bot.roster.service import roster_rows

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
