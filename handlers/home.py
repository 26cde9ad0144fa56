"""The App Home tab: publish it when opened, and the buttons only Home carries."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.db import transaction
from bot.deps import Deps
from bot.home.blocks import PAUSE_TWO_WEEKS_ACTION
from bot.home.service import publish_home
from bot.preferences import service as preferences
from bot.preferences.blocks import OPEN_SETTINGS_ACTION
from bot.profiles import person_with_profile
from handlers.modals import why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandRouter
from handlers.settings import open_settings_modal

log = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Listen for Home opening and for its buttons."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        # The Messages tab raises this event too; only the Home tab is ours to draw.
        if event.get("tab", "home") != "home":
            return
        team_id, user_id = body.get("team_id") or "", event.get("user") or ""
        # First sight creates the person and reads their Slack zone (events are acked
        # before listeners run, so the Slack call here delays nothing).
        person_with_profile(deps, team_id, user_id)
        publish_home(deps, team_id, user_id)

    @app.action(OPEN_SETTINGS_ACTION)
    def edit_settings(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        error = open_settings_modal(deps, body.get("trigger_id"), team_id, user_id)
        if error:
            log.warning(
                "team=%s user=%s: Edit settings could not open the modal (%s)", team_id, user_id, error
            )
            # Home buttons have no response_url: say so where they are looking.
            publish_home(
                deps,
                team_id,
                user_id,
                notice=f":warning: Your settings didn't open ({why_not_opened(error)}). "
                "Please click *Edit settings* again, or type `/mentor settings`.",
            )

    @app.action(PAUSE_TWO_WEEKS_ACTION)
    def pause_two_weeks(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        with transaction(deps.session_factory) as session:
            preferences.pause_for_text(session, deps.settings, team_id, user_id, "2w", now=deps.now())
        # The tab itself is the confirmation: it now says until when, with a Resume button.
        publish_home(deps, team_id, user_id)
