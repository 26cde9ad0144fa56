"""A calendar feed's link, sealed at rest.

A feed link is a secret: whoever has it reads the person's calendar (most calendar apps
put a token in the path). It is stored sealed with AES-256-GCM under a key derived from
the app's secret (`bot.keys`, which lives outside the database), bound to the feed's
workspace and person, so a copy of the database or a backup does not hand out anyone's
calendar, and a sealed link copied onto another person's row does not open. Links
stored before sealing (plain text) are still read, and sealed by the next refresh.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.config import Settings
from bot.keys import derived_key

_PURPOSE = b"mentor-nudge/rota-feed-link/v1"
# What a sealed link starts with; a plain link starts with its scheme (https://).
SEALED_PREFIX = "sealed1:"
_NONCE_BYTES = 12


class UnreadableLink(ValueError):
    """A sealed link this key cannot open (the app's secret key changed)."""


def _context(team_id: str, person_id: int) -> bytes:
    return f"rota_feed:{team_id}:{person_id}".encode()


def _cipher(settings: Settings) -> AESGCM:
    return AESGCM(derived_key(settings.secret_key, settings.database_url, _PURPOSE))


def is_sealed(stored: str) -> bool:
    """Whether a stored link is sealed (False: stored before sealing, in plain text)."""
    return stored.startswith(SEALED_PREFIX)


def seal_link(settings: Settings, url: str, *, team_id: str, person_id: int) -> str:
    """The link as it is stored: sealed, and bound to this person's feed."""
    nonce = os.urandom(_NONCE_BYTES)
    box = nonce + _cipher(settings).encrypt(nonce, url.encode(), _context(team_id, person_id))
    return SEALED_PREFIX + base64.urlsafe_b64encode(box).decode("ascii")


def open_link(settings: Settings, stored: str, *, team_id: str, person_id: int) -> str:
    """The link itself; UnreadableLink when it was sealed under another key."""
    if not is_sealed(stored):
        return stored
    try:
        box = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX) :])
        plain = _cipher(settings).decrypt(
            box[:_NONCE_BYTES], box[_NONCE_BYTES:], _context(team_id, person_id)
        )
    except (InvalidTag, ValueError):
        raise UnreadableLink("this link was sealed with another key") from None
    return plain.decode()
