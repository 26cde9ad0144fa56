"""Configuration: defaults, validation, and one plain message per problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings, normalize_database_url
from bot.runtime import CLOCK_VARIABLES, SOCKET_VARIABLES, WEB_VARIABLES

NO_DOTENV = Path("/nonexistent/.env")
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-123-456-abc",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
}


def load(**env: str):
    return load_settings(env, dotenv_path=NO_DOTENV)


def test_defaults():
    settings = load(**GOOD)

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.admin_user_ids == ()
    assert settings.program_timezone == "UTC"
    assert settings.nudge_weekly_cap == 2


def test_missing_tokens_are_allowed_until_a_mode_needs_them():
    settings = load()

    with pytest.raises(ConfigError, match=r"^SLACK_BOT_TOKEN is not set: find it under OAuth & Permissions"):
        settings.require_bot_token()
    with pytest.raises(
        ConfigError, match=r"^SLACK_SIGNING_SECRET is not set: .*Basic Information → App Credentials"
    ):
        settings.require_signing_secret()
    with pytest.raises(ConfigError, match=r"^SLACK_APP_TOKEN is not set: .*connections:write"):
        settings.require_app_token()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL is not a database URL we can use (scheme 'mysql')",
        ),
        ({"DATABASE_URL": "localhost/db"}, "DATABASE_URL is not a database URL we can use (no scheme)"),
        ({"DATABASE_URL": "postgres:///db"}, "DATABASE_URL names no host"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"),
        ({"PORT": "eighty"}, "PORT must be a whole number from 1 to 65535"),
        ({"PORT": "70000"}, "PORT must be a whole number from 1 to 65535"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
        (
            {"ADMIN_USER_IDS": "U0ADMIN01, @dr.adams"},
            "ADMIN_USER_IDS holds something that is not a Slack user id (@dr.adams)",
        ),
        ({"PROGRAM_TIMEZONE": "Mars/Olympus"}, "PROGRAM_TIMEZONE is not a time zone name we know"),
        ({"NUDGE_WEEKLY_CAP": "0"}, "NUDGE_WEEKLY_CAP must be a whole number from 1 to 7"),
    ],
)
def test_malformed_values_name_the_variable(env, message):
    with pytest.raises(ConfigError) as caught:
        load(**{**GOOD, **env})

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/mn", "postgresql+psycopg://u:p@db.example:5432/mn"),
        ("postgresql://u@db/mn", "postgresql+psycopg://u@db/mn"),
        ("postgresql+psycopg://u@db/mn", "postgresql+psycopg://u@db/mn"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_from_hosting_platforms_are_accepted(given, expected):
    assert normalize_database_url(given) == expected
    assert load(DATABASE_URL=given).database_url == expected


def test_values_are_parsed():
    settings = load(
        **GOOD,
        PORT="8080",
        LOG_LEVEL="debug",
        ADMIN_USER_IDS="U0ADMIN01,W0GRIDADM; U0ADMIN02",
        SLACK_API_URL="http://127.0.0.1:9999/api",
        PROGRAM_TIMEZONE="Australia/Sydney",
    )

    assert settings.port == 8080
    assert settings.log_level == "DEBUG"
    assert settings.admin_user_ids == ("U0ADMIN01", "W0GRIDADM", "U0ADMIN02")
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.program_timezone == "Australia/Sydney"


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=4000\n# a comment\nLOG_LEVEL=WARNING\n")

    settings = load_settings({"PORT": "5000"}, dotenv_path=dotenv)

    assert settings.slack_bot_token == "xoxb-from-file"
    assert settings.port == 5000
    assert settings.log_level == "WARNING"


# --- OAuth mode ------------------------------------------------------------------------------

OAUTH = {
    "SLACK_CLIENT_ID": "1111111111.2222222222",
    "SLACK_CLIENT_SECRET": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
}


def test_client_credentials_without_a_bot_token_mean_oauth_mode():
    settings = load(**OAUTH)

    assert settings.oauth_enabled
    assert settings.slack_scopes == (
        "commands",
        "chat:write",
        "users:read",
        "users:read.email",
        "files:read",
        "files:write",
    )
    assert "0a1b2c3d" not in repr(settings)  # the secret stays out of logs


def test_a_bot_token_wins_over_client_credentials():
    assert not load(**OAUTH, SLACK_BOT_TOKEN="xoxb-123-456-abc").oauth_enabled
    assert not load(**GOOD).oauth_enabled


def test_pulse_defaults():
    settings = load()
    assert (settings.anonymity_min, settings.anonymity_window_months) == (5, 12)
    assert (settings.pulse_first_days, settings.pulse_every_days) == (30, 60)
    tuned = load(ANONYMITY_MIN="8", ANONYMITY_WINDOW_MONTHS="6", PULSE_FIRST_DAYS="21")
    assert (tuned.anonymity_min, tuned.anonymity_window_months, tuned.pulse_first_days) == (8, 6, 21)


@pytest.mark.parametrize("value", ["2", "1", "0", "-4"])
def test_an_anonymity_minimum_below_three_stops_start_up(value):
    with pytest.raises(ConfigError, match=r"ANONYMITY_MIN is -?\d+, but it must be at least 3"):
        load(ANONYMITY_MIN=value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_CLIENT_ID": OAUTH["SLACK_CLIENT_ID"]}, "SLACK_CLIENT_SECRET is not set: OAuth mode"),
        ({"SLACK_CLIENT_SECRET": OAUTH["SLACK_CLIENT_SECRET"]}, "SLACK_CLIENT_ID is not set: OAuth mode"),
        ({**OAUTH, "SLACK_SCOPES": "commands,chat:write"}, "SLACK_SCOPES leaves out scopes the app needs"),
        ({**OAUTH, "SLACK_SCOPES": "commands;chat write"}, "SLACK_SCOPES leaves out scopes the app needs"),
        ({**OAUTH, "SLACK_REDIRECT_URI": "mentor.example.org/slack/oauth_redirect"}, "must be an https"),
        (
            {**OAUTH, "SLACK_REDIRECT_URI": "ftp://mentor.example.org/slack/oauth_redirect"},
            "must be an https",
        ),
        (
            {**OAUTH, "SLACK_ALLOWED_TEAMS": "T0123ABCD, riverside"},
            "not a workspace (T…) or Grid org (E…) id",
        ),
    ],
)
def test_an_incomplete_or_malformed_oauth_set_is_named(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(**env)


def test_extra_scopes_and_a_redirect_url_are_accepted():
    settings = load(
        **OAUTH,
        SLACK_SCOPES="commands, chat:write,users:read,users:read.email,files:read,files:write,"
        "channels:history",
        SLACK_REDIRECT_URI="https://mentor.example.org/slack/oauth_redirect",
    )

    assert settings.slack_scopes[-1] == "channels:history" and len(settings.slack_scopes) == 7
    assert settings.slack_redirect_uri == "https://mentor.example.org/slack/oauth_redirect"


def test_the_allowed_teams_are_read_as_ids_and_default_to_anyone():
    assert load(**OAUTH).slack_allowed_teams == ()
    settings = load(**OAUTH, SLACK_ALLOWED_TEAMS="T0123ABCD, E0456EFGH,T0123ABCD")
    assert settings.slack_allowed_teams == ("T0123ABCD", "E0456EFGH")


def test_an_oauth_install_asks_for_the_scopes_the_manifest_lists():
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())

    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == load(**OAUTH).slack_scopes
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ANONYMITY_MIN": "five"}, "ANONYMITY_MIN must be a whole number from 3 to 100"),
        ({"ANONYMITY_WINDOW_MONTHS": "7"}, "ANONYMITY_WINDOW_MONTHS must be a whole number of quarters"),
        ({"ANONYMITY_WINDOW_MONTHS": "48"}, "ANONYMITY_WINDOW_MONTHS must be a whole number from 3 to 36"),
        ({"PULSE_FIRST_DAYS": "3"}, "PULSE_FIRST_DAYS must be a whole number from 7 to 180"),
        ({"PULSE_EVERY_DAYS": "400"}, "PULSE_EVERY_DAYS must be a whole number from 30 to 180"),
        ({"DIGEST_EVERY_DAYS": "10"}, "DIGEST_EVERY_DAYS must be a multiple of 7"),
        ({"DIGEST_EVERY_DAYS": "fortnight"}, "DIGEST_EVERY_DAYS must be a whole number from 0 to 91"),
    ],
)
def test_malformed_pulse_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        load(**env)


@pytest.mark.parametrize(
    ("env", "variable", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN", "does not look like a Slack token"),
        ({"SLACK_BOT_TOKEN": "xoxb-has space"}, "SLACK_BOT_TOKEN", "does not look like a Slack token"),
        ({"SLACK_APP_TOKEN": "xoxb-123"}, "SLACK_APP_TOKEN", "does not look like a Slack token"),
        ({"SLACK_SIGNING_SECRET": "not hex!"}, "SLACK_SIGNING_SECRET", "looks malformed"),
        ({**OAUTH, "SLACK_CLIENT_ID": "my-app"}, "SLACK_CLIENT_ID", "looks malformed"),
        ({**OAUTH, "SLACK_CLIENT_SECRET": "secret!"}, "SLACK_CLIENT_SECRET", "looks malformed"),
    ],
)
def test_a_format_guess_warns_about_its_variable_and_keeps_the_value(env, variable, message):
    settings = load(**{**GOOD, **env})

    [warning] = settings.warnings_for((variable,))
    assert warning.startswith(variable) and message in warning
    # Only the modes that use the variable hear about it: others get no warning.
    assert settings.warnings_for(("DATABASE_URL",)) == []
    kept = (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_id,
        settings.slack_client_secret,
    )
    assert env[variable] in kept


def test_values_that_look_right_raise_no_format_warning():
    assert load(**{**GOOD, **OAUTH, "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}).format_warnings == ()


def test_oauth_without_a_signing_secret_loads_and_the_web_mode_asks_for_it():
    settings = load(**{**OAUTH, "SLACK_SIGNING_SECRET": ""})

    assert settings.oauth_enabled
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        settings.require_signing_secret()


def test_the_digest_comes_every_second_monday_unless_set_otherwise():
    assert load(**GOOD).digest_every_days == 14
    assert load(**GOOD, DIGEST_EVERY_DAYS="7").digest_every_days == 7
    assert load(**GOOD, DIGEST_EVERY_DAYS="0").digest_every_days == 0


ALL_SCOPES = "commands,chat:write,users:read,users:read.email,files:read,files:write"


@pytest.mark.parametrize(
    ("env", "variable", "message"),
    [
        ({**OAUTH, "SLACK_SCOPES": ALL_SCOPES + ",Chat:Write.Public"}, "SLACK_SCOPES", "Chat:Write.Public"),
        (
            {**OAUTH, "SLACK_REDIRECT_URI": "http://mentor.example.org/slack/oauth_redirect"},
            "SLACK_REDIRECT_URI",
            "does not look like the app's https URL",
        ),
        (
            {**OAUTH, "SLACK_REDIRECT_URI": "https://mentor.example.org/callback"},
            "SLACK_REDIRECT_URI",
            "/slack/oauth_redirect",
        ),
        ({"ADMIN_USER_IDS": "U0ADMIN01, u0lower01"}, "ADMIN_USER_IDS", "u0lower01"),
    ],
)
def test_format_guesses_about_oauth_values_and_admins_warn_only_the_modes_that_use_them(
    env, variable, message
):
    settings = load(**{**GOOD, **env})  # not refused

    [warning] = settings.warnings_for(WEB_VARIABLES)
    assert warning.startswith(variable) and message in warning
    # `migrate` and the CLI (the default) never hear of it; OAuth values are the web's alone.
    assert settings.warnings_for(("SLACK_BOT_TOKEN",)) == []
    if variable != "ADMIN_USER_IDS":
        assert settings.warnings_for(CLOCK_VARIABLES) == settings.warnings_for(SOCKET_VARIABLES) == []
    # The value is kept as given.
    kept = {
        "SLACK_SCOPES": ",".join(settings.slack_scopes),
        "SLACK_REDIRECT_URI": settings.slack_redirect_uri,
        "ADMIN_USER_IDS": ", ".join(settings.admin_user_ids),
    }
    assert kept[variable] == env[variable]


def test_a_handle_in_admin_user_ids_can_never_work_and_is_refused():
    with pytest.raises(ConfigError, match=re.escape("not a Slack user id (@dr.adams, Dr Adams)")):
        load(**{**GOOD, "ADMIN_USER_IDS": "U0ADMIN01, @dr.adams, Dr Adams"})
