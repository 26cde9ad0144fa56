"""Sealing a mentee's answer until it is published: AES-256-GCM under a key derived
from the app's secret, in boxes of one fixed size.

Why: the answering transaction must also record *that* the mentee answered (to stop
the reminder and refuse a second answer), and a database keeps traces of which rows
one transaction wrote — PostgreSQL's `xmin` on live and dead row versions, the WAL,
SQLite's journal and free pages, backups. So what the mentee answered is written only
sealed, and opened by the clock when the quarter has closed and enough different
mentees stand behind a batch (`bot.pulse.publishing`). Someone holding the database
alone sees a box the size of every other box; someone holding the database *and* the
key could open boxes not yet published (and old copies of them), which is why the key
lives outside the database.

Where the key comes from: `SECRET_KEY` (required with PostgreSQL, where several
processes share one database), or, with SQLite, a key file created beside the database
file on first use (`mentor_nudge.key` for `mentor_nudge.db`), readable by its owner only.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, check_secret_key

# Every box holds this many bytes of padded plaintext, whatever the answer: the longest
# comment (500 characters, each at most 6 bytes JSON-escaped) and the items fit with room.
PADDED_BYTES = 4096
NONCE_BYTES = 12
# Nonce + padded plaintext + GCM tag: the length of every stored box.
BOX_BYTES = NONCE_BYTES + PADDED_BYTES + 16
_LENGTH = struct.Struct(">I")
_PURPOSE = b"mentor-nudge/pulse-inbox/v1"


class UnreadableBox(ValueError):
    """A box this key cannot open (the secret key changed, or the row was altered)."""


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


@lru_cache(maxsize=8)
def _key_for(secret: str | None, database_url: str) -> bytes:
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
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE)
    return derive.derive(secret.encode())


def require_key(settings: Settings) -> None:
    """Check at start-up that a key is available (ConfigError with a sentence if not)."""
    _key_for(settings.secret_key, settings.database_url)


def seal(settings: Settings, content: dict[str, Any], context: str) -> bytes:
    """`content` (JSON-able) sealed into one box of BOX_BYTES; `context` (the row's clear
    columns) is bound to it, so a box moved to another row no longer opens."""
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) + _LENGTH.size > PADDED_BYTES:
        raise ValueError("answer too large to seal")  # the comment limit keeps this unreachable
    padded = _LENGTH.pack(len(data)) + data
    padded += bytes(PADDED_BYTES - len(padded))
    nonce = os.urandom(NONCE_BYTES)
    key = _key_for(settings.secret_key, settings.database_url)
    return nonce + AESGCM(key).encrypt(nonce, padded, context.encode())


def open_box(settings: Settings, box: bytes, context: str) -> dict[str, Any]:
    """What `seal` sealed; UnreadableBox when this key cannot open it."""
    key = _key_for(settings.secret_key, settings.database_url)
    try:
        padded = AESGCM(key).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError):
        raise UnreadableBox("this box was sealed with another key") from None
    (length,) = _LENGTH.unpack_from(padded)
    found = json.loads(padded[_LENGTH.size : _LENGTH.size + length])
    if not isinstance(found, dict):
        raise UnreadableBox("not an answer")
    return found
