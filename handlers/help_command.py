"""`/mentor help` (and bare `/mentor`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.blocks.help import help_blocks, help_text
from bot.deps import Deps
from handlers.router import CommandCall, CommandRouter


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `help` to the router; it lists what the asker may use."""

    # The router is complete once every module has registered, so each of the two
    # answers (with and without the admin lines) is built once, at its first asking.
    built: dict[bool, tuple[str, list[dict[str, Any]]]] = {}

    def show_help(call: CommandCall) -> None:
        if call.is_admin not in built:
            entries = router.help_entries(include_admin=call.is_admin)
            built[call.is_admin] = (help_text(entries), help_blocks(entries))
        call.reply(*built[call.is_admin])

    router.add("help", show_help, summary="this list of commands", aliases=("?",), at_once=True)
