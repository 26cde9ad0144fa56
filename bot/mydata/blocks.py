"""Messages of `/mentor my-data`, `/mentor forget-me` and `/mentor forget @person` (pure:
data in, Block Kit dicts out), the buttons' values, and the Home tab of someone forgotten."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject, PlainTextObject
from slack_sdk.models.views import View

from bot.blocks.common import context, header, section, to_dicts
from bot.mydata.types import CONFIRM_FOR, Confirmation, ForgetOutcome, MyData

FORGET_ME_ACTION = "mydata.forget_me"
FORGET_MEMBER_ACTION = "mydata.forget_member"
CANCEL_ACTION = "mydata.forget_cancel"

# (section, singular, plural) for the "kept now" line, in this order.
_KEPT_WORDS = (
    ("pair", "mentoring pair", "mentoring pairs"),
    ("nudge_send", "nudge", "nudges"),
    ("nudge_answer", "answer or note", "answers and notes"),
    ("meeting_log", "meeting logged", "meetings logged"),
    ("feedback_request", "feedback chat", "feedback chats"),
    ("reflection", "named reflection", "named reflections"),
    ("pulse_round", "check-in", "check-ins"),
    ("pulse_self_answer", "self-check", "self-checks"),
    ("custom_nudge", "nudge you wrote", "nudges you wrote"),
    ("audit_log", "audit-log entry", "audit-log entries"),
    ("delivery", "message queued or sent", "messages queued or sent"),
)

MINUTES = int(CONFIRM_FOR.total_seconds() // 60)


# --- my-data ---------------------------------------------------------------------------------

WORKING = "Putting together everything Mentor Nudge keeps about you — it will arrive in your DM in a moment."


def file_names(data: MyData) -> tuple[str, str]:
    """(summary, JSON) file names, dated."""
    day = f"{data.generated_at:%Y-%m-%d}"
    return f"mentor-nudge-my-data-{day}.md", f"mentor-nudge-my-data-{day}.json"


def covering_text(data: MyData) -> str:
    """The DM above the two files."""
    if data.empty:
        lead = "Mentor Nudge keeps nothing about you in this workspace (the files say what it never keeps)."
    else:
        lead = "Here is everything Mentor Nudge keeps about you in this workspace"
        lead += f" ({kept_line(data)})."
    return (
        f"{lead} The `.md` file is for reading; the `.json` file has every field. "
        f"As of {data.generated_at:%d %b %Y, %H:%M} UTC; only you received this. "
        "`/mentor forget-me` deletes it all (it asks first)."
    )


def sent_text() -> str:
    """The reply once the files are in the DM."""
    return "Sent: your data is in your direct messages with Mentor Nudge (two files, only for you)."


def not_sent_text(code: str) -> str:
    """The reply when Slack would not take the files."""
    if code in ("missing_scope", "not_allowed_token_type", "no_permission"):
        return (
            "I couldn't send the files: Mentor Nudge needs Slack's `files:write` permission for this. "
            "Ask a program admin to add it and reinstall the app (`/mentor admins` lists who they are). "
            "Nothing was changed."
        )
    return f"Slack didn't take the files (`{code}`), so they weren't sent. Please try again in a minute."


def kept_line(data: MyData) -> str:
    """ "2 mentoring pairs · 41 nudges · 6 meetings logged" (only what is there)."""
    parts = []
    for name, one, many in _KEPT_WORDS:
        count = data.count(name)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    if parts:
        return " · ".join(parts)
    return "nothing" if data.empty else "your profile and settings"


# --- the confirmation ------------------------------------------------------------------------


def confirmation_value(user_id: str, shown_at: datetime, asker: str | None = None) -> str:
    """What a forget button carries: whose data, who asked (admins), and when it was shown."""
    return f"{user_id}|{asker or user_id}|{int(shown_at.timestamp())}"


def parse_confirmation(value: Any) -> tuple[Confirmation, str] | None:
    """(confirmation, asker) from a button's value; None for anything malformed."""
    if not isinstance(value, str):
        return None
    parts = value.split("|")
    if len(parts) != 3 or not all(parts) or not parts[2].isdigit():
        return None
    try:
        shown_at = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return Confirmation(parts[0], shown_at), parts[1]


def _what_happens(you: bool) -> str:
    their = "your" if you else "their"
    them = "you" if you else "them"
    they = "you" if you else "they"
    lines = [
        f"• *Deleted now:* {their} settings, name, email and time zone; {their} nudges, answers and notes; "
        f"the meetings {they} logged; {their} check-ins and self-checks; anything waiting for {them}.",
        f"• *{'Your' if you else 'Their'} pairs end.* The people paired with {them} keep their own history "
        f"(an ended pair, their meeting log, feedback chats) without {their} name or anything {they} wrote.",
        f"• Reflections shared under {their} name lose the name and the text. Anonymous answers and "
        "reflections never had a link to anyone, and stay as they are.",
        "• *Only counts stay*, with no link to anyone (how many nudges or meetings in a month), for the "
        "program's figures.",
        f"• Mentor Nudge won't message {them} again. If {they} come back, `/mentor start` turns messages on.",
        "• Messages already in Slack stay in Slack, under the workspace's own retention.",
    ]
    return "\n".join(lines)


def _buttons(action_id: str, label: str, value: str, who: str) -> ActionsBlock:
    confirm = ConfirmObject(
        title="Forget for good?",
        text=f"Everything Mentor Nudge keeps about {who} is deleted now. This can't be undone.",
        confirm="Yes, forget",
        deny="Go back",
        style="danger",
    )
    return ActionsBlock(
        block_id="mydata_forget",
        elements=[
            ButtonElement(
                text=PlainTextObject(text=label),
                action_id=action_id,
                value=value,
                style="danger",
                confirm=confirm,
            ),
            ButtonElement(
                text=PlainTextObject(text="Keep everything"), action_id=CANCEL_ACTION, value="keep"
            ),
        ],
    )


def forget_me_text() -> str:
    """The notification text of the confirmation."""
    return "Forget me: what would be deleted, and a button to confirm."


def forget_me_blocks(data: MyData, shown_at: datetime, *, is_admin: bool) -> list[dict[str, Any]]:
    """`/mentor forget-me`: what will happen, what is kept now, and the button (with a last check)."""
    blocks = [
        header("Forget me"),
        section("*What happens if you confirm*\n" + _what_happens(True)),
        section(f"*Kept about you now:* {kept_line(data)}. Want a copy first? `/mentor my-data`."),
    ]
    if is_admin:
        blocks.append(
            section(
                "You're a program admin: you won't be one any more unless the app's configuration lists you. "
                "If nobody else is, make someone an admin first (`/mentor admin add @person`)."
            )
        )
    blocks += [
        _buttons(FORGET_ME_ACTION, "Forget me", confirmation_value(data.user_id, shown_at), "you"),
        context(f"*This can't be undone.* The button works for {MINUTES} minutes."),
    ]
    return to_dicts(blocks)


def forget_member_text(user_id: str) -> str:
    """The notification text of an admin's confirmation."""
    return f"Forget <@{user_id}>: what would be deleted, and a button to confirm."


def forget_member_blocks(data: MyData, shown_at: datetime, asker: str) -> list[dict[str, Any]]:
    """`/mentor forget @person` (admins): the same account, about them, and the button."""
    who = f"<@{data.user_id}>"
    blocks = [
        header("Forget someone who left"),
        section(f"*What happens to {who} if you confirm*\n" + _what_happens(False)),
        section(f"*Kept about {who} now:* {kept_line(data)}."),
        _buttons(
            FORGET_MEMBER_ACTION,
            "Forget them",
            confirmation_value(data.user_id, shown_at, asker),
            "this person",
        ),
        context(
            f"*This can't be undone.* The audit log records that you did this — not anything about them. "
            f"The button works for {MINUTES} minutes."
        ),
    ]
    return to_dicts(blocks)


# --- after the click ----------------------------------------------------------------------------

KEPT = "Nothing was changed — everything is as it was."
NOT_YOURS = "This button was meant for someone else, so nothing was changed."
EXPIRED = (
    f"This confirmation is more than {MINUTES} minutes old, so nothing was changed. "
    "Run the command again to see what would be deleted today."
)


def forgotten_me_text(outcome: ForgetOutcome) -> str:
    """The reply once they are forgotten (replaces the confirmation)."""
    ended = (
        f" {outcome.pairs_ended} pairing{'s' if outcome.pairs_ended != 1 else ''} ended."
        if outcome.pairs_ended
        else ""
    )
    return (
        f"Done. Mentor Nudge no longer keeps anything about you, and won't message you.{ended} "
        "If you'd like to come back one day, `/mentor start` turns messages on again — a program admin "
        "can pair you again. Take care!"
    )


def forgotten_member_text(user_id: str, outcome: ForgetOutcome) -> str:
    """The admin's reply once someone is forgotten."""
    ended = (
        f" {outcome.pairs_ended} pairing{'s' if outcome.pairs_ended != 1 else ''} ended."
        if outcome.pairs_ended
        else ""
    )
    return (
        f"Done: Mentor Nudge no longer keeps anything about <@{user_id}>.{ended} The people they were "
        "paired with keep their own history. The audit log records that you did this."
    )


def forgotten_home() -> dict[str, Any]:
    """The Home tab of someone just forgotten (their old one showed their settings)."""
    view = View(
        type="home",
        blocks=[
            header("Mentor Nudge"),
            section(
                "Mentor Nudge keeps nothing about you now, and won't message you. "
                "If you'd like to come back, type `/mentor start`."
            ),
        ],
    )
    return view.to_dict()
