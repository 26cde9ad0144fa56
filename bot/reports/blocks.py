"""What the report and export say to an admin in Slack, beside the figures themselves."""

from __future__ import annotations

from datetime import date

from bot.reports.charts import month_label

REPORT_WORKING = "Putting the report together — it will arrive in your DM with its charts in a moment."
EXPORT_WORKING = "Putting the export together — the CSV files will arrive in your DM in a moment."
ADMINS_ONLY = (
    "Reports and exports are for program admins. Ask one of them if you need the program's "
    "figures — `/mentor admins` lists who they are."
)
REPORT_USAGE = "`/mentor report [YYYY-MM]` (default: this month so far)"
EXPORT_USAGE = "`/mentor export [FROM TO] [deidentify]`, dates as YYYY-MM-DD (default: the last 12 months)"


def report_sent_text(month: str) -> str:
    """The reply once the report is in the DM."""
    return f"Sent: the report for {month_label(month)} is in your direct messages with Mentor Nudge."


def export_covering_text(first: date, last: date, *, deidentify: bool, files: int) -> str:
    """The DM above the CSV files."""
    kind = (
        "de-identified: Slack ids and cohort names are pseudonyms for this export only; no free text "
        "and no named reflections"
        if deidentify
        else "with Slack member ids, and no free text"
    )
    return (
        f"*Mentor Nudge export, {first} to {last}* — {files} CSV files, {kind}. "
        "Check-in answers appear only as released figures, anonymous reflections only as counts. "
        "Every column is described in docs/exports.md."
    )


def export_sent_text() -> str:
    """The reply once the export is in the DM."""
    return "Sent: the export is in your direct messages with Mentor Nudge."


def not_sent_text(code: str) -> str:
    """The reply when Slack would not take the message or the files."""
    if code in ("missing_scope", "not_allowed_token_type", "no_permission"):
        return (
            "I couldn't send the files: Mentor Nudge needs Slack's `files:write` permission for this. "
            "Add it to the app and reinstall it (see the README's scope table)."
        )
    return f"Slack didn't take the files (`{code}`), so they weren't sent. Please try again in a minute."
