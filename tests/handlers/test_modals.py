"""The client modals are opened with: one quick try."""

from __future__ import annotations

from handlers.modals import TRIGGER_TIMEOUT_SECONDS, trigger_client


def test_the_trigger_client_never_retries_and_gives_up_inside_the_triggers_life(deps):
    client = trigger_client(deps, "T0TEST001")

    assert client.retry_handlers == []
    assert client.timeout == TRIGGER_TIMEOUT_SECONDS < 3
    assert (client.token, client.base_url) == (deps.client.token, deps.client.base_url)
