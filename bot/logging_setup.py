"""Logging: one readable line per event, and no Slack token ever written out."""

from __future__ import annotations

import logging
import re
import sys

# Bot, user, app-level, refresh and config tokens all share these shapes.
_TOKEN = re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+")
_SECRET_FIELDS = re.compile(r"(?i)(signing_secret|client_secret|token)(['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}]+)")

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """Replace anything that looks like a Slack token or secret with a marker."""
    text = _TOKEN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
    return _SECRET_FIELDS.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


class RedactingFilter(logging.Filter):
    """Scrubs tokens from every record, whoever logged it (us, Bolt, slack_sdk, gunicorn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send logs to stderr, one line each, with tokens redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job run at INFO; our own job lines say what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
