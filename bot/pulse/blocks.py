"""Check-in messages and the check-in modal (pure: data in, Block Kit dicts out), and
reading a submitted modal.

The invitation DM says what it is and has one button; the button opens a modal with the
seven one-tap items (and, for mentees, an optional comment), so one submission stores
everything at once — no partial answer is ever kept.

The mentee's button and modal have ids starting with "anon:" so the request log leaves
the user out of their lines (`handlers.request_log`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import UNATTRIBUTED_PREFIX, context, section, to_dicts
from bot.blocks.state import ModalState
from bot.pulse.items import ITEMS, MENTEE_LEAD, MENTOR_LEAD, NOT_APPLICABLE, Item
from bot.pulse.rules import parse_number
from bot.pulse.types import Answers, Invitation, PulseInputError

OPEN_ACTION = f"{UNATTRIBUTED_PREFIX}pulse_open"
ANSWER_CALLBACK = f"{UNATTRIBUTED_PREFIX}pulse_answer"
SELF_CALLBACK = "pulse_self_answer"
COMMENT_BLOCK = "comment"
COMMENT_MAX_CHARS = 500
NA_VALUE = "na"
MENTEE = "mentee"


def item_block(key: str) -> str:
    """The block id (and action id) of an item's radio buttons."""
    return f"item_{key}"


def long_day(local: datetime) -> str:
    """A local datetime as "Tuesday 2 February"."""
    return f"{local:%A} {local.day} {local:%B}"


def closing_time(local: datetime) -> str:
    """When a check-in closes, in the recipient's words: "Tuesday 2 February at 09:00"."""
    return f"{long_day(local)} at {local:%H:%M}"


def _anonymity_line(invitation: Invitation) -> str:
    who = f"<@{invitation.mentor_user}>"
    return (
        f"Your answers are anonymous: {who} and your program never see them on their own — only combined "
        f"with other mentees' answers, at least {invitation.anonymity_min} different mentees in all (you "
        "included), after the quarter has ended."
    )


def invitation_text(invitation: Invitation) -> str:
    """The notification text of a check-in message."""
    if invitation.kind != MENTEE:
        return "Your self-check: one minute on your own mentoring"
    if invitation.close_out:
        return "One last check-in about your mentoring pair that has ended"
    return "A one-minute check-in about your mentoring"


def _invitation_words(invitation: Invitation) -> str:
    who = f"<@{invitation.mentor_user}>"
    if invitation.kind != MENTEE:
        opening = "*Still open: your self-check*" if invitation.reminder else "*Your self-check: one minute*"
        return (
            f"{opening}\nThe same seven one-tap questions your mentees answer about you, asked of you. "
            "Only you "
            "see your answers; once your mentees' answers can be shown, `/mentor pulse` shows where you and "
            "they see things differently."
        )
    if invitation.reminder:
        opening = f"*Still open: your check-in about mentoring with {who}*\nIf you have a minute this week:"
    elif invitation.close_out:
        opening = f"*Your mentoring pair with {who} has ended — one last check-in?*\nHow did it go overall:"
    else:
        opening = f"*A one-minute check-in about your mentoring with {who}*\nHow is it going lately:"
    return f"{opening} seven one-tap questions, and a comment if you like.\n{_anonymity_line(invitation)}"


def invitation_blocks(invitation: Invitation) -> list[dict[str, Any]]:
    """The check-in DM: what it is, one button, and until when it is open."""
    label = "Start — under a minute" if invitation.kind != MENTEE else "Answer — under a minute"
    closing = (
        "This is the only reminder." if invitation.reminder else "No need to answer if you'd rather not."
    )
    return to_dicts(
        [
            section(_invitation_words(invitation), block_id="pulse_text"),
            ActionsBlock(
                block_id="pulse_actions",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text=label),
                        action_id=OPEN_ACTION,
                        value=str(invitation.round_id),
                        style="primary",
                    )
                ],
            ),
            context(f"Open until {invitation.closes_on}. {closing} `/mentor privacy` says what is kept."),
        ]
    )


def answered_blocks(invitation: Invitation) -> list[dict[str, Any]]:
    """The check-in DM once answered: the button gone, a thank-you."""
    if invitation.kind != MENTEE:
        text = "✅ Self-check saved — thank you. `/mentor pulse` shows your results."
    else:
        text = (
            f"✅ Thank you — your check-in about mentoring with <@{invitation.mentor_user}> is in. "
            "It is kept sealed and without your name, and shown only combined with other mentees' answers — "
            f"at least {invitation.anonymity_min} different mentees in all, you included."
        )
    return to_dicts([section(text, block_id="pulse_text")])


def answered_text(invitation: Invitation) -> str:
    """Notification text of the answered message."""
    return (
        "Self-check saved — thank you." if invitation.kind != MENTEE else "Thank you — your check-in is in."
    )


# --- the modal -----------------------------------------------------------------------------


def _options(item: Item, *, for_mentor: bool) -> list[Option]:
    labels = item.scale.mentor if for_mentor else item.scale.mentee
    options = [Option(value=str(i + 1), label=text) for i, text in enumerate(labels)]
    return [*options, Option(value=NA_VALUE, label=NOT_APPLICABLE)]


def _item_input(item: Item, *, for_mentor: bool) -> InputBlock:
    question = item.mentor if for_mentor else item.mentee
    if item.practice is not None:
        question = f"{item.title}: {question}"
    return InputBlock(
        block_id=item_block(item.key),
        label=PlainTextObject(text=question),
        element=RadioButtonsElement(
            action_id=item_block(item.key), options=_options(item, for_mentor=for_mentor)
        ),
    )


def metadata(round_id: int, channel: str | None, ts: str | None) -> str:
    """What the modal carries back: the round, and the message to update once answered."""
    return f"{round_id}|{channel or ''}|{ts or ''}"


def parse_metadata(text: str | None) -> tuple[int | None, str | None, str | None]:
    """(round id, channel, ts) from a modal's private metadata; None for what is missing."""
    round_id, _, rest = str(text or "").partition("|")
    channel, _, ts = rest.partition("|")
    return parse_number(round_id), channel or None, ts or None


def check_in_modal(invitation: Invitation, channel: str | None, ts: str | None) -> dict[str, Any]:
    """The modal with the seven items (and, for mentees, the optional comment)."""
    for_mentor = invitation.kind != MENTEE
    if for_mentor:
        intro = "Only you see these answers. One tap each; “Doesn't apply” is fine."
    else:
        about = "how it went overall" if invitation.close_out else "how it's going lately"
        intro = (
            f"About your mentoring with <@{invitation.mentor_user}> — {about}. {_anonymity_line(invitation)}"
        )
    blocks: list[Any] = [section(intro), section(f"*{MENTOR_LEAD if for_mentor else MENTEE_LEAD}*")]
    blocks += [_item_input(item, for_mentor=for_mentor) for item in ITEMS]
    if not for_mentor:
        blocks.append(
            InputBlock(
                block_id=COMMENT_BLOCK,
                optional=True,
                label=PlainTextObject(text="Anything you'd like your mentor to hear? (optional)"),
                hint=PlainTextObject(
                    text="Your mentor sees it word for word, without your name, in random order with any "
                    f"other comments — only once at least {invitation.anonymity_min} different mentees' "
                    "answers (yours included) can be shown together, after the quarter ends. Please leave "
                    "out anything that could identify a patient — names, dates of birth, record or phone "
                    "numbers."
                ),
                element=PlainTextInputElement(
                    action_id=COMMENT_BLOCK, multiline=True, max_length=COMMENT_MAX_CHARS
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=SELF_CALLBACK if for_mentor else ANSWER_CALLBACK,
        private_metadata=metadata(invitation.round_id, channel, ts),
        title=PlainTextObject(text="Your self-check" if for_mentor else "Mentoring check-in"),
        submit=PlainTextObject(text="Save" if for_mentor else "Send"),
        close=PlainTextObject(text="Not now"),
        blocks=blocks,
    )
    return view.to_dict()


def answers_from_view(state: ModalState, *, with_comment: bool) -> Answers:
    """The submitted items (and comment); PulseInputError names every item left out."""
    values: list[tuple[str, int | None]] = []
    missing: dict[str, str] = {}
    for item in ITEMS:
        chosen = state.selected(item_block(item.key))
        if chosen == NA_VALUE:
            values.append((item.key, None))
        elif chosen in ("1", "2", "3", "4"):
            values.append((item.key, int(chosen)))
        else:
            missing[item_block(item.key)] = "Please pick one (or “Doesn't apply”)."
    if missing:
        raise PulseInputError(missing)
    comment = state.raw_text(COMMENT_BLOCK) if with_comment else ""
    return Answers(tuple(values), comment or None)


def thanks_view(invitation: Invitation) -> dict[str, Any]:
    """What the modal turns into once the answer is stored."""
    if invitation.kind != MENTEE:
        text = "Saved — thank you. `/mentor pulse` shows your self-check, and the gap once it can be shown."
    else:
        text = (
            "Thank you — that's all. Your answers are kept sealed and without your name, and your mentor "
            f"sees them only combined with other mentees' answers — at least {invitation.anonymity_min} "
            "different mentees in all, you included, after the quarter has ended."
        )
    return View(
        type="modal",
        title=PlainTextObject(text="Thank you"),
        close=PlainTextObject(text="Done"),
        blocks=[section(text)],
    ).to_dict()


def closed_view(reason: str) -> dict[str, Any]:
    """What the modal turns into when the check-in could not take the answer."""
    return View(
        type="modal",
        title=PlainTextObject(text="Check-in"),
        close=PlainTextObject(text="Close"),
        blocks=[section(reason)],
    ).to_dict()
