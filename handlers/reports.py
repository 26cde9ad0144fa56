"""`/mentor report [YYYY-MM]` and `/mentor export [FROM TO] [deidentify]` (admins), and the
admin Home's *Report* and *Export* buttons (`home_report`, `home_export`).

Each reads in one short transaction, then draws or writes the files and uploads them to
the admin's own DM with no transaction open. A non-admin is refused before anything is read;
a button checks again, at the click, that the clicker is an admin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.db import transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.people import is_admin
from bot.reports.blocks import (
    ADMINS_ONLY,
    EXPORT_USAGE,
    EXPORT_WORKING,
    REPORT_USAGE,
    REPORT_WORKING,
    export_covering_text,
    export_sent_text,
    not_sent_text,
    report_sent_text,
)
from bot.reports.charts import render_charts
from bot.reports.export import collect_export, csv_bytes, record_export
from bot.reports.rules import month_of, parse_export_range, parse_month
from bot.reports.service import program_zone, report_figures
from bot.reports.summary import slack_text
from bot.reports.types import ExportOptions, ReportProblem
from bot.slack import slack_error_code
from bot.uploads import OutgoingFile, send_files_to_dm
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

HOME_REPORT_ACTION = "home_report"
HOME_EXPORT_ACTION = "home_export"
_MONTH = re.compile(r"\d{4}-\d{2}")


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `/mentor report`, `/mentor export` and the admin Home's two buttons."""
    router.add(
        "report",
        report_command,
        usage="report [YYYY-MM]",
        summary="the month's program figures and charts, in your DM",
        audience="admins",
    )
    router.add(
        "export",
        export_command,
        usage="export [FROM TO] [deidentify]",
        summary="the program's records as CSV files in your DM (de-identified on request)",
        audience="admins",
    )
    app.action(HOME_REPORT_ACTION)(_button(deps, send_report))
    app.action(HOME_EXPORT_ACTION)(_button(deps, send_export))


# --- the work, shared by the commands and the buttons -------------------------------------------


def send_report(
    deps: Deps, client: WebClient, team_id: str, user_id: str, words: list[str]
) -> tuple[bool, str]:
    """Send the month's report (default: this month so far) to the admin's DM; (sent, what
    to tell them)."""
    try:
        with transaction(deps.session_factory) as session:
            zone = program_zone(session, deps.settings, team_id)
            month = parse_month(words[0]) if words else month_of(deps.now(), zone)
            figures = report_figures(session, deps.settings, team_id, month, deps.now())
    except ReportProblem as problem:
        return False, f"{problem.message} Use {REPORT_USAGE}."
    charts = render_charts(figures)  # no transaction open while drawing or uploading
    files = [OutgoingFile(c.filename, c.png, c.title) for c in charts]
    failed = _upload(client, team_id, user_id, "report", slack_text(figures), files)
    return (False, failed) if failed else (True, report_sent_text(month))


def send_export(
    deps: Deps, client: WebClient, team_id: str, user_id: str, words: list[str]
) -> tuple[bool, str]:
    """Send the export's CSV files to the admin's DM; (sent, what to tell them)."""
    now = deps.now()
    try:
        with transaction(deps.session_factory) as session:
            today = now.astimezone(program_zone(session, deps.settings, team_id)).date()
            first, last, deidentify = parse_export_range(words, today)
            options = ExportOptions(first, last, deidentify=deidentify)
            tables = collect_export(session, deps.settings, team_id, options, now)
            record_export(session, team_id, user_id, options, now)
    except ReportProblem as problem:
        return False, f"{problem.message} Use {EXPORT_USAGE}."
    stem = f"mentor-nudge-{first}-{last}{'-deidentified' if deidentify else ''}"
    files = [OutgoingFile(f"{stem}-{t.filename}", csv_bytes(t), t.filename) for t in tables]
    text = export_covering_text(first, last, deidentify=deidentify, files=len(files))
    failed = _upload(client, team_id, user_id, "export", text, files)
    return (False, failed) if failed else (True, export_sent_text())


def _upload(
    client: WebClient, team_id: str, user_id: str, what: str, text: str, files: list[OutgoingFile]
) -> str | None:
    """Post and share; None when sent, else what to tell the admin."""
    try:
        send_files_to_dm(client, user_id, text=text, files=files)
    except SlackApiError as error:
        code = slack_error_code(error)
        log.warning("team=%s user=%s %s: not sent (%s)", team_id, user_id, what, code)
        return not_sent_text(code)
    except (SlackClientError, OSError) as error:
        # SlackRequestError (a file server that would not take the bytes) is a client
        # error, not an API one: the admin is told all the same.
        log.warning("team=%s user=%s %s: no answer from Slack (%s)", team_id, user_id, what, error)
        return not_sent_text("no answer")
    log.info("team=%s user=%s %s: sent (%d files)", team_id, user_id, what, len(files))
    return None


# --- /mentor report and /mentor export ----------------------------------------------------------


def report_command(call: CommandCall) -> None:
    """`/mentor report [YYYY-MM]` (admins: the router refuses everyone else)."""
    call.reply(REPORT_WORKING)  # acknowledges: drawing and uploading take a few seconds
    _sent, said = send_report(call.deps, call.client, call.team_id, call.user_id, call.args[:1])
    call.reply(said)


def export_command(call: CommandCall) -> None:
    """`/mentor export [FROM TO] [deidentify]` (admins)."""
    call.reply(EXPORT_WORKING)
    _sent, said = send_export(call.deps, call.client, call.team_id, call.user_id, call.args)
    call.reply(said)


# --- the admin Home's buttons -----------------------------------------------------------------------

Work = Callable[[Deps, WebClient, str, str, list[str]], tuple[bool, str]]


def _button(deps: Deps, work: Work) -> Callable[..., None]:
    """A Home button's listener: ack, check the clicker is an admin, do `work`, and tell
    them in their DM only when something went wrong (Home has no place for a reply)."""

    def on_click(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        if not team_id or not user_id:
            return
        with transaction(deps.session_factory) as session:
            allowed = is_admin(session, deps.settings, team_id, user_id)
        words = _month_from_button(body) if work is send_report else []
        sent, said = work(deps, client, team_id, user_id, words) if allowed else (False, ADMINS_ONLY)
        if not sent:
            _tell(client, team_id, user_id, said)

    on_click.__name__ = f"on_{work.__name__}"
    return on_click


def _month_from_button(body: dict[str, Any]) -> list[str]:
    """The digest's report button carries the month its fortnight ends in ("2026-12");
    Home's carries "home" (this month so far). Anything else is ignored, not trusted."""
    actions = body.get("actions")
    value = (
        actions[0].get("value")
        if isinstance(actions, list) and actions and isinstance(actions[0], dict)
        else None
    )
    return [value] if isinstance(value, str) and _MONTH.fullmatch(value) else []


def _tell(client: WebClient, team_id: str, user_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except (SlackApiError, OSError, NotInstalled) as error:
        log.warning(
            "team=%s user=%s: could not say why a Home button did nothing (%s)", team_id, user_id, error
        )
