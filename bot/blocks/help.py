"""The `/mentor help` message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.common import context, section, to_dicts

AUDIENCE_TITLES = {
    "everyone": "For everyone",
    "mentors": "For mentors",
    "admins": "For program admins",
}


@dataclass(frozen=True)
class HelpEntry:
    """One line of help: how to type it, what it does, and who it is for."""

    usage: str
    summary: str
    audience: str = "everyone"


def help_text(entries: Sequence[HelpEntry]) -> str:
    """Plain-text fallback of the help (notifications and screen readers use it)."""
    return "Mentor Nudge commands: " + ", ".join(f"/mentor {e.usage.split(' ')[0]}" for e in entries)


def help_blocks(entries: Sequence[HelpEntry], *, lead: str | None = None) -> list[dict[str, Any]]:
    """Blocks listing every subcommand the person may use, grouped by audience."""
    blocks = []
    if lead:
        blocks.append(section(lead))
    for audience, title in AUDIENCE_TITLES.items():
        lines = [f"`/mentor {e.usage}` — {e.summary}" for e in entries if e.audience == audience]
        if lines:
            blocks.append(section(f"*{title}*\n" + "\n".join(lines)))
    blocks.append(
        context(
            "Mentor Nudge sends short reminders about good mentoring habits. "
            "Replies here are only visible to you."
        )
    )
    return to_dicts(blocks)
