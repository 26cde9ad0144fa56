"""The fake Slack stays honest: its methods and required arguments match Slack's spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.block_limits import message_errors, view_errors
from tests.fakes.slack_api import BOT_TOKEN, REQUIRED_ARGS

SPEC = Path(__file__).resolve().parents[3] / "shared" / "slack-api-specs" / "slack_web_openapi_v2.json"
# Methods newer than the 2020 spec.
NEWER_THAN_SPEC = {"apps.connections.open", "files.getUploadURLExternal", "files.completeUploadExternal"}
# Arguments the spec requires that Slack has since made optional: token rotation (2021)
# calls oauth.v2.access with grant_type=refresh_token and no code. The fake still
# refuses a call with neither (tests/fakes/test_fake_oauth.py).
OPTIONAL_SINCE_SPEC = {"oauth.v2.access": {"code"}}


@pytest.fixture(scope="module")
def spec():
    if not SPEC.is_file():
        pytest.skip(f"Slack's OpenAPI spec is not beside the project ({SPEC})")
    return json.loads(SPEC.read_text())


def test_every_faked_method_exists_in_slacks_spec_with_the_same_required_arguments(spec):
    for method, required in REQUIRED_ARGS.items():
        if method in NEWER_THAN_SPEC:
            continue
        path = spec["paths"].get(f"/{method}")
        assert path is not None, f"{method} is not a Slack Web API method"
        (operation,) = path.values()
        spec_required = {
            p["name"] for p in operation.get("parameters", []) if p.get("required") and p["name"] != "token"
        } - OPTIONAL_SINCE_SPEC.get(method, set())
        assert set(required) >= spec_required, (
            f"{method}: spec requires {spec_required}, fake checks {required}"
        )


@pytest.fixture
def client(fake_slack):
    return WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


def test_missing_required_arguments_are_refused(client):
    with pytest.raises(SlackApiError) as error:
        client.api_call("chat.update", json={"channel": "C1"})
    assert error.value.response["error"] == "invalid_arguments"


def test_unknown_methods_are_refused(client):
    with pytest.raises(SlackApiError) as error:
        client.api_call("chat.postMessagee", json={"channel": "C1"})
    assert error.value.response["error"] == "unknown_method"


def test_wrong_token_is_invalid_auth(fake_slack):
    with pytest.raises(SlackApiError) as error:
        WebClient(token="xoxb-nope", base_url=fake_slack.api_url).auth_test()
    assert error.value.response["error"] == "invalid_auth"


def test_posting_to_a_user_lands_in_their_dm(client, fake_slack):
    response = client.chat_postMessage(channel="U0MENTEE1", text="hi")

    assert response["channel"] == "D0MENTEE1"
    assert fake_slack.messages["D0MENTEE1"][0]["text"] == "hi"


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "less than 3001"),
        ([{"type": "divider"}] * 51, "no more than 50"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}, "action_id": "a"}
                    ],
                }
            ],
            "less than 76",
        ),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "must be plain_text"),
        ([{"type": "section"}], "must provide text or fields"),
        ([{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}], "duplicate block_id"),
        (
            [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "l"},
                    "element": {"type": "plain_text_input"},
                }
            ],
            "only allowed in modals",
        ),
    ],
)
def test_messages_breaking_block_kit_limits_are_refused(client, blocks, fragment):
    assert any(fragment in e for e in message_errors("t", blocks))
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="U0MENTEE1", text="t", blocks=blocks)
    assert error.value.response["error"] == "invalid_blocks"


def test_option_groups_are_checked_like_slack_does():
    def select_with(groups):
        return {
            "type": "modal",
            "title": {"type": "plain_text", "text": "t"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "l"},
                    "element": {"type": "static_select", "action_id": "s", "option_groups": groups},
                }
            ],
        }

    def option(i):
        return {"text": {"type": "plain_text", "text": f"o{i}"}, "value": str(i)}

    fine = [{"label": {"type": "plain_text", "text": "g"}, "options": [option(i) for i in range(100)]}]
    crowded = [{"label": {"type": "plain_text", "text": "g"}, "options": [option(i) for i in range(101)]}]
    long_label = [{"label": {"type": "plain_text", "text": "g" * 76}, "options": [option(1)]}]

    assert view_errors(select_with(fine)) == []
    assert any("no more than 100" in e for e in view_errors(select_with(crowded)))
    assert any("less than 76" in e for e in view_errors(select_with(long_label)))
    assert any("no more than 100" in e for e in view_errors(select_with(fine * 101)))


def test_modal_limits(client):
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "l"},
                "element": {"type": "plain_text_input", "action_id": "x"},
            }
        ],
    }

    errors = view_errors(view)

    assert any("/view/title/text" in e for e in errors)
    assert any("needs a submit button" in e for e in errors)
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id="1.2.3", view=view)


def test_scripted_faults(client, fake_slack):
    fake_slack.fail("users.info", "user_not_found")
    with pytest.raises(SlackApiError) as error:
        client.users_info(user="U0ADMIN01")
    assert error.value.response["error"] == "user_not_found"
    assert client.users_info(user="U0ADMIN01")["user"]["tz"] == "America/New_York"

    fake_slack.rate_limit("auth.test", retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        client.auth_test()
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] in ("7", ["7"])
