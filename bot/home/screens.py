"""Each role's Home sections in Block Kit: the mentor's progress, the mentee's mentors and
check-in, the admin's program at a glance with the pairs that need attention (paged).

Pure functions of the values in `bot.home.types`; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConversationFilter,
    ConversationSelectElement,
)

from bot.attention.blocks import flagged_line
from bot.attention.types import FlaggedPair
from bot.blocks.common import chunk_lines, context, escape, mention, section
from bot.home.types import MenteeMeetings, MenteeView, NextNudge, Page
from bot.library.types import PRACTICES
from bot.nudges.types import HistoryLine
from bot.program.blocks import EXPORT_ACTION, REPORT_ACTION, glance_blocks
from bot.program.types import Glance
from bot.pulse.items import BY_KEY
from bot.pulse.types import MentorResults

FLAGGED_NEXT_ACTION = "home.flagged_next"
FLAGGED_PREVIOUS_ACTION = "home.flagged_previous"
ROSTER_IMPORT_ACTION = "home.roster_import"
REFLECTION_CHANNEL_ACTION = "home.reflection_channel"

ANSWER_WORDS = {"done": "✅ done", "skip": "skipped", "remind": "⏰ reminder asked"}


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float) -> str:
    return f"{value:+.1f}"


# --- mentor --------------------------------------------------------------------------------


def _next_nudge_line(next_nudge: NextNudge) -> str:
    if next_nudge.when:
        return f"*Next nudge:* {next_nudge.when}"
    return f"*Next nudge:* none planned — {next_nudge.why_none or 'nothing is scheduled'}"


def _history_lines(history: Sequence[HistoryLine]) -> list[str]:
    if not history:
        return ["No nudges yet. Want one now? Type `/mentor nudge`."]
    return [
        f"{line.when} · {escape(line.practice_title)} · {ANSWER_WORDS.get(line.answer or '', 'no answer')}"
        for line in history
    ]


def _meeting_lines(meetings: Sequence[MenteeMeetings], total: int) -> list[str]:
    lines = []
    for row in meetings:
        count = "1 meeting" if row.meetings == 1 else f"{row.meetings} meetings"
        last = f", last in {row.last_month}" if row.last_month else ""
        lines.append(f"{mention(row.mentee_user)} — {count} logged{last}")
    if total > len(meetings):
        lines.append(f"…and {total - len(meetings)} more mentees: `/mentor meetings` lists them all.")
    return lines


def _practice_words(practices: Sequence[tuple[str, int]]) -> str:
    if not practices:
        return "none marked yet — mark a nudge *Done*, or log a meeting with `/mentor met`."
    parts = [f"{PRACTICES[key].title if key in PRACTICES else key} ×{count}" for key, count in practices]
    return " · ".join(parts)


def _results_lines(results: MentorResults) -> list[str]:
    """Released mentee averages and the gap per practice; before release, only why not."""
    if not results.released:
        return [
            f"Not shown yet: your mentees' answers appear after a quarter ends, once at least "
            f"{results.anonymity_min} different mentees have answered — until then nobody sees them."
        ]
    lines = []
    for figure in results.items:
        item = BY_KEY[figure.key]
        if item.practice is None:
            continue
        gap = f" · gap {_signed(figure.gap)}" if figure.gap is not None else ""
        lines.append(f"{item.title}: mentees {_number(figure.mentees)} · you {_number(figure.own)}{gap}")
    return lines


def mentor_blocks(
    next_nudge: NextNudge,
    history: Sequence[HistoryLine],
    meetings: Sequence[MenteeMeetings],
    mentee_total: int,
    practices: Sequence[tuple[str, int]],
    results: MentorResults,
) -> list[Block]:
    """A mentor's own progress. Only their own: nobody is ranked or compared."""
    nudges = [_next_nudge_line(next_nudge), "*Last nudges:*", *_history_lines(history)]
    blocks: list[Block] = [section("*Your mentoring*\n" + "\n".join(nudges))]
    if meetings:
        blocks.append(section("*Meetings logged*\n" + "\n".join(_meeting_lines(meetings, mentee_total))))
    blocks.append(section(f"*Practices you worked on (last 90 days):* {_practice_words(practices)}"))
    blocks += [section(text) for text in chunk_lines(["*Your mentees' check-ins*", *_results_lines(results)])]
    blocks.append(
        context(
            "Only you see this. Check-in figures are published in batches, each from several mentees; "
            "the gap is your self-rating minus your mentees' average. Nobody is ranked or compared."
        )
    )
    return blocks


# --- mentee --------------------------------------------------------------------------------


def mentee_blocks(view: MenteeView) -> list[Block]:
    """The mentee's mentors, and whether their current check-in is answered (never what)."""
    mentors = ", ".join(mention(user, former="a former mentor") for user in view.mentors)
    lines = [f"*Your mentor{'s' if len(view.mentors) != 1 else ''}:* {mentors}"]
    if not view.check_ins:
        lines.append("*Check-in:* none open right now.")
    for check_in in view.check_ins:
        about = mention(check_in.mentor_user, former="a former mentor")
        if check_in.answered:
            lines.append(f"*Check-in about {about}:* answered — thank you.")
        else:
            lines.append(
                f"*Check-in about {about}:* waiting for you (open until {check_in.closes_on}) — "
                "find it in your DMs, or type `/mentor pulse`."
            )
    return [section("\n".join(lines))]


# --- admin ---------------------------------------------------------------------------------


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style)


def _pager(page: Page) -> ActionsBlock | None:
    buttons = []
    if page.number > 0:
        buttons.append(_button("Previous", FLAGGED_PREVIOUS_ACTION, str(page.number - 1)))
    if page.number + 1 < page.pages:
        buttons.append(_button("Next", FLAGGED_NEXT_ACTION, str(page.number + 1)))
    return ActionsBlock(block_id="flagged_pages", elements=buttons) if buttons else None


def flagged_blocks(page: Page) -> list[Block]:
    """One page of the pairs that need attention, with Previous / Next."""
    if not page.total:
        return [section("*Pairs that need attention:* none right now.")]
    pairs = [pair for pair in page.items if isinstance(pair, FlaggedPair)]
    title = f"*Pairs that need attention ({page.total})*"
    if page.pages > 1:
        title += f" — page {page.number + 1} of {page.pages}"
    blocks: list[Block] = [section(text) for text in chunk_lines([title, *map(flagged_line, pairs)])]
    pager = _pager(page)
    if pager is not None:
        blocks.append(pager)
    return blocks


def admin_blocks(view: Glance, page: Page) -> list[Block]:
    """The admin's program at a glance, the flagged pairs, and the admin tools."""
    tools = ActionsBlock(
        block_id="admin_tools",
        elements=[
            _button("Import a roster", ROSTER_IMPORT_ACTION, "home"),
            _button("Monthly report", REPORT_ACTION, "home", style="primary"),
            _button("Export", EXPORT_ACTION, "home"),
        ],
    )
    reflections = ActionsBlock(
        block_id="admin_reflections",
        elements=[
            ConversationSelectElement(
                placeholder="Set up reflections in a channel…",
                action_id=REFLECTION_CHANNEL_ACTION,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            )
        ],
    )
    return [*glance_blocks(view), *flagged_blocks(page), tools, reflections]
