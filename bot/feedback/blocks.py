"""Feedback-chat messages and modals (pure: data in, Block Kit dicts out): the mentor's DM
with its three answers, the answer the mentee receives, the "Suggest another time" and
"Ask for a feedback chat" modals (and reading them), and the mentee's Home section.
"""

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
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import BUTTON_TEXT_LIMIT, clip, context, escape, mention, section, to_dicts
from bot.blocks.state import ModalState
from bot.feedback.rules import MENTION
from bot.feedback.types import (
    ANSWER_LABELS,
    NOTE_MAX_CHARS,
    TOPIC_MAX_CHARS,
    MentorChoice,
    RequestCard,
)
from bot.models import FeedbackStatus

# Action and view ids the handlers listen for.
TALK = "feedback.talk"
LATER = "feedback.later"
CANT = "feedback.cant"
HOME_ASK = "feedback.home_ask"
LATER_VIEW = "feedback.later_note"
ASK_VIEW = "feedback.ask"
NOTE_BLOCK = "note"
MENTOR_BLOCK = "mentor"
TOPIC_BLOCK = "topic"

ANSWER_BY_ACTION = {TALK: FeedbackStatus.TALK, CANT: FeedbackStatus.CANT}

PATIENT_HINT = "Please leave out anything that could identify a patient."
NOT_ANONYMOUS = "This isn't anonymous: your mentor sees that the request comes from you, and the topic."
# How many past requests the mentee's Home lists.
HOME_RECENT = 3


def short_day(local: datetime) -> str:
    """A local datetime as "Tue 1 Dec" (portable: no platform-only strftime codes)."""
    return f"{local:%a} {local.day} {local:%b}"


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, BUTTON_TEXT_LIMIT)),
        action_id=action_id,
        value=value,
        style=style,
    )


def escape_keeping_mentions(text: str) -> str:
    """Typed text made safe for mrkdwn, except @mentions (`<@U123>`), which stay mentions."""
    pieces, last = [], 0
    for found in MENTION.finditer(text):
        pieces += [escape(text[last : found.start()]), found.group(0)]
        last = found.end()
    return "".join([*pieces, escape(text[last:])])


def _topic_line(topic: str | None) -> str:
    return f"\nTopic: “{escape_keeping_mentions(topic)}”" if topic else ""


# --- the mentor's DM -----------------------------------------------------------------------


def request_text(card: RequestCard) -> str:
    """Notification text of the mentor's DM."""
    return f"<@{card.mentee_user_id}> would like a short feedback chat with you."


def status_line(card: RequestCard) -> str | None:
    """What the DM says once the request is no longer waiting for the mentor; None while it is."""
    mentee = f"<@{card.mentee_user_id}>"
    lines = {
        FeedbackStatus.TALK: f"✅ You said *Let's talk this week* — {mentee} has been told. Thank you!",
        FeedbackStatus.LATER: f"🗓️ You suggested another time — {mentee} has been told.",
        FeedbackStatus.CANT: f"You said you can't right now — {mentee} has been told, kindly.",
        FeedbackStatus.SUPERSEDED: f"{mentee} sent a newer request, which replaces this one.",
        FeedbackStatus.CLOSED: "This request closed after a week without an answer. No harm done — a quick "
        f"message to {mentee} works any time.",
        FeedbackStatus.ENDED: f"Your pairing with {mentee} has ended in Mentor Nudge, so this request is "
        "closed.",
        FeedbackStatus.UNDELIVERED: "This request could not be delivered, so it is closed.",
    }
    line = lines.get(card.status)
    if line and card.status == FeedbackStatus.LATER and card.note:
        line += f"\nYour note: “{escape(card.note)}”"
    return line


def request_blocks(card: RequestCard) -> list[dict[str, Any]]:
    """The mentor's DM: who asks and about what; three answers while it waits, then the
    answer given (or why it closed)."""
    blocks: list[Block] = [
        section(f"*{request_text(card)}*{_topic_line(card.topic)}", block_id="feedback_request"),
    ]
    status = status_line(card)
    if status is not None:
        blocks.append(section(status, block_id="feedback_status"))
        return to_dicts(blocks)
    value = str(card.request_id)
    blocks += [
        section(
            "A few minutes to hear how the mentoring is going for them — and to ask what you could do "
            "better — is the _Time to listen_ practice at work."
        ),
        ActionsBlock(
            block_id="feedback_answers",
            elements=[
                _button(ANSWER_LABELS[FeedbackStatus.TALK], TALK, value, style="primary"),
                _button(ANSWER_LABELS[FeedbackStatus.LATER], LATER, value),
                _button(ANSWER_LABELS[FeedbackStatus.CANT], CANT, value),
            ],
        ),
    ]
    again = " · they asked again since, this is the latest topic" if card.times_asked > 1 else ""
    blocks.append(
        context(f"<@{card.mentee_user_id}> will be told your answer. Asked {card.asked_on}{again}.")
    )
    return to_dicts(blocks)


def later_modal(request_id: int, mentee_user_id: str) -> dict[str, Any]:
    """ "Suggest another time": an optional short note the mentee will read."""
    view = View(
        type="modal",
        callback_id=LATER_VIEW,
        private_metadata=str(request_id),
        title=PlainTextObject(text="Suggest another time"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            section(f"<@{mentee_user_id}> will be told you'd like to find another time."),
            InputBlock(
                block_id=NOTE_BLOCK,
                optional=True,
                label=PlainTextObject(text="A note for them (optional)"),
                hint=PlainTextObject(text=f"They will read this. {PATIENT_HINT}"),
                element=PlainTextInputElement(
                    action_id=NOTE_BLOCK,
                    max_length=NOTE_MAX_CHARS,
                    placeholder=PlainTextObject(text="e.g. Free after clinic next Thursday?"),
                ),
            ),
        ],
    )
    return view.to_dict()


def note_from_view(state: ModalState) -> str:
    """The note typed in "Suggest another time", as typed (the service checks it)."""
    return state.raw_text(NOTE_BLOCK)


# --- what the mentee hears -----------------------------------------------------------------


def answer_text(card: RequestCard) -> str:
    """The mentee's message once their mentor answered (also its notification text)."""
    mentor = f"<@{card.mentor_user_id}>"
    if card.status == FeedbackStatus.TALK:
        return (
            f"Good news: {mentor} would like to have a feedback chat with you this week. They'll find a "
            "time — or send them a message with one that suits you."
        )
    if card.status == FeedbackStatus.LATER:
        note = f"\nTheir note: “{escape(card.note)}”" if card.note else ""
        return (
            f"{mentor} would like to talk, but this week is full — they'd rather find another time.{note}\n"
            "A message to them is the easiest way to pick one."
        )
    return (
        f"{mentor} can't make time for a feedback chat right now. It's about their week, not about you — "
        "you're welcome to ask again in a couple of weeks, or to bring it up next time you meet."
    )


def answer_blocks(card: RequestCard) -> list[dict[str, Any]]:
    """The mentee's message: the answer, then what they asked about and when."""
    topic = f"Your topic: “{escape_keeping_mentions(card.topic)}” · " if card.topic else ""
    return to_dicts([section(answer_text(card)), context(f"{topic}You asked on {card.asked_on}.")])


def undelivered_text(mentor_user_id: str, reason: str) -> str:
    """The mentee's notice when their request could not reach the mentor."""
    return (
        f"Your feedback-chat request to <@{mentor_user_id}> couldn't be delivered through Mentor Nudge "
        f"({reason}). A direct message to them works just as well — or try again later."
    )


def closed_text(mentor_user_id: str, asked_on: str) -> str:
    """The mentee's notice when a week passed without an answer (no blame in it)."""
    return (
        f"Your feedback-chat request to <@{mentor_user_id}> from {asked_on} hasn't had an answer through "
        "the app — busy weeks happen. A direct message or a word in person may be easier; you can also "
        "ask again with `/mentor ask`."
    )


def ended_text(mentor_user_id: str) -> str:
    """The mentee's notice when the pair ended while their request waited."""
    return (
        f"Your feedback-chat request to {mention(mentor_user_id, former='your mentor')} was closed because "
        "your pairing in Mentor Nudge has ended."
    )


# --- asking from Home ----------------------------------------------------------------------


def ask_modal(mentors: Sequence[MentorChoice]) -> dict[str, Any]:
    """ "Ask for a feedback chat": the mentor (a menu when there are several) and a topic."""
    blocks: list[Block] = []
    if len(mentors) == 1:
        blocks.append(section(f"Ask <@{mentors[0].user_id}> for a short feedback chat."))
    else:
        blocks.append(
            InputBlock(
                block_id=MENTOR_BLOCK,
                label=PlainTextObject(text="Which mentor?"),
                element=StaticSelectElement(
                    action_id=MENTOR_BLOCK,
                    placeholder=PlainTextObject(text="Choose a mentor"),
                    options=[Option(value=m.user_id, label=clip(m.label, 75)) for m in mentors[:100]],
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=TOPIC_BLOCK,
            optional=True,
            label=PlainTextObject(text="What would you like to talk about? (optional)"),
            hint=PlainTextObject(text=f"A few words are plenty. {PATIENT_HINT}"),
            element=PlainTextInputElement(
                action_id=TOPIC_BLOCK,
                max_length=TOPIC_MAX_CHARS,
                placeholder=PlainTextObject(text="e.g. How my case presentations are landing"),
            ),
        ),
        context(
            "Your mentor gets one message with three quick answers, and I'll tell you theirs. "
            + NOT_ANONYMOUS
        ),
    ]
    view = View(
        type="modal",
        callback_id=ASK_VIEW,
        title=PlainTextObject(text="Feedback chat"),
        submit=PlainTextObject(text="Send request"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def ask_from_view(state: ModalState) -> tuple[str | None, str]:
    """(the chosen mentor's user id, or None when the modal offered just one; the topic)."""
    return state.selected(MENTOR_BLOCK), state.raw_text(TOPIC_BLOCK)


def _outcome_words(card: RequestCard) -> str:
    if card.status == FeedbackStatus.PENDING:
        return "waiting for an answer"
    if card.status in ANSWER_LABELS:
        return f"*{ANSWER_LABELS[card.status]}*"
    return {
        FeedbackStatus.SUPERSEDED: "replaced by a newer request",
        FeedbackStatus.CLOSED: "no answer within a week",
        FeedbackStatus.ENDED: "closed: the pairing ended",
        FeedbackStatus.UNDELIVERED: "couldn't be delivered",
    }.get(card.status, card.status)


def home_section(recent: Sequence[RequestCard]) -> list[Block]:
    """The mentee's Home: what a feedback chat is, the button, and their last few requests."""
    blocks: list[Block] = [
        section(
            "*Feedback chats*\nA few minutes with your mentor about how things are going — feedback goes "
            "both ways. Ask when it suits you; they'll see the request comes from you."
        ),
        ActionsBlock(
            block_id="feedback_home",
            elements=[_button("Ask for a feedback chat", HOME_ASK, "home", style="primary")],
        ),
    ]
    if recent:
        lines = [
            f"{card.asked_on} · {mention(card.mentor_user_id, former='a former mentor')} · "
            f"{_outcome_words(card)}"
            for card in recent[:HOME_RECENT]
        ]
        blocks.append(context("\n".join(lines)))
    return blocks
