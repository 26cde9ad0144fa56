"""The App Home tab: a header, one block list per feature section, a short "about" footer.

Sections are built elsewhere (`bot.home` keeps the list); this module only knows how
to lay them out and how to draw the personal-settings section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement
from slack_sdk.models.views import View

from bot.blocks.common import VIEW_BLOCK_LIMIT, context, divider, header, section
from bot.preferences.blocks import (
    OPEN_SETTINGS_ACTION,
    RESUME_ACTION,
    START_ACTION,
    describe_status,
    summary_lines,
)
from bot.preferences.types import PersonalSettings

HOME_CALLBACK = "home"
PAUSE_TWO_WEEKS_ACTION = "home.pause_2w"

ABOUT = (
    "*What this app does:* short nudges toward six good mentoring habits, on the days and at the "
    "times mentors choose, and now and then a one-tap question for mentees. "
    "*Privacy:* no patient information is ever stored; what mentees say about their mentoring is "
    "only shown in aggregate. `/mentor help` lists every command."
)


def settings_section(s: PersonalSettings) -> list[Block]:
    """The person's settings in plain words, their status, and what they can do about it."""
    lines = "\n".join(summary_lines(s))
    buttons = [ButtonElement(text="Edit settings", action_id=OPEN_SETTINGS_ACTION, value="home")]
    if s.is_stopped:
        buttons.insert(
            0,
            ButtonElement(text="Start messages again", action_id=START_ACTION, value="home", style="primary"),
        )
    elif s.is_paused:
        buttons.append(ButtonElement(text="Resume now", action_id=RESUME_ACTION, value="home"))
    else:
        buttons.append(ButtonElement(text="Pause 2 weeks", action_id=PAUSE_TWO_WEEKS_ACTION, value="2w"))
    return [
        section(f"*Your settings*\n{lines}"),
        section(f"*Status:* {describe_status(s)}"),
        ActionsBlock(block_id="settings_buttons", elements=buttons),
    ]


def unavailable_section(title: str) -> list[Block]:
    """Stands in for a section that failed to build, so the rest of Home still shows."""
    return [context(f"{title} can't be shown right now. Please open this tab again in a minute.")]


def home_view(sections: Sequence[Sequence[Block]]) -> dict[str, Any]:
    """The Home tab: header, sections separated by dividers, the about line last.

    Slack allows 100 blocks in a view; sections past that are dropped whole (with a
    note) rather than cut in the middle.
    """
    blocks: list[Block] = [header("Mentor Nudge")]
    footer = [divider(), context(ABOUT)]
    dropped = False
    for index, blocks_of_section in enumerate(sections):
        extra = ([divider()] if index else []) + list(blocks_of_section)
        if len(blocks) + len(extra) + len(footer) + 1 > VIEW_BLOCK_LIMIT:
            dropped = True
            continue
        blocks += extra
    if dropped:
        blocks.append(context("Some sections didn't fit here; `/mentor help` lists commands that show them."))
    blocks += footer
    return View(type="home", callback_id=HOME_CALLBACK, blocks=blocks).to_dict()


# The states an admin sees, in this order, with what each means.
DELIVERY_WORDS = (
    ("sent", "sent"),
    ("interrupted", "interrupted (may or may not have arrived; never sent twice)"),
    ("failed", "failed"),
    ("expired", "expired unsent"),
    ("pending", "waiting"),
)


def delivery_section(counts: dict[str, int], days: int) -> list[Block]:
    """Admins: how the app's messages of the last `days` days went, interrupted apart."""
    parts = [f"{counts.get(state, 0):,} {words}" for state, words in DELIVERY_WORDS if counts.get(state)]
    if not parts:
        return []
    return [header(f"Messages, last {days} days"), context(" · ".join(parts))]
