"""The export as people read it: a Markdown summary beside the JSON file, and the JSON itself.

The summary says, section by section, what is kept and shows each record in a line or
two; the JSON has every field. Both are built from the same `MyData`, so they cannot
disagree. "What is not in here, and why" closes the summary.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.mydata.types import EXPORT_FORMAT, EXPORT_VERSION, MyData

Row = dict[str, Any]

# What the export leaves out, and why (in both files).
NOT_INCLUDED = (
    "Anonymous check-in answers. What mentees answer about a mentor is kept without the mentee, so "
    "nobody's own answers can be found — not even by them. A mentor sees them only combined, through "
    "`/mentor pulse`, once enough mentees have answered.",
    "Anonymous reflections. They carry no link to whoever shared them.",
    "Your mentor's own records about your mentoring: the nudges that named you and the meetings they "
    "logged. Those are theirs (mentees are never asked there).",
    "Other people's names and emails. Other people appear only by Slack member id, and only where a "
    "record is about the two of you (a pair, a feedback chat).",
    "Secrets: the app's access tokens, if you installed it.",
    "Messages in Slack itself. What the app posted in your DMs or in channels is in Slack, under your "
    "workspace's own retention; this file is what Mentor Nudge's database keeps.",
)


def _when(value: Any) -> str:
    """ "2026-12-01 14:00 UTC" from ISO text (or "—")."""
    if not value:
        return "—"
    text = str(value).replace("T", " ")
    return text[:16] + " UTC" if len(text) >= 16 else text


def _quote(text: Any) -> str:
    if not text:
        return ""
    return " — “" + " ".join(str(text).split()) + "”"


def _who(user_id: Any) -> str:
    return f"<@{user_id}>" if user_id else "someone no longer named"


def _person(row: Row) -> str:
    fields = (
        ("Slack member id", row.get("user_id")),
        ("Name", row.get("display_name")),
        ("Full name", row.get("real_name")),
        ("Email", row.get("email")),
        ("Time zone (Slack / your choice)", f"{row.get('tz') or '—'} / {row.get('tz_override') or '—'}"),
        ("Quiet hours (minutes after midnight)", f"{row.get('contact_start')}–{row.get('contact_end')}"),
        ("Quiet weekends", row.get("quiet_weekends")),
        ("Nudge days (0 = Monday) and minute", f"{row.get('nudge_days')} at {row.get('nudge_minute')}"),
        ("Pace", row.get("cadence")),
        ("Messages turned off since", _when(row.get("opted_out_at")) if row.get("opted_out_at") else "no"),
        ("Paused until", _when(row.get("paused_until")) if row.get("paused_until") else "no"),
        ("Program admin (granted in the app)", row.get("is_admin")),
        ("First seen", _when(row.get("created_at"))),
    )
    return "\n".join(f"- {label}: {value}" for label, value in fields)


def _pair(row: Row) -> str:
    role = row.get("your_role")
    other = row.get("mentee_user_id") if role == "mentor" else row.get("mentor_user_id")
    if role == "set up":
        what = f"you set up {_who(row.get('mentor_user_id'))} → {_who(row.get('mentee_user_id'))}"
    else:
        what = f"you are the {role}; the {'mentee' if role == 'mentor' else 'mentor'} is {_who(other)}"
    ended = f", ended {_when(row.get('ended_at'))}" if row.get("ended_at") else " (active)"
    cohort = f", cohort {row['cohort']}" if row.get("cohort") else ""
    return f"{what}{cohort}; since {_when(row.get('started_at'))}{ended}"


def _nudge(row: Row) -> str:
    return (
        f"{_when(row.get('planned_for'))}: {row.get('nudge_key')} "
        f"({row.get('practice')}, {row.get('origin')}), sent {_when(row.get('sent_at'))}"
    )


def _answer(row: Row) -> str:
    choice = f", then “{row['followup_choice']}”" if row.get("followup_choice") else ""
    return (
        f"nudge #{row.get('nudge_send_id')}: {row.get('answer') or 'no button'} at "
        f"{_when(row.get('answered_at'))}{choice}{_quote(row.get('note'))}"
    )


def _meeting(row: Row) -> str:
    minutes = row.get("minutes") or 0
    met = f"{minutes} min" if minutes else "not yet"
    practices = f"; came up: {', '.join(row['practices'])}" if row.get("practices") else ""
    return f"{row.get('month')} with {_who(row.get('mentee_user_id'))}: {met}{practices}"


def _request(row: Row) -> str:
    asked = row.get("your_side") == "mentee"
    who = (
        f"you asked {_who(row.get('mentor_user_id'))}"
        if asked
        else f"{_who(row.get('mentee_user_id'))} asked you"
    )
    return (
        f"{_when(row.get('requested_at'))}: {who}{_quote(row.get('topic'))}; {row.get('status')}"
        f"{_quote(row.get('mentor_note'))}"
    )


def _reflection(row: Row) -> str:
    text = row.get("text") or "(the text was emptied after the retention period)"
    return f"{row.get('shared_on')}: {text} ({', '.join(row.get('practices') or [])})"


def _round(row: Row) -> str:
    what = (
        "your self-check"
        if row.get("kind") == "mentor"
        else f"check-in about {_who(row.get('mentor_user_id'))}"
    )
    return f"{what}, due {_when(row.get('due_at'))}: {row.get('status')}"


def _participation(row: Row) -> str:
    return f"pair #{row.get('pair_id')}, check-in {row.get('number')}: answered in {row.get('quarter')}"


def _self_answer(row: Row) -> str:
    items = ("care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy", "zwisch")
    scores = ", ".join(f"{k} {row.get(k) if row.get(k) is not None else 'n/a'}" for k in items)
    return f"{row.get('quarter')}: {scores}"


def _audit(row: Row) -> str:
    who = row.get("actor_user_id")
    return f"{_when(row.get('created_at'))}: {row.get('action')} by {who} ({row.get('target')})"


def _simple(*fields: str) -> Callable[[Row], str]:
    def line(row: Row) -> str:
        return ", ".join(f"{f}: {_when(row.get(f)) if f.endswith('_at') else row.get(f)}" for f in fields)

    return line


# Section → (heading, one line per row), in this order. The person and the outbox are
# written separately.
SECTIONS: dict[str, tuple[str, Callable[[Row], str]]] = {
    "pair": ("Mentoring pairs", _pair),
    "nudge_send": ("Nudges sent to you", _nudge),
    "nudge_answer": ("Your answers and notes on nudges", _answer),
    "meeting_log": ("Meetings you logged", _meeting),
    "feedback_request": ("Feedback chats", _request),
    "reflection": ("Reflections you shared under your name", _reflection),
    "pulse_round": ("Check-ins sent to you", _round),
    "pulse_participation": ("Check-ins you answered (that you did — never what)", _participation),
    "pulse_self_answer": ("Your self-check answers (1–4; n/a = doesn't apply)", _self_answer),
    "agreement": (
        "Mentoring agreements of your pairs",
        _simple("pair_id", "status", "agreed_at", "ended_at"),
    ),
    "agreement_version": (
        "Versions of those agreements (goals and how you work together)",
        _simple("agreement_id", "number", "author_role", "goals", "meet_every", "created_at"),
    ),
    "goal_review": ("Goal reviews", _simple("agreement_id", "goal_index", "stage", "state", "marked_at")),
    "rota_shift": (
        "Your shifts and rotations from the rota",
        _simple("kind", "label", "starts_at", "ends_at"),
    ),
    "rota_feed": ("Your calendar feed (address masked)", _simple("url", "added_at", "last_ok_at")),
    "rotation_reflection": ("Your end-of-rotation lines", _simple("rotation_key", "text", "updated_at")),
    "rota_import": ("Rota files you checked or applied", _simple("source", "created_at", "applied_at")),
    "custom_nudge": ("Nudges you wrote for the program", _simple("key", "practice", "text", "created_at")),
    "disabled_nudge": ("Nudges you switched off for the program", _simple("key", "disabled_at")),
    "pulse_settings": ("Check-in timing you set", _simple("first_days", "every_days", "updated_at")),
    "reflection_channel": (
        "Reflection channels you look after",
        _simple("channel_id", "enabled", "day_rule"),
    ),
    "roster_import": ("Roster imports you checked or applied", _simple("source", "created_at", "applied_at")),
    "audit_log": ("The audit log's rows about you", _audit),
    "slack_installations": ("Installing the app", _simple("team_id", "enterprise_id", "installed_at")),
}


def to_markdown(data: MyData) -> str:
    """The readable summary (Markdown, UTF-8)."""
    lines = [
        "# What Mentor Nudge keeps about you",
        "",
        f"Workspace {data.team_id} · member {data.user_id} · as of {_when(data.generated_at.isoformat())}.",
        "The JSON file beside this one has every field of every record listed here.",
        "",
    ]
    if data.empty:
        lines += ["Nothing: Mentor Nudge keeps no record about you in this workspace.", ""]
    for row in data.sections.get("person", []):
        lines += ["## You and your settings", "", _person(row), ""]
    for name, (heading, line) in SECTIONS.items():
        rows = data.sections.get(name, [])
        if rows:
            lines += [f"## {heading} ({len(rows)})", ""]
            lines += [f"- {line(row)}" for row in rows] + [""]
    deliveries = data.sections.get("delivery", [])
    if deliveries:
        lines += [f"## Messages queued or sent to you ({len(deliveries)})", ""]
        kinds = Counter((row.get("kind"), row.get("status")) for row in deliveries)
        lines += [f"- {kind}: {count} {status}" for (kind, status), count in sorted(kinds.items())] + [""]
    lines += ["## What is not in here, and why", ""]
    lines += [f"- {reason}" for reason in NOT_INCLUDED] + [""]
    lines += [
        "To have all of this deleted, type `/mentor forget-me` in Slack: it asks you to confirm first.",
        "",
    ]
    return "\n".join(lines)


def to_json(data: MyData) -> str:
    """The machine-readable export: every field, table by table."""
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": data.generated_at.isoformat(),
        "team_id": data.team_id,
        "user_id": data.user_id,
        "tables": data.sections,
        "not_included": list(NOT_INCLUDED),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)
