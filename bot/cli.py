"""`python -m bot …`: the run modes and the command-line tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from bot.config import ConfigError

EXIT_CONFIG = 2

Command = Callable[[argparse.Namespace], int | None]


def _socket(_args: argparse.Namespace) -> None:
    from bot.runtime import run_socket

    run_socket()


def _web(args: argparse.Namespace) -> None:
    from bot.web import run_web

    run_web(workers=args.workers, threads=args.threads)


def _clock(_args: argparse.Namespace) -> None:
    from bot.runtime import run_clock

    run_clock()


def _migrate(_args: argparse.Namespace) -> None:
    from bot.runtime import run_migrate

    run_migrate()


def _preview(args: argparse.Namespace) -> int:
    from schedules.nudge_preview import run_preview

    return run_preview(args)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-12-01") from None


def _add_roster_commands(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
    importer.add_argument(
        "--team", help="Slack workspace id (default: the bot token's workspace; required in OAuth mode)"
    )
    importer.set_defaults(run=_import_roster)

    exporter = modes.add_parser(
        "export-roster",
        help="write the current roster as CSV (re-importable)",
        description="Write every active pair as CSV: mentor_email, mentee_email, cohort, started.",
    )
    exporter.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    exporter.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    exporter.set_defaults(run=_export_roster)


def _import_roster(args: argparse.Namespace) -> int:
    """`import-roster`: connect to the database and Slack, then :func:`import_roster`."""
    from bot.app import build_deps
    from bot.db import make_session_factory
    from bot.roster.cli import cli_actor, import_roster
    from bot.runtime import connect_slack, load_runtime_settings, open_database

    settings = load_runtime_settings()
    if settings.oauth_enabled:
        if not args.team:
            raise ConfigError(
                "OAuth mode serves several workspaces: say which one with --team T… (its id is in the "
                "workspace's URL, or in the log line written when it installed the app)"
            )
        engine = open_database(settings)
        deps = build_deps(settings, session_factory=make_session_factory(engine))
        team_id = args.team
    else:
        settings.require_bot_token()
        engine = open_database(settings)
        client, identity = connect_slack(settings, engine)
        deps = build_deps(settings, client=client, session_factory=make_session_factory(engine))
        team_id = args.team or identity.team_id
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    return import_roster(
        deps,
        team_id=team_id,
        path=args.file,
        apply=args.apply,
        end_missing=args.end_missing,
        out=sys.stdout,
        confirm=_ask_yes_no if interactive else None,
        actor=cli_actor(),
    )


def _export_roster(args: argparse.Namespace) -> int:
    """`export-roster`: needs only the database, not Slack."""
    from bot.db import make_session_factory
    from bot.roster.cli import EXIT_OK, export_roster
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


def _add_rota_and_agreement_commands(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `import-rota` and `export-agreements` to `python -m bot`'s subcommands."""
    importer = modes.add_parser(
        "import-rota",
        help="check a rota (CSV or .ics) against the program; apply it with --apply",
        description="Read a rota file (person, start, end, kind per line; or an iCalendar file with one "
        "attendee per event) and show what it holds. Nothing changes unless you pass --apply or answer y.",
    )
    importer.add_argument("file", type=Path, help="the CSV or .ics file")
    importer.add_argument("--apply", action="store_true", help="apply it without asking")
    importer.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    importer.set_defaults(run=_import_rota)
    exporter = modes.add_parser(
        "export-agreements",
        help="write the mentoring agreements as CSV (counts; goal text only with --include-text)",
        description="One row per agreement: the pair, when agreed, goals and how they stand. Goal text is "
        "private to the pair and is included only with --include-text; anonymous answers never are.",
    )
    exporter.add_argument(
        "--include-text", action="store_true", help="also write the goals and ways of working"
    )
    exporter.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    exporter.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    exporter.set_defaults(run=_export_agreements)


def _import_rota(args: argparse.Namespace) -> int:
    """`import-rota`: needs only the database."""
    from datetime import UTC, datetime

    from bot.db import make_session_factory
    from bot.rota.cli import import_rota
    from bot.runtime import load_runtime_settings, open_database

    settings = load_runtime_settings()
    session_factory = make_session_factory(open_database(settings))
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    return import_rota(
        session_factory,
        settings,
        path=args.file,
        team_id=args.team,
        apply=args.apply,
        now=datetime.now(UTC),
        confirm=_ask_yes_no if interactive else None,
    )


def _export_agreements(args: argparse.Namespace) -> int:
    """`export-agreements`: needs only the database."""
    from bot.agreements.cli import export_agreements
    from bot.db import make_session_factory
    from bot.runtime import load_runtime_settings, open_database

    settings = load_runtime_settings()
    session_factory = make_session_factory(open_database(settings))
    if args.output is None:
        return export_agreements(
            session_factory, team_id=args.team, include_text=args.include_text, out=sys.stdout
        )
    with args.output.open("w", newline="", encoding="utf-8") as out:
        return export_agreements(session_factory, team_id=args.team, include_text=args.include_text, out=out)


def _month_text(text: str) -> str:
    from bot.reports.rules import parse_month
    from bot.reports.types import ReportProblem

    try:
        return parse_month(text)
    except ReportProblem as problem:
        raise argparse.ArgumentTypeError(problem.message) from None


def _add_report_commands(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `report` and `export` to `python -m bot`'s subcommands."""
    report = modes.add_parser(
        "report",
        help="write a month's program report (PNG charts and a Markdown summary), without Slack",
        description="Write the month's charts and a short Markdown summary into a folder: the same "
        "figures admins get in Slack (counts only; check-in figures only once released).",
    )
    report.add_argument("--month", required=True, type=_month_text, help="the month, YYYY-MM")
    report.add_argument("--out", required=True, type=Path, help="the folder to write into")
    report.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    report.set_defaults(run=_report)
    export = modes.add_parser(
        "export",
        help="write CSV files of nudges, meetings, reflections, released check-in figures and agreements",
        description="Write the program's records for a date range as CSV files (columns: docs/exports.md). "
        "--deidentify replaces Slack ids with pseudonyms for this export only and drops all free text.",
    )
    export.add_argument("--from", dest="first", required=True, type=_iso_date, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", required=True, type=_iso_date, help="last day, YYYY-MM-DD")
    export.add_argument("--deidentify", action="store_true", help="pseudonyms for Slack ids; no free text")
    export.add_argument(
        "--include-text", action="store_true", help="also write free text (notes, reflections, goals)"
    )
    export.add_argument("--out", required=True, type=Path, help="the folder to write into")
    export.add_argument("--team", help="Slack workspace id (needed only when the database holds several)")
    export.set_defaults(run=_export)


def _report(args: argparse.Namespace) -> int:
    """`report`: needs only the database."""
    from bot.db import make_session_factory
    from bot.reports.cli import write_report
    from bot.runtime import load_runtime_settings, open_database

    settings = load_runtime_settings()
    session_factory = make_session_factory(open_database(settings))
    return write_report(session_factory, settings, month=args.month, out_dir=args.out, team_id=args.team)


def _export(args: argparse.Namespace) -> int:
    """`export`: needs only the database."""
    from bot.db import make_session_factory
    from bot.reports.cli import write_export
    from bot.reports.types import ExportOptions
    from bot.runtime import load_runtime_settings, open_database

    settings = load_runtime_settings()
    session_factory = make_session_factory(open_database(settings))
    options = ExportOptions(args.first, args.last, deidentify=args.deidentify, include_text=args.include_text)
    return write_export(session_factory, settings, options=options, out_dir=args.out, team_id=args.team)


def _ask_yes_no(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; `python -m bot --help` prints its description of each mode."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Mentor Nudge: short, well-timed Slack nudges toward good clinical mentoring.",
        epilog="Configuration comes from environment variables or a .env file; see README.md.",
    )
    modes = parser.add_subparsers(title="run modes and tools", dest="mode", metavar="MODE")
    modes.required = True

    socket = modes.add_parser(
        "socket",
        help="Socket Mode and the scheduler in one process (simplest; no public URL needed)",
        description="Connect to Slack over Socket Mode and run the scheduler in the same process.",
    )
    socket.set_defaults(run=_socket)

    web = modes.add_parser(
        "web",
        help="HTTP endpoint: POST /slack/events for Slack, GET /healthz (gunicorn)",
        description="Serve Slack's requests over HTTP with gunicorn, as the Procfile's web line does.",
    )
    web.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    web.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    web.set_defaults(run=_web)

    clock = modes.add_parser(
        "clock",
        help="the scheduler alone, beside `web`",
        description="Run the scheduler: plan due messages every minute and send them.",
    )
    clock.set_defaults(run=_clock)

    migrate = modes.add_parser(
        "migrate",
        help="bring the database schema up to date (the Procfile's release step)",
        description="Apply database migrations up to the newest schema.",
    )
    migrate.set_defaults(run=_migrate)
    _add_roster_commands(modes)
    _add_rota_and_agreement_commands(modes)
    _add_report_commands(modes)

    preview = modes.add_parser(
        "preview",
        help="print the nudge schedule for the next days, without Slack",
        description="Print the nudges the clock would send (date, local time, mentor, practice, nudge), "
        "using the same planner, without Slack and without changing the database. Reads the program's "
        "database, or a roster CSV (mentor,mentee[,tz,weekday,time,cadence]) to check the rhythm "
        "before launch.",
    )
    preview.add_argument("--days", type=int, default=30, help="how many days to show (default 30)")
    preview.add_argument("--roster", metavar="FILE.csv", help="preview this roster instead of the database")
    preview.add_argument(
        "--rota",
        metavar="FILE",
        help="a rota (CSV or .ics) to apply first: slots on duty move, and the preview says why",
    )
    preview.add_argument(
        "--start", type=_iso_date, metavar="DATE", help="first day, YYYY-MM-DD (default: now)"
    )
    preview.set_defaults(run=_preview)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the chosen mode; configuration problems exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except ConfigError as error:
        print(f"mentor-nudge: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return int(result or 0)
