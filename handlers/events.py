"""Workspace events: profile changes, and the app losing its access.

* `user_change` carries the whole user object, so a new time zone (travel, a move) is
  applied at once with no Web API call — but only for people the app already knows;
  profile edits by everyone else in a large workspace are ignored.
* `app_uninstalled` / `tokens_revoked` (bot token) pause all sending to the workspace
  (the sender skips paused workspaces; `bot.runtime.connect_slack` lifts the pause when
  a token works again). Bolt delivers both without checking the dead token first.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.db import transaction
from bot.deps import Deps
from bot.directory import Profile
from bot.people import ensure_workspace, find_person
from bot.profiles import apply_fresh_profile
from handlers.router import CommandRouter

log = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Listen for `user_change`, `app_uninstalled` and `tokens_revoked`."""

    @app.event("user_change")
    def user_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = event.get("user")
        if not isinstance(user, dict) or not user.get("id"):
            return
        profile = Profile.from_slack(user)
        team_id = body.get("team_id") or profile.team_id or ""
        with transaction(deps.session_factory) as session:
            person = find_person(session, team_id, profile.user_id)
            if person is None:
                return
            apply_fresh_profile(session, deps.settings, person, profile, deps.now())

    @app.event("app_uninstalled")
    def app_uninstalled(body: dict[str, Any]) -> None:
        pause_workspace(deps, body.get("team_id") or "", "the app was uninstalled from Slack")

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id = body.get("team_id") or ""
        revoked_bots = (event.get("tokens") or {}).get("bot") or []
        if not revoked_bots:
            # Only user tokens, which this app never holds: nothing stops working.
            log.info("team=%s: Slack revoked user tokens only; the bot token still works", team_id)
            return
        pause_workspace(deps, team_id, "Slack revoked the bot token")


def pause_workspace(deps: Deps, team_id: str, reason: str) -> None:
    """Stop all sending to `team_id` until a working token is seen again, and say so loudly."""
    if not team_id:
        log.error("a revocation event arrived without a team id; nothing was paused")
        return
    with transaction(deps.session_factory) as session:
        workspace = ensure_workspace(session, team_id)
        if workspace.sending_paused_reason is None:
            workspace.sending_paused_reason = reason
            workspace.sending_paused_at = deps.now()
    log.critical(
        "team=%s: %s. Nothing will be sent to this workspace until the app is reinstalled (or "
        "SLACK_BOT_TOKEN is replaced) and the app restarted.",
        team_id,
        reason,
    )
