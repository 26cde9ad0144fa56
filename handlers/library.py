"""`/mentor nudges` for program admins: see the library, add the program's own nudges,
switch nudges off and on. Thin: parse, call `bot.custom_nudges`, render `bot.blocks.library`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.exc import OperationalError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.library.blocks import (
    ADD_BUTTON_ACTION,
    ADD_CALLBACK_ID,
    TOGGLE_ACTION,
    add_nudge_modal,
    added_view,
    draft_from_view,
    overview_message,
    page_count,
    practice_message,
    toggle_message,
    usage_text,
)
from bot.library.custom import (
    add_custom_nudge,
    library_overview,
    practice_entries,
    resolve_practice,
    set_nudge_enabled,
)
from bot.library.types import (
    FIELD_TEXT,
    PRACTICES,
    ChangeRefused,
    DraftRejected,
)
from bot.people import is_admin
from bot.privacy import NamesToConfirm
from handlers import privacy_ask
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

ON_WORDS = ("enable", "on")
OFF_WORDS = ("disable", "off")
DATABASE_DOWN = (
    "Mentor Nudge can't reach its database right now, so nothing was saved. Please try again in a minute."
)
ADMINS_ONLY = "Only program admins can change the nudge library. Ask your program director if you need this."


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `/mentor nudges …` and the listeners for its form and buttons."""
    router.add(
        "nudges",
        nudges_command,
        summary="the nudge library: see it, add your program's own, switch one off or on",
        usage="nudges [practice | add | disable <key> | enable <key>]",
        audience="admins",
    )

    @app.action(ADD_BUTTON_ACTION)
    def open_add_form(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if not _is_admin(deps, body):
            respond(text=ADMINS_ONLY, response_type="ephemeral", replace_original=False)
            return
        error = _open_form(deps, team_and_user(body)[0], body.get("trigger_id"), "")
        if error:
            respond(text=error, response_type="ephemeral", replace_original=False)

    @app.action(TOGGLE_ACTION)
    def undo_toggle(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if not _is_admin(deps, body):
            respond(text=ADMINS_ONLY, response_type="ephemeral", replace_original=False)
            return
        word, _, key = (body["actions"][0].get("value") or "").partition(" ")
        team_id, user_id = team_and_user(body)
        try:
            with transaction(deps.session_factory) as session:
                toggle = set_nudge_enabled(
                    session, team_id, user_id, key, enabled=word == "on", now=deps.now()
                )
        except ChangeRefused as refused:
            respond(text=str(refused), response_type="ephemeral", replace_original=False)
            return
        text, blocks = toggle_message(toggle, undo=False)
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        log.info("team=%s user=%s nudges undo: %s %s", team_id, user_id, word, toggle.nudge.key)

    @app.view(ADD_CALLBACK_ID)
    def submit_new_nudge(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id, user_id = team_and_user(body)
        draft = draft_from_view(ModalState.of_view(view))
        try:
            if not _is_admin(deps, body):
                ack(response_action="errors", errors={FIELD_TEXT: ADMINS_ONLY})
                return
            with transaction(deps.session_factory) as session:
                nudge = add_custom_nudge(session, team_id, user_id, draft, deps.now())
        except NamesToConfirm as asking:
            privacy_ask.ask_about_names(ack, view, asking.names, field=FIELD_TEXT)
            return
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            log.info("team=%s user=%s nudges add: refused (%s)", team_id, user_id, ", ".join(rejected.errors))
            return
        except OperationalError:
            log.exception("team=%s user=%s nudges add: database unavailable", team_id, user_id)
            ack(
                response_action="errors",
                errors={FIELD_TEXT: DATABASE_DOWN},
            )
            return
        ack(response_action="update", view=added_view(nudge))
        log.info("team=%s user=%s nudges add: stored %s", team_id, user_id, nudge.key)

    privacy_ask.resubmittable(
        ADD_CALLBACK_ID, lambda ack, body, view, client: submit_new_nudge(ack, body, view)
    )


def nudges_command(call: CommandCall) -> None:
    """`/mentor nudges [page | practice [page] | add [text] | disable <key> | enable <key>]`."""
    args = call.args
    if not args:
        _show_overview(call, "1")
        return
    word = args[0].lower()
    if word.isdigit() and len(args) == 1:
        _show_overview(call, word)
    elif word == "add":
        call.ack()
        error = _open_form(call.deps, call.team_id, call.trigger_id, call.rest[len(args[0]) :].strip())
        if error:
            call.reply(error)
    elif word in ON_WORDS + OFF_WORDS:
        _toggle(call, word in ON_WORDS)
    elif (practice := resolve_practice(word)) and (len(args) == 1 or (len(args) == 2 and args[1].isdigit())):
        _show_practice(call, practice, args[1] if len(args) == 2 else "1")
    else:
        call.reply(f"I don't know `{' '.join(args)}` here. {usage_text()}")


def _page(call: CommandCall, raw: str, total: int, command: str) -> int | None:
    pages = page_count(total)
    number = int(raw)
    if 1 <= number <= pages:
        return number
    call.reply(
        f"There {'is only 1 page' if pages == 1 else f'are {pages} pages'} — try `{command}`"
        + (f" or `{command} {pages}`." if pages > 1 else ".")
    )
    return None


def _show_overview(call: CommandCall, raw_page: str) -> None:
    with transaction(call.deps.session_factory) as session:
        shelves = library_overview(session, call.team_id)
    total = sum(len(s.custom) for s in shelves)
    number = _page(call, raw_page, total, "/mentor nudges")
    if number is not None:
        text, blocks = overview_message(shelves, number)
        call.reply(text, blocks)


def _show_practice(call: CommandCall, practice: str, raw_page: str) -> None:
    with transaction(call.deps.session_factory) as session:
        entries = practice_entries(session, call.team_id, practice)
    number = _page(call, raw_page, len(entries), f"/mentor nudges {practice}")
    if number is not None:
        text, blocks = practice_message(PRACTICES[practice], entries, number)
        call.reply(text, blocks)


def _toggle(call: CommandCall, enabled: bool) -> None:
    verb = "enable" if enabled else "disable"
    if len(call.args) != 2:
        call.reply(
            f"Which nudge? Type `/mentor nudges {verb} <key>`, one key at a time — for example "
            f"`/mentor nudges {verb} custom:3`. `/mentor nudges care` lists that practice's keys."
        )
        return
    try:
        with transaction(call.deps.session_factory) as session:
            toggle = set_nudge_enabled(
                session, call.team_id, call.user_id, call.args[1], enabled=enabled, now=call.deps.now()
            )
    except ChangeRefused as refused:
        call.reply(str(refused))
        return
    text, blocks = toggle_message(toggle)
    call.reply(text, blocks)


def _open_form(deps: Deps, team_id: str, trigger_id: str | None, initial_text: str) -> str | None:
    """Open the "Add a nudge" modal; returns what to tell the admin if it did not open."""
    error = open_modal(deps, trigger_id, add_nudge_modal(initial_text), what="nudges add", team_id=team_id)
    if error is None:
        return None
    return (
        f"I couldn't open the form ({why_not_opened(error)}), and nothing was changed. "
        "Please type `/mentor nudges add` again."
    )


def _is_admin(deps: Deps, body: dict[str, Any]) -> bool:
    # The command router checks admins; forms and buttons are checked again here,
    # because an old message or modal can outlive someone's admin role.
    team_id, user_id = team_and_user(body)
    with transaction(deps.session_factory) as session:
        return is_admin(session, deps.settings, team_id, user_id)
