"""`/mentor privacy`."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.privacy import PRIVACY_TEXT, privacy_blocks
from bot.deps import Deps
from handlers.router import CommandCall, CommandRouter


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `privacy` to the router."""

    def show_privacy(call: CommandCall) -> None:
        settings = call.deps.settings
        call.reply(
            PRIVACY_TEXT,
            privacy_blocks(
                anonymity_min=settings.anonymity_min,
                window_months=settings.anonymity_window_months,
                retention_days=settings.retention_days,
            ),
        )

    router.add("privacy", show_privacy, summary="what Mentor Nudge keeps about you, and what it never stores")
