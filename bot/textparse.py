"""Reading what people type after `/mentor`: mentions, channels, words."""

from __future__ import annotations

import re

# With "escape channels, users and links" on (see manifest.yml), Slack rewrites
# "@ana" to "<@U123|ana>" and "#ward" to "<#C123|ward>" before we see the text.
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_RAW_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
_RAW_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def split_words(text: str) -> list[str]:
    """Split command text on whitespace (mentions never contain spaces once escaped)."""
    return text.split()


def parse_user(token: str) -> str | None:
    """The Slack user id in `<@U123|name>`, `<@U123>` or a bare `U123…`, else None."""
    token = token.strip()
    match = _USER_MENTION.match(token)
    if match:
        return match.group(1)
    return token if _RAW_USER_ID.match(token) else None


def parse_channel(token: str) -> str | None:
    """The channel id in `<#C123|name>` or a bare `C123…`, else None."""
    token = token.strip()
    match = _CHANNEL_MENTION.match(token)
    if match:
        return match.group(1)
    return token if _RAW_CHANNEL_ID.match(token) else None
