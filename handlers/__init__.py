"""Thin Bolt listeners. Each module has `register(app, deps, router)`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import (
    agreements,
    commands,
    events,
    feedback,
    help_command,
    home,
    input_limits,
    library,
    meetings,
    mydata,
    nudges,
    payload,
    privacy_ask,
    privacy_command,
    pulse,
    reflections,
    reports,
    request_log,
    roster,
    rota,
    safety_net,
    settings,
)
from handlers.router import CommandRouter

# Order matters only for help: subcommands are listed in the order modules add them.
MODULES = (
    help_command,
    privacy_command,
    mydata,
    settings,
    home,
    events,
    nudges,
    pulse,
    meetings,
    feedback,
    agreements,
    rota,
    roster,
    library,
    reflections,
    reports,
    privacy_ask,
)


def register_all(app: App, deps: Deps) -> CommandRouter:
    """Attach every listener to `app`; returns the `/mentor` router (tests inspect it)."""
    app.middleware(request_log.log_request)
    app.middleware(payload.refuse_malformed)
    app.middleware(input_limits.limit_free_text)
    router = CommandRouter()
    for module in MODULES:
        module.register(app, deps, router)
    commands.register(app, deps, router)
    safety_net.register(app, deps, router)  # every button and modal: failures are told
    return router
