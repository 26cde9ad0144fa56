"""Nudge messages: the DM with its answer buttons, the back-off check-in, `/mentor history`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.blocks.common import BUTTON_TEXT_LIMIT, clip, context, escape, header, section, to_dicts
from bot.blocks.state import ModalState
from bot.library.types import Followup
from bot.nudges.types import HistoryLine, NudgeCard

# Action and view ids the handlers listen for.
DONE = "nudge_done"
REMIND = "nudge_remind"
SKIP = "nudge_skip"
NOTE = "nudge_note"
CHANGE = "nudge_change"
FOLLOWUP_PREFIX = "nudge_followup_"
NOTE_VIEW = "nudge_note"
NOTE_BLOCK = "note"
NOTE_INPUT = "note"
NOTE_MAX_CHARS = 1000
PACE_FEWER = "nudge_pace_fewer"
PACE_PAUSE = "nudge_pace_pause"
PACE_KEEP = "nudge_pace_keep"

ANSWER_BY_ACTION = {DONE: "done", REMIND: "remind", SKIP: "skip"}
ANSWER_LABELS = {"done": "Done", "remind": "Remind me tomorrow", "skip": "Skip this one"}

HISTORY_TEXT_CHARS = 220

# The private line saying why the planner leaned toward a nudge's practice (by reason).
FOCUS_LINES = {
    "gap": "Chosen because your mentees' answers suggest more room here — only you see this.",
    "self": "Chosen because your own self-check rated this practice lower — only you see this.",
}


def long_day(local: datetime) -> str:
    """A local datetime as "Tuesday 19 January" (portable: no platform-only strftime codes)."""
    return f"{local:%A} {local.day} {local:%B}"


def short_day(local: datetime) -> str:
    """A local datetime as "Tue 1 Dec"."""
    return f"{local:%a} {local.day} {local:%b}"


def status_line(card: NudgeCard) -> str | None:
    """What the message says about its answer, or None while unanswered."""
    if card.answer == "done":
        return "✅ Marked done — thank you."
    if card.answer == "skip":
        return "Skipped — no problem. Another one will come along."
    if card.answer == "remind":
        return f"⏰ I'll bring this one back {card.remind_when or 'tomorrow'}."
    return None


def nudge_blocks(card: NudgeCard) -> list[dict[str, Any]]:
    """The nudge DM. Unanswered: four buttons. Answered: the answer, the follow-up
    question (after Done), and a way to add a note or change the answer."""
    value = str(card.send_id)
    label = "⏰ Your reminder · " if card.is_reminder else ""
    why = FOCUS_LINES.get(card.reason or "")
    blocks: list[Block] = [
        section(card.text, block_id="nudge_text"),
        context(f"{label}Mentoring practice: *{card.practice_title}*", *([why] if why else [])),
    ]
    status = status_line(card)
    if status is not None:
        blocks.append(section(status, block_id="nudge_status"))
    if card.answer == "done" and card.followup is not None:
        blocks.extend(_followup_blocks(card, card.followup))
    if card.has_note:
        blocks.append(context("📝 Your note is saved."))
    note = _button("Edit your note" if card.has_note else "Add a note", NOTE, value)
    if status is None:
        answers = [
            _button("Done", DONE, value, style="primary"),
            _button("Remind me tomorrow", REMIND, value),
            _button("Skip this one", SKIP, value),
        ]
        blocks.append(ActionsBlock(block_id="nudge_actions", elements=[*answers, note]))
        return to_dicts(blocks)
    others = [a for a in ANSWER_LABELS if a != card.answer]
    change = OverflowMenuElement(
        action_id=CHANGE,
        options=[Option(text=f"Change to: {ANSWER_LABELS[a]}", value=f"{a}:{value}") for a in others],
    )
    blocks.append(ActionsBlock(block_id="nudge_actions", elements=[note, change]))
    return to_dicts(blocks)


def _followup_blocks(card: NudgeCard, followup: Followup) -> list[Block]:
    if card.followup_choice is not None:
        return [context(f"{escape(followup.question)} — *{escape(card.followup_choice)}*")]
    return [
        section(f"*{escape(followup.question)}*", block_id="nudge_followup_question"),
        ActionsBlock(
            block_id="nudge_followup",
            elements=[
                _button(choice, f"{FOLLOWUP_PREFIX}{i}", f"{card.send_id}:{i}")
                for i, choice in enumerate(followup.choices)
            ],
        ),
    ]


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, BUTTON_TEXT_LIMIT)),
        action_id=action_id,
        value=value,
        style=style,
    )


def note_modal(send_id: int, nudge_text: str, current: str | None) -> dict[str, Any]:
    """The "Add a note" modal; the note is screened for patient identifiers on submit."""
    view = View(
        type="modal",
        callback_id=NOTE_VIEW,
        private_metadata=str(send_id),
        title=PlainTextObject(text="Add a note"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            section(f"_{clip(nudge_text, 600)}_"),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=PlainTextObject(text="Your note"),
                hint=PlainTextObject(
                    text="A line for yourself about how it went. Please leave out anything that could "
                    "identify a patient — names, dates of birth, record or phone numbers."
                ),
                element=PlainTextInputElement(
                    action_id=NOTE_INPUT, multiline=True, max_length=NOTE_MAX_CHARS, initial_value=current
                ),
            ),
        ],
    )
    return view.to_dict()


# --- back-off check-in -------------------------------------------------------------------


def backoff_blocks(delivery_id: int, old_pace: str, new_pace: str) -> list[dict[str, Any]]:
    """The one gentle message after three nudges in a row went unanswered."""
    value = str(delivery_id)
    return to_dicts(
        [
            section(
                "The last few nudges seem to have arrived at busy moments — that's completely fine; "
                "clinical weeks are full. To keep them useful rather than noisy, I'll send them "
                f"*{new_pace}* for now, instead of {old_pace}. Does that suit you?"
            ),
            ActionsBlock(
                block_id="nudge_pace",
                elements=[
                    _button("Fewer nudges", PACE_FEWER, value, style="primary"),
                    _button("Pause for a month", PACE_PAUSE, value),
                    _button("Keep as is", PACE_KEEP, value),
                ],
            ),
            context(
                f"*Fewer nudges* keeps the new pace · *Pause for a month* stops them for four weeks · "
                f"*Keep as is* goes back to {old_pace}."
            ),
        ]
    )


def backoff_text(new_pace: str) -> str:
    """Notification text of the back-off message."""
    return f"Would nudges {new_pace} suit you better?"


def pace_answer_blocks(message: str) -> list[dict[str, Any]]:
    """The back-off message after the mentor chose (buttons gone, their choice confirmed)."""
    return to_dicts([section(message)])


# --- /mentor history ---------------------------------------------------------------------


def _answer_words(line: HistoryLine) -> str:
    words = {"done": "✅ Done", "skip": "Skipped", "remind": "⏰ Asked for a reminder"}
    parts = [words.get(line.answer or "", "No answer")]
    if line.followup_choice:
        parts.append(f"{escape(line.followup_question or 'Follow-up')} *{escape(line.followup_choice)}*")
    if line.note:
        parts.append(f"📝 “{escape(clip(line.note, 300))}”")
    return " · ".join(parts)


def history_blocks(lines: Sequence[HistoryLine]) -> list[dict[str, Any]]:
    """The mentor's recent nudges and what they answered (ephemeral, newest first)."""
    if not lines:
        return to_dicts(
            [
                section(
                    "No nudges yet — they'll be listed here once the first one arrives. "
                    "Want one now? Type `/mentor nudge`."
                )
            ]
        )
    blocks: list[Block] = [header(f"Your last {len(lines)} nudge{'s' if len(lines) != 1 else ''}")]
    for line in lines:
        blocks.append(
            section(
                f"*{line.when}* · {line.practice_title}\n>{clip(line.text, HISTORY_TEXT_CHARS)}\n"
                f"{_answer_words(line)}"
            )
        )
    blocks.append(context("Only you can see this. Your answers are yours: nobody is ranked or compared."))
    return to_dicts(blocks)


def history_text(lines: Sequence[HistoryLine]) -> str:
    """Plain-text fallback of `/mentor history`."""
    if not lines:
        return "No nudges yet. Type /mentor nudge to get one now."
    return f"Your last {len(lines)} nudges and answers."


def note_from_view(state: ModalState) -> str:
    """The note typed into the note modal, as typed (the service trims and screens it)."""
    return state.raw_text(NOTE_BLOCK)
