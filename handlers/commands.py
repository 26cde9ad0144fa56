"""The `/mentor` slash command: parse, check, hand to the subcommand's handler."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError

from bot.blocks.help import help_blocks, help_text
from bot.db import reading
from bot.deps import Deps
from bot.people import is_admin
from bot.textparse import split_words
from handlers.admin_view import AdminView
from handlers.after_ack import in_place
from handlers.input_limits import too_long_command
from handlers.router import CommandCall, CommandRouter, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/mentor"


def register(app: App, deps: Deps, router: CommandRouter) -> Callable[..., None]:
    """Attach the `/mentor` listener, routing to the subcommands in `router`; returns it."""
    admins = AdminView()

    @app.command(COMMAND)
    def mentor_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, logger: logging.Logger
    ) -> None:
        refusal = too_long_command(command.get("text"))
        if refusal is not None:  # size-limited on our side, before any parsing
            ack(text=refusal, response_type="ephemeral")
            return
        dispatch(deps, router, command, ack=ack, respond=respond, client=client, admins=admins)

    return in_place(mentor_command, lambda body: answered_at_once(router, body))


def answered_at_once(router: CommandRouter, body: dict[str, Any]) -> bool:
    """Whether this `/mentor` request is answered in its ack, with nothing after it:
    `help`, a subcommand nobody registered (answered with help), or over-long text.

    Those run in the request's own thread (`handlers.after_ack.in_place`); the others
    keep Bolt's listener pool, whose thread may go on working after the ack. Getting
    this wrong costs only time, never an answer: a slow subcommand run in place would
    answer late, a quick one run on the pool answers as before.
    """
    text = body.get("text")
    if not isinstance(text, str):
        return False
    if too_long_command(text) is not None:
        return True
    words = split_words(text)
    sub = router.find(words[0].lower() if words else "help")
    return sub is None or sub.at_once


def _caller_is_admin(
    deps: Deps, sub: Subcommand | None, admins: AdminView | None, team_id: str, user_id: str
) -> bool:
    if admins is not None and (sub is None or (sub.at_once and not sub.admin_only)):
        # Help only shows or hides the admin commands: a copy a few seconds old will do.
        return admins.shown_as_admin(deps, team_id, user_id)
    # A read: on SQLite it must not queue for the write lock behind clicks and the clock.
    with reading(deps.session_factory) as session:
        return is_admin(session, deps.settings, team_id, user_id)


def dispatch(
    deps: Deps,
    router: CommandRouter,
    command: dict[str, Any],
    *,
    ack: Ack,
    respond: Respond,
    client: WebClient,
    admins: AdminView | None = None,
) -> CommandCall | None:
    """Run one `/mentor` request and make sure the person always hears back.

    `admins`: where help reads who is an admin (None: the database, every time)."""
    started = time.monotonic()
    words = split_words(command.get("text") or "")
    name = words[0].lower() if words else "help"
    team_id = command.get("team_id", "")
    user_id = command.get("user_id", "")
    sub = router.find(name)
    try:
        admin = _caller_is_admin(deps, sub, admins, team_id, user_id)
    except OperationalError:
        log.exception("team=%s user=%s /mentor %s: database unavailable", team_id, user_id, name)
        ack(text=DATABASE_DOWN, response_type="ephemeral")
        return None

    if sub is None:
        suggestions = router.suggest(name)
        maybe = (
            f" — did you mean {' or '.join(f'`/mentor {s}`' for s in suggestions)}?" if suggestions else "."
        )
        lead = f"Unknown command `{name}`{maybe}"
        entries = router.help_entries(include_admin=admin)
        ack(
            text=f"{lead} {help_text(entries)}",
            blocks=help_blocks(entries, lead=lead),
            response_type="ephemeral",
        )
        # The word itself is free text: not logged.
        log.info("team=%s user=%s /mentor: unknown subcommand", team_id, user_id)
        return None
    if sub.admin_only and not admin:
        ack(
            text=f"`/mentor {sub.name}` is for program admins. "
            "Ask one of them if you need this done — `/mentor admins` lists who they are.",
            response_type="ephemeral",
        )
        log.info("team=%s user=%s /mentor %s: refused, not an admin", team_id, user_id, name)
        return None

    call = CommandCall(
        deps=deps,
        team_id=team_id,
        enterprise_id=command.get("enterprise_id") or None,
        user_id=user_id,
        channel_id=command.get("channel_id"),
        name=sub.name,
        args=words[1:],
        rest=(command.get("text") or "").strip()[len(words[0]) :].strip() if words else "",
        trigger_id=command.get("trigger_id"),
        client=client,
        is_admin=admin,
        logger=log,
        _ack=ack,
        _respond=respond,
    )
    outcome = "ok"
    try:
        sub.handler(call)
    except OperationalError:
        outcome = "database unavailable"
        log.exception("team=%s user=%s /mentor %s: database unavailable", team_id, user_id, name)
        call.reply(DATABASE_DOWN)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        outcome = f"error ref={reference}"
        log.exception("team=%s user=%s /mentor %s: failed (ref %s)", team_id, user_id, name, reference)
        call.reply(
            f"Something went wrong on our side and nothing was changed. Please try again; if it keeps "
            f"happening, tell your admin (reference `{reference}`)."
        )
    finally:
        if not call.acked:
            # A handler that forgot to answer still must not leave Slack's spinner running.
            call.ack()
    log.info(
        "team=%s user=%s /mentor %s: %s (%d ms)",
        team_id,
        user_id,
        sub.name,
        outcome,
        (time.monotonic() - started) * 1000,
    )
    return call


DATABASE_DOWN = (
    "Mentor Nudge cannot reach its database right now, so nothing was changed. "
    "Please try again in a minute; if it persists, your IT team can check the app's `/healthz`."
)
