"""Who acted, read from an interactive payload."""

from __future__ import annotations

import pytest

from handlers.payload import team_and_user


def test_the_team_comes_from_team_id_and_the_user_from_user_id():
    body = {"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T2"}}

    assert team_and_user(body) == ("T1", "U1")


def test_without_a_team_the_users_team_id_is_used():
    assert team_and_user({"team": None, "user": {"id": "U1", "team_id": "T2"}}) == ("T2", "U1")
    assert team_and_user({"user": {"id": "U1", "team_id": "T2"}}) == ("T2", "U1")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"team": None, "user": None},
        {"team": "T1", "user": "U1"},
        {"team": {"id": None}, "user": {"id": None, "team_id": None}},
        {"team": {"id": 7}, "user": {"id": ["U1"], "team_id": 8}},
    ],
)
def test_missing_or_odd_ids_read_as_empty(body):
    assert team_and_user(body) == ("", "")


def test_an_odd_team_id_falls_back_to_the_users_team():
    assert team_and_user({"team": {"id": 7}, "user": {"id": "U1", "team_id": "T2"}}) == ("T2", "U1")
