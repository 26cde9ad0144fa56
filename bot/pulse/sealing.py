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

Where the key comes from: `bot.keys` (SECRET_KEY, or SQLite's key file beside the
database), derived for this one purpose.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.config import Settings
from bot.keys import derived_key
from bot.keys import require_key as require_app_key

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


def _key_for(settings: Settings) -> bytes:
    return derived_key(settings.secret_key, settings.database_url, _PURPOSE)


def require_key(settings: Settings) -> None:
    """Check at start-up that a key is available (ConfigError with a sentence if not)."""
    require_app_key(settings, _PURPOSE)


def seal(settings: Settings, content: dict[str, Any], context: str) -> bytes:
    """`content` (JSON-able) sealed into one box of BOX_BYTES; `context` (the row's clear
    columns) is bound to it, so a box moved to another row no longer opens."""
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) + _LENGTH.size > PADDED_BYTES:
        raise ValueError("answer too large to seal")  # the comment limit keeps this unreachable
    padded = _LENGTH.pack(len(data)) + data
    padded += bytes(PADDED_BYTES - len(padded))
    nonce = os.urandom(NONCE_BYTES)
    key = _key_for(settings)
    return nonce + AESGCM(key).encrypt(nonce, padded, context.encode())


def open_box(settings: Settings, box: bytes, context: str) -> dict[str, Any]:
    """What `seal` sealed; UnreadableBox when this key cannot open it."""
    key = _key_for(settings)
    try:
        padded = AESGCM(key).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError):
        raise UnreadableBox("this box was sealed with another key") from None
    (length,) = _LENGTH.unpack_from(padded)
    found = json.loads(padded[_LENGTH.size : _LENGTH.size + length])
    if not isinstance(found, dict):
        raise UnreadableBox("not an answer")
    return found
