"""The app's secret key, and keys derived from it for one purpose each.

The secret is `SECRET_KEY` (required with PostgreSQL, where several processes share one
database), or, with SQLite, a key file created beside the database file on first use
(`mentor_nudge.key` for `mentor_nudge.db`), readable by its owner only. It lives outside
the database on purpose: someone holding a copy of the database alone cannot open what
was sealed with it (mentees' check-in answers, people's calendar-feed links).

Each use derives its own key with HKDF (`purpose` names the use), so a key leaked from
one use opens nothing of another.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, check_secret_key


def key_file_for(database_url: str) -> Path | None:
    """The key file beside a SQLite database file; None for PostgreSQL or in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_suffix(".key")


def _read_or_create(path: Path) -> str:
    """The key in `path`, created (owner-only, atomically) when there is none yet."""
    if not path.exists():
        spare = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        descriptor = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(spare, path)  # fails if another process made one meanwhile: theirs wins
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    text = path.read_text().strip()
    if len(text) < 32:
        raise ConfigError(
            f"the key file {path} is damaged (too short); restore it from where you keep secrets"
        )
    return text


@lru_cache(maxsize=16)
def derived_key(secret: str | None, database_url: str, purpose: bytes) -> bytes:
    """The 32-byte key for `purpose`, from SECRET_KEY (`secret`) or the SQLite key file.

    Cached: the key file is read once per process (tests clear the cache to act as
    another process).
    """
    if secret is None:
        path = key_file_for(database_url)
        if path is None and make_url(database_url).get_backend_name() == "sqlite":
            secret = secrets.token_urlsafe(32)  # an in-memory database dies with its key
        elif path is None:
            raise ConfigError(
                "SECRET_KEY is not set: with PostgreSQL it is required — it seals mentees' check-in answers "
                "until they are published. Make one with python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))', give every process (web, clock) the same value, and keep "
                "it with your other secrets, not in database backups"
            )
        else:
            secret = _read_or_create(path)
    else:
        check_secret_key(secret)  # checked here, where it is used: `migrate` never needs it
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    return derive.derive(secret.encode())


def require_key(settings: Settings, purpose: bytes) -> None:
    """Check at start-up that a key is available (ConfigError with a sentence if not)."""
    derived_key(settings.secret_key, settings.database_url, purpose)
