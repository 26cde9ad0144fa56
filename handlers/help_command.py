"""`/mentor help` (and bare `/mentor`)."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.help import help_blocks, help_text
from bot.deps import Deps
from handlers.router import CommandCall, CommandRouter


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `help` to the router; it lists what the asker may use."""

    def show_help(call: CommandCall) -> None:
        entries = router.help_entries(include_admin=call.is_admin)
        call.reply(help_text(entries), help_blocks(entries))

    router.add("help", show_help, summary="this list of commands", aliases=("?",))
