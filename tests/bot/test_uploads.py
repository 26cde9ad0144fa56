"""Files reach a person's DM through Slack's three-step upload, under a covering message."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack import make_client
from bot.uploads import OutgoingFile, send_files_to_dm
from tests.conftest import MENTOR, settings_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def client(fake_slack, tmp_path):
    return make_client(settings_for(fake_slack, f"sqlite:///{tmp_path / 'x.db'}"), backoff_factor=0.01)


def test_files_follow_a_covering_message_in_the_dm(client, fake_slack):
    ids = send_files_to_dm(
        client,
        MENTOR,
        text="Here is your report for November.",
        files=[
            OutgoingFile("chart.png", PNG, "Response rate"),
            OutgoingFile("summary.csv", b"a,b\n1,2\n", "Summary"),
        ],
    )

    dm = "D" + MENTOR[1:]
    [message] = fake_slack.dms_to(MENTOR)
    assert message.args["text"] == "Here is your report for November."
    shared = fake_slack.uploads.shared_in(dm)
    assert [u.file_id for u in shared] == ids and len(ids) == 2
    assert shared[0].content == PNG and shared[0].title == "Response rate"
    assert shared[1].text == "a,b\n1,2\n" and shared[1].filename == "summary.csv"


def test_a_person_slack_does_not_know_gets_slacks_error(client, fake_slack):
    with pytest.raises(SlackApiError) as failure:
        send_files_to_dm(client, "U0NOBODY1", text="hello", files=[OutgoingFile("a.csv", b"x", "A")])

    assert failure.value.response["error"] == "channel_not_found"
    assert fake_slack.uploads.shared() == []


def test_sharing_needs_the_dms_own_id_not_the_members(client, fake_slack):
    # Slack shares files in conversations; a member id is not one (hence the covering message).
    with pytest.raises(SlackApiError) as failure:
        client.files_upload_v2(channel=MENTOR, content=b"x", filename="a.csv", title="A")

    assert failure.value.response["error"] == "channel_not_found"
