"""The roster import modal, end to end through signed requests and the fake Slack."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import AuditLog, RosterImport
from tests.bot.roster.fixtures import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    DOMAIN,
    ELI,
    active_pairs,
    add_program,
    audit_actions,
    blocks_text,
    corpus,
    program_csv,
    snapshot,
)
from tests.conftest import ADMIN, MENTOR
from tests.fakes.slack_api import BOT_TOKEN
from tests.handlers.roster_support import (
    at,
    run,
)
from tests.handlers.roster_support import (
    corpus_people as corpus_people,
)

# --- /mentor import ---------------------------------------------------------------------------


def open_import(slack, fake_slack, user_id=ADMIN) -> str:
    fake_slack.reset_calls()
    reply = slack.command("import", user_id=user_id)
    assert reply.status == 200 and not reply.body
    fake_slack.last("views.open")  # fails the test if no modal was opened
    return list(fake_slack.views)[-1]


def submit_import(slack, fake_slack, view_id, *, file=None, pasted=None, end_missing=False, user_id=ADMIN):
    values = {
        "file": {"file": {"type": "file_input", "files": [file] if file else []}},
        "paste": {"paste": {"type": "plain_text_input", "value": pasted}},
        "options": {
            "options": {
                "type": "checkboxes",
                "selected_options": [{"value": "end_missing"}] if end_missing else [],
            }
        },
    }
    return slack.submit(fake_slack.views[view_id], values, user_id=user_id)


def view_text(view) -> str:
    return blocks_text(view.get("blocks") or [])


def test_import_opens_a_modal_with_a_file_input_and_a_paste_box(slack, fake_slack):
    view_id = open_import(slack, fake_slack)

    view = fake_slack.views[view_id]
    elements = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert elements == {"file": "file_input", "paste": "plain_text_input", "options": "checkboxes"}
    assert view["callback_id"] == "roster_import"


def test_only_admins_can_open_the_import(slack, fake_slack):
    assert "is for program admins" in run(slack, fake_slack, "import", user_id=MENTOR)
    assert fake_slack.calls_to("views.open") == []


def test_a_file_is_checked_then_applied_with_one_click(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)
    file = fake_slack.add_file("F0ROSTER1", "roster.csv", corpus("problems.csv"))

    ack = submit_import(slack, fake_slack, view_id, file=file).json()

    assert ack["response_action"] == "update" and "Checking your roster" in view_text(ack["view"])
    download = fake_slack.last("files.download")
    assert (download.args["file"], download.token) == ("F0ROSTER1", BOT_TOKEN)
    report = fake_slack.views[view_id]
    text = view_text(report)
    assert report["callback_id"] == "roster_import_confirm" and report["submit"]["text"] == "Apply changes"
    assert "*Nothing has been changed yet.*" in text and "*roster.csv* (10 rows)" in text
    assert "• *1* pair to add" in text and "*9* lines with errors, skipped" in text
    assert f"line 2: no Slack user with email nobody@{DOMAIN}" in text
    assert "line 5: U0HELPBOT is a bot, not a person" in text
    assert active_pairs(deps.session_factory) == set()

    applied = submit_import_confirm(slack, fake_slack, view_id)

    assert applied["response_action"] == "update" and "Applying" in view_text(applied["view"])
    done = view_text(fake_slack.views[view_id])
    assert (
        "The roster is updated" in done and "1 pair added" in done and "9 lines with errors skipped" in done
    )
    assert active_pairs(deps.session_factory) == {(BEN, "U0FATIMA1", "IM")}
    assert [a[1] for a in audit_actions(deps.session_factory)] == ["import.apply"]


def submit_import_confirm(slack, fake_slack, view_id, user_id=ADMIN):
    return slack.submit(fake_slack.views[view_id], {}, user_id=user_id).json()


def test_a_second_click_on_apply_changes_nothing(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)
    submit_import(slack, fake_slack, view_id, pasted=f"ana.ruiz@{DOMAIN}, chloe.martin@{DOMAIN}")
    report = dict(fake_slack.views[view_id])
    slack.submit(report, {}, user_id=ADMIN)
    before = snapshot(deps.session_factory)

    slack.submit(report, {}, user_id=ADMIN)  # the same dry run, submitted again

    assert "already applied by <@U0ADMIN01>" in view_text(fake_slack.views[view_id])
    assert snapshot(deps.session_factory) == before


def test_pasted_rows_are_checked_like_a_file(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)

    ack = submit_import(
        slack,
        fake_slack,
        view_id,
        pasted=f"ana.ruiz@{DOMAIN}; chloe.martin@{DOMAIN}; IM\nben.okoro@{DOMAIN}; eli.cohen@{DOMAIN}",
    ).json()

    assert "Checking 2 lines" in view_text(ack["view"])
    assert "• *2* pairs to add" in view_text(fake_slack.views[view_id])
    submit_import_confirm(slack, fake_slack, view_id)
    assert active_pairs(deps.session_factory) == {(ANA, CHLOE, "IM"), (BEN, ELI, None)}


def test_reimporting_the_same_file_shows_nothing_to_change_and_no_apply_button(slack, fake_slack, deps):
    file = fake_slack.add_file("F0ROSTER1", "medhub.csv", corpus("medhub_export.csv"))
    view_id = open_import(slack, fake_slack)
    submit_import(slack, fake_slack, view_id, file=file)
    submit_import_confirm(slack, fake_slack, view_id)
    before = snapshot(deps.session_factory)

    view_id = open_import(slack, fake_slack)
    submit_import(slack, fake_slack, view_id, file=file, end_missing=True)

    report = fake_slack.views[view_id]
    assert "Nothing to change: the roster already matches this file." in view_text(report)
    assert "• *2* already in the roster" in view_text(report) and "• *0* pairs to end" in view_text(report)
    assert report.get("submit") is None
    after = snapshot(deps.session_factory)
    assert after["roster_import"] == before["roster_import"] + 1
    assert {k: v for k, v in after.items() if k != "roster_import"} == {
        k: v for k, v in before.items() if k != "roster_import"
    }


def test_ending_pairs_missing_from_the_file_is_opt_in_and_listed(slack, fake_slack, deps):
    run(slack, fake_slack, f"pair {at(ANA)} {at(DEV)}")
    run(slack, fake_slack, f"pair {at(BEN)} {at(ELI)}")
    view_id = open_import(slack, fake_slack)

    submit_import(
        slack, fake_slack, view_id, pasted=f"ana.ruiz@{DOMAIN},dev.patel@{DOMAIN}", end_missing=True
    )

    text = view_text(fake_slack.views[view_id])
    assert "• *1* pair to end (not in this file)" in text
    assert f"*To end* (in the roster, not in this file)\n• <@{BEN}> → <@{ELI}>" in text
    submit_import_confirm(slack, fake_slack, view_id)
    assert active_pairs(deps.session_factory) == {(ANA, DEV, None)}


@pytest.mark.parametrize(
    ("file", "pasted", "block", "message"),
    [
        (None, None, "file", "Choose a CSV file, or paste some rows below."),
        (True, "a@x.org,b@x.org", "paste", "Use either a file or pasted rows, not both"),
        (None, "   \n  ", "file", "Choose a CSV file"),
    ],
)
def test_a_form_with_nothing_or_too_much_is_sent_back_with_the_reason(
    slack, fake_slack, deps, file, pasted, block, message
):
    view_id = open_import(slack, fake_slack)
    upload = fake_slack.add_file("F0ROSTER1", "roster.csv", b"a@x.org,b@x.org\n") if file else None
    before = snapshot(deps.session_factory)

    ack = submit_import(slack, fake_slack, view_id, file=upload, pasted=pasted).json()

    assert ack["response_action"] == "errors" and list(ack["errors"]) == [block]
    assert message in ack["errors"][block]
    assert snapshot(deps.session_factory) == before


@pytest.mark.parametrize(
    ("content", "notice"),
    [
        (b"\x00\x01\x02binary", "doesn't look like a CSV"),
        (b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "missing the `files:read` permission"),
        (b"Mentor,Mentee\n\n", "couldn't find any rows"),
    ],
)
def test_unusable_files_bring_the_form_back_with_what_to_do(slack, fake_slack, deps, content, notice):
    view_id = open_import(slack, fake_slack)
    file = fake_slack.add_file("F0ROSTER1", "roster.csv", content)
    before = snapshot(deps.session_factory)

    submit_import(slack, fake_slack, view_id, file=file)

    form = fake_slack.views[view_id]
    assert form["callback_id"] == "roster_import"
    assert notice in view_text(form)
    assert snapshot(deps.session_factory) == before


def test_the_token_never_follows_a_link_away_from_slack(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)
    file = {**fake_slack.add_file("F0ROSTER1", "roster.csv", b"a@x.org,b@x.org\n")}
    file["url_private_download"] = "https://files.example.net/F0ROSTER1/download"

    submit_import(slack, fake_slack, view_id, file=file)

    assert "didn't give me a download link" in view_text(fake_slack.views[view_id])
    assert fake_slack.calls_to("files.download") == []


def test_a_file_object_without_a_link_is_completed_with_files_info(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)
    fake_slack.add_file("F0ROSTER1", "roster.csv", corpus("medhub_export.csv"))

    submit_import(slack, fake_slack, view_id, file={"id": "F0ROSTER1", "name": "roster.csv"})

    assert fake_slack.last("files.info").args["file"] == "F0ROSTER1"
    assert "• *2* pairs to add" in view_text(fake_slack.views[view_id])


def test_a_file_slack_no_longer_has_is_explained(slack, fake_slack):
    view_id = open_import(slack, fake_slack)

    submit_import(slack, fake_slack, view_id, file={"id": "F0DELETED", "name": "roster.csv"})

    assert "Slack couldn't find that file any more (file_not_found)" in view_text(fake_slack.views[view_id])


def test_a_file_that_vanished_is_explained(slack, fake_slack):
    view_id = open_import(slack, fake_slack)
    file = fake_slack.add_file("F0ROSTER1", "roster.csv", b"a@x.org,b@x.org\n")
    del fake_slack.files["F0ROSTER1"]

    submit_import(slack, fake_slack, view_id, file=file)

    assert "Slack couldn't hand over that file (HTTP 404)" in view_text(fake_slack.views[view_id])


def test_someone_who_lost_admin_rights_cannot_apply(slack, fake_slack, deps):
    run(slack, fake_slack, f"admin add {at(ANA)}")
    view_id = open_import(slack, fake_slack, user_id=ANA)
    submit_import(slack, fake_slack, view_id, pasted=f"ben.okoro@{DOMAIN},dev.patel@{DOMAIN}", user_id=ANA)
    run(slack, fake_slack, f"admin remove {at(ANA)}")
    before = snapshot(deps.session_factory)

    ack = submit_import_confirm(slack, fake_slack, view_id, user_id=ANA)

    assert "Only program admins can import a roster" in view_text(ack["view"])
    assert snapshot(deps.session_factory) == before


def test_a_long_error_list_is_summarised_within_slacks_limits(slack, fake_slack, deps):
    view_id = open_import(slack, fake_slack)
    rows = "\n".join(f"ana.ruiz@{DOMAIN},ghost{i}@{DOMAIN}" for i in range(300))
    file = fake_slack.add_file("F0ROSTER1", "big.csv", rows.encode())

    submit_import(slack, fake_slack, view_id, file=file)

    text = view_text(fake_slack.views[view_id])  # the fake refuses views that break Block Kit limits
    assert "*Lines that can't be imported* (300)" in text
    assert f"line 20: no Slack user with email ghost19@{DOMAIN}" in text
    assert "ghost20@" not in text and "…and 280 more." in text


def test_a_five_hundred_pair_roster_loads_from_the_modal_in_one_step(slack, fake_slack, deps):
    add_program(fake_slack, mentors=250, mentees=500)
    view_id = open_import(slack, fake_slack)
    file = fake_slack.add_file("F0ROSTER1", "residency-2027.csv", program_csv(500, mentors=250).encode())

    submit_import(slack, fake_slack, view_id, file=file)
    report = view_text(fake_slack.views[view_id])
    submit_import_confirm(slack, fake_slack, view_id)

    assert "• *500* pairs to add" in report and "…and 490 more." in report
    assert "500 pairs added" in view_text(fake_slack.views[view_id])
    assert len(active_pairs(deps.session_factory)) == 500
    with transaction(deps.session_factory) as session:
        assert session.scalars(select(RosterImport.applied_by)).all() == [ADMIN]
        assert session.scalars(select(AuditLog.action)).all() == ["import.apply"]


def test_import_acknowledges_first_and_explains_a_form_that_did_not_open(slack, fake_slack):
    fake_slack.rate_limit("views.open", retry_after=1)

    reply = slack.command("import", user_id=ADMIN)

    assert reply.status == 200 and not reply.body
    assert len(fake_slack.calls_to("views.open")) == 1  # not retried: the trigger would have expired
    answer = fake_slack.last("response_url").args
    assert answer["response_type"] == "ephemeral"
    assert "couldn't open the import form (Slack said `ratelimited`)" in answer["text"]
