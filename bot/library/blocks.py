"""Messages and modals for `/mentor nudges`: the library overview, one practice in
full, the "Add a nudge" form and its confirmation, and switch on/off replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

from bot.blocks.common import chunk_lines, clip, context, divider, escape, header, section, to_dicts
from bot.blocks.state import ModalState
from bot.library.types import (
    FIELD_CHOICES,
    FIELD_PRACTICE,
    FIELD_QUESTION,
    FIELD_TEXT,
    FOLLOWUP_CHOICE_LIMIT,
    FOLLOWUP_CHOICES_MAX,
    FOLLOWUP_QUESTION_LIMIT,
    MENTEE_PLACEHOLDER,
    PRACTICES,
    TEXT_STYLE_LIMIT,
    LibraryEntry,
    Nudge,
    NudgeDraft,
    Practice,
    PracticeShelf,
    Toggle,
)

ADD_CALLBACK_ID = "library_add"
ADD_BUTTON_ACTION = "library_add_open"
TOGGLE_ACTION = "library_toggle"

# How many nudges one reply lists. Each entry is at most ~360 characters, so a page
# fits in a handful of sections — far inside a message's 50 blocks.
PAGE_SIZE = 15
# In the overview, long texts are shortened; `/mentor nudges <practice>` shows them whole.
OVERVIEW_PREVIEW = 120


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    items: tuple[Any, ...]
    number: int
    count: int


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages `total` items fill (an empty list still has one page)."""
    return max(1, -(-total // size))


def paginate(items: Sequence[Any], number: int, size: int = PAGE_SIZE) -> Page:
    """Page `number` (1-based) of `items`; the caller checks `number` is in range."""
    start = (number - 1) * size
    return Page(tuple(items[start : start + size]), number, page_count(len(items), size))


def _state(enabled: bool) -> str:
    return "on" if enabled else "*off*"


def _entry_line(entry: LibraryEntry, *, preview: int | None = None, show_practice: bool = False) -> str:
    nudge = entry.nudge
    bits = [f"`{nudge.key}`", _state(entry.enabled)]
    if show_practice:
        bits.append(PRACTICES[nudge.practice].title)
    if nudge.followup:
        bits.append("with a follow-up")
    text = clip(nudge.text, preview) if preview else nudge.text
    return " · ".join(bits) + "\n>" + escape(text)


def _counts(shelf: PracticeShelf) -> str:
    builtin = f"{shelf.builtin_on + shelf.builtin_off} built-in"
    if shelf.builtin_off:
        builtin += f" ({shelf.builtin_off} switched off)"
    own = len(shelf.custom)
    if not own:
        return builtin
    mine = f"{own} of your own"
    if own - shelf.custom_on:
        mine += f" ({own - shelf.custom_on} switched off)"
    return f"{builtin} · {mine}"


def _pager(page: Page, command: str) -> str | None:
    if page.count <= 1:
        return None
    where = f"Page {page.number} of {page.count}."
    if page.number < page.count:
        where += f" Next: `{command} {page.number + 1}`"
    return where


def add_button() -> ActionsBlock:
    """The "Add a nudge" button (opens the same form as `/mentor nudges add`)."""
    return ActionsBlock(
        block_id="library_actions",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Add a nudge", emoji=True),
                action_id=ADD_BUTTON_ACTION,
                value="add",
                style="primary",
            )
        ],
    )


def overview_message(
    shelves: Sequence[PracticeShelf], page_number: int = 1
) -> tuple[str, list[dict[str, Any]]]:
    """`/mentor nudges`: counts per practice, then a page of the program's own nudges."""
    own = [entry for shelf in shelves for entry in shelf.custom]
    page = paginate(own, page_number)
    summary = [f"*{s.practice.title}* (`{s.practice.key}`): {_counts(s)}" for s in shelves]
    blocks: list[Block] = [
        header("Nudge library"),
        section("\n".join(summary)),
        divider(),
    ]
    if own:
        lines = [_entry_line(e, preview=OVERVIEW_PREVIEW, show_practice=True) for e in page.items]
        chunks = chunk_lines(lines)
        blocks.append(section("*Your program's own nudges*\n" + chunks[0]))
        blocks.extend(section(chunk) for chunk in chunks[1:])
    else:
        blocks.append(
            section(
                "*Your program's own nudges*\nNone yet. Add one and it joins the rotation beside the "
                "built-in ones."
            )
        )
    blocks.append(add_button())
    notes = [
        "See a practice in full, with keys: `/mentor nudges care` (or no_ego, mistakes_ok, own_errors, "
        "listen, autonomy). Switch one off: `/mentor nudges disable <key>`."
    ]
    pager = _pager(page, "/mentor nudges")
    if pager:
        notes.insert(0, pager)
    blocks.append(context(*notes))
    total_on = sum(s.builtin_on + s.custom_on for s in shelves)
    text = (
        f"Nudge library: {total_on} nudges switched on across {len(shelves)} practices, "
        f"{len(own)} of your own."
    )
    return text, to_dicts(blocks)


def practice_message(
    practice: Practice, entries: Sequence[LibraryEntry], page_number: int = 1
) -> tuple[str, list[dict[str, Any]]]:
    """`/mentor nudges <practice>`: every nudge of one practice, with keys and state."""
    page = paginate(entries, page_number)
    on = sum(1 for e in entries if e.enabled)
    blocks: list[Block] = [
        header(practice.title),
        section(f"_{practice.summary.capitalize()}._ {on} of {len(entries)} nudges switched on."),
    ]
    builtin = [_entry_line(e) for e in page.items if not e.nudge.custom]
    own = [_entry_line(e) for e in page.items if e.nudge.custom]
    for title, lines in (("Built-in", builtin), ("Your program's own", own)):
        if lines:
            chunks = chunk_lines(lines)
            blocks.append(section(f"*{title}*\n" + chunks[0]))
            blocks.extend(section(chunk) for chunk in chunks[1:])
    notes = [
        f"Switch one off: `/mentor nudges disable <key>` · back on: `/mentor nudges enable <key>`. "
        f"{MENTEE_PLACEHOLDER} becomes the mentee's name."
    ]
    pager = _pager(page, f"/mentor nudges {practice.key}")
    if pager:
        notes.insert(0, pager)
    blocks.append(context(*notes))
    text = f"{practice.title}: {on} of {len(entries)} nudges switched on."
    return text, to_dicts(blocks)


def toggle_message(toggle: Toggle, *, undo: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The reply to switching a nudge off or on, with an Undo button when it changed."""
    key = toggle.nudge.key
    if not toggle.changed:
        text = f"`{key}` is already {'on' if toggle.enabled else 'off'} for your program; nothing changed."
    elif toggle.enabled:
        text = f"Switched `{key}` back on. It's in your mentors' rotation again."
    else:
        text = (
            f"Switched `{key}` off for your program. Mentors won't get it until you switch it back "
            "on; past answers to it stay in the history."
        )
    blocks: list[Block] = [section(f"{text}\n>{escape(toggle.nudge.text)}")]
    if toggle.changed and undo:
        blocks.append(
            ActionsBlock(
                block_id="library_toggle",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Undo"),
                        action_id=TOGGLE_ACTION,
                        value=f"{'off' if toggle.enabled else 'on'} {key}",
                    )
                ],
            )
        )
    return text, to_dicts(blocks)


def add_nudge_modal(initial_text: str = "") -> dict[str, Any]:
    """The "Add a nudge" form: practice, text, and an optional one-tap follow-up."""
    options = [Option(value=p.key, text=PlainTextObject(text=clip(p.title, 75))) for p in PRACTICES.values()]
    blocks: list[Block] = [
        section(
            "Write one small thing a mentor can do in under five minutes, in a warm, plain voice. "
            "It joins the rotation beside the built-in nudges."
        ),
        InputBlock(
            block_id=FIELD_PRACTICE,
            label=PlainTextObject(text="Practice"),
            element=StaticSelectElement(
                action_id=FIELD_PRACTICE,
                placeholder=PlainTextObject(text="Choose a practice"),
                options=options,
            ),
        ),
        InputBlock(
            block_id=FIELD_TEXT,
            label=PlainTextObject(text="Nudge"),
            hint=PlainTextObject(
                text=f"Write {MENTEE_PLACEHOLDER} where the mentee's name should go. "
                f"Up to {TEXT_STYLE_LIMIT} characters."
            ),
            element=PlainTextInputElement(
                action_id=FIELD_TEXT,
                multiline=True,
                max_length=TEXT_STYLE_LIMIT,
                initial_value=clip(initial_text, TEXT_STYLE_LIMIT) or None,
                placeholder=PlainTextObject(
                    text="Ask {mentee} what they'd like more of from you this month."
                ),
            ),
        ),
        InputBlock(
            block_id=FIELD_QUESTION,
            optional=True,
            label=PlainTextObject(text="Follow-up question (optional)"),
            hint=PlainTextObject(text="Asked once the mentor marks the nudge done."),
            element=PlainTextInputElement(
                action_id=FIELD_QUESTION,
                max_length=FOLLOWUP_QUESTION_LIMIT,
                placeholder=PlainTextObject(text="How did it go?"),
            ),
        ),
        InputBlock(
            block_id=FIELD_CHOICES,
            optional=True,
            label=PlainTextObject(text="Follow-up choices"),
            hint=PlainTextObject(
                text=f"2 to {FOLLOWUP_CHOICES_MAX} one-tap answers, one per line, "
                f"up to {FOLLOWUP_CHOICE_LIMIT} characters each."
            ),
            element=PlainTextInputElement(
                action_id=FIELD_CHOICES,
                multiline=True,
                max_length=(FOLLOWUP_CHOICE_LIMIT + 1) * FOLLOWUP_CHOICES_MAX,
                placeholder=PlainTextObject(text="Good conversation\nBrief check-in\nDidn't get to it"),
            ),
        ),
        context(
            "Never include anything about a patient. Nudges are checked for identifiers "
            "(record numbers, dates of birth, phone numbers) before they are saved."
        ),
    ]
    view = View(
        type="modal",
        callback_id=ADD_CALLBACK_ID,
        title=PlainTextObject(text="Add a nudge"),
        submit=PlainTextObject(text="Add nudge"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def added_view(nudge: Nudge) -> dict[str, Any]:
    """The form's last screen: what was added, and how a mentor will read it."""
    practice = PRACTICES[nudge.practice]
    blocks: list[Block] = [
        section(f"Added `{nudge.key}` to *{practice.title}*. It joins your mentors' rotation from now on."),
        section("*How a mentor will read it:*\n>" + nudge.render()),
    ]
    if nudge.followup:
        choices = " · ".join(escape(c) for c in nudge.followup.choices)
        blocks.append(section(f"*Then:* {escape(nudge.followup.question)}\n{choices}"))
    blocks.append(context(f"Switch it off any time: `/mentor nudges disable {nudge.key}`"))
    view = View(
        type="modal",
        callback_id=f"{ADD_CALLBACK_ID}_done",
        title=PlainTextObject(text="Nudge added"),
        close=PlainTextObject(text="Done"),
        blocks=blocks,
    )
    return view.to_dict()


def usage_text() -> str:
    """What `/mentor nudges` understands, for a bad argument."""
    return (
        "Try `/mentor nudges` (the library), `/mentor nudges care` (one practice — or no_ego, "
        "mistakes_ok, own_errors, listen, autonomy), `/mentor nudges add`, "
        "`/mentor nudges disable <key>` or `/mentor nudges enable <key>`."
    )


def draft_from_view(state: ModalState) -> NudgeDraft:
    """What an admin typed into the "Add a nudge" form (checked by the service)."""
    return NudgeDraft(
        practice=state.selected(FIELD_PRACTICE) or None,
        text=state.raw_text(FIELD_TEXT),
        question=state.raw_text(FIELD_QUESTION),
        choices=state.raw_text(FIELD_CHOICES),
    )
