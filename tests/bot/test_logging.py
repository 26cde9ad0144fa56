"""Log lines say who and what, and never carry a token."""

from __future__ import annotations

import logging

from bot.logging_setup import RedactingFilter, configure_logging, redact
from tests.conftest import MENTEE
from tests.fakes.slack_api import BOT_TOKEN


def test_tokens_and_secrets_are_redacted():
    line = (
        f"calling with {BOT_TOKEN} and xapp-1-A1-22-abc and xoxp-9-8-7 "
        "signing_secret=abcdef0123 token: 'xoxe.xoxp-1-zz'"
    )

    cleaned = redact(line)

    assert "fakebottoken" not in cleaned
    assert "xapp-[redacted]" in cleaned
    assert "xoxp-[redacted]" in cleaned
    assert "abcdef0123" not in cleaned


def test_the_filter_rewrites_records_with_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", (BOT_TOKEN,), None)

    RedactingFilter().filter(record)

    assert BOT_TOKEN not in record.getMessage()
    assert "xoxb-[redacted]" in record.getMessage()


def test_each_command_logs_one_line_with_team_user_and_outcome(slack, caplog):
    with caplog.at_level(logging.INFO):
        slack.command("help", user_id=MENTEE)

    lines = [r.getMessage() for r in caplog.records if r.name == "handlers.commands"]
    assert len(lines) == 1
    assert lines[0].startswith(f"team=T0TEST001 user={MENTEE} /mentor help: ok (")


def test_configured_logging_keeps_tokens_out_of_the_stream(capsys):
    configure_logging("DEBUG")
    try:
        logging.getLogger("anything").warning("Authorization: Bearer %s", BOT_TOKEN)
    finally:
        configure_logging("WARNING")
    assert BOT_TOKEN not in capsys.readouterr().err


def test_passwords_in_database_urls_are_redacted():
    assert (
        redact("cannot reach postgresql://mn:s3cret@db:5432/mn")
        == "cannot reach postgresql://mn:***@db:5432/mn"
    )


def test_tracebacks_are_redacted_too(capsys):
    configure_logging("INFO")
    try:
        try:
            raise RuntimeError(f"boom with {BOT_TOKEN}")
        except RuntimeError:
            logging.getLogger("anything").exception("it failed")
    finally:
        configure_logging("WARNING")
    err = capsys.readouterr().err
    assert "RuntimeError: boom with xoxb-[redacted]" in err
    assert BOT_TOKEN not in err


def test_debug_logging_never_opens_up_libraries_that_log_message_contents():
    configure_logging("DEBUG")
    try:
        for name in ("slack_sdk.web.base_client", "slack_bolt.App", "sqlalchemy.engine.Engine", "urllib3"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger("bot.anything").isEnabledFor(logging.DEBUG)
    finally:
        configure_logging("WARNING")


def test_settings_never_show_their_secrets():
    from tests.conftest import settings_for
    from tests.fakes.slack_api import FakeSlack

    with FakeSlack() as fake:
        shown = repr(settings_for(fake, "postgresql://mn:s3cret@db/mn"))
    assert "xoxb" not in shown and "s3cret" not in shown and "5b6a1e3f" not in shown
