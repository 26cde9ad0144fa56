"""The clock's monthly-report steps.

`run_report_step` queues each admin's report for last month on their first working day
(bot.reports.delivery: one outbox row per admin and month); the sender posts its figures.
`upload_report_charts`, after the sender, draws the charts of reports just sent and
shares them in the same DM. Each upload is claimed ("sending", committed) first; the
figures are read in a short transaction; the charts are drawn and uploaded with no
transaction open, so a slow Slack or a slow drawing never holds the database.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.db import is_sqlite, transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.reports.charts import render_charts
from bot.reports.delivery import DUE, SENT, claim_chart_uploads, plan_monthly_reports, record_chart_upload
from bot.reports.service import report_figures
from bot.slack import slack_error_code
from bot.uploads import OutgoingFile, share_files

log = logging.getLogger(__name__)


def run_report_step(deps: Deps, now: datetime) -> dict[str, int]:
    """Queue the reports that are due; counts for the log line."""
    with transaction(deps.session_factory) as session:
        queued = plan_monthly_reports(session, deps.settings, now)
    return {"queued": queued} if queued else {}


def upload_report_charts(
    deps: Deps, now: datetime, *, stopping: threading.Event | None = None
) -> dict[str, int]:
    """Share the charts of reports whose covering message went out; counts for the log line."""
    engine = deps.session_factory.kw["bind"]
    with transaction(deps.session_factory) as session:
        claimed = claim_chart_uploads(session, now, skip_locked=not is_sqlite(engine))
    counts: Counter[str] = Counter()
    for position, (delivery_id, team_id, channel, month) in enumerate(claimed):
        if stopping is not None and stopping.is_set():
            # Claimed but never uploaded: hand them back as due for the next clock.
            with transaction(deps.session_factory) as session:
                for later_id, *_rest in claimed[position:]:
                    record_chart_upload(session, later_id, DUE, now)
            break
        outcome = _upload(deps, delivery_id, team_id, channel, month)
        with transaction(deps.session_factory) as session:
            record_chart_upload(session, delivery_id, outcome, now)
        counts["charts_sent" if outcome == SENT else "charts_failed"] += 1
    return dict(counts)


def _upload(deps: Deps, delivery_id: int, team_id: str, channel: str, month: str) -> str:
    """Draw one report's charts and share them; "sent" or "failed: <why>". Never raises."""
    try:
        with transaction(deps.session_factory) as session:
            figures = report_figures(session, deps.settings, team_id, month)
        charts = render_charts(figures)
        client = deps.client_for(team_id)
        share_files(client, channel, [OutgoingFile(c.filename, c.png, c.title) for c in charts])
    except SlackApiError as error:
        code = slack_error_code(error)
        log.warning("team=%s delivery=%s: report charts not shared (%s)", team_id, delivery_id, code)
        return f"failed: {code}"
    except (NotInstalled, SlackClientError, OSError) as error:
        log.warning("team=%s delivery=%s: report charts not shared (%s)", team_id, delivery_id, error)
        return f"failed: {error.__class__.__name__}"
    except Exception:
        log.exception("team=%s delivery=%s: report charts could not be drawn or shared", team_id, delivery_id)
        return "failed: internal error"
    return SENT
