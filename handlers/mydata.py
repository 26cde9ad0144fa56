"""A person's own data: `/mentor my-data`, `/mentor forget-me`, `/mentor forget @person`
(admins), and the confirmation's buttons.

Forgetting takes two steps: the command shows what would be deleted and a button (with
Slack's own "are you sure?"); only the click deletes. A button works only for the person
it was shown to, for an hour, in the workspace it was shown in; an admin's button checks
again, at the click, that they are still an admin. Log lines say what happened, never
whom it was about.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.mydata.blocks import (
    CANCEL_ACTION,
    EXPIRED,
    FORGET_ME_ACTION,
    FORGET_MEMBER_ACTION,
    KEPT,
    NOT_YOURS,
    WORKING,
    covering_text,
    file_names,
    forget_me_blocks,
    forget_me_text,
    forget_member_blocks,
    forget_member_text,
    forgotten_home,
    forgotten_me_text,
    forgotten_member_text,
    not_sent_text,
    parse_confirmation,
    sent_text,
)
from bot.mydata.export import collect
from bot.mydata.forget import forget_me, forget_member
from bot.mydata.summary import to_json, to_markdown
from bot.mydata.types import ForgetRefused
from bot.slack import slack_error_code
from bot.textparse import parse_user
from bot.uploads import OutgoingFile, send_files_to_dm
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

FORGET_USAGE = "`/mentor forget @person` (for someone who left; you'll be asked to confirm)"


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add the three subcommands and the confirmation's buttons."""
    router.add(
        "my-data", send_my_data, summary="everything Mentor Nudge keeps about you, as files in your DM"
    )
    router.add(
        "forget-me", ask_forget_me, summary="delete everything Mentor Nudge keeps about you (asks first)"
    )
    router.add(
        "forget",
        ask_forget_member,
        usage="forget @person",
        summary="delete what Mentor Nudge keeps about someone who left (asks first; audited)",
        audience="admins",
    )
    app.action(FORGET_ME_ACTION)(_bind(on_forget_me, deps))
    app.action(FORGET_MEMBER_ACTION)(_bind(on_forget_member, deps))
    app.action(CANCEL_ACTION)(on_cancel)


def _bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    """`listener` with `deps` filled in; the name is kept, as Bolt reads parameter names."""
    bound = functools.partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


# --- /mentor my-data ------------------------------------------------------------------------


def send_my_data(call: CommandCall) -> None:
    """Build the export (reading only) and send it as two files to the person's own DM."""
    call.reply(WORKING)  # acknowledges: building and uploading may take a few seconds
    deps = call.deps
    with transaction(deps.session_factory) as session:
        data = collect(session, call.team_id, call.user_id, deps.now())
    summary_name, json_name = file_names(data)
    files = [
        OutgoingFile(summary_name, to_markdown(data).encode(), "What Mentor Nudge keeps about you"),
        OutgoingFile(json_name, to_json(data).encode(), "Every field, as JSON"),
    ]
    try:
        send_files_to_dm(call.client, call.user_id, text=covering_text(data), files=files)
    except SlackApiError as error:
        code = slack_error_code(error)
        log.warning("team=%s user=%s my-data: not sent (%s)", call.team_id, call.user_id, code)
        call.reply(not_sent_text(code))
        return
    except OSError as error:
        log.warning("team=%s user=%s my-data: no answer from Slack (%s)", call.team_id, call.user_id, error)
        call.reply(not_sent_text("no answer"))
        return
    log.info("team=%s user=%s my-data: sent (%d sections)", call.team_id, call.user_id, len(data.sections))
    call.reply(sent_text())


# --- /mentor forget-me and /mentor forget @person -----------------------------------------------


def ask_forget_me(call: CommandCall) -> None:
    """Show what would be deleted, and the button; nothing changes yet."""
    deps = call.deps
    now = deps.now()
    with transaction(deps.session_factory) as session:
        data = collect(session, call.team_id, call.user_id, now)
    call.reply(forget_me_text(), forget_me_blocks(data, now, is_admin=call.is_admin))


def ask_forget_member(call: CommandCall) -> None:
    """`/mentor forget @person`: the same confirmation, for an admin, about someone else."""
    user_id = parse_user(call.args[0]) if call.args else None
    if user_id is None:
        call.reply(f"Who should I forget? Use {FORGET_USAGE}. Nothing was changed.")
        return
    if user_id == call.user_id:
        ask_forget_me(call)
        return
    deps = call.deps
    now = deps.now()
    with transaction(deps.session_factory) as session:
        data = collect(session, call.team_id, user_id, now)
    if data.empty:
        call.reply(
            f"Mentor Nudge keeps nothing about <@{user_id}> in this workspace, so there is nothing to forget."
        )
        return
    call.reply(forget_member_text(user_id), forget_member_blocks(data, now, call.user_id))


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _confirmed(
    deps: Deps, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> tuple[str, str, str] | None:
    """(team, clicker, whose data) for a click on a live button meant for the clicker;
    None, after telling them why, for a forged, foreign or stale one."""
    team_id, user_id = team_and_user(body)
    parsed = parse_confirmation(action.get("value"))
    if parsed is None or not team_id or parsed[1] != user_id:
        log.warning("team=%s user=%s forget: refused a button not shown to them", team_id, user_id)
        _tell(respond, NOT_YOURS)
        return None
    confirmation, _asker = parsed
    if confirmation.expired(deps.now()):
        _tell(respond, EXPIRED)
        return None
    return team_id, user_id, confirmation.user_id


def on_forget_me(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """*Forget me*, after Slack's "are you sure?": delete, then say so in place."""
    ack()
    found = _confirmed(deps, body, action, respond)
    if found is None:
        return
    team_id, user_id, whose = found
    if whose != user_id:
        _tell(respond, NOT_YOURS)
        return
    with transaction(deps.session_factory) as session:
        outcome = forget_me(session, deps.settings, team_id=team_id, user_id=user_id, now=deps.now())
    # Who asked is in the request log already; this line says only that it was done.
    log.info("team=%s forget-me: done (%d pairs ended)", team_id, outcome.pairs_ended)
    respond(text=forgotten_me_text(outcome), response_type="ephemeral", replace_original=True)
    _clear_home(client, team_id, user_id)


def on_forget_member(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """*Forget them* (admins): the service checks again that the clicker is an admin here."""
    ack()
    found = _confirmed(deps, body, action, respond)
    if found is None:
        return
    team_id, admin, whose = found
    try:
        with transaction(deps.session_factory) as session:
            outcome = forget_member(
                session, deps.settings, team_id=team_id, actor=admin, user_id=whose, now=deps.now()
            )
    except ForgetRefused as refused:
        log.info("team=%s user=%s forget: refused", team_id, admin)
        _tell(respond, refused.message)
        return
    log.info("team=%s user=%s forget: done (%d pairs ended)", team_id, admin, outcome.pairs_ended)
    respond(text=forgotten_member_text(whose, outcome), response_type="ephemeral", replace_original=True)
    _clear_home(client, team_id, whose)


def on_cancel(ack: Ack, respond: Respond) -> None:
    """*Keep everything*: nothing changes, and the buttons go away."""
    ack()
    respond(text=KEPT, response_type="ephemeral", replace_original=True)


def _clear_home(client: WebClient, team_id: str, user_id: str) -> None:
    """Their Home tab showed their settings and pairs: replace it (best effort — someone who
    left may no longer have an account)."""
    try:
        client.views_publish(user_id=user_id, view=forgotten_home())
    except (SlackApiError, OSError, NotInstalled) as error:
        log.info("team=%s forget: Home not cleared (%s)", team_id, error.__class__.__name__)
