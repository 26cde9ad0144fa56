"""Thin Bolt listeners. Each module has `register(app, deps, router)`."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.deps import Deps
from handlers import (
    agreements,
    commands,
    events,
    feedback,
    help_command,
    home,
    library,
    meetings,
    mydata,
    nudges,
    privacy_ask,
    privacy_command,
    pulse,
    reflections,
    reports,
    roster,
    rota,
    safety_net,
    settings,
)
from handlers.edge import EdgeChecks
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


# Listeners Bolt should try first. Bolt tries listeners in registration order and each
# try costs ~40 µs (it builds the matcher's arguments), so with ~60 listeners `/mentor`,
# registered last, spent ~2.5 ms of CPU just being found — most of what separated its
# ack from a bare Bolt app's (bench/bench_acks.py). These are the requests that come in
# bursts: every `/mentor` command, and the answer buttons of a morning's nudges. They are
# known by the listener objects those two modules registered (other modules have their
# own `on_answer`), not by name.


def register_all(app: App, deps: Deps) -> CommandRouter:
    """Attach every listener to `app`; returns the `/mentor` router (tests inspect it)."""
    app.middleware(EdgeChecks())  # logging, malformed payloads, over-long text
    router = CommandRouter()
    busiest: list[Callable[..., None]] = []
    for module in MODULES:
        if module is nudges:
            busiest.append(nudges.register(app, deps, router))
        else:
            module.register(app, deps, router)
    busiest.insert(0, commands.register(app, deps, router))
    safety_net.register(app, deps, router)  # every button and modal: failures are told
    _match_busiest_first(app, busiest)
    return router


def _match_busiest_first(app: App, busiest: list[Callable[..., None]]) -> None:
    """Move the listeners of the `busiest` functions to the front, in that order,
    keeping every other order.

    Their matchers (a command name, fixed action ids) match nothing else, so which
    listener answers a request does not change, only how soon it is found.
    """
    listeners = getattr(app, "_listeners", None)
    if not isinstance(listeners, list):
        return  # a Bolt without the list: matching stays in registration order

    def rank(listener: object) -> int:
        function = getattr(listener, "ack_function", None)
        return next((i for i, first in enumerate(busiest) if first is function), len(busiest))

    listeners.sort(key=rank)
