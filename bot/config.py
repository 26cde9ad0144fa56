"""Configuration from environment variables (and an optional `.env` file).

Every value is checked once, at start-up, so a typo stops the process with one plain
sentence naming the variable and where to find the right value — not a traceback
twenty minutes later when the first nudge is due.

Two kinds of check: a value we cannot use at all (a port that is not a number, an
unknown time zone) stops start-up; a value that merely does not look the way Slack
usually shows it (a signing secret that is not hexadecimal, a token with an odd prefix)
is a *format guess* and only warns (`Settings.format_warnings`), and only in the modes
that use that value: Slack itself is the judge of its secrets, and a guess must never
stop `migrate` or `clock`, which do not use a signing secret at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# The bot scopes an OAuth install asks for: the same list as manifest.yml (README,
# "Slack scopes"). SLACK_SCOPES replaces it, e.g. to add the optional history scopes.
# Where Bolt serves the install page and Slack sends the installer back (OAuth mode).
OAUTH_INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
DEFAULT_BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "files:read",
    "files:write",
)
DEFAULT_DATABASE_URL = "sqlite:///mentor_nudge.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Slack user ids: U… for ordinary users, W… for Enterprise Grid org users.
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Build it with :func:`load_settings`."""

    # Secrets stay out of repr(), so a logged Settings never shows them.
    slack_bot_token: str | None = field(repr=False)
    slack_signing_secret: str | None = field(repr=False)
    slack_app_token: str | None = field(repr=False)
    database_url: str = field(repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    log_level: str = "INFO"
    admin_user_ids: tuple[str, ...] = ()
    program_timezone: str = "UTC"
    nudge_weekly_cap: int = 2
    # OAuth mode (several workspaces or an Enterprise Grid org): Basic Information →
    # App Credentials. Used only when no SLACK_BOT_TOKEN is set.
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    slack_redirect_uri: str | None = None
    # Seals mentees' check-in answers until they are published (bot.pulse.sealing). With
    # SQLite it may be left out: a key file is kept beside the database file instead.
    secret_key: str | None = field(default=None, repr=False)
    # OAuth mode: the only workspaces (T…) and Grid orgs (E…) that may install the app;
    # empty: any that Slack lets install it (see README, "One workspace or many?").
    slack_allowed_teams: tuple[str, ...] = ()

    # The relationship pulse (bot.pulse): results about a mentor (and every cohort figure)
    # appear only once this many different mentees answered within the window.
    anonymity_min: int = 5
    anonymity_window_months: int = 12
    # Program defaults for the pulse's timing; admins can change them per workspace.
    pulse_first_days: int = 30
    pulse_every_days: int = 60
    # Mentoring agreements (bot.agreements): the review cycle, with reviews at its
    # midpoint and end.
    agreement_cycle_months: int = 6
    # Rotas (bot.rota): nothing is delivered on the rest of the day a call or night shift
    # ends. Calendar feeds are fetched over https only; http to this machine only when
    # allowed (tests, a local proxy).
    post_call_rest: bool = True
    rota_feed_allow_local_http: bool = False
    # Free text (notes, reflections, feedback topics, check-in comments) older than this
    # many days is emptied by the daily housekeeping; counts and one-tap answers stay.
    retention_days: int = 180
    # Format guesses that failed: (variable, sentence). Logged by the run modes that use
    # the variable (bot.runtime), never a reason to refuse to start.
    format_warnings: tuple[tuple[str, str], ...] = ()

    def warnings_for(self, variables: tuple[str, ...]) -> list[str]:
        """The format warnings about any of `variables`, in the order they were found."""
        return [sentence for name, sentence in self.format_warnings if name in variables]

    # The director digest (bot.program): every this many days, counted from a Monday, so a
    # multiple of 7 keeps it on Mondays; 0 turns it off.
    digest_every_days: int = 14

    @property
    def oauth_enabled(self) -> bool:
        """True in OAuth mode: tokens come from installations, not from SLACK_BOT_TOKEN.

        A bot token, when set, always wins: single-workspace installs keep working
        exactly as before even with OAuth credentials left in the environment.
        """
        return self.slack_bot_token is None and self.slack_client_id is not None

    def require_bot_token(self) -> str:
        """Return the bot token, or stop with a message saying where to find it."""
        if not self.slack_bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: find it under OAuth & Permissions → "
                "Bot User OAuth Token (it starts with xoxb-)"
            )
        return self.slack_bot_token

    def require_signing_secret(self) -> str:
        """Return the signing secret, or stop with a message saying where to find it."""
        if not self.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: find it under Basic Information → "
                "App Credentials → Signing Secret"
            )
        return self.slack_signing_secret

    def require_app_token(self) -> str:
        """Return the app-level token Socket Mode needs, or stop with a message."""
        if not self.slack_app_token:
            raise ConfigError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token — create one "
                "under Basic Information → App-Level Tokens with the connections:write scope "
                "(it starts with xapp-)"
            )
        return self.slack_app_token


def _read_environment(environ: Mapping[str, str] | None, dotenv_path: Path | None) -> dict[str, str]:
    """Merge `.env` (if present) under the real environment: the environment wins."""
    values: dict[str, str] = {}
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return {k: v.strip() for k, v in values.items()}


def normalize_database_url(raw: str) -> str:
    """Accept the URL forms hosting platforms hand out and pick our drivers.

    Heroku-style platforms give `postgres://…`, which SQLAlchemy 2 no longer accepts;
    plain `postgresql://` would pick psycopg2, which we do not install.
    """
    url = raw.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check_database_url(url: str) -> str:
    if not url.startswith(("sqlite://", "postgresql+psycopg://")):
        raise ConfigError(
            f"DATABASE_URL is not a database URL we can use ({_scheme(url)}): give a "
            "postgresql://user:password@host/dbname URL, or leave it unset for a SQLite file"
        )
    if url.startswith("postgresql") and not urlsplit(url).hostname and "host=" not in url:
        raise ConfigError(
            "DATABASE_URL names no host: the form is postgresql://user:password@host:5432/dbname"
        )
    return url


def _scheme(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"scheme {scheme!r}" if scheme else "no scheme"


def _check_token(name: str, value: str | None, prefix: str, where: str, warnings: list) -> str | None:
    if not value:
        return None
    if not value.startswith(prefix) or any(c.isspace() for c in value):
        warnings.append(
            (name, f"{name} does not look like a Slack token (it should start with {prefix}): {where}")
        )
    return value


def _check_signing_secret(value: str | None, warnings: list) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{16,}", value):
        warnings.append(
            (
                "SLACK_SIGNING_SECRET",
                "SLACK_SIGNING_SECRET looks malformed (expected the hexadecimal string shown under "
                "Basic Information → App Credentials → Signing Secret); requests Slack signs with the "
                "real one will be refused",
            )
        )
    return value


SECRET_KEY_MIN_CHARS = 32


def check_secret_key(value: str) -> str:
    """SECRET_KEY, checked where it is used (sealing check-in answers): a short key is weak."""
    if len(value) < SECRET_KEY_MIN_CHARS or any(c.isspace() for c in value):
        raise ConfigError(
            f"SECRET_KEY must be at least {SECRET_KEY_MIN_CHARS} characters with no spaces; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))', and keep it with your secrets"
        )
    return value


def _check_api_url(value: str | None) -> str:
    url = value or DEFAULT_SLACK_API_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_SLACK_API_URL} (got {url!r})"
        )
    return url if url.endswith("/") else url + "/"


def _check_int(name: str, value: str | None, default: int, low: int, high: int, hint: str) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high} ({hint}); got {value!r}")
    return number


def _check_digest_days(value: str | None) -> int:
    days = _check_int("DIGEST_EVERY_DAYS", value, 14, 0, 91, "days between director digests; 0 for none")
    if days % 7:
        raise ConfigError(
            f"DIGEST_EVERY_DAYS must be a multiple of 7 (digests go on Mondays), or 0 for none; got {value!r}"
        )
    return days


def _check_bool(name: str, value: str | None, default: bool) -> bool:
    if not value:
        return default
    word = value.lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false; got {value!r}")


def _check_log_level(value: str | None) -> str:
    level = (value or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}; got {value!r}")
    return level


def _check_admins(value: str | None, warnings: list) -> tuple[str, ...]:
    """Member ids. A handle or a name (`@dr.adams`: anything but letters and digits) can
    never be an id and stops start-up; an id of an unusual shape is a guess and warns."""
    ids = tuple(part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip())
    how = "use the member ids from each profile's ⋮ menu → Copy member ID, separated by commas"
    bad = [i for i in ids if not i.isascii() or not i.isalnum()]
    if bad:
        raise ConfigError(
            f"ADMIN_USER_IDS holds something that is not a Slack user id ({', '.join(bad)}): {how}"
        )
    odd = [i for i in ids if not _USER_ID.match(i)]
    if odd:
        warnings.append(
            (
                "ADMIN_USER_IDS",
                f"ADMIN_USER_IDS holds ids that do not look like Slack's U…/W… ({', '.join(odd)}): {how}",
            )
        )
    return ids


# Below three, a mentor with two mentees could tell one answer from the other by knowing
# their own: the promise of anonymity would be empty.
ANONYMITY_FLOOR = 3
PULSE_FIRST_RANGE = (7, 180)
PULSE_EVERY_RANGE = (30, 180)
# A month at least (a note is still worth re-reading after a rotation), five years at
# most (past that, free text is no longer "kept for the program" but archived).
RETENTION_RANGE = (30, 1825)


def _check_anonymity_min(value: str | None) -> int:
    if value and value.lstrip("-").isdigit() and int(value) < ANONYMITY_FLOOR:
        raise ConfigError(
            f"ANONYMITY_MIN is {int(value)}, but it must be at least {ANONYMITY_FLOOR}: with fewer mentees a "
            "mentor could work out who answered what. The default is 5."
        )
    return _check_int(
        "ANONYMITY_MIN", value, 5, ANONYMITY_FLOOR, 100, "how many different mentees must answer first"
    )


def _check_window(value: str | None) -> int:
    months = _check_int(
        "ANONYMITY_WINDOW_MONTHS", value, 12, 3, 36, "how many months of pulse answers count, in quarters"
    )
    if months % 3:
        raise ConfigError(
            f"ANONYMITY_WINDOW_MONTHS must be a whole number of quarters (3, 6, 9 … 36), because answers are "
            f"kept by calendar quarter; got {value!r}"
        )
    return months


def check_timezone(name: str, value: str | None) -> str:
    """Return `value` if it is an IANA zone name this machine knows, else stop with a message."""
    zone = value or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name} is not a time zone name we know ({zone!r}): use an IANA name such as "
            "America/New_York or Europe/London"
        ) from None
    return zone


def _check_oauth(env: Mapping[str, str], warnings: list) -> dict[str, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET come as a pair.

    Half a set would start an app that cannot install anywhere; say which half is
    missing now rather than at the first install. (The signing secret OAuth mode needs
    is asked for by the web mode, which serves Slack; the clock does not use it.)
    """
    client_id, secret = env.get("SLACK_CLIENT_ID") or None, env.get("SLACK_CLIENT_SECRET") or None
    if client_id is None and secret is None:
        return {"slack_client_id": None, "slack_client_secret": None}
    where = "Basic Information → App Credentials"
    if client_id is None or secret is None:
        missing = "SLACK_CLIENT_ID" if client_id is None else "SLACK_CLIENT_SECRET"
        raise ConfigError(
            f"{missing} is not set: OAuth mode (several workspaces) needs both SLACK_CLIENT_ID and "
            f"SLACK_CLIENT_SECRET, from {where}"
        )
    if not re.fullmatch(r"\d+\.\d+", client_id):
        warnings.append(
            (
                "SLACK_CLIENT_ID",
                f"SLACK_CLIENT_ID looks malformed (expected digits.digits, as shown under {where})",
            )
        )
    if not re.fullmatch(r"[0-9a-fA-F]{16,}", secret):
        warnings.append(
            (
                "SLACK_CLIENT_SECRET",
                f"SLACK_CLIENT_SECRET looks malformed (expected the hexadecimal string under {where})",
            )
        )
    return {"slack_client_id": client_id, "slack_client_secret": secret}


def _check_scopes(value: str | None, warnings: list) -> tuple[str, ...]:
    """The scopes an install asks for: leaving out one the app needs cannot work (refused);
    a name of an unfamiliar shape is a guess (Slack names new scopes), so it warns."""
    if not value:
        return DEFAULT_BOT_SCOPES
    scopes = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    bad = [s for s in scopes if not re.fullmatch(r"[a-z][a-z_-]*(?:[:.][a-z_-]+)*", s)]
    if bad:
        warnings.append(
            (
                "SLACK_SCOPES",
                f"SLACK_SCOPES holds something that does not look like a Slack scope ({', '.join(bad)}): "
                "give bot scopes separated by commas, e.g. commands,chat:write,users:read",
            )
        )
    missing = [s for s in DEFAULT_BOT_SCOPES if s not in scopes]
    if missing:
        raise ConfigError(
            f"SLACK_SCOPES leaves out scopes the app needs ({', '.join(missing)}); list them too "
            "(README, 'Slack scopes')"
        )
    return scopes


def _check_allowed_teams(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    bad = [i for i in ids if not re.fullmatch(r"[TE][A-Z0-9]{2,}", i)]
    if bad:
        raise ConfigError(
            f"SLACK_ALLOWED_TEAMS holds something that is not a workspace (T…) or Grid org (E…) id "
            f"({', '.join(bad)}); give ids separated by commas, e.g. T0123ABCD,E0456EFGH"
        )
    return ids


def _check_redirect_uri(value: str | None, warnings: list) -> str | None:
    """Not a web address at all cannot work (refused). http, or another path than the one
    Bolt serves, is a guess (a proxy in front may rewrite either), so it warns."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            "SLACK_REDIRECT_URI must be an https URL ending in /slack/oauth_redirect, the same as under "
            f"OAuth & Permissions → Redirect URLs (got {value!r})"
        )
    local = parts.hostname in ("localhost", "127.0.0.1")
    if (parts.scheme != "https" and not local) or not parts.path.rstrip("/").endswith(OAUTH_REDIRECT_PATH):
        warnings.append(
            (
                "SLACK_REDIRECT_URI",
                "SLACK_REDIRECT_URI does not look like the app's https URL ending in /slack/oauth_redirect "
                f"(got {value!r}); Slack sends installers back only to an address listed under "
                "OAuth & Permissions → Redirect URLs",
            )
        )
    return value


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None) -> Settings:
    """Read and validate configuration; raise :class:`ConfigError` with a plain message."""
    env = _read_environment(environ, dotenv_path)
    warnings: list[tuple[str, str]] = []
    return Settings(
        **_check_oauth(env, warnings),
        slack_scopes=_check_scopes(env.get("SLACK_SCOPES"), warnings),
        slack_redirect_uri=_check_redirect_uri(env.get("SLACK_REDIRECT_URI"), warnings),
        slack_allowed_teams=_check_allowed_teams(env.get("SLACK_ALLOWED_TEAMS")),
        slack_bot_token=_check_token(
            "SLACK_BOT_TOKEN",
            env.get("SLACK_BOT_TOKEN"),
            "xoxb-",
            "copy the Bot User OAuth Token from OAuth & Permissions",
            warnings,
        ),
        slack_signing_secret=_check_signing_secret(env.get("SLACK_SIGNING_SECRET"), warnings),
        secret_key=env.get("SECRET_KEY") or None,
        slack_app_token=_check_token(
            "SLACK_APP_TOKEN",
            env.get("SLACK_APP_TOKEN"),
            "xapp-",
            "copy an app-level token from Basic Information → App-Level Tokens",
            warnings,
        ),
        database_url=_check_database_url(
            normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        ),
        slack_api_url=_check_api_url(env.get("SLACK_API_URL")),
        port=_check_int("PORT", env.get("PORT"), 3000, 1, 65535, "the port the web process listens on"),
        log_level=_check_log_level(env.get("LOG_LEVEL")),
        admin_user_ids=_check_admins(env.get("ADMIN_USER_IDS"), warnings),
        program_timezone=check_timezone("PROGRAM_TIMEZONE", env.get("PROGRAM_TIMEZONE")),
        nudge_weekly_cap=_check_int(
            "NUDGE_WEEKLY_CAP",
            env.get("NUDGE_WEEKLY_CAP"),
            2,
            1,
            7,
            "the most nudges a mentor gets in a week",
        ),
        anonymity_min=_check_anonymity_min(env.get("ANONYMITY_MIN")),
        anonymity_window_months=_check_window(env.get("ANONYMITY_WINDOW_MONTHS")),
        pulse_first_days=_check_int(
            "PULSE_FIRST_DAYS",
            env.get("PULSE_FIRST_DAYS"),
            30,
            *PULSE_FIRST_RANGE,
            "days from a pair's start to its first pulse",
        ),
        pulse_every_days=_check_int(
            "PULSE_EVERY_DAYS",
            env.get("PULSE_EVERY_DAYS"),
            60,
            *PULSE_EVERY_RANGE,
            "days between a pair's pulses",
        ),
        agreement_cycle_months=_check_int(
            "AGREEMENT_CYCLE_MONTHS",
            env.get("AGREEMENT_CYCLE_MONTHS"),
            6,
            2,
            24,
            "months from an agreement to its end review",
        ),
        post_call_rest=_check_bool("POST_CALL_REST", env.get("POST_CALL_REST"), True),
        rota_feed_allow_local_http=_check_bool(
            "ROTA_FEED_ALLOW_LOCAL_HTTP", env.get("ROTA_FEED_ALLOW_LOCAL_HTTP"), False
        ),
        digest_every_days=_check_digest_days(env.get("DIGEST_EVERY_DAYS")),
        retention_days=_check_int(
            "RETENTION_DAYS",
            env.get("RETENTION_DAYS"),
            180,
            *RETENTION_RANGE,
            "how many days free text is kept before the daily housekeeping empties it",
        ),
        # Filled while the arguments above were evaluated (left to right).
        format_warnings=tuple(warnings),
    )
