"""Agreement messages and the modal (pure: data in, Block Kit out): the invitation to
draft, the drafting modal (and reading it), a proposal with *Confirm* / *Suggest
changes*, the agreed version, the review with a mark per goal, and Home's goals.
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
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.agreements.rules import FEEDBACK_BLOCK, GOAL_BLOCKS, MEET_BLOCK, NOTE_BLOCK, REACH_BLOCK
from bot.agreements.types import (
    AGREED,
    CHANGED,
    END,
    FIELD_MAX_CHARS,
    GOAL_MAX_CHARS,
    MEETING_CHOICES,
    MENTEE,
    MET,
    NOTE_MAX_CHARS,
    STATE_LABELS,
    WORKING,
    AgreementCard,
    AgreementSummary,
    Draft,
    DraftContext,
    ReviewCard,
    VersionView,
)
from bot.blocks.common import BUTTON_TEXT_LIMIT, clip, context, escape, section, to_dicts
from bot.blocks.state import ModalState

# Action and view ids the handlers listen for.
DRAFT = "agreement.draft"
CONFIRM = "agreement.confirm"
SUGGEST = "agreement.suggest"
MARK = "agreement.mark"
DRAFT_VIEW = "agreement.draft_view"
PATIENT_HINT = "Please leave out anything that could identify a patient."
STATE_EMOJI = {MET: "✅", WORKING: "🔄", CHANGED: "✏️", None: "▫️"}


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=_plain(clip(text, BUTTON_TEXT_LIMIT)), action_id=action_id, value=value, style=style
    )


# --- the invitation -------------------------------------------------------------------------------


def invite_text(mentor_user_id: str) -> str:
    """The mentee's invitation to draft (also its notification text)."""
    return (
        f"You and <@{mentor_user_id}> are starting out. Mentoring goes further with a few agreed goals: "
        "would you draft a short agreement? Up to three goals, how often you'd like to meet, how to reach "
        "each other and how you like feedback — your mentor confirms or suggests changes."
    )


def invite_blocks(mentor_user_id: str, pair_id: int) -> list[dict[str, Any]]:
    """The invitation with its *Draft our agreement* button."""
    return to_dicts(
        [
            section(invite_text(mentor_user_id)),
            ActionsBlock(
                block_id="agreement_invite",
                elements=[_button("Draft our agreement", DRAFT, str(pair_id), style="primary")],
            ),
            context("Takes about five minutes. You can change it together later; every version is kept."),
        ]
    )


# --- the modal -------------------------------------------------------------------------------------


def _text_input(
    block: str, label: str, *, limit: int, initial: str | None, placeholder: str, hint: str
) -> InputBlock:
    return InputBlock(
        block_id=block,
        optional=True,
        label=_plain(label),
        hint=_plain(hint),
        element=PlainTextInputElement(
            action_id=block,
            max_length=limit,
            initial_value=initial or None,
            placeholder=_plain(placeholder),
        ),
    )


GOAL_PLACEHOLDERS = (
    "e.g. Lead a family meeting with support by spring",
    "e.g. Present at journal club once this term",
    "e.g. Get faster at writing discharge summaries",
)


def draft_modal(context_: DraftContext) -> dict[str, Any]:
    """The agreement form: three goal boxes, how often to meet, how to reach each other,
    feedback wishes, and (for a counter-proposal) a note to the other person."""
    initial = context_.initial or Draft(goals=())
    other = f"<@{context_.other_user_id}>"
    intro = (
        f"Your agreement with {other}. They'll see it and can confirm or suggest changes."
        if context_.base_version is None
        else f"Change what you'd like; {other} will see your version and can confirm it or suggest changes."
    )
    blocks: list[Block] = [section(intro)]
    for number, block in enumerate(GOAL_BLOCKS):
        goal = initial.goals[number] if number < len(initial.goals) else None
        blocks.append(
            _text_input(
                block,
                f"Goal {number + 1}" + (" (optional)" if number else ""),
                limit=GOAL_MAX_CHARS,
                initial=goal,
                placeholder=GOAL_PLACEHOLDERS[number],
                hint=f"Something you can both tell is done. {PATIENT_HINT}" if number == 0 else PATIENT_HINT,
            )
        )
    options = [Option(value=key, label=label) for key, label in MEETING_CHOICES.items()]
    chosen = next((o for o in options if o.value == initial.meet_every), None)
    blocks.append(
        InputBlock(
            block_id=MEET_BLOCK,
            optional=True,
            label=_plain("How often to meet"),
            element=StaticSelectElement(
                action_id=MEET_BLOCK, placeholder=_plain("Choose"), options=options, initial_option=chosen
            ),
        )
    )
    blocks.append(
        _text_input(
            REACH_BLOCK,
            "How to reach each other",
            limit=FIELD_MAX_CHARS,
            initial=initial.reach,
            placeholder="e.g. Slack DM; a page only if urgent",
            hint=PATIENT_HINT,
        )
    )
    blocks.append(
        _text_input(
            FEEDBACK_BLOCK,
            "How you like feedback",
            limit=FIELD_MAX_CHARS,
            initial=initial.feedback,
            placeholder="e.g. Straight after a case, briefly; the big picture monthly",
            hint=PATIENT_HINT,
        )
    )
    if context_.base_version is not None:
        blocks.append(
            _text_input(
                NOTE_BLOCK,
                "A note about your changes (optional)",
                limit=NOTE_MAX_CHARS,
                initial=None,
                placeholder="e.g. I'd aim a little lower for the first goal",
                hint=PATIENT_HINT,
            )
        )
    metadata = {
        "pair": context_.pair_id,
        "agreement": context_.agreement_id,
        "base": context_.base_version,
    }
    view = View(
        type="modal",
        callback_id=DRAFT_VIEW,
        private_metadata=json.dumps(metadata),
        title=_plain("Mentoring agreement"),
        submit=_plain("Send"),
        close=_plain("Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def read_draft_form(state: ModalState) -> dict[str, Any]:
    """The modal's fields as typed (the service checks them)."""
    return {
        "goals": [state.raw_text(block) for block in GOAL_BLOCKS],
        "meet_every": state.selected(MEET_BLOCK),
        "reach": state.raw_text(REACH_BLOCK),
        "feedback": state.raw_text(FEEDBACK_BLOCK),
        "note": state.raw_text(NOTE_BLOCK),
    }


def read_draft_metadata(view: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(pair id, agreement id, base version) from the modal's metadata."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None, None, None

    def number(key: str) -> int | None:
        value = data.get(key) if isinstance(data, dict) else None
        return value if isinstance(value, int) else None

    return number("pair"), number("agreement"), number("base")


# --- showing an agreement --------------------------------------------------------------------------


def version_lines(version: VersionView, states: Sequence[str | None] = ()) -> str:
    """The goals and the ways of working, as mrkdwn."""
    draft = version.draft
    goals = []
    for index, goal in enumerate(draft.goals):
        state = states[index] if index < len(states) else None
        mark = f"{STATE_EMOJI[state]} " if states else f"{index + 1}. "
        suffix = f" _({STATE_LABELS[state]})_" if state else ""
        goals.append(f"{mark}{escape(goal)}{suffix}")
    lines = ["*Goals*", *goals]
    if draft.meet_every:
        lines.append(f"*Meeting:* {MEETING_CHOICES.get(draft.meet_every, draft.meet_every)}")
    if draft.reach:
        lines.append(f"*Reaching each other:* {escape(draft.reach)}")
    if draft.feedback:
        lines.append(f"*Feedback:* {escape(draft.feedback)}")
    return "\n".join(lines)


def proposal_text(card: AgreementCard) -> str:
    """The notification text of a proposal."""
    return f"<@{card.latest.author_user_id}> sent you a mentoring agreement to look at."


def proposal_blocks(card: AgreementCard, reader_user_id: str) -> list[dict[str, Any]]:
    """A proposal as its reader sees it: with *Confirm* / *Suggest changes* while it waits
    for them, else where it stands."""
    latest = card.latest
    author = f"<@{latest.author_user_id}>"
    changed = " (a changed version)" if latest.number > 1 else ""
    blocks: list[Block] = [section(f"*{author} proposes this mentoring agreement{changed}:*")]
    if latest.draft.note:
        blocks.append(section(f"Their note: “{escape(latest.draft.note)}”"))
    blocks.append(section(version_lines(latest)))
    value = f"{card.agreement_id}:{latest.number}"
    if card.awaiting_user_id == reader_user_id:
        mentee_reads = reader_user_id == card.mentee_user_id
        role_words = ("Accept", "Edit") if mentee_reads else ("Confirm", "Suggest changes")
        blocks.append(
            ActionsBlock(
                block_id="agreement_answer",
                elements=[
                    _button(role_words[0], CONFIRM, value, style="primary"),
                    _button(role_words[1], SUGGEST, value),
                ],
            )
        )
        written = f"Version {latest.number} · written {latest.written_on}."
        blocks.append(context(f"{written} Every version is kept."))
    else:
        blocks.append(context(status_words(card, reader_user_id)))
    return to_dicts(blocks)


def status_words(card: AgreementCard, reader_user_id: str) -> str:
    """Where the agreement stands, for whoever reads it."""
    if card.status == AGREED and card.agreed is not None:
        return f"✅ Agreed (version {card.agreed.number}). You'll both get a review halfway and at the end."
    waiting = card.awaiting_user_id
    if waiting == reader_user_id:
        return "Waiting for your answer."
    if waiting:
        return f"Waiting for <@{waiting}> to confirm or suggest changes."
    return "This agreement is closed."


def agreed_text(card: AgreementCard, reader_user_id: str) -> str:
    """The notification text once the agreement is agreed."""
    return f"Your mentoring agreement with <@{card.other(reader_user_id)}> is agreed."


def agreed_blocks(card: AgreementCard, reader_user_id: str) -> list[dict[str, Any]]:
    """The agreed version as both people see it."""
    assert card.agreed is not None
    other = card.other(reader_user_id)
    return to_dicts(
        [
            section(f"*Your mentoring agreement with <@{other}> is agreed.* 🎉"),
            section(version_lines(card.agreed)),
            context(
                f"Version {card.agreed.number}. You'll both get a short review halfway and at the end of the "
                "cycle. `/mentor agreement` shows it, or proposes changes."
            ),
        ]
    )


# --- reviews ---------------------------------------------------------------------------------------


def review_text(card: ReviewCard) -> str:
    """The notification text of a review."""
    when = "Halfway" if card.stage != END else "The end of the cycle"
    return f"{when}: how are the goals in your agreement with <@{card.other_user_id}> going?"


def review_blocks(card: ReviewCard) -> list[dict[str, Any]]:
    """Each goal with *Met* / *Still working on it* / *Changed* (the chosen one marked)."""
    blocks: list[Block] = [section(f"*{review_text(card)}*")]
    for index, goal in enumerate(card.goals):
        state = card.states[index] if index < len(card.states) else None
        suffix = f" — _{STATE_LABELS[state]}_" if state else ""
        blocks.append(section(f"{STATE_EMOJI[state]} {escape(goal)}{suffix}"))
        blocks.append(
            ActionsBlock(
                block_id=f"agreement_goal_{index}",
                elements=[
                    _button(
                        ("✓ " if state == choice else "") + STATE_LABELS[choice],
                        MARK,
                        f"{card.agreement_id}:{card.stage}:{index}:{choice}",
                    )
                    for choice in (MET, WORKING, CHANGED)
                ],
            )
        )
    closing = (
        "When the goals have run their course, `/mentor agreement` starts the next agreement."
        if card.stage == END
        else "Either of you can mark a goal; a second click changes it. Your program sees only counts."
    )
    blocks.append(context(closing))
    return to_dicts(blocks)


# --- Home --------------------------------------------------------------------------------------------


def goals_blocks(summaries: Sequence[AgreementSummary]) -> list[Block]:
    """Home's *Our goals* section: each agreement's goals and their state."""
    if not summaries:
        return []
    blocks: list[Block] = [section("*Mentoring agreements*")]
    for summary in summaries[:5]:
        lines = [
            f"{STATE_EMOJI[goal.state]} {escape(goal.text)}"
            + (f" _({STATE_LABELS[goal.state]})_" if goal.state else "")
            for goal in summary.goals
        ]
        head = f"With <@{summary.other_user_id}>"
        if summary.status == AGREED:
            head += f" · agreed {summary.agreed_on}" if summary.agreed_on else ""
            if summary.next_review:
                head += f" · next review {summary.next_review}"
        elif summary.waiting_for_you:
            head += " · waiting for your answer (see your DMs)"
        else:
            head += " · waiting for their answer"
        blocks.append(section(head + "\n" + "\n".join(lines)))
    if any(s.role == MENTEE for s in summaries):
        blocks.append(context("`/mentor agreement` shows an agreement or proposes changes."))
    return blocks
