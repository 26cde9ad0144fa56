"""Building and publishing a person's App Home tab from a list of feature sections.

A section is a function `(HomeContext) -> blocks`. Features add theirs to `SECTIONS`
(one line each); the Home shows them in that order. A section that raises is logged
and replaced by a one-line note, so one feature's bug never blanks the whole tab.

Publish after anything that changes what Home shows (`publish_home`); Slack keeps the
last published view, so a person opening the tab sees it without waiting for us.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from bot.blocks.common import section as text_section
from bot.config import Settings
from bot.db import transaction
from bot.deps import Deps
from bot.feedback.blocks import home_section as feedback_section
from bot.feedback.service import home_requests
from bot.home.blocks import delivery_section, home_view, settings_section, unavailable_section
from bot.home.sections import admin_section, agreements_section, mentee_section, mentor_section
from bot.home.types import HomeContext, HomeSection
from bot.installations import NotInstalled
from bot.outbox import delivery_counts
from bot.people import ensure_person, is_admin
from bot.preferences.service import snapshot
from bot.slack import slack_error_code, unattributed_client

log = logging.getLogger(__name__)

# How far back the admins' message counts reach.
DELIVERY_DAYS = 30


def _settings(context: HomeContext) -> Sequence[Block]:
    return settings_section(context.personal)


def _feedback(context: HomeContext) -> Sequence[Block]:
    # Only mentees (people with an active mentor) see it.
    recent = home_requests(context.session, context.settings, context.person)
    return [] if recent is None else feedback_section(recent)


def _messages(context: HomeContext) -> Sequence[Block]:
    """Admins only: the outbox's last weeks, with messages lost mid-send counted apart."""
    if not is_admin(context.session, context.settings, context.person.team_id, context.person.user_id):
        return []
    since = context.now - timedelta(days=DELIVERY_DAYS)
    return delivery_section(delivery_counts(context.session, context.person.team_id, since), DELIVERY_DAYS)


# (title, builder) in display order. Other features append theirs here. A section with
# nothing to show for this person returns no blocks and is left out.
SECTIONS: list[tuple[str, HomeSection]] = [
    ("Your settings", _settings),
    ("Your mentoring", mentor_section),
    ("Your mentors", mentee_section),
    ("Feedback chats", _feedback),
    ("Mentoring agreements", agreements_section),
    ("The program", admin_section),
    ("Messages", _messages),
]


def build_home(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    now: datetime,
    *,
    sections: Sequence[tuple[str, HomeSection]] | None = None,
    notice: str | None = None,
    page: int | None = None,
    unattributed: bool = False,
) -> dict[str, Any]:
    """The Home view for one person (created on first sight), with `notice` on top if given;
    `page` is the page of the admin's flagged pairs they asked for (remembered), None
    for the one they were on. `unattributed`: log lines leave the
    user out (a redraw right after an anonymous answer must not say whose it was)."""
    person = ensure_person(session, team_id, user_id)
    if page is None:
        page = person.home_page or 0
    elif page != person.home_page:
        person.home_page = page
    context = HomeContext(session, settings, person, snapshot(session, settings, person, now), now, page)
    built: list[Sequence[Block]] = [[text_section(notice)]] if notice else []
    for title, section in SECTIONS if sections is None else sections:
        try:
            # A savepoint, so a section's failed query cannot spoil the others' session.
            with session.begin_nested():
                blocks = list(section(context))
            if blocks:
                built.append(blocks)
        except Exception:
            log.exception(
                "team=%s user=%s: Home section %r failed", team_id, _who(user_id, unattributed), title
            )
            built.append(unavailable_section(title))
    return home_view(built)


def _who(user_id: str, unattributed: bool) -> str:
    return "(withheld)" if unattributed else user_id


def publish_home(
    deps: Deps,
    team_id: str,
    user_id: str,
    *,
    notice: str | None = None,
    page: int | None = None,
    unattributed: bool = False,
) -> bool:
    """Build and publish the person's Home; False (logged) if Slack refused it.

    Call it after any change Home shows. The view is built in a transaction that is
    closed before Slack is called. A `notice` (mrkdwn) is shown at the top until the
    next publish — for telling someone on the Home tab that a button didn't work.
    `page`: the flagged pairs' page an admin turned to; None keeps the one they were on.
    `unattributed`: no log line names the user (after an anonymous answer).
    """
    with transaction(deps.session_factory) as session:
        view = build_home(
            session,
            deps.settings,
            team_id,
            user_id,
            deps.now(),
            notice=notice,
            page=page,
            unattributed=unattributed,
        )
    who = _who(user_id, unattributed)
    try:
        client = deps.client_for(team_id)
        # Not even the Slack client's debug log may say whose Home followed an answer.
        client = unattributed_client(client) if unattributed else client
        client.views_publish(user_id=user_id, view=view)
    except NotInstalled:
        log.warning(
            "team=%s user=%s: no installation covers this workspace; Home not published", team_id, who
        )
        return False
    except SlackApiError as error:
        log.warning("team=%s user=%s: could not publish Home (%s)", team_id, who, slack_error_code(error))
        return False
    except SlackTokenRotationError as failed:
        code = slack_error_code(failed.api_error)
        log.warning(
            "team=%s user=%s: token could not be refreshed; Home not published (%s)", team_id, who, code
        )
        return False
    except OSError as error:
        log.warning("team=%s user=%s: could not reach Slack to publish Home (%s)", team_id, who, error)
        return False
    return True
