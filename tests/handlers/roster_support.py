"""Helpers shared by the roster handler tests: the corpus people, mentions and reading the answer."""

from __future__ import annotations

import pytest

from tests.bot.roster.fixtures import (
    add_corpus_people,
)
from tests.conftest import ADMIN


@pytest.fixture(autouse=True)
def corpus_people(fake_slack):
    add_corpus_people(fake_slack)


def at(user_id: str, name: str = "someone") -> str:
    """A mention as Slack escapes it in command text."""
    return f"<@{user_id}|{name}>"


def answer(reply, fake_slack) -> str:
    """What the person saw: the ack's text, or the last message sent to the response_url."""
    body = reply.json() if reply.body else {}
    if body.get("text"):
        assert body["response_type"] == "ephemeral"
        return body["text"]
    calls = fake_slack.calls_to("response_url")
    assert calls, "the command neither answered in its ack nor through the response_url"
    assert calls[-1].args.get("response_type") == "ephemeral"
    return calls[-1].args["text"]


def run(slack, fake_slack, text, user_id=ADMIN) -> str:
    fake_slack.reset_calls()
    return answer(slack.command(text, user_id=user_id), fake_slack)
