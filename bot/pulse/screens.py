"""`/mentor pulse` screens (pure): a mentor's results and gap, what waits for a mentee,
the program's cohort figures for admins, and the timing.

No screen ranks or compares mentors; a mentor sees only their own figures, an admin
only cohort-level ones, and both only once released.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, PlainTextObject

from bot.blocks.common import (
    MESSAGE_BLOCK_LIMIT,
    UNATTRIBUTED_PREFIX,
    chunk_lines,
    context,
    escape,
    header,
    section,
    to_dicts,
)
from bot.pulse.items import BY_KEY, ITEMS, PRACTICE_ITEMS, describe_average
from bot.pulse.pools import COHORT_MIN_MENTORS
from bot.pulse.types import (
    CohortFigures,
    ItemFigure,
    MentorResults,
    OpenCheckIn,
    PersonalPulse,
    ProgramOverview,
    PulseTiming,
    TimingChange,
)

# The button a waiting check-in gets here: the same action as in its DM.
OPEN_ACTION = f"{UNATTRIBUTED_PREFIX}pulse_open"
NOT_YET = "Not enough answers yet to keep them anonymous."
COMMENTS_SHOWN = 10
# Leaves room in a message for the header and the closing lines.
COHORTS_SHOWN = MESSAGE_BLOCK_LIMIT - 8


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def timing_sentence(timing: PulseTiming) -> str:
    """The program's rhythm in words."""
    return (
        f"Mentees get a one-minute check-in about each mentor {timing.first_days} days after a pair starts, "
        f"then every {timing.every_days} days, and once more when a pair ends. Mentors get a self-check with "
        "the same questions on the same rhythm."
    )


def release_sentence(minimum: int, months: int) -> str:
    """The anonymity rule in words."""
    return (
        f"Mentees' answers are shown only combined, and only from closed quarters: figures change once a "
        f"quarter at most, and only when at least {minimum} different mentees stand behind the change; they "
        f"cover the last {months} months of closed quarters. Never one person's answers, and never a ranking "
        "of mentors."
    )


def _quarter_words(quarter: str | None) -> str:
    """ "2027-Q1" → "January–March 2027"."""
    if not quarter or "-Q" not in quarter:
        return "the last closed quarter"
    year, number = quarter.split("-Q")
    months = ("January–March", "April–June", "July–September", "October–December")
    return f"{months[int(number) - 1]} {year}"


# --- a mentor's results --------------------------------------------------------------------


def _item_line(figure: ItemFigure, released: bool) -> str:
    item = BY_KEY[figure.key]
    parts = []
    if released:
        if figure.mentees is None:
            parts.append("Mentees: too few answers to this one yet")
        else:
            words = describe_average(item, figure.mentees, for_mentor=True) if item.practice is None else ""
            parts.append(f"Mentees: *{_number(figure.mentees)}*" + (f" (≈ “{words}”)" if words else ""))
    parts.append(f"You: {_number(figure.own)}")
    if figure.gap is not None and item.practice is not None:
        parts.append(f"Gap: *{_signed(figure.gap)}*")
    return f"*{item.title}*\n" + " · ".join(parts)


def results_blocks(results: MentorResults) -> list[Block]:
    """A mentor's own figures: released mentee averages, their self-check, the gap."""
    blocks: list[Block] = [header("Your check-in results")]
    if results.released:
        blocks.append(
            section(
                f"Your mentees' answers up to the end of {_quarter_words(results.through)}, combined — each "
                f"update from at least {results.anonymity_min} different mentees — next to your own "
                "self-check. Scale: 1 = rarely … 4 = almost always (who led: 1 = they mostly watched … 4 = "
                "they led on their own)."
            )
        )
    else:
        blocks.append(
            section(
                f"*{NOT_YET}* Your mentees' answers appear here after a quarter ends, once at least "
                f"{results.anonymity_min} different mentees have answered within {results.window_months} "
                "months — until then nobody sees them, you included."
            )
        )
    if results.released or results.self_checks:
        blocks.append(section("\n\n".join(_item_line(f, results.released) for f in results.items)))
    else:
        blocks.append(section("No self-check from you yet — yours arrives by DM on the program's rhythm."))
    if results.released:
        blocks.append(
            context(
                "The gap is your self-rating minus your mentees' average: "
                "a positive gap is room your mentees "
                "see that you may not. Only you see this; nobody is ranked or compared."
            )
        )
    if results.comments:
        blocks += comment_sections(results.comments[:COMMENTS_SHOWN])
    return blocks


def comment_sections(comments: tuple[str, ...]) -> list[Block]:
    """Mentees' comments, each whole and quoted, in as few sections as fit."""
    quoted = ["\n".join(f">{line}" for line in escape(comment).splitlines() or [""]) for comment in comments]
    texts = chunk_lines(["*In your mentees' words* (no names, random order)", *quoted])
    return [section(text) for text in texts]


# --- `/mentor pulse` -----------------------------------------------------------------------


def _waiting_blocks(waiting: tuple[OpenCheckIn, ...]) -> list[Block]:
    blocks: list[Block] = []
    for check_in in waiting[:5]:
        if check_in.kind == "mentor":
            what = "Your self-check"
        elif check_in.close_out:
            what = f"Closing check-in about your mentoring with <@{check_in.mentor_user}>"
        else:
            what = f"Check-in about your mentoring with <@{check_in.mentor_user}>"
        blocks.append(section(f"*{what}* — open until {check_in.closes_on}."))
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Answer — under a minute"),
                        action_id=OPEN_ACTION,
                        value=str(check_in.round_id),
                        style="primary",
                    )
                ]
            )
        )
    return blocks


def personal_text(view: PersonalPulse) -> str:
    """Plain-text fallback of `/mentor pulse`."""
    if view.results is not None:
        return "Your check-in results."
    return "Your check-ins."


def personal_blocks(view: PersonalPulse, minimum: int, months: int) -> list[dict[str, Any]]:
    """`/mentor pulse` for one person."""
    blocks: list[Block] = []
    if view.results is not None:
        blocks += results_blocks(view.results)
    if view.waiting:
        blocks.append(section("*Waiting for you*"))
        blocks += _waiting_blocks(view.waiting)
    if view.results is None and not view.waiting:
        blocks.append(header("Check-ins"))
        lead = "Nothing is waiting for you right now. " if view.is_mentee else ""
        blocks.append(section(f"{lead}{timing_sentence(view.timing)}"))
    blocks.append(context(release_sentence(minimum, months)))
    return to_dicts(blocks)


# --- admins --------------------------------------------------------------------------------


def _cohort_line(figures: CohortFigures, name: str) -> str:
    if not figures.released:
        return f"*{escape(name)}* — {NOT_YET.lower().rstrip('.')}"
    averages = dict(figures.averages)
    parts = [f"{item.title} {_number(averages.get(item.key))}" for item in PRACTICE_ITEMS]
    led = averages.get("zwisch")
    if led is not None:
        parts.append(f"who led {_number(led)}")
    return f"*{escape(name)}* — at least {figures.mentees} different mentees\n" + " · ".join(parts)


def program_text(overview: ProgramOverview) -> str:
    """Plain-text fallback of `/mentor pulse program`."""
    return "Check-ins across the program."


def program_blocks(overview: ProgramOverview) -> list[dict[str, Any]]:
    """Cohort-level figures for admins, each only when released."""
    blocks: list[Block] = [
        header("Check-ins across the program"),
        section(timing_sentence(overview.timing)),
        section(_cohort_line(overview.program, "Whole program (published cohorts)")),
    ]
    named = [c for c in overview.cohorts if c.cohort is not None or len(overview.cohorts) > 1]
    for figures in named[:COHORTS_SHOWN]:
        blocks.append(section(_cohort_line(figures, figures.cohort or "No cohort")))
    if len(named) > COHORTS_SHOWN:
        blocks.append(context(f"…and {len(named) - COHORTS_SHOWN} more cohorts."))
    blocks.append(
        context(
            f"{release_sentence(overview.anonymity_min, overview.window_months)} A cohort's figures also "
            f"need answers about at least {COHORT_MIN_MENTORS} different mentors, and never rest mostly on "
            "one mentor's mentees; the first line adds up the cohorts shown, nothing else. Averages: 1 = "
            "rarely … 4 = almost always; who led: 1 = mostly watched … 4 = led on their own. "
            "`/mentor pulse every 60 first 30` changes the rhythm."
        )
    )
    return to_dicts(blocks)


def timing_blocks(timing: PulseTiming, minimum: int, months: int) -> list[dict[str, Any]]:
    """`/mentor pulse settings`."""
    source = "set by your admins" if timing.custom else "the program default"
    return to_dicts(
        [
            section(f"{timing_sentence(timing)} _({source})_"),
            context(
                f"{release_sentence(minimum, months)} "
                "Change the rhythm with `/mentor pulse every 60 first 30` "
                "(days); the anonymity rule is set by whoever runs the app (`ANONYMITY_MIN`)."
            ),
        ]
    )


def timing_changed_text(change: TimingChange) -> str:
    """The reply to `/mentor pulse every … first …`."""
    after = change.after
    return (
        f"Done: check-ins now go {after.first_days} days after a pair starts, then every {after.every_days} "
        f"days (before: {change.before.first_days} and {change.before.every_days}). "
        f"The {change.replanned_pairs} active pair(s) follow the new rhythm from their last check-in; "
        "ones already sent stay open as they were, and the next comes only once they have closed."
    )


def item_titles() -> list[str]:
    """Every item's short title, in order (for help texts and tests)."""
    return [item.title for item in ITEMS]
