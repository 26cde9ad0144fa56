"""The program at a glance (admin Home) and the director digest, in Block Kit.

Figures only; the flagged pairs name the two people and the reasons, never an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.attention.blocks import flagged_line
from bot.attention.types import FlaggedPair
from bot.blocks.common import MESSAGE_BLOCK_LIMIT, chunk_lines, context, header, section, to_dicts
from bot.library.types import PRACTICES
from bot.program.rules import change_words, local_days, percent
from bot.program.types import Glance, PeopleNow, ProgramFigures, PulseCount

# The action the reports feature listens for: the full monthly report.
REPORT_ACTION = "home_report"
EXPORT_ACTION = "home_export"
# Flagged pairs a digest lists before pointing to the Home tab for the rest.
DIGEST_FLAGGED = 25


def _practice_title(key: str) -> str:
    practice = PRACTICES.get(key)
    return practice.title if practice else key


def pulse_line(pulse: PulseCount) -> str:
    """Check-in participation as published: a count, or why there is none yet."""
    if not pulse.released:
        return "*Check-ins:* not enough answers published yet to show any figure (anonymity rule)."
    return (
        f"*Check-ins:* {pulse.answers} answers published, from at least {pulse.mentees} different "
        "mentees (published batches only)."
    )


def people_line(people: PeopleNow) -> str:
    """Paused and stopped people in active pairs."""
    return f"*People now:* {people.paused} paused · {people.stopped} stopped all messages"


def _nudge_line(figures: ProgramFigures) -> str:
    return (
        f"*Nudges:* {figures.nudges_sent} sent · {figures.nudges_answered} answered "
        f"({percent(figures.response_rate)}) · {figures.nudges_expired} expired unsent"
        f" · {figures.nudges_interrupted} interrupted"
    )


def practice_lines(figures: ProgramFigures) -> list[str]:
    """Response rate per practice: "Caring about the learner: 4 of 5 answered (80%)"."""
    return [
        f"{_practice_title(rate.practice)}: {rate.answered} of {rate.sent} answered ({percent(rate.rate)})"
        for rate in figures.practices
    ]


def glance_blocks(view: Glance) -> list[Block]:
    """The admin Home's *Program at a glance* (this month so far)."""
    month = view.month
    agreements = month.agreements
    lines = [
        f"*Active pairs:* {month.active_pairs}",
        people_line(view.people),
        _nudge_line(month),
        f"*Meetings logged:* {month.meetings} · *Reflections shared:* {month.reflections}",
        f"*Agreements made:* {agreements.made} · *Goals marked met:* {agreements.goals_met} of "
        f"{agreements.goals} reviewed",
        pulse_line(view.pulse),
    ]
    blocks: list[Block] = [section(f"*Program at a glance — {view.month_name} so far*\n" + "\n".join(lines))]
    rates = practice_lines(month)
    if rates:
        blocks.append(section("*Response rate per practice*\n" + "\n".join(rates)))
    return blocks


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _period_days(figures: ProgramFigures, zone: ZoneInfo) -> tuple[date, date]:
    """The period's first and last local dates in the reader's zone (its end is exclusive)."""
    first, after_last = local_days(figures.start, figures.end, zone)
    return first, after_last - timedelta(days=1)


def _compare_lines(now: ProgramFigures, before: ProgramFigures) -> list[str]:
    rows = (
        ("Active pairs", now.active_pairs, before.active_pairs),
        ("Nudges sent", now.nudges_sent, before.nudges_sent),
        ("Nudges answered", now.nudges_answered, before.nudges_answered),
        ("Nudges expired unsent", now.nudges_expired, before.nudges_expired),
        ("Nudges interrupted", now.nudges_interrupted, before.nudges_interrupted),
        ("Meetings logged", now.meetings, before.meetings),
        ("Reflections shared", now.reflections, before.reflections),
        ("Agreements made", now.agreements.made, before.agreements.made),
        ("Goals marked met", now.agreements.goals_met, before.agreements.goals_met),
    )
    lines = [f"{name}: {change_words(a, b)}" for name, a, b in rows]
    lines.insert(3, f"Response rate: {percent(now.response_rate)} (before: {percent(before.response_rate)})")
    return lines


def digest_text(now: ProgramFigures, zone: ZoneInfo) -> str:
    """The digest's notification text, with the period's dates as the admin reads them in `zone`."""
    first, last = _period_days(now, zone)
    return f"Your mentoring program digest: {_day(first)} – {_day(last)}."


def digest_blocks(
    now: ProgramFigures,
    before: ProgramFigures,
    people: PeopleNow,
    pulse: PulseCount,
    flagged: Sequence[FlaggedPair],
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """One admin's digest: the period against the one before, the flagged pairs, one button.

    Dates (and the report's month) are local to the admin's `zone`."""
    first, last_day = _period_days(now, zone)
    blocks: list[Block] = [
        header(f"Program digest: {_day(first)} – {_day(last_day)}"),
        section("*Against the period before*\n" + "\n".join(_compare_lines(now, before))),
        section(f"{people_line(people)}\n{pulse_line(pulse)}"),
    ]
    if flagged:
        shown = [flagged_line(pair) for pair in flagged[:DIGEST_FLAGGED]]
        if len(flagged) > DIGEST_FLAGGED:
            shown.append(f"…and {len(flagged) - DIGEST_FLAGGED} more: see the Home tab.")
        texts = chunk_lines([f"*Pairs that need attention ({len(flagged)})*", *shown])
        blocks += [section(text) for text in texts[: MESSAGE_BLOCK_LIMIT - 6]]
    else:
        blocks.append(section("*Pairs that need attention:* none right now."))
    blocks.append(
        ActionsBlock(
            block_id="digest_report",
            elements=[
                ButtonElement(
                    text="Open the full report",
                    action_id=REPORT_ACTION,
                    value=f"{last_day:%Y-%m}",
                    style="primary",
                )
            ],
        )
    )
    blocks.append(context("Counts only: no answers, no free text. Admins get this every period, by DM."))
    return to_dicts(blocks)
