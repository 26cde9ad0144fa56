"""Check-ins: the button that opens one, the two modals that answer it, `/mentor pulse`.

A mentee's answer is anonymous, and the log keeps it so: the mentee's button and modal
ids start with "anon:" (the request log leaves the user out), and the lines written
here say "pulse answered" with the workspace only. The mentor's self-check is their own
data and is logged like any other action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.home.service import publish_home
from bot.people import find_person
from bot.pulse.blocks import (
    ANSWER_CALLBACK,
    OPEN_ACTION,
    SELF_CALLBACK,
    answered_blocks,
    answered_text,
    answers_from_view,
    check_in_modal,
    closed_view,
    parse_metadata,
    thanks_view,
)
from bot.pulse.results import personal_pulse, program_overview
from bot.pulse.rules import parse_number
from bot.pulse.screens import (
    personal_blocks,
    personal_text,
    program_blocks,
    program_text,
    timing_blocks,
    timing_changed_text,
)
from bot.pulse.service import change_timing, open_check_in, record_answers, record_self_check, timing_for
from bot.pulse.types import (
    AlreadyAnswered,
    Invitation,
    NotYourPulse,
    PulseClosed,
    PulseInputError,
    PulseNotFound,
)
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

NOT_YOURS = "This check-in was sent to someone else, so nothing was recorded."
NOT_FOUND = (
    "I can't find that check-in any more, so nothing was recorded. `/mentor pulse` lists the open ones."
)
ALREADY = "You've already answered this check-in — thank you. Each check-in takes one answer."
ADMINS_ONLY = "Only program admins can see or change that. `/mentor pulse` shows your own check-ins."
USAGE = "pulse [program | settings | every N first N]"


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `/mentor pulse`, the check-in button and its two modals."""
    router.add(
        "pulse",
        pulse_command,
        usage=USAGE,
        summary="check-ins: your results and gap (mentors), what's waiting for you; admins: program figures, "
        "the rhythm",
    )

    @app.action(OPEN_ACTION)
    def open_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        open_check_in_modal(deps, body, action, respond)

    @app.view(ANSWER_CALLBACK)
    def answer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submit(deps, ack, body, view, client, record_answers, with_comment=True)

    @app.view(SELF_CALLBACK)
    def self_check_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submit(deps, ack, body, view, client, record_self_check, with_comment=False)


def _refusal(error: Exception) -> str:
    if isinstance(error, NotYourPulse):
        return NOT_YOURS
    if isinstance(error, AlreadyAnswered):
        return ALREADY
    if isinstance(error, PulseClosed):
        return str(error)
    return NOT_FOUND


def _source(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The DM the button was in (to update it once answered); none for ephemeral messages."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None, None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (channel if isinstance(channel, str) else None), (ts if isinstance(ts, str) else None)


def open_check_in_modal(deps: Deps, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    """The check-in button: open its modal, or say why it can't be answered."""
    team_id, user_id = team_and_user(body)
    round_id = parse_number(action.get("value"))
    try:
        if round_id is None:
            raise PulseNotFound(round_id)
        with transaction(deps.session_factory) as session:
            invitation = open_check_in(session, deps.settings, team_id, user_id, round_id, deps.now())
    except (PulseNotFound, NotYourPulse, PulseClosed, AlreadyAnswered) as error:
        respond(text=_refusal(error), response_type="ephemeral", replace_original=False)
        return
    channel, ts = _source(body)
    code = open_modal(
        deps,
        body.get("trigger_id"),
        check_in_modal(invitation, channel, ts),
        what="check-in",
        team_id=team_id,
    )
    if code is not None:
        respond(
            text=f"The check-in couldn't open just now ({why_not_opened(code)}). "
            "Please click the button again.",
            response_type="ephemeral",
            replace_original=False,
        )


def submit(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    record: Callable[..., Invitation],
    *,
    with_comment: bool,
) -> None:
    """A submitted check-in: store it in one transaction, thank them, update the DM."""
    team_id, user_id = team_and_user(body)
    round_id, channel, ts = parse_metadata(view.get("private_metadata"))
    try:
        answers = answers_from_view(ModalState.of_view(view), with_comment=with_comment)
        if round_id is None:
            raise PulseNotFound(view.get("private_metadata"))
        with transaction(deps.session_factory) as session:
            invitation = record(session, deps.settings, team_id, user_id, round_id, answers, deps.now())
    except PulseInputError as problem:
        # Nothing stored; the modal stays open with the reasons beside the fields.
        ack(response_action="errors", errors=problem.errors)
        return
    except (PulseNotFound, NotYourPulse, PulseClosed, AlreadyAnswered) as error:
        ack(response_action="update", view=closed_view(_refusal(error)))
        return
    ack(response_action="update", view=thanks_view(invitation))
    # The workspace only: who answered is not the log's business (see the module docstring).
    log.info("team=%s pulse answered (%s)", team_id, "self-check" if not with_comment else "mentee")
    if channel and ts:
        try:
            client.chat_update(
                channel=channel, ts=ts, text=answered_text(invitation), blocks=answered_blocks(invitation)
            )
        except (SlackApiError, OSError):
            log.warning("team=%s pulse: the check-in message could not be updated", team_id)
    # Home shows whether the current check-in is answered (participation only, never the
    # answer); the row is committed, so the redraw reads "answered". Its log lines leave
    # the person out, like every line about an answer.
    publish_home(deps, team_id, user_id, unattributed=True)


# --- `/mentor pulse` -----------------------------------------------------------------------


def pulse_command(call: CommandCall) -> None:
    """`/mentor pulse [program | settings | every N first N]`."""
    words = [w for w in call.args if w]
    first = words[0].lower() if words else ""
    if first in ("program", "settings", "every", "first") and not call.is_admin:
        call.reply(ADMINS_ONLY)
        return
    if first and first not in ("program", "settings", "every", "first"):
        call.reply(f"I don't know `pulse {words[0][:30]}`. Usage: `/mentor {USAGE}`")
        return
    try:
        with transaction(call.deps.session_factory) as session:
            text, blocks = _pulse_reply(session, call, first, words)
    except ValueError as problem:  # a timing the admin mistyped: nothing was changed
        call.reply(str(problem))
        return
    call.reply(text, blocks)


def _pulse_reply(
    session: Session, call: CommandCall, first: str, words: list[str]
) -> tuple[str, list[dict[str, Any]] | None]:
    settings, now = call.deps.settings, call.deps.now()
    if first == "program":
        overview = program_overview(session, settings, call.team_id, now)
        return program_text(overview), program_blocks(overview)
    if first == "settings":
        timing = timing_for(session, settings, call.team_id)
        return "How often check-ins go out.", timing_blocks(
            timing, settings.anonymity_min, settings.anonymity_window_months
        )
    if first in ("every", "first"):
        change = change_timing(session, settings, call.team_id, call.user_id, words, now)
        log.info("team=%s user=%s: pulse timing changed", call.team_id, call.user_id)
        return timing_changed_text(change), None
    view = personal_pulse(session, settings, find_person(session, call.team_id, call.user_id), now)
    return personal_text(view), personal_blocks(
        view, settings.anonymity_min, settings.anonymity_window_months
    )
