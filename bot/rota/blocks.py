"""Rota screens and messages (pure: data in, Block Kit out): the admin's upload form, its
dry run and result, a person's `/mentor rota`, the rotation check-ins and the
end-of-rotation reflection modal (and reading the modals back).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.blocks.common import context, escape, section, to_dicts
from bot.blocks.state import ModalState
from bot.rota.types import (
    END,
    MIDDLE,
    REFLECTION_MAX_CHARS,
    START,
    RotaPlan,
    RotaSummary,
)

# View and action ids the handlers listen for.
UPLOAD_VIEW = "rota.upload"
CONFIRM_VIEW = "rota.confirm"
REFLECT = "rota.reflect"
REFLECT_VIEW = "rota.reflect_line"
FILE_BLOCK = "rota_file"
WHOSE_BLOCK = "rota_whose"
LINE_BLOCK = "line"
# How many bad lines the dry run lists (the rest are counted).
SHOWN_ERRORS = 25

FORMAT_HELP = (
    "*A CSV* with one shift a line — person (email or Slack ID), start, end, kind — or *an iCalendar "
    "(.ics)* file exported from your scheduling system.\n"
    "Kinds: `call`, `night`, `day`, or a rotation's name (`Cardiology`). Times are local to each person: "
    "`2027-03-02 19:00`. A start and end with dates only is a whole-day rotation, end date included.\n"
    "Call and night shifts are *duty*: nothing is delivered to that person then, nor on the rest of the day "
    "the shift ends (post-call). Rotations bring the mentor a check-in on day 1 and halfway through."
)


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _modal(
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str | None = None,
    title: str = "Rota",
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=_plain(title),
        submit=_plain(submit) if submit else None,
        close=_plain(close),
        blocks=list(blocks),
        private_metadata=private_metadata,
    )
    return view.to_dict()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --- the admin's upload --------------------------------------------------------------------------


def upload_modal(*, notice: str | None = None) -> dict[str, Any]:
    """`/mentor rota upload`: a CSV or .ics file, and whose it is (for a personal calendar)."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {escape(notice)}"))
    blocks += [
        section(FORMAT_HELP),
        InputBlock(
            block_id=FILE_BLOCK,
            label=_plain("Rota file (CSV or .ics)"),
            element=FileInputElement(
                action_id=FILE_BLOCK, filetypes=["csv", "tsv", "txt", "ics"], max_files=1
            ),
        ),
        InputBlock(
            block_id=WHOSE_BLOCK,
            optional=True,
            label=_plain("Whose calendar is it? (a one-person .ics file)"),
            element=UserSelectElement(action_id=WHOSE_BLOCK, placeholder=_plain("Choose a person")),
        ),
    ]
    return _modal(blocks, callback_id=UPLOAD_VIEW, submit="Check", close="Cancel")


def read_upload_form(state: ModalState) -> tuple[list[dict[str, Any]], str | None]:
    """(the uploaded files, the chosen person's Slack id or None)."""
    whose = state.element(WHOSE_BLOCK).get("selected_user")
    return [dict(f) for f in state.files(FILE_BLOCK)], whose if isinstance(whose, str) else None


def notice_view(text: str) -> dict[str, Any]:
    """A modal with one message (progress, refusals, the end)."""
    return _modal([section(text)])


def plan_lines(plan: RotaPlan) -> list[str]:
    """What an upload would change, one fact a line (the modal and the CLI)."""
    counts = plan.counts
    kinds = ", ".join(
        _count(counts[kind], noun)
        for kind, noun in (
            ("call", "call"),
            ("night", "night shift"),
            ("day", "day shift"),
            ("rotation", "rotation"),
        )
        if counts.get(kind)
    )
    lines = [f"{_count(len(plan.shifts), 'person')} with {kinds or 'no shifts'}"]
    lines.append(
        "Each person's uploaded shifts over the dates in this file are replaced; their own calendar feeds "
        "are left alone."
    )
    if plan.errors:
        lines.append(f"{_count(len(plan.errors), 'line')} can't be used (listed below) and will be skipped")
    return lines


def error_lines(plan: RotaPlan) -> list[str]:
    """`line 14: the start has …` for the first bad lines, then how many more."""
    shown = [f"line {e.line}: {e.reason}" for e in plan.errors[:SHOWN_ERRORS]]
    if len(plan.errors) > SHOWN_ERRORS:
        shown.append(f"…and {len(plan.errors) - SHOWN_ERRORS} more")
    return shown + [f"note: {note}" for note in plan.notes]


def dry_run_view(plan: RotaPlan, key: str) -> dict[str, Any]:
    """The dry run, with *Apply* when something can be applied."""
    blocks: list[Block] = [
        section("*Dry run — nothing has changed yet.*\n" + "\n".join(f"• {x}" for x in plan_lines(plan)))
    ]
    problems = error_lines(plan)
    if problems:
        blocks.append(section("\n".join(escape(line) for line in problems)))
    if not plan.shifts:
        blocks.append(
            context("Nothing in this file can be applied. Fix the lines above and upload it again.")
        )
        return _modal(blocks)
    return _modal(
        blocks,
        callback_id=CONFIRM_VIEW,
        submit="Apply",
        close="Cancel",
        private_metadata=json.dumps({"rota": key}),
    )


def applied_view(counts: dict[str, int]) -> dict[str, Any]:
    """The modal once applied."""
    return _modal(
        [
            section(
                f":white_check_mark: *Rota applied:* {_count(counts.get('shifts', 0), 'shift')} for "
                f"{_count(counts.get('people', 0), 'person')}. Nudges and check-ins now avoid their duty."
            )
        ],
        close="Done",
    )


def key_from_confirm(view: dict[str, Any]) -> str | None:
    """The saved check's key from the confirm modal's metadata."""
    try:
        key = json.loads(view.get("private_metadata") or "{}").get("rota")
    except (ValueError, AttributeError):
        return None
    return key if isinstance(key, str) else None


# --- a person's own rota --------------------------------------------------------------------------


def summary_message(summary: RotaSummary) -> tuple[str, list[dict[str, Any]]]:
    """`/mentor rota`: the person's coming duty, rotations and calendar feed."""
    rest = " and the rest of the day after" if summary.post_call_rest else ""
    duty = "\n".join(f"• {line}" for line in summary.duty) or "• none in the next two weeks"
    text = f"*Your duty (no messages then{rest})*\n{duty}"
    if summary.rotations:
        text += "\n*Rotations*\n" + "\n".join(f"• {escape(line)}" for line in summary.rotations)
    blocks: list[Block] = [section(text)]
    if summary.feed:
        feed = f"Your calendar feed: `{summary.feed}` (refreshed daily). `/mentor rota feed off` removes it."
        if summary.feed_problem:
            problem = escape(summary.feed_problem)
            feed += f"\n:warning: The last refresh failed: {problem}. I'll keep trying daily."
    else:
        feed = (
            "No calendar feed. If your scheduling system offers a personal calendar link, "
            "`/mentor rota feed <link>` keeps your duty up to date (the link is kept private and shown "
            "masked)."
        )
    blocks.append(context(feed))
    return "Your rota", to_dicts(blocks)


# --- rotation check-ins ------------------------------------------------------------------------------


def checkin_text(stage: str, *, mentee_user_id: str, label: str | None, ends_on: str) -> str:
    """The words of a rotation check-in (also the notification text)."""
    rotation = f"*{escape(label)}*" if label else "a new rotation"
    mentee = f"<@{mentee_user_id}>"
    if stage == START:
        return (
            f"{mentee} starts {rotation} today. A fresh rotation is a good moment to agree *one goal* for it "
            "together — ask what they most want to get out of it, and how you'll both know it's going well."
        )
    if stage == MIDDLE:
        the = f"*{escape(label)}*" if label else "their rotation"
        return (
            f"{mentee} is halfway through {the}. How about a short two-way feedback chat? Ask what's going "
            "well and what's hard — and what you could do differently as their mentor."
        )
    the = f"*{escape(label)}*" if label else "this rotation"
    return f"Today is your last day on {the}. What's one thing you'll take from it?"


def checkin_blocks(
    stage: str, *, mentee_user_id: str, label: str | None, ends_on: str, rotation_key: str
) -> list[dict[str, Any]]:
    """The check-in message; the mentee's end-of-rotation one has a *Write one line* button."""
    text = checkin_text(stage, mentee_user_id=mentee_user_id, label=label, ends_on=ends_on)
    blocks: list[Block] = [section(text)]
    if stage == END:
        blocks.append(
            ActionsBlock(
                block_id="rota_reflect",
                elements=[
                    ButtonElement(
                        text=_plain("Write one line"), action_id=REFLECT, value=rotation_key, style="primary"
                    )
                ],
            )
        )
        blocks.append(
            context("Only you will see it. Please leave out anything that could identify a patient.")
        )
    else:
        blocks.append(context(f"From the rota · the rotation runs until {ends_on}."))
    return to_dicts(blocks)


def reflection_modal(rotation_key: str, label: str | None, *, current: str | None = None) -> dict[str, Any]:
    """One line about the rotation that ends."""
    what = f"*{escape(label)}*" if label else "this rotation"
    element = PlainTextInputElement(
        action_id=LINE_BLOCK,
        max_length=REFLECTION_MAX_CHARS,
        initial_value=current or None,
        placeholder=_plain("e.g. I got quicker at prioritising a busy take"),
    )
    return _modal(
        [
            section(f"One thing you'll take from {what}."),
            InputBlock(
                block_id=LINE_BLOCK,
                label=_plain("Your line"),
                hint=_plain("Only you see this. Please leave out anything that could identify a patient."),
                element=element,
            ),
        ],
        callback_id=REFLECT_VIEW,
        submit="Save",
        close="Cancel",
        private_metadata=rotation_key,
        title="End of rotation",
    )


def line_from_view(state: ModalState) -> str:
    """The line as typed (the service checks it)."""
    return state.raw_text(LINE_BLOCK)
