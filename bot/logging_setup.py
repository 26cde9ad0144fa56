"""Logging: one readable line per event, and no Slack token ever written out."""

from __future__ import annotations

import logging
import re
import sys

# Bot, user, app-level, refresh and config tokens all share these shapes.
_TOKEN = re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+")
_SECRET_FIELDS = re.compile(r"(?i)(signing_secret|client_secret|token)(['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}]+)")
# Passwords in database URLs: postgresql://user:secret@host → postgresql://user:***@host
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
# Library loggers that log message contents (request bodies, Slack payloads, SQL
# parameters) at DEBUG: never below INFO, whatever LOG_LEVEL says, so free text and
# the people behind anonymous answers never reach the logs.
QUIET_LIBRARIES = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "urllib3": logging.INFO,
    # SQLAlchemy's INFO is every statement (echo): warnings only.
    "sqlalchemy": logging.WARNING,
}

# Text that any of the three patterns above needs (case-insensitive): a line without any
# of these has nothing to redact. One search, instead of three substitutions on the
# message and three more on the formatted line, for each of the log lines written
# before a request's ack (docs/benchmarks.md, "Acknowledgement times under load").
_MAYBE_SECRET = re.compile(r"(?i)xox|xapp|://|secret|token")

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """Replace anything that looks like a Slack token or secret with a marker."""
    if not _MAYBE_SECRET.search(text):
        return text
    text = _TOKEN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}***@", text)
    return _SECRET_FIELDS.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


class RedactingFilter(logging.Filter):
    """Scrubs tokens from every record, whoever logged it (us, Bolt, slack_sdk, gunicorn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included (an exception message can
    carry a token or a database URL that the record's own message did not)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    """Send logs to stderr, one line each, with tokens and passwords redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job run at INFO; our own job lines say what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
