"""Block Kit for the roster: pair lists, admin list, the welcome DM, and the import modal.

Pure functions of their inputs. Long lists are paged or cut to a sample with a count,
so no message passes 50 blocks, no modal 100, and no section 3,000 characters.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.blocks.common import (
    SECTION_TEXT_LIMIT,
    chunk_lines,
    clip,
    context,
    escape,
    header,
    section,
    to_dicts,
)
from bot.blocks.state import ModalState
from bot.models import Person
from bot.rhythm import WEEKDAY_NAMES, join_words, parse_days
from bot.roster.types import (
    AdminEntry,
    ImportForm,
    ImportPlan,
    ImportResult,
    PairLine,
    PairOutcome,
    PersonPairs,
    ProgramPage,
)
from bot.timing import format_minute

IMPORT_CALLBACK = "roster_import"
CONFIRM_CALLBACK = "roster_import_confirm"
PAGE_PREVIOUS_ACTION = "roster_pairs_previous"
PAGE_NEXT_ACTION = "roster_pairs_next"
FILE_BLOCK, PASTE_BLOCK, OPTIONS_BLOCK = "file", "paste", "options"
END_MISSING = "end_missing"
PASTE_MAX_LENGTH = 3000

# How many items of each kind a dry-run report lists before saying "and N more".
SAMPLE_PAIRS = 10
SAMPLE_ENDS = 20
SAMPLE_ERRORS = 20
# A single error line is cut here so twenty of them stay readable.
ERROR_LINE_LIMIT = 240

CADENCE_WORDS = {"weekly": "every week", "biweekly": "every other week", "monthly": "once a month"}
IRREGULAR_PLURALS = {"person": "people"}


# --- small helpers ----------------------------------------------------------------------


def day_text(moment: datetime | date) -> str:
    """3 Sep 2026 (portable: no platform-specific strftime flags)."""
    return f"{moment.day} {moment:%b %Y}"


def mentions(user_ids: Sequence[str], *, limit: int = 3) -> str:
    """ "<@A>", "<@A> and <@B>", "<@A>, <@B>, <@C> and 4 others"."""
    shown = [f"<@{u}>" for u in user_ids[:limit]]
    rest = len(user_ids) - len(shown)
    if rest > 0:
        shown.append(f"{rest} other{'s' if rest != 1 else ''}")
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


# How the modal asks for pairs missing from the file to be ended.
TICK_TO_END = "tick “End pairs that aren't in this file” to end them"


def count(n: int, noun: str, *, bold: bool = False) -> str:
    """ "1 pair", "3 pairs", "2 people"; bold puts the number in *asterisks*."""
    word = noun if n == 1 else IRREGULAR_PLURALS.get(noun, noun + "s")
    number = f"*{n:,}*" if bold else f"{n:,}"
    return f"{number} {word}"


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _more(shown: int, total: int) -> str | None:
    return f"…and {total - shown:,} more." if total > shown else None


# --- the welcome DM ----------------------------------------------------------------------


def describe_days(nudge_days: str) -> str:
    """ "1" → "Tuesday"; "0,3" → "Monday and Thursday" (Monday is 0)."""
    return join_words([WEEKDAY_NAMES[d] for d in parse_days(nudge_days)] or [WEEKDAY_NAMES[1]])


def describe_nudge_schedule(person: Person, zone: str) -> str:
    """When a mentor's nudges come, in words: "every week on Tuesday at 09:30 (Europe/London time)"."""
    return _schedule_words(person.nudge_days, person.nudge_minute, person.cadence, zone)


# Worked out once per distinct schedule or window: an import welcomes thousands of
# people who almost all share the defaults.
@functools.lru_cache(maxsize=1024)
def _schedule_words(nudge_days: str, nudge_minute: int | None, cadence: str | None, zone: str) -> str:
    days = describe_days(nudge_days or "1")
    at = format_minute(nudge_minute if nudge_minute is not None else 9 * 60 + 30)
    cadence = cadence or "weekly"
    when = f"on a {days}" if cadence == "monthly" and "," not in nudge_days else f"on {days}"
    return f"{CADENCE_WORDS.get(cadence, 'every week')} {when} at {at} ({zone} time)"


def describe_quiet_hours(person: Person) -> str:
    """ "outside 08:00–18:00 your time, or at weekends"."""
    return _quiet_words(person.contact_start, person.contact_end, person.quiet_weekends)


@functools.lru_cache(maxsize=1024)
def _quiet_words(contact_start: int | None, contact_end: int | None, quiet_weekends: bool | None) -> str:
    start = format_minute(contact_start if contact_start is not None else 8 * 60)
    end = format_minute(contact_end if contact_end is not None else 18 * 60)
    weekends = ", or at weekends" if quiet_weekends is not False else ""
    return f"outside {start}–{end} your time{weekends}"


def welcome_message(
    person: Person,
    *,
    zone: str,
    mentees: Sequence[str],
    mentors: Sequence[str],
    cohort: str | None,
) -> tuple[str, list[dict[str, Any]]]:
    """The one welcome DM for someone joining the program: (notification text, blocks)."""
    roles = []
    if mentees:
        roles.append(f"a mentor to {mentions(mentees)}")
    if mentors:
        roles.append(f"a mentee of {mentions(mentors)}")
    where = f" (_{escape(cohort)}_)" if cohort else ""
    intro = (
        f"Welcome to Mentor Nudge :wave: You're now {' and '.join(roles)}{where}.\n"
        "Mentor Nudge helps keep a few good mentoring habits going when the wards get busy: making time "
        "to listen, being open about mistakes, letting learners take the lead."
    )
    blocks: list[dict[str, Any]] = [_text_section(intro)]
    if mentees:
        blocks.append(
            _text_section(
                f"*As a mentor*, you'll get one short message {describe_nudge_schedule(person, zone)}, "
                "each suggesting one small thing to try with your mentee — like asking how their week is "
                "really going. It reads in seconds, and one tap tells us how it went."
            )
        )
    if mentors:
        blocks.append(
            _text_section(
                "*As a mentee*, you won't hear much from us: the reminders go to your mentor. If your "
                "program runs monthly reflections in a channel, you're welcome to share there — anonymously "
                "too, where the channel allows it."
            )
        )
    blocks.append(
        _text_section(
            f"Nothing arrives {describe_quiet_hours(person)}. It's your call:\n"
            "• `/mentor settings` — choose the day, time and how often\n"
            "• `/mentor pause 2w` — a break for nights, leave or exams\n"
            "• `/mentor stop` — no more messages (you can turn them back on any time)"
        )
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": WELCOME_FOOTER}]})
    partner = mentees or mentors
    text = f"Welcome to Mentor Nudge — you've been paired with {mentions(partner)}. Here's what to expect."
    return text, blocks


WELCOME_FOOTER = "You're getting this because your program director added you to Mentor Nudge."


def _text_section(markdown: str) -> dict[str, Any]:
    """`section(markdown).to_dict()` written out: a roster import renders 200,000 welcomes,
    and slack_sdk's objects and validation were a sixth of its time. The welcome's texts
    are ours and bounded (three names, a 120-character cohort); clipping keeps the limit,
    and tests/bot/roster/test_blocks.py checks this equals slack_sdk's rendering. A new
    dict each time, so no two queued rows share one."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(markdown, SECTION_TEXT_LIMIT)}}


# --- command replies ----------------------------------------------------------------------


def pair_reply(outcome: PairOutcome) -> str:
    """What `/mentor pair` says back."""
    mentor, mentee = f"<@{outcome.mentor}>", f"<@{outcome.mentee}>"
    cohort = f" in _{escape(outcome.cohort)}_" if outcome.cohort else ""
    if outcome.status == "exists":
        since = f" since {day_text(outcome.since)}" if outcome.since else ""
        return f"{mentor} is already mentoring {mentee}{cohort}{since}, so nothing was changed."
    if outcome.status == "cohort_changed":
        was = f"_{escape(outcome.previous_cohort)}_" if outcome.previous_cohort else "no cohort"
        now = f"_{escape(outcome.cohort or '')}_"
        return f"{mentor} was already mentoring {mentee}; I changed their cohort from {was} to {now}."
    lines = [f":white_check_mark: {mentor} is now mentoring {mentee}{cohort}."]
    if outcome.welcomed:
        lines.append(
            f"{mentions(list(outcome.welcomed))} will get a short welcome message during their working hours."
        )
    for user_id, reason in outcome.quiet:
        lines.append(f"Note: <@{user_id}> {reason}, so they won't hear from the app for now.")
    lines.append(f"To undo: `/mentor unpair` {mentor} {mentee}")
    return "\n".join(lines)


def admins_message(entries: Sequence[AdminEntry]) -> tuple[str, list[dict[str, Any]]]:
    """The `/mentor admins` list."""
    if not entries:
        text = (
            "This program has no admins yet. Whoever runs Mentor Nudge can name the first ones in "
            "`ADMIN_USER_IDS`."
        )
        return text, to_dicts([section(text)])
    lines = [
        f"• <@{e.user_id}>" + (" _(from the app's configuration)_" if e.from_config else "") for e in entries
    ]
    blocks: list[Block] = [section(chunk) for chunk in chunk_lines(["*Program admins*", *lines])][:45]
    blocks.append(context("Admins manage the roster. Add one with `/mentor admin add @someone`."))
    text = f"Program admins: {mentions([e.user_id for e in entries], limit=10)}"
    return text, to_dicts(blocks)


def _pair_line(line: PairLine, *, show: str = "both") -> str:
    if show == "mentee":
        who = f"<@{line.mentee}>"
    elif show == "mentor":
        who = f"<@{line.mentor}>"
    else:
        who = f"<@{line.mentor}> → <@{line.mentee}>"
    parts = [f"• {who}"]
    if line.cohort:
        parts.append(f"_{escape(line.cohort)}_")
    parts.append(f"since {day_text(line.started_at)}")
    text = " · ".join(parts)
    flags = []
    if line.mentor_flag and show != "mentee":
        flags.append(f"<@{line.mentor}> {line.mentor_flag}")
    if line.mentee_flag and show != "mentor":
        flags.append(f"<@{line.mentee}> {line.mentee_flag}")
    if flags:
        text += " · :warning: " + "; ".join(flags)
    return text


def program_pairs_message(page: ProgramPage) -> tuple[str, list[dict[str, Any]]]:
    """One page of the whole roster, for admins, with Previous/Next buttons."""
    if page.total == 0:
        text = (
            "There are no mentoring pairs yet. Add one with `/mentor pair @mentor @mentee`, or load a whole "
            "roster with `/mentor import`."
        )
        return text, to_dicts([section(text)])
    summary = (
        f"{count(page.total, 'active pair')} · {count(page.mentors, 'mentor')} · "
        f"{count(page.mentees, 'mentee')} · page {page.page} of {page.pages}"
    )
    blocks: list[Block] = [header("Mentoring pairs"), context(summary + " · mentor → mentee")]
    blocks += [section(chunk) for chunk in chunk_lines([_pair_line(line) for line in page.lines])]
    if page.flagged_people:
        blocks.append(
            context(
                f":warning: {count(page.flagged_people, 'person')} in the program won't hear from the app "
                "for now (messages turned off, paused, or inactive in Slack)."
            )
        )
    buttons = []
    if page.page > 1:
        buttons.append(
            ButtonElement(text="Previous", action_id=PAGE_PREVIOUS_ACTION, value=str(page.page - 1))
        )
    if page.page < page.pages:
        buttons.append(ButtonElement(text="Next", action_id=PAGE_NEXT_ACTION, value=str(page.page + 1)))
    if buttons:
        blocks.append(ActionsBlock(block_id="pairs_pages", elements=buttons))
    return f"Mentoring pairs: {summary}", to_dicts(blocks)


def person_pairs_message(pairs: PersonPairs, *, viewer: str) -> tuple[str, list[dict[str, Any]]]:
    """Someone's own pairs (or, for an admin, one person's pairs)."""
    own = pairs.user_id == viewer
    if pairs.empty:
        text = (
            "You're not in a mentoring pair yet. When your program director pairs you, you'll get a short "
            "welcome message."
            if own
            else f"<@{pairs.user_id}> isn't in any active mentoring pair."
        )
        return text, to_dicts([section(text)])
    blocks: list[Block] = []
    limit = 40  # lines per list; nobody mentors forty people, but a message must stay in bounds
    for title, lines, show in (
        ("You mentor" if own else f"<@{pairs.user_id}> mentors", pairs.as_mentor, "mentee"),
        ("Your mentors" if own else f"<@{pairs.user_id}>'s mentors", pairs.as_mentee, "mentor"),
    ):
        if not lines:
            continue
        shown = [_pair_line(line, show=show) for line in lines[:limit]]
        more = _more(len(shown), len(lines))
        blocks += [section(chunk) for chunk in chunk_lines([f"*{title}*", *shown, *([more] if more else [])])]
    blocks.append(context("Something wrong here? Your program director can fix it."))
    count = len(pairs.as_mentor) + len(pairs.as_mentee)
    subject = "You are" if own else f"<@{pairs.user_id}> is"
    return f"{subject} in {count} mentoring pair{'s' if count != 1 else ''}.", to_dicts(blocks)


# --- the import modal ----------------------------------------------------------------------

FORMAT_HELP = (
    "Upload a CSV with one mentoring pair per line: *mentor email*, *mentee email*, and optionally a "
    "*cohort* or program name. Slack member IDs work instead of emails; a header row, commas or "
    "semicolons are all fine.\nYou'll see exactly what would change before anything is saved."
)


def _modal(
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=_plain("Import roster"),
        submit=_plain(submit) if submit else None,
        close=_plain(close),
        blocks=list(blocks),
        private_metadata=private_metadata,
    )
    return view.to_dict()


def import_modal(*, notice: str | None = None) -> dict[str, Any]:
    """The `/mentor import` form: a CSV file, or pasted rows, and the "end missing" option."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {notice}"))
    blocks.append(section(FORMAT_HELP))
    blocks.append(
        InputBlock(
            block_id=FILE_BLOCK,
            label=_plain("Roster file (CSV)"),
            element=FileInputElement(action_id=FILE_BLOCK, filetypes=["csv", "tsv", "txt"], max_files=1),
            optional=True,
        )
    )
    blocks.append(
        InputBlock(
            block_id=PASTE_BLOCK,
            label=_plain("…or paste a few rows"),
            element=PlainTextInputElement(
                action_id=PASTE_BLOCK,
                multiline=True,
                max_length=PASTE_MAX_LENGTH,
                placeholder=_plain("ana.ruiz@hospital.org, sam.lee@hospital.org, IM 2027"),
            ),
            optional=True,
        )
    )
    blocks.append(
        InputBlock(
            block_id=OPTIONS_BLOCK,
            label=_plain("Options"),
            element=CheckboxesElement(
                action_id=OPTIONS_BLOCK,
                options=[
                    Option(
                        value=END_MISSING,
                        label="End pairs that aren't in this file",
                        description="Only when the file lists the whole program. History is kept.",
                    )
                ],
            ),
            optional=True,
        )
    )
    return _modal(blocks, callback_id=IMPORT_CALLBACK, submit="Check", close="Cancel")


def notice_view(text: str) -> dict[str, Any]:
    """A modal with one message and a Close button (progress and final states)."""
    return _modal([section(text)])


def checking_view(rows: int | None = None) -> dict[str, Any]:
    """Shown while the file is downloaded and people are looked up in Slack."""
    what = count(rows, "line") if rows else "your roster"
    return notice_view(
        f":hourglass_flowing_sand: Checking {what}… A large file can take a minute while I look people up "
        "in Slack. Nothing is changed until you confirm."
    )


def summary_lines(plan: ImportPlan, *, bold: bool = True, end_hint: str = TICK_TO_END) -> list[str]:
    """What a dry run would change, one fact a line — shared by the modal and the CLI,
    which differ only in bold numbers and in how to ask for missing pairs to be ended."""

    def n(number: int, noun: str) -> str:
        return count(number, noun, bold=bold)

    present = f"*{len(plan.present):,}*" if bold else f"{len(plan.present):,}"
    lines = [f"{n(len(plan.add), 'pair')} to add", f"{present} already in the roster"]
    if plan.cohort_changes:
        lines.append(f"{n(len(plan.cohort_changes), 'cohort name')} to update")
    if plan.end_missing:
        lines.append(f"{n(len(plan.end), 'pair')} to end (not in this file)")
    elif plan.not_in_file:
        lines.append(
            f"{n(plan.not_in_file, 'pair')} in the roster but not in this file, left as they are ({end_hint})"
        )
    if plan.kept:
        lines.append(
            f"{n(len(plan.kept), 'pair')} not in this file kept, because a line with an error "
            "names one of the people"
        )
    if plan.errors:
        lines.append(f"{n(len(plan.errors), 'line')} with errors, skipped")
    if plan.duplicates:
        lines.append(f"{n(len(plan.duplicates), 'duplicate line')}, each pair imported once")
    return lines


def _listing(title: str, lines: list[str], total: int) -> list[Block]:
    more = _more(len(lines), total)
    return [section(chunk) for chunk in chunk_lines([title, *lines, *([more] if more else [])])]


def dry_run_view(plan: ImportPlan, import_key: str) -> dict[str, Any]:
    """The dry-run report, with "Apply changes" when there is anything to apply."""
    source = escape(plan.source)
    blocks: list[Block] = [
        section(
            f"*Nothing has been changed yet.* Here is what importing *{source}* "
            f"({count(plan.data_rows, 'row')}) would do:\n"
            + "\n".join(f"• {line}" for line in summary_lines(plan))
        )
    ]
    if plan.change_count == 0:
        blocks.append(section(":white_check_mark: Nothing to change: the roster already matches this file."))
    blocks += _change_listings(plan)
    blocks += _left_alone(plan)
    blocks += _dry_run_notes(plan)
    metadata = json.dumps({"import": import_key})
    if plan.change_count == 0:
        return _modal(blocks, close="Done")
    return _modal(
        blocks[:99],
        callback_id=CONFIRM_CALLBACK,
        submit="Apply changes",
        close="Cancel",
        private_metadata=metadata,
    )


def _planned_pair(mentor: str, mentee: str, cohort: str | None) -> str:
    """ "• <@mentor> → <@mentee> · _cohort_", one line of a listing."""
    return f"• <@{mentor}> → <@{mentee}>" + (f" · _{escape(cohort)}_" if cohort else "")


def _change_listings(plan: ImportPlan) -> list[Block]:
    """A sample of each kind of change: pairs to add, cohort names to update, pairs to end."""
    blocks: list[Block] = []
    if plan.add:
        lines = [_planned_pair(p.mentor, p.mentee, p.cohort) for p in plan.add[:SAMPLE_PAIRS]]
        blocks += _listing("*To add* (mentor → mentee)", lines, len(plan.add))
    if plan.cohort_changes:
        lines = [
            f"• line {c.line}: <@{c.mentor}> → <@{c.mentee}>: "
            f"_{escape(c.old or 'no cohort')}_ → _{escape(c.new)}_"
            for c in plan.cohort_changes[:SAMPLE_PAIRS]
        ]
        blocks += _listing("*Cohort names to update*", lines, len(plan.cohort_changes))
    if plan.end:
        lines = [_planned_pair(e.mentor, e.mentee, e.cohort) for e in plan.end[:SAMPLE_ENDS]]
        blocks += _listing("*To end* (in the roster, not in this file)", lines, len(plan.end))
    return blocks


def _left_alone(plan: ImportPlan) -> list[Block]:
    """What applying will not touch: pairs kept because of an error line, and the error lines."""
    blocks: list[Block] = []
    if plan.kept:
        blocks.append(
            section(
                f"*Kept:* {count(len(plan.kept), 'pair')} not in the file will stay, "
                "because a line with an error names one of the two people. Fix those lines and check again "
                "if they should end."
            )
        )
    if plan.errors:
        lines = [escape(clip(str(e), ERROR_LINE_LIMIT)) for e in plan.errors[:SAMPLE_ERRORS]]
        title = f"*Lines that can't be imported* ({len(plan.errors):,})"
        blocks += _listing(title, lines, len(plan.errors))
        blocks.append(
            context(
                "The other lines can be applied now. Fix these in the file and import it again — lines "
                "already imported are left as they are."
            )
        )
    return blocks


def _dry_run_notes(plan: ImportPlan) -> list[Block]:
    """Small print under the report: duplicates, notes on reading the file, and who stays quiet."""
    notes = [escape(clip(str(d), ERROR_LINE_LIMIT)) for d in plan.duplicates[:5]]
    notes += [escape(n) for n in plan.notes]
    if plan.quiet:
        notes.append(
            f"{count(len(plan.quiet), 'person')} in new pairs won't hear from "
            "the app for now (messages turned off, paused, or inactive)."
        )
    if not notes:
        return []
    # A context block holds at most ten elements.
    return [context(*chunk_lines(notes, 2000)[:10])]


def applying_view(plan_changes: int | None = None) -> dict[str, Any]:
    """Shown while the confirmed import is written."""
    what = count(plan_changes, "change") if plan_changes else "the changes"
    return notice_view(f":hourglass_flowing_sand: Applying {what}…")


def result_lines(result: ImportResult) -> list[str]:
    """What an applied import did, one fact per line (modal and CLI share these)."""
    lines = [f"{count(result.added, 'pair')} added"]
    if result.cohort_changed:
        lines.append(f"{count(result.cohort_changed, 'cohort name')} updated")
    if result.ended:
        lines.append(f"{count(result.ended, 'pair')} ended (their history is kept)")
    lines.append(f"{result.already_present:,} already in the roster")
    if result.errors:
        lines.append(f"{count(result.errors, 'line')} with errors skipped")
    if result.skipped:
        lines.append(f"{count(result.skipped, 'planned change')} had already been made by someone else")
    if result.welcomed:
        lines.append(
            f"{count(result.welcomed, 'welcome message')} queued; each arrives during the person's "
            "working hours"
        )
    return lines


def applied_view(result: ImportResult) -> dict[str, Any]:
    """The final state of the modal."""
    text = ":white_check_mark: *The roster is updated.*\n" + "\n".join(
        f"• {line}" for line in result_lines(result)
    )
    return _modal([section(text), context("`/mentor pairs` shows the whole roster.")], close="Done")


def read_import_form(state: ModalState) -> ImportForm:
    """The import modal's choices, read from its submitted state."""
    return ImportForm(
        files=[dict(f) for f in state.files(FILE_BLOCK)],
        pasted=state.text(PASTE_BLOCK),
        end_missing=END_MISSING in state.selected_many(OPTIONS_BLOCK),
    )
