"""Personal settings: `/mentor settings | timezone | pause | resume | stop | start`, the
settings modal, and the Resume / Undo buttons in their replies and on the Home tab.

Every reply is ephemeral. First sight of a person (or a stale profile) reads their
Slack profile before answering, after acknowledging, so the time zone in the reply is
theirs; known people get their answer in the acknowledgement itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App, Respond

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.home.service import publish_home
from bot.preferences import service as preferences
from bot.preferences.blocks import (
    RESUME_ACTION,
    SETTINGS_CALLBACK,
    START_ACTION,
    Reply,
    current_zone_reply,
    parse_settings_state,
    pause_reply,
    resume_reply,
    saved_modal,
    settings_modal,
    start_reply,
    stop_reply,
    timezone_reply,
)
from bot.preferences.types import FormErrors, PreferenceError
from bot.profiles import needs_profile, person_with_profile
from handlers.modals import NO_TRIGGER, open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

# What a preferences service returns (PauseOutcome, StopOutcome, …), handed to its reply.
Outcome = TypeVar("Outcome")


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add the settings subcommands and listen for the modal and the buttons."""
    router.add(
        "settings",
        open_settings_command,
        summary="choose when nudges come and the hours the app may message you",
    )
    router.add(
        "timezone",
        timezone_command,
        usage="timezone [Europe/London | auto]",
        summary="see or change your time zone (`auto` follows your Slack profile)",
        aliases=("tz",),
    )
    router.add(
        "pause",
        pause_command,
        usage="pause 2w | pause until 2027-01-10",
        summary="no messages for a while (days, weeks, or until a date)",
    )
    router.add("resume", resume_command, summary="end a pause now")
    router.add("stop", stop_command, summary="stop all messages from Mentor Nudge (one click to undo)")
    router.add("start", start_command, summary="turn messages back on after `stop`")

    @app.view(SETTINGS_CALLBACK)
    def submit_settings(ack: Ack, body: dict[str, Any]) -> None:
        handle_settings_submission(deps, ack, body)

    @app.action(RESUME_ACTION)
    def resume_button(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        handle_button(deps, body, respond, preferences.resume, resume_reply)

    @app.action(START_ACTION)
    def start_button(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        handle_button(deps, body, respond, preferences.start, start_reply)


def handle_button(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond,
    service: Callable[..., Outcome],
    reply: Callable[[Outcome], Reply],
) -> None:
    """Resume or Undo (start), in a reply or on Home: make the change, then show it where
    the button was."""
    team_id, user_id = team_and_user(body)
    with transaction(deps.session_factory) as session:
        outcome = service(session, deps.settings, team_id, user_id, now=deps.now())
    if _from_message(body):
        text, blocks = reply(outcome)
        respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
    publish_home(deps, team_id, user_id)


# --- slash subcommands ------------------------------------------------------------------


def open_settings_command(call: CommandCall) -> None:
    """`/mentor settings`: acknowledge, open the modal (the trigger lasts 3 s), then answer."""
    if call.args:
        call.reply("`/mentor settings` takes nothing after it: it opens a window with all your settings.")
        return
    # Acknowledge first: a slow views.open must not cost the whole request.
    call.ack()
    error = open_settings_modal(call.deps, call.trigger_id, call.team_id, call.user_id)
    if error:
        call.reply(
            f"I couldn't open your settings ({why_not_opened(error)}). Please try `/mentor settings` again; "
            "the window has to open within a few seconds of the command."
        )
        return
    # First sight: now that Slack has its answer, learn their zone for next time.
    person_with_profile(call.deps, call.team_id, call.user_id, enterprise_id=call.enterprise_id)


def open_settings_modal(deps: Deps, trigger_id: str | None, team_id: str, user_id: str) -> str | None:
    """Open the settings modal; returns an error code (see `handlers.modals`), or None.

    Reads only the database (no profile fetch) so the trigger id is still fresh.
    """
    if not trigger_id:
        return NO_TRIGGER
    with transaction(deps.session_factory) as session:
        personal = preferences.load(session, deps.settings, team_id, user_id, deps.now())
    return open_modal(deps, trigger_id, settings_modal(personal), what="settings", team_id=team_id)


def timezone_command(call: CommandCall) -> None:
    """`/mentor timezone`, `/mentor timezone Europe/London`, `/mentor timezone auto`."""
    if call.rest:
        _change(call, preferences.set_timezone, call.rest, reply=timezone_reply)
        return
    _know_caller(call)
    with transaction(call.deps.session_factory) as session:
        personal = preferences.load(session, call.deps.settings, call.team_id, call.user_id, call.deps.now())
    call.reply(*current_zone_reply(personal))


def pause_command(call: CommandCall) -> None:
    """`/mentor pause 2w`, `/mentor pause until 2027-01-10`, …"""
    _change(call, preferences.pause_for_text, call.rest, reply=pause_reply)


def resume_command(call: CommandCall) -> None:
    """`/mentor resume`: end a pause now."""
    if not _takes_nothing(call, "`/mentor resume` takes nothing after it: it ends your pause straight away."):
        return
    _change(
        call,
        preferences.resume,
        reply=resume_reply,
        changed=lambda outcome: outcome.was_paused or outcome.was_stopped,
    )


def stop_command(call: CommandCall) -> None:
    """`/mentor stop`: opt out of every message, with an Undo button in the reply."""
    refusal = (
        "`/mentor stop` takes nothing after it: it stops every message from Mentor Nudge. "
        "For a break, try `/mentor pause 2w`."
    )
    if not _takes_nothing(call, refusal):
        return
    # The stop reply names no local time, so there is no Slack profile to read first.
    _change(
        call,
        preferences.stop,
        reply=stop_reply,
        changed=lambda outcome: not outcome.already_stopped,
        know_caller=False,
    )


def start_command(call: CommandCall) -> None:
    """`/mentor start`: undo a stop."""
    refusal = "`/mentor start` takes nothing after it: it turns messages back on after `/mentor stop`."
    if not _takes_nothing(call, refusal):
        return
    _change(call, preferences.start, reply=start_reply, changed=lambda outcome: outcome.was_stopped)


def _change(
    call: CommandCall,
    service: Callable[..., Outcome],
    *text: str,
    reply: Callable[[Outcome], Reply],
    changed: Callable[[Outcome], bool] = lambda _outcome: True,
    know_caller: bool = True,
) -> None:
    """Every settings command that changes something: know the caller, call `service`
    (`session, settings, team_id, user_id, *text, now=…`) in one transaction, reply, and
    re-publish Home when `changed(outcome)`. A PreferenceError (a length or zone we
    can't read, a day already past) is told to them as it is, and nothing is saved."""
    if know_caller:
        _know_caller(call)
    deps = call.deps
    try:
        with transaction(deps.session_factory) as session:
            outcome = service(session, deps.settings, call.team_id, call.user_id, *text, now=deps.now())
    except PreferenceError as error:
        call.reply(error.message)
        return
    call.reply(*reply(outcome))
    if changed(outcome):
        publish_home(deps, call.team_id, call.user_id)


def _takes_nothing(call: CommandCall, refusal: str) -> bool:
    """True when the command came bare; otherwise says `refusal` (how to use it) and is False."""
    if call.args:
        call.reply(refusal)
        return False
    return True


def _know_caller(call: CommandCall) -> None:
    # Replies speak of local days and times, so on first sight (or a stale profile) we
    # read the person's Slack zone first — after acknowledging, as Slack requires.
    if needs_profile(call.deps, call.team_id, call.user_id):
        call.ack()
        person_with_profile(call.deps, call.team_id, call.user_id, enterprise_id=call.enterprise_id)


# --- the modal --------------------------------------------------------------------------


def handle_settings_submission(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """Validate and save the settings modal.

    Errors go back beside their fields (`response_action: errors`) and nothing is
    saved. On success the modal turns into a summary of what was saved
    (`response_action: update`) — a view submission has no response_url, and this shows
    the confirmation exactly where the person is looking, with no extra message — and
    the Home tab is re-published.
    """
    team_id, user_id = team_and_user(body)
    form = parse_settings_state(ModalState.of_view(body.get("view")))
    try:
        with transaction(deps.session_factory) as session:
            saved = preferences.save_settings(session, deps.settings, team_id, user_id, form, now=deps.now())
    except FormErrors as problems:
        ack(response_action="errors", errors=problems.errors)
        log.info("team=%s user=%s: settings form refused (%s)", team_id, user_id, ", ".join(problems.errors))
        return
    ack(response_action="update", view=saved_modal(saved))
    publish_home(deps, team_id, user_id)


def _from_message(body: dict[str, Any]) -> bool:
    # Buttons in a reply (ephemeral message) answer by replacing it; Home buttons re-publish.
    return (body.get("container") or {}).get("type") != "view" and bool(body.get("response_url"))
