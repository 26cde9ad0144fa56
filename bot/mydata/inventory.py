"""Every column that points at a person or holds free text, and what the export, forgetting
and the retention purge do with it — in one place, so a new table cannot be missed.

`person_columns()` and `free_text_columns()` find the candidates in the models (a
foreign key to `person` or `pair`, a Slack-id-like name, JSON, a channel; `Text` and long
strings). The tests fail when a candidate is missing here, so whoever adds a column
decides, in this file, how it is exported, forgotten and kept. docs/security.md tells
the same story in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, MetaData, String, Text


@dataclass(frozen=True)
class Link:
    """How a column that points at a person is treated.

    `export` is the export's section (the table name) that carries the person's rows, or
    None with `why` saying why it is not theirs to take.
    """

    export: str | None
    forget: str
    why: str = ""


@dataclass(frozen=True)
class FreeText:
    """How a free-text column is kept: purged after RETENTION_DAYS, or kept and why."""

    purged: bool
    how: str


DELETED_COUNTED = "deleted; its counts are added to kept_count (no person, no time finer than the month)"
FORMER = "replaced by 'former-member'"

PERSON_LINKS: dict[str, Link] = {
    # --- the person and their pairs --------------------------------------------------------
    "person.user_id": Link(
        "person",
        "the row is deleted, or — when another person's history points at it (an ended pair) — "
        "emptied to a placeholder with a random 'former-…' id, no name, email or zone, messages off",
    ),
    "pair.mentor_id": Link("pair", "open pairs end; the row stays for the other person, at the placeholder"),
    "pair.mentee_id": Link("pair", "open pairs end; the row stays for the other person, at the placeholder"),
    "pair.created_by": Link("pair", FORMER),
    # --- nudges ------------------------------------------------------------------------------
    "nudge_send.person_id": Link("nudge_send", DELETED_COUNTED),
    "nudge_send.channel": Link("nudge_send", "deleted with the nudge (it is the person's DM)"),
    "nudge_send.mentee_id": Link(
        None,
        "emptied: the mentor keeps the nudge without the name",
        "a mentor's nudges are the mentor's own record",
    ),
    "nudge_answer.person_id": Link("nudge_answer", DELETED_COUNTED),
    # --- meetings and feedback chats ---------------------------------------------------------
    "meeting_log.mentor_id": Link("meeting_log", DELETED_COUNTED),
    "meeting_log.mentee_id": Link(
        None,
        "kept for the mentor, at the placeholder",
        "a mentor's meeting log is the mentor's own record (mentees are never asked there)",
    ),
    "meeting_log.pair_id": Link("meeting_log", "as mentor_id / mentee_id"),
    "feedback_request.mentor_id": Link(
        "feedback_request", "kept for the mentee at the placeholder; the mentor's note emptied"
    ),
    "feedback_request.mentee_id": Link(
        "feedback_request", "kept for the mentor at the placeholder; the topic emptied, an open one closed"
    ),
    "feedback_request.pair_id": Link("feedback_request", "as mentor_id / mentee_id"),
    "feedback_request.channel": Link("feedback_request", "emptied when it is the forgotten mentor's DM"),
    # --- check-ins ---------------------------------------------------------------------------
    "pulse_round.person_id": Link("pulse_round", "deleted"),
    "pulse_round.mentor_id": Link(
        None,
        "deleted: every check-in about a forgotten mentor goes",
        "a mentee's invitation about a mentor is the mentee's",
    ),
    "pulse_round.pair_id": Link("pulse_round", "deleted with the forgotten person's pairs' check-ins"),
    "pulse_round.channel": Link("pulse_round", "deleted with the round"),
    "pulse_participation.pair_id": Link(
        "pulse_participation",
        "deleted for every pair of theirs; counts kept per quarter (the anonymity threshold then counts "
        "fewer mentees, never more answers than it can see)",
    ),
    "pulse_batch.mentor_id": Link(
        None,
        "deleted: published figures about a forgotten mentor describe them",
        "combined answers of at least ANONYMITY_MIN mentees, shown to the mentor through `/mentor pulse`; "
        "a mentee's own answers have no link to them at all and are never looked for",
    ),
    "pulse_batch.comments": Link(
        None,
        "deleted with a forgotten mentor's batches; emptied once the batch's last quarter ended "
        "RETENTION_DAYS ago",
        "anonymous comments, in random order, linked to no one",
    ),
    "pulse_self_answer.mentor_id": Link("pulse_self_answer", "deleted; counts kept per quarter"),
    # --- agreements and the rota ----------------------------------------------------------------
    "agreement.mentor_id": Link(
        "agreement", "the pair's agreements are deleted; agreed ones and goals met counted"
    ),
    "agreement.mentee_id": Link(
        "agreement", "the pair's agreements are deleted; agreed ones and goals met counted"
    ),
    "agreement.pair_id": Link("agreement", "as mentor_id / mentee_id"),
    "agreement_version.author_id": Link("agreement_version", "deleted with the agreement"),
    "agreement_version.goals": Link(
        "agreement_version", "deleted with the agreement; emptied RETENTION_DAYS after the pair ended"
    ),
    "goal_review.marked_by": Link("goal_review", "deleted with the agreement"),
    "rota_shift.person_id": Link("rota_shift", "deleted"),
    "rota_feed.person_id": Link("rota_feed", "deleted (the address is shown masked in the export)"),
    "rotation_reflection.person_id": Link("rotation_reflection", "deleted"),
    "rota_import.created_by": Link("rota_import", FORMER + "; unapplied checks naming them deleted"),
    "rota_import.applied_by": Link("rota_import", FORMER),
    "rota_import.plan": Link(
        "rota_import", "checks nobody applied that name them are deleted (applied ones hold counts only)"
    ),
    # --- reflections -------------------------------------------------------------------------
    "reflection.user_id": Link(
        "reflection", "text emptied and the name taken off: it still counts as shared, by no one"
    ),
    "reflection_channel.admin_user_id": Link(
        "reflection_channel", "handed to another admin (the one who forgot them, or the first other admin)"
    ),
    # --- admins' work ------------------------------------------------------------------------
    "custom_nudge.created_by": Link("custom_nudge", FORMER + " (the nudge is program content and stays)"),
    "disabled_nudge.disabled_by": Link("disabled_nudge", FORMER),
    "pulse_settings.updated_by": Link("pulse_settings", FORMER),
    "roster_import.created_by": Link("roster_import", FORMER + "; unapplied checks naming them deleted"),
    "roster_import.applied_by": Link("roster_import", FORMER),
    "audit_log.actor_user_id": Link("audit_log", FORMER),
    "audit_log.target": Link("audit_log", "their id replaced by 'former-member'"),
    "slack_installations.user_id": Link(
        "slack_installations", FORMER + "; any user token cleared (the app asks for none)"
    ),
    # --- the outbox --------------------------------------------------------------------------
    "delivery.recipient": Link("delivery", "every row addressed to them is deleted (queued ones never go)"),
    "delivery.person_id": Link("delivery", "every row addressed to them is deleted"),
    "delivery.channel": Link("delivery", "deleted with the row"),
    # --- JSON that may carry ids ---------------------------------------------------------------
    "delivery.payload": Link(
        "delivery", "rows to others that name them: queued ones cancelled, every one's payload emptied"
    ),
    "audit_log.detail": Link("audit_log", "their id replaced by 'former-member'"),
    "roster_import.plan": Link(
        "roster_import",
        "checks nobody applied that name them are deleted (applied ones hold counts only)",
    ),
}

# Columns that look like links but point at no one (the finder flags them by name or type).
NOT_A_PERSON: dict[str, str] = {
    "workspace.bot_user_id": "the app's own bot user",
    "slack_bots.bot_user_id": "the app's own bot user",
    "slack_installations.bot_user_id": "the app's own bot user",
    "delivery.claimed_by": "the clock process that claimed the row",
    "agreement.proposed_by": "a role (mentor or mentee), not a person",
    "pulse_batch.items": "sums and counts per item over at least ANONYMITY_MIN mentees",
    "custom_nudge.followup_choices": "program content: an admin's answer choices",
    "reflection_channel.themes": "practice keys",
    "meeting_log.practices": "practice keys",
    "reflection.practices": "practice keys",
    "reflection_prompt.channel_id": "a channel",
    "reflection_channel.channel_id": "a channel",
}

FREE_TEXT: dict[str, FreeText] = {
    "nudge_answer.note": FreeText(True, "emptied RETENTION_DAYS after it was written"),
    "feedback_request.topic": FreeText(True, "emptied RETENTION_DAYS after the request (or its answer)"),
    "feedback_request.mentor_note": FreeText(True, "emptied RETENTION_DAYS after the answer"),
    "agreement_version.reach": FreeText(True, "emptied RETENTION_DAYS after the pair ended"),
    "agreement_version.feedback": FreeText(True, "emptied RETENTION_DAYS after the pair ended"),
    "agreement_version.note": FreeText(True, "emptied RETENTION_DAYS after the pair ended"),
    "rotation_reflection.text": FreeText(True, "emptied RETENTION_DAYS after it was written"),
    "reflection.text": FreeText(True, "emptied RETENTION_DAYS after the day it was shared"),
    "colleague_name.name": FreeText(
        True, "deleted RETENTION_DAYS after it was confirmed (the screen asks again next time)"
    ),
    "custom_nudge.text": FreeText(False, "program content written by admins, not about a person"),
    "custom_nudge.followup_question": FreeText(False, "program content written by admins"),
    "nudge_answer.followup_choice": FreeText(False, "a one-tap answer, one of the nudge's own choices"),
    "feedback_request.closed_reason": FreeText(False, "the app's own words"),
    "reflection_prompt.note": FreeText(False, "the app's own words about a prompt"),
    "delivery.error": FreeText(False, "Slack's error code or the app's own words"),
    "delivery.dedupe_key": FreeText(False, "the app's key; deleted with the rows addressed to a person"),
    "pair.cohort": FreeText(False, "a program or year name (screened), program content"),
    "pulse_batch.cohort": FreeText(False, "a program or year name (screened), program content"),
    "rotation_reflection.rotation_key": FreeText(False, "the rotation's start date and name"),
    "rota_feed.url": FreeText(
        False,
        "a secret calendar address, kept while the feed is on; deleted with `/mentor rota feed off` "
        "or when the person is forgotten; never logged, shown masked, stored sealed under the app's key",
    ),
    "rota_feed.last_error": FreeText(False, "the app's words about the feed's last failure"),
    "rota_import.source": FreeText(False, "a file name that passed the screen"),
    "person.display_name": FreeText(False, "from Slack, refreshed; cleared when the person is forgotten"),
    "person.real_name": FreeText(False, "from Slack, refreshed; cleared when the person is forgotten"),
    "person.email": FreeText(False, "from Slack, refreshed; cleared when the person is forgotten"),
    "workspace.name": FreeText(False, "the workspace's name"),
    "workspace.sending_paused_reason": FreeText(False, "Slack's error code"),
    "roster_import.source": FreeText(
        False, "a file name that passed the screen; unapplied checks are deleted within two days"
    ),
    "audit_log.target": FreeText(False, "ids, keys and file names: the program's record of admin actions"),
    "slack_installations.enterprise_name": FreeText(False, "Slack's install record"),
    "slack_installations.enterprise_url": FreeText(False, "Slack's install record"),
    "slack_installations.team_name": FreeText(False, "Slack's install record"),
    "slack_installations.bot_token": FreeText(False, "a secret, kept until uninstall; never exported"),
    "slack_installations.bot_refresh_token": FreeText(False, "a secret, kept until uninstall"),
    "slack_installations.bot_scopes": FreeText(False, "Slack's install record"),
    "slack_installations.user_token": FreeText(False, "a secret (the app asks for no user scopes)"),
    "slack_installations.user_refresh_token": FreeText(False, "a secret (the app asks for no user scopes)"),
    "slack_installations.user_scopes": FreeText(False, "Slack's install record"),
    "slack_installations.incoming_webhook_url": FreeText(False, "unused: the app asks for no webhook"),
    "slack_installations.incoming_webhook_channel": FreeText(False, "unused"),
    "slack_installations.incoming_webhook_channel_id": FreeText(False, "unused"),
    "slack_installations.incoming_webhook_configuration_url": FreeText(False, "unused"),
    "slack_bots.enterprise_name": FreeText(False, "Slack's install record"),
    "slack_bots.team_name": FreeText(False, "Slack's install record"),
    "slack_bots.bot_token": FreeText(False, "a secret, kept until uninstall"),
    "slack_bots.bot_refresh_token": FreeText(False, "a secret, kept until uninstall"),
    "slack_bots.bot_scopes": FreeText(False, "Slack's install record"),
    "slack_oauth_states.state": FreeText(False, "a one-time install state, minutes long"),
}

# Columns in installation tables that must never leave the database (the export drops them).
SECRETS = frozenset({"bot_token", "bot_refresh_token", "user_token", "user_refresh_token"})

_ID_NAMES = ("recipient", "target", "channel", "channel_id")
_LONG_STRING = 100


def _name(table: str, column: str) -> str:
    return f"{table}.{column}"


def person_columns(metadata: MetaData) -> set[str]:
    """Columns that may point at a person: a foreign key to `person` or `pair`, a
    Slack-id-like name (`…user_id`, `…_by`, recipient, target, channel), or JSON."""
    found = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if (
                targets & {"person", "pair"}
                or column.name.endswith(("user_id", "_by"))
                or column.name in _ID_NAMES
                or isinstance(column.type, JSON)
            ):
                found.add(_name(table.name, column.name))
    return found


def free_text_columns(metadata: MetaData) -> set[str]:
    """`Text` columns and strings of 100 characters or more."""
    found = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, Text) or (isinstance(kind, String) and (kind.length or 0) >= _LONG_STRING):
                found.add(_name(table.name, column.name))
    return found


def purged_columns() -> list[str]:
    """The free-text columns the retention purge empties."""
    return [name for name, entry in FREE_TEXT.items() if entry.purged]
