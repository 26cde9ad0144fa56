"""Workspace events: profile changes, and the app losing its access.

* `user_change` carries the whole user object, so a new time zone (travel, a move) is
  applied at once with no Web API call — but only for people the app already knows;
  profile edits by everyone else in a large workspace are ignored.
* `app_uninstalled` / `tokens_revoked` (bot token) stop all sending to the workspace at
  once. Single-workspace mode pauses it (the sender skips paused workspaces;
  `bot.runtime.connect_slack` lifts the pause when a token works again). OAuth mode
  deletes the installation and cancels the workspace's queued messages — for an
  org-wide install, those of every workspace it covered — and other workspaces carry on;
  installing again starts afresh. Bolt delivers both without checking the dead token.
* `team_access_revoked` / `team_access_granted` (Enterprise Grid, org-wide installs): an
  org admin took the app out of some of the org's workspaces, or let it in (again).
  Sending to those workspaces is held, not cancelled, and resumes when access is
  granted back — or when a request from the workspace shows the app can reach it
  (`Installations.seen_working`), which also lifts a hold the sender put on after Slack
  answered `team_access_not_granted`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.db import transaction
from bot.deps import Deps
from bot.directory import Profile
from bot.installations import grant_access
from bot.people import ensure_workspace, find_person
from bot.profiles import apply_fresh_profile
from handlers.router import CommandRouter

log = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Listen for `user_change`, `app_uninstalled`, `tokens_revoked` and Grid's
    `team_access_revoked` / `team_access_granted`."""

    @app.event("user_change")
    def user_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = _well_typed_user(event.get("user"))
        if user is None:
            return
        profile = Profile.from_slack(user)
        team_id = _text(body.get("team_id")) or profile.team_id or ""
        with transaction(deps.session_factory) as session:
            person = find_person(session, team_id, profile.user_id)
            if person is None:
                return
            apply_fresh_profile(session, deps.settings, person, profile, deps.now())

    @app.event("app_uninstalled")
    def app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        stop_workspace(deps, body, context, "the app was uninstalled from Slack")

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        tokens = event.get("tokens")
        revoked_bots = tokens.get("bot") if isinstance(tokens, dict) else None
        if not isinstance(revoked_bots, list) or not revoked_bots:
            # Only user tokens, which this app never holds: nothing stops working.
            log.info(
                "team=%s: Slack revoked user tokens only; the bot token still works", body.get("team_id")
            )
            return
        stop_workspace(deps, body, context, "Slack revoked the bot token")

    @app.event("team_access_revoked")
    def team_access_revoked(event: dict[str, Any]) -> None:
        access_revoked(deps, event)

    @app.event("team_access_granted")
    def team_access_granted(event: dict[str, Any], context: BoltContext) -> None:
        access_granted(deps, event, context)


def _text(value: object) -> str | None:
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _well_typed_user(user: object) -> dict[str, Any] | None:
    """The `user_change` user object, or None when it has no string id or any field we
    read is of a type Slack never sends (a number or a list where a name belongs): such
    a payload changes nothing, rather than clearing a time zone or raising."""
    if not isinstance(user, dict) or _text(user.get("id")) is None:
        return None
    profile = user.get("profile", {})
    if not isinstance(profile, dict):
        return None
    texts = [user.get(key) for key in ("team_id", "name", "real_name", "tz")]
    texts += [profile.get(key) for key in ("display_name", "real_name", "email")]
    flags = [user.get(key) for key in ("deleted", "is_bot")]
    if any(v is not None and not isinstance(v, str) for v in texts) or any(
        v is not None and not isinstance(v, bool) for v in flags
    ):
        return None
    return user


ACCESS_REVOKED = "an org admin removed the app from this workspace (team_access_revoked)"


def _team_ids(event: dict[str, Any]) -> list[str]:
    teams = event.get("team_ids")
    return [t for t in teams if isinstance(t, str) and t] if isinstance(teams, list) else []


def access_revoked(deps: Deps, event: dict[str, Any]) -> None:
    """Hold sending to each workspace the org's app may no longer reach."""
    for team_id in _team_ids(event):
        pause_workspace(deps, team_id, ACCESS_REVOKED, until="an org admin adds the app to it again")


def access_granted(deps: Deps, event: dict[str, Any], context: BoltContext) -> None:
    """Resume sending to each workspace the org's app may reach (again)."""
    teams = _team_ids(event)
    if not teams:
        return
    with transaction(deps.session_factory) as session:
        resumed = grant_access(session, teams, context.enterprise_id)
    log.info(
        "org=%s: the app was added to %s%s",
        context.enterprise_id,
        ", ".join(teams),
        f"; sending resumes in {', '.join(resumed)}" if resumed else "",
    )


def stop_workspace(deps: Deps, body: dict[str, Any], context: BoltContext, reason: str) -> None:
    """Stop sending where the app lost its token: forget the installation (OAuth mode) or
    pause the one workspace (single-workspace mode)."""
    if deps.installations is None:
        pause_workspace(deps, body.get("team_id") or "", reason)
        return
    # Bolt reads these from the event's `authorizations`; an org-wide install has an
    # enterprise and no team.
    org_wide = bool(context.is_enterprise_install) or (bool(context.enterprise_id) and not context.team_id)
    if not org_wide and not context.team_id:
        log.error("a revocation event arrived without a team or org id; nothing was stopped")
        return
    deps.installations.forget(
        team_id=context.team_id, enterprise_id=context.enterprise_id, org_wide=org_wide, reason=reason
    )


def pause_workspace(
    deps: Deps,
    team_id: str,
    reason: str,
    *,
    until: str = "the app is reinstalled (or SLACK_BOT_TOKEN is replaced) and the app restarted",
) -> None:
    """Stop all sending to `team_id` until a working token is seen again, and say so loudly."""
    if not team_id:
        log.error("a revocation event arrived without a team id; nothing was paused")
        return
    with transaction(deps.session_factory) as session:
        workspace = ensure_workspace(session, team_id)
        if workspace.sending_paused_reason is None:
            workspace.sending_paused_reason = reason
            workspace.sending_paused_at = deps.now()
    log.critical("team=%s: %s. Nothing will be sent to this workspace until %s.", team_id, reason, until)
