"""Mentions and channel links as Slack escapes them in command text."""

from __future__ import annotations

import pytest

from bot.textparse import parse_channel, parse_user


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<@U0ANA0001|ana>", "U0ANA0001"),
        ("<@U0ANA0001>", "U0ANA0001"),
        ("<@W0GRID001|grid.user>", "W0GRID001"),
        ("U0ANA0001", "U0ANA0001"),
        ("@ana", None),
        ("ana", None),
        ("<#C0WARD001|ward>", None),
        ("", None),
    ],
)
def test_parse_user(token, expected):
    assert parse_user(token) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<#C0WARD001|ward-4>", "C0WARD001"),
        ("<#G0PRIV001|>", "G0PRIV001"),
        ("<#C0WARD001>", "C0WARD001"),
        ("C0WARD001", "C0WARD001"),
        ("#ward-4", None),
        ("<@U0ANA0001>", None),
    ],
)
def test_parse_channel(token, expected):
    assert parse_channel(token) == expected
