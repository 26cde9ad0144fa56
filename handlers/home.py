"""The App Home tab: publish it when opened, and the buttons only Home carries (pause,
the admin's flagged-pairs pages, roster import and reflection set-up).

`home_report` and `home_export` are the reports feature's: Home only shows them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.db import transaction
from bot.deps import Deps
from bot.home.blocks import PAUSE_TWO_WEEKS_ACTION
from bot.home.screens import (
    FLAGGED_NEXT_ACTION,
    FLAGGED_PREVIOUS_ACTION,
    REFLECTION_CHANNEL_ACTION,
    ROSTER_IMPORT_ACTION,
)
from bot.home.service import publish_home
from bot.people import is_admin
from bot.preferences import service as preferences
from bot.preferences.blocks import OPEN_SETTINGS_ACTION
from bot.profiles import person_with_profile
from bot.roster.blocks import import_modal
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.reflections import channel_access_problem, setup_view
from handlers.router import CommandRouter
from handlers.settings import open_settings_modal

ADMINS_ONLY = ":lock: Only program admins can do that. Ask one of them to add you with `/mentor admin @you`."

log = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Listen for Home opening and for its buttons."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        # The Messages tab raises this event too; only the Home tab is ours to draw.
        if event.get("tab", "home") != "home":
            return
        team_id, user_id = body.get("team_id"), event.get("user")
        # A payload with anything but ids where ids belong has nobody to draw a tab for.
        if not (isinstance(team_id, str) and team_id and isinstance(user_id, str) and user_id):
            return
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

    @app.action(FLAGGED_NEXT_ACTION)
    @app.action(FLAGGED_PREVIOUS_ACTION)
    def flagged_page(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        publish_home(deps, team_id, user_id, page=_page_number(body))

    @app.action(ROSTER_IMPORT_ACTION)
    def roster_import(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        if not _admin(deps, team_id, user_id):
            publish_home(deps, team_id, user_id, notice=ADMINS_ONLY)
            return
        trigger = body.get("trigger_id")
        error = open_modal(deps, trigger, import_modal(), what="roster import", team_id=team_id)
        if error:
            publish_home(
                deps,
                team_id,
                user_id,
                notice=f":warning: The import form didn't open ({why_not_opened(error)}). "
                "Please click *Import a roster* again, or type `/mentor import`.",
            )

    @app.action(REFLECTION_CHANNEL_ACTION)
    def reflection_setup(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team_id, user_id = team_and_user(body)
        if not _admin(deps, team_id, user_id):
            publish_home(deps, team_id, user_id, notice=ADMINS_ONLY)
            return
        action = (body.get("actions") or [{}])[0]
        channel_id = action.get("selected_conversation") or ""
        if not channel_id:
            return
        view = setup_view(deps, team_id, channel_id)
        error = open_modal(deps, body.get("trigger_id"), view, what="reflection set-up", team_id=team_id)
        if error:
            publish_home(
                deps,
                team_id,
                user_id,
                notice=f":warning: The set-up form didn't open ({why_not_opened(error)}). Please pick the "
                f"channel again, or type `/mentor reflections <#{channel_id}>`.",
            )
            return
        # The same check `/mentor reflections #channel` makes: can the app post there?
        warning = channel_access_problem(deps.client_for(team_id), channel_id)
        if warning is not None:
            publish_home(
                deps, team_id, user_id, notice=f":warning: Heads-up before the first prompt: {warning}"
            )


def _admin(deps: Deps, team_id: str, user_id: str) -> bool:
    with transaction(deps.session_factory) as session:
        return is_admin(session, deps.settings, team_id, user_id)


def _page_number(body: dict[str, Any]) -> int:
    """The page a Previous / Next button asks for (0 for anything unreadable)."""
    value = str(((body.get("actions") or [{}])[0]).get("value") or "0")
    return int(value) if value.isdigit() and len(value) < 6 else 0
