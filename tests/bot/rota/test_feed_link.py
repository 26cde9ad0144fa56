"""A calendar feed's link is sealed at rest: the database alone never gives it away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot import keys
from bot.db import transaction
from bot.models import Delivery, RotaFeed
from bot.people import ensure_person
from bot.rota.feed_link import UnreadableLink, is_sealed, open_link, seal_link
from bot.rota.service import rota_summary, set_feed
from bot.rota.types import UNREADABLE_LINK
from schedules.rota_step import refresh_feeds
from tests.bot.feedback.helpers import pair_up
from tests.bot.rota.test_feeds_and_checkins import NOW
from tests.conftest import MENTEE, MENTOR, settings_for
from tests.fakes.slack_api import TEAM_ID


def stored_link(session_factory) -> RotaFeed:
    with session_factory() as session:
        return session.scalars(select(RotaFeed)).one()


def test_a_saved_link_is_sealed_and_still_refreshes_and_shows_masked(
    session_factory, settings, calendar_server
):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        set_feed(session, settings, team_id=TEAM_ID, user_id=MENTOR, text=calendar_server.url, now=NOW)

    feed = stored_link(session_factory)
    assert is_sealed(feed.url) and "secret-token" not in feed.url and "127.0.0.1" not in feed.url
    assert refresh_feeds(session_factory, settings, NOW + timedelta(days=1)) == {"ok": 1}
    assert calendar_server.requests == 1
    with transaction(session_factory) as session:
        summary = rota_summary(session, settings, team_id=TEAM_ID, user_id=MENTOR, now=NOW)
    assert summary.feed is not None and summary.feed.endswith("…9f3a")


def test_a_link_saved_before_sealing_is_read_and_sealed_by_its_next_refresh(
    session_factory, settings, calendar_server
):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        set_feed(session, settings, team_id=TEAM_ID, user_id=MENTOR, text=calendar_server.url, now=NOW)
        session.execute(update(RotaFeed).values(url=calendar_server.url))  # as an older version stored it

    assert refresh_feeds(session_factory, settings, NOW + timedelta(days=1)) == {"ok": 1}

    feed = stored_link(session_factory)
    assert is_sealed(feed.url)
    assert (
        open_link(settings, feed.url, team_id=feed.team_id, person_id=feed.person_id) == calendar_server.url
    )


def test_a_sealed_link_opens_only_on_its_own_row(settings, session_factory):
    with transaction(session_factory) as session:
        ids = [ensure_person(session, TEAM_ID, user).id for user in (MENTOR, MENTEE)]
    sealed = seal_link(settings, "https://rota.example.org/feed/abc", team_id=TEAM_ID, person_id=ids[0])

    assert (
        open_link(settings, sealed, team_id=TEAM_ID, person_id=ids[0]) == "https://rota.example.org/feed/abc"
    )
    with pytest.raises(UnreadableLink):
        open_link(settings, sealed, team_id=TEAM_ID, person_id=ids[1])


def test_after_the_key_changes_the_owner_is_told_to_set_the_link_again(
    session_factory, settings, calendar_server, fake_slack, engine
):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        set_feed(session, settings, team_id=TEAM_ID, user_id=MENTOR, text=calendar_server.url, now=NOW)
    keys.derived_key.cache_clear()
    other_key = settings_for(
        fake_slack,
        engine.url.render_as_string(hide_password=False),
        ROTA_FEED_ALLOW_LOCAL_HTTP="true",
        SECRET_KEY="another-secret-key-0123456789-abcdefgh",
    )
    try:
        assert refresh_feeds(session_factory, other_key, NOW + timedelta(days=1)) == {"failed": 1}
        with transaction(session_factory) as session:
            summary = rota_summary(session, other_key, team_id=TEAM_ID, user_id=MENTOR, now=NOW)
    finally:
        keys.derived_key.cache_clear()

    assert calendar_server.requests == 0
    assert stored_link(session_factory).last_error == UNREADABLE_LINK[:200]
    assert summary.feed == "a link this app can no longer read (set it again)"
    with session_factory() as session:
        [notice] = session.scalars(select(Delivery).where(Delivery.dedupe_key.like("rota-feed:%"))).all()
    assert "set it again" in notice.payload["text"]
