"""Meeting-log messages (pure: data in, Block Kit dicts out): the monthly "did you meet?"
DM and its answered form with "what came up", the `/mentor met` reply, and
`/mentor meetings`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    Option,
    PlainTextObject,
)

from bot.blocks.common import context, header, mention, section, to_dicts
from bot.blocks.state import ModalState
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.meetings.rules import clean_practices, minutes_in_words, month_name
from bot.meetings.types import ANSWER_LABELS, MeetingCard, MenteeMeetings, MonthLine

# Action ids the handlers listen for. An answer's action id ends in its minutes.
ANSWER_PREFIX = "meeting.answer_"
PRACTICES_ACTION = "meeting.practices"
SAVE_ACTION = "meeting.save"
PRACTICES_BLOCK = "meeting_practices"

ANSWER_ACTIONS = {f"{ANSWER_PREFIX}{minutes}": minutes for minutes in ANSWER_LABELS}

YOURS_ONLY = "Your log is yours: only you see it here; program reports show counts only, never who."


def _title(key: str) -> str:
    practice = PRACTICES.get(key)
    return practice.title if practice else key


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=text), action_id=action_id, value=value, style=style)


def question_text(card: MeetingCard) -> str:
    """The question, also the DM's notification text."""
    return f"Did you and <@{card.mentee_user_id}> meet this month?"


def _answer_buttons(card: MeetingCard) -> ActionsBlock:
    value = str(card.question_id)
    buttons = []
    for minutes, label in ANSWER_LABELS.items():
        chosen = card.minutes == minutes
        buttons.append(
            _button(
                f"✓ {label}" if chosen else label,
                f"{ANSWER_PREFIX}{minutes}",
                value,
                style="primary" if chosen else None,
            )
        )
    return ActionsBlock(block_id="meeting_answers", elements=buttons)


def _practices_blocks(card: MeetingCard) -> list[Block]:
    """ "What came up?": the six practices as checkboxes (ticked as saved) and Save."""
    options = [Option(value=key, label=_title(key)) for key in PRACTICE_KEYS]
    ticked = [option for option in options if option.value in card.practices]
    checkboxes = CheckboxesElement(
        action_id=PRACTICES_ACTION, options=options, initial_options=ticked or None
    )
    blocks: list[Block] = [
        section("*What came up?* (optional) Tick any practices you touched on, then *Save*."),
        ActionsBlock(
            block_id=PRACTICES_BLOCK,
            elements=[checkboxes, _button("Save", SAVE_ACTION, str(card.log_id))],
        ),
    ]
    if card.practices:
        blocks.append(context("Saved: " + " · ".join(_title(key) for key in card.practices)))
    return blocks


def _status(card: MeetingCard) -> str:
    month = month_name(card.month)
    mentee = f"<@{card.mentee_user_id}>"
    if card.minutes == 0:
        return (
            f"Noted: not yet in {month}. No pressure — if you meet later, `/mentor met {mentee} 30m` logs it."
        )
    label = ANSWER_LABELS.get(card.minutes or 0, minutes_in_words(card.minutes or 0))
    return f"✅ Logged: *{label}* with {mentee} in {month} — thank you."


def question_blocks(card: MeetingCard) -> list[dict[str, Any]]:
    """The monthly DM. Unanswered: four buttons. Answered: the answer (a click on another
    button changes it) and, after a meeting, "what came up"."""
    blocks: list[Block] = [
        section(f"*{question_text(card)}*", block_id="meeting_question"),
        _answer_buttons(card),
    ]
    if card.minutes is None:
        blocks.append(context(f"About {month_name(card.month)}. A rough answer is plenty. {YOURS_ONLY}"))
        return to_dicts(blocks)
    blocks.append(section(_status(card), block_id="meeting_status"))
    if card.minutes > 0 and card.log_id is not None:
        blocks += _practices_blocks(card)
    return to_dicts(blocks)


def logged_text(card: MeetingCard) -> str:
    """What `/mentor met` says it logged."""
    return (
        f"Logged: {minutes_in_words(card.minutes or 0)} with <@{card.mentee_user_id}> in "
        f"{month_name(card.month)}. Thank you!"
    )


def logged_blocks(card: MeetingCard) -> list[dict[str, Any]]:
    """The `/mentor met` reply: what was logged, and "what came up"."""
    blocks: list[Block] = [section(f"✅ {logged_text(card)}"), *_practices_blocks(card)]
    blocks.append(context(f"`/mentor meetings` shows your log. {YOURS_ONLY}"))
    return to_dicts(blocks)


def practices_from_state(values: Any) -> tuple[str, ...]:
    """The ticked practices in a message's `state.values` (sent with the Save click)."""
    return clean_practices(ModalState(values).selected_many(PRACTICES_BLOCK))


# --- /mentor meetings ---------------------------------------------------------------------


def _month_words(line: MonthLine) -> str:
    name = month_name(line.month)
    if line.meetings:
        count = "1 meeting" if line.meetings == 1 else f"{line.meetings} meetings"
        came_up = f" ({', '.join(_title(k) for k in line.practices)})" if line.practices else ""
        return f"{name}: {count}, {minutes_in_words(line.minutes)}{came_up}"
    if line.not_yet:
        return f"{name}: not yet"
    return f"{name}: —"


def overview_blocks(mentees: Sequence[MenteeMeetings]) -> list[dict[str, Any]]:
    """`/mentor meetings`: the mentor's own log per mentee over the last few months."""
    if not mentees:
        return to_dicts(
            [
                section(
                    "Nothing to show yet: the meeting log is for mentors, and you have no mentee in Mentor "
                    "Nudge right now."
                )
            ]
        )
    blocks: list[Block] = [header("Your meetings")]
    for mentee in mentees[:40]:
        ended = " _(pairing ended)_" if not mentee.active else ""
        lines = "\n".join(f"• {_month_words(line)}" for line in mentee.months)
        who = mention(mentee.mentee_user_id, former="A former mentee")
        blocks.append(section(f"*{who}*{ended}\n{lines}"))
    blocks.append(context(f"Log one any time: `/mentor met @mentee 30m`. {YOURS_ONLY}"))
    return to_dicts(blocks)


def overview_text(mentees: Sequence[MenteeMeetings]) -> str:
    """Plain-text fallback of `/mentor meetings`."""
    if not mentees:
        return "No mentees in Mentor Nudge right now, so there is no meeting log to show."
    return f"Your meetings with {len(mentees)} mentee{'s' if len(mentees) != 1 else ''}, month by month."
