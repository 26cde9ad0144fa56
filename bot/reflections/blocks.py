"""Messages and modals for monthly channel reflections (pure: data in, Block Kit dicts out):
the prompt, the share modal (and reading it), the summary, the reminder, admin notices.

The set-up modal and the `/mentor reflections` list are built in
`bot.reflections.setup_form`, from the ids and helpers defined here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import (
    SECTION_TEXT_LIMIT,
    UNATTRIBUTED_PREFIX,
    context,
    escape,
    header,
    section,
    split_text,
    to_dicts,
)
from bot.blocks.state import ModalState
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.reflections.rules import clean_practices, month_label, parse_month_key

# Ids that start with "anon:" are logged without the user (see handlers/request_log.py): the Share button
# and modal can lead to an anonymous post.
SHARE_ACTION = f"{UNATTRIBUTED_PREFIX}reflection_share"
SHARE_CALLBACK = f"{UNATTRIBUTED_PREFIX}reflection_submit"
RETRY_ACTION = "reflection_retry"
SETUP_CALLBACK = "reflection_setup"

# Block and action ids of the set-up modal.
DAY_BLOCK, TIME_BLOCK, ZONE_BLOCK, OPTIONS_BLOCK = "day", "time", "tz", "options"
THEME_BLOCKS = tuple(f"theme_{n}" for n in range(1, len(PRACTICE_KEYS) + 1))
OPTION_ANONYMOUS, OPTION_REMINDER = "anonymous", "reminder"
# Block ids of the share modal.
TEXT_BLOCK, PRACTICES_BLOCK, ANONYMOUS_BLOCK = "reflection", "practices", "anonymous"

# What a person may type in the share box. Escaping can make it up to five times longer
# (`&` becomes `&amp;`), more than one section holds, so `shared_post` splits the post.
MAX_REFLECTION_CHARS = 2000
MODAL_TITLE = "Reflection prompts"
SHARE_TITLE = "Share a reflection"
INVITE = "`/invite @Mentor Nudge`"
PATIENT_NOTE = "Please leave out anything that could identify a patient: names, dates, record or bed numbers."


def quote(text: str) -> str:
    """Text as a mrkdwn block quote."""
    return "\n".join(f">{line}" for line in text.splitlines() or [""])


def practice_title(key: str) -> str:
    """ "Time to listen" for `listen` (the key itself for anything unknown)."""
    practice = PRACTICES.get(key)
    return practice.title if practice else key


def practice_option(key: str) -> Option:
    """A practice as a select option (its title shown, its key as the value)."""
    return Option(value=key, label=practice_title(key))


def month_name(key: str) -> str:
    """ "December 2026" for the month key "2026-12"."""
    return month_label(*parse_month_key(key))


def format_local(moment: datetime) -> str:
    """ "Tue 6 Jan 2027, 10:00 GMT" for an aware local datetime."""
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}"


# --- the monthly prompt -------------------------------------------------------------------


def share_button(prompt_id: int) -> ButtonElement:
    """The Share a reflection button; its value is the prompt's id."""
    return ButtonElement(text=SHARE_TITLE, action_id=SHARE_ACTION, value=str(prompt_id), style="primary")


def prompt_text(theme: str, question: str) -> str:
    """Notification text of a prompt."""
    return f"This month's reflection — {practice_title(theme)}: {question}"


def prompt_blocks(
    *, prompt_id: int, theme: str, question: str, month: str, allow_anonymous: bool
) -> list[dict[str, Any]]:
    """The monthly prompt: the theme, one open question, and the Share button."""
    practice = PRACTICES[theme]
    how = "with your name, or anonymously if you prefer" if allow_anonymous else "with your name"
    return to_dicts(
        [
            header(f"Reflection for {month}"),
            section(f"*This month: {practice.title}* — {practice.summary}.\n\n{quote(question)}"),
            ActionsBlock(block_id="share", elements=[share_button(prompt_id)]),
            context(f"Share a thought or two, {how}. Replies appear in this thread. {PATIENT_NOTE}"),
        ]
    )


# --- sharing ------------------------------------------------------------------------------


def share_modal(
    *, prompt_id: int, theme: str, question: str, month: str, allow_anonymous: bool
) -> dict[str, Any]:
    """The modal the Share button opens."""
    theme_option = practice_option(theme)
    items: list[Any] = [
        section(f"*{month} · {practice_title(theme)}*\n{quote(question)}"),
        InputBlock(
            block_id=TEXT_BLOCK,
            label="Your reflection",
            element=PlainTextInputElement(
                action_id=TEXT_BLOCK,
                multiline=True,
                max_length=MAX_REFLECTION_CHARS,
                placeholder="A sentence or two is plenty.",
            ),
        ),
        InputBlock(
            block_id=PRACTICES_BLOCK,
            label="Which practices does it touch?",
            optional=True,
            hint="Used only to count themes in the month-end summary.",
            element=StaticMultiSelectElement(
                action_id=PRACTICES_BLOCK,
                options=[practice_option(key) for key in PRACTICE_KEYS],
                initial_options=[theme_option],
            ),
        ),
    ]
    if allow_anonymous:
        items.append(
            InputBlock(
                block_id=ANONYMOUS_BLOCK,
                label="Your name",
                optional=True,
                element=CheckboxesElement(
                    action_id=ANONYMOUS_BLOCK,
                    options=[
                        Option(
                            value="yes",
                            label="Post anonymously",
                            description="Shown as “A colleague shared”. Your name is not stored with it.",
                        )
                    ],
                ),
            )
        )
    note = PATIENT_NOTE if allow_anonymous else f"Your name is shown with your reflection. {PATIENT_NOTE}"
    items.append(context(note))
    return View(
        type="modal",
        callback_id=SHARE_CALLBACK,
        private_metadata=str(prompt_id),
        title=SHARE_TITLE,
        submit="Share",
        close="Cancel",
        blocks=items,
    ).to_dict()


def share_from_view(state: ModalState) -> tuple[str, list[str], bool]:
    """(text, practice keys, anonymous?) from the share modal's state."""
    return (
        state.text(TEXT_BLOCK),
        clean_practices(state.selected_many(PRACTICES_BLOCK)),
        bool(state.selected_many(ANONYMOUS_BLOCK)),
    )


CLOSED_REASONS = {
    "month_over": "This month's reflection has closed. Thank you for wanting to share — "
    "next month's prompt will be along soon.",
    "summarised": "This month's reflections have been gathered up in the month-end summary, so "
    "sharing has closed. Thank you — next month's prompt will be along soon.",
    "turned_off": "Reflection prompts have been turned off in this channel, so sharing has closed.",
    "missing": "I can't find that reflection prompt any more. It may have been removed.",
}


# Added under the text field when sharing closed while the modal was open.
KEEP_YOUR_TEXT = "Your words are still in the box above if you'd like to copy them."


def closed_modal(reason: str) -> dict[str, Any]:
    """A small modal saying sharing is closed, and why."""
    return View(
        type="modal",
        title=SHARE_TITLE,
        close="OK",
        blocks=[section(CLOSED_REASONS.get(reason, CLOSED_REASONS["missing"]))],
    ).to_dict()


def shared_post(text: str, user_id: str | None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a reflection posted in the thread, named or anonymous."""
    who = f"<@{user_id}> shared:" if user_id else "A colleague shared:"
    body = escape(text)
    # Split after escaping, never clipped: every word they wrote reaches the thread.
    pieces = split_text(f"*{who}*\n{body}", SECTION_TEXT_LIMIT)
    return f"{who} {body}", to_dicts([section(piece) for piece in pieces])


def share_failed_text(channel_id: str, reason: str, text: str) -> str:
    """DM to someone whose reflection could not be posted, with their words so nothing is lost."""
    return (
        f"Sorry — I couldn't post your reflection in <#{channel_id}> ({reason}). Nothing was recorded. "
        f"Here is what you wrote, so you can try again later:\n{quote(escape(text))}"
    )


SHARE_FAILURES = {
    "not_in_channel": "I've been removed from the channel",
    "is_archived": "the channel has been archived",
    "channel_not_found": "I can't see the channel any more",
    "thread_not_found": "the prompt's thread was deleted",
}


def thread_reply_refused_text(channel_id: str, refusal: str) -> str:
    """DM to someone whose thread reply was not recorded because of the privacy screen."""
    return (
        f"Thanks for your reflection in <#{channel_id}>. I didn't record it: {refusal} "
        "Your message is still in the thread — please consider editing or deleting it."
    )


# --- the month-end summary ----------------------------------------------------------------


def _count_line(total: int, counts: dict[str, int]) -> str:
    noun = "reflection was" if total == 1 else "reflections were"
    line = f"{total} {noun} shared here this month."
    if counts:
        touched = " · ".join(f"{practice_title(key)} ({n})" for key, n in counts.items())
        line += f"\nPractices they touched: {touched}."
    return line


THANKS = (
    "Thank you for taking the time to think out loud together — "
    "it helps everyone here mentor a little better."
)


def summary_text(total: int, counts: dict[str, int]) -> str:
    """Notification text of the month-end summary."""
    return f"Month-end summary: {_count_line(total, counts)} {THANKS}"


def summary_blocks(total: int, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The month-end summary: how many, which practices, one line of thanks. No names."""
    return to_dicts([section(f"*Month-end summary*\n{_count_line(total, counts)}\n{THANKS}")])


# --- the mid-month reminder ---------------------------------------------------------------


def reminder_text(channel_id: str, theme: str) -> str:
    """Notification text of the reminder DM."""
    return (
        f"This month's reflection in <#{channel_id}> is about {practice_title(theme)} — "
        "a thought or two is welcome."
    )


def reminder_blocks(
    *, prompt_id: int, channel_id: str, theme: str, question: str, allow_anonymous: bool
) -> list[dict[str, Any]]:
    """The one gentle mid-month reminder."""
    how = " (anonymously, if you prefer)" if allow_anonymous else ""
    return to_dicts(
        [
            section(
                f"This month's reflection in <#{channel_id}> is about *{practice_title(theme)}*:\n"
                f"{quote(question)}\nIf you have a minute, share a thought or two{how}."
            ),
            ActionsBlock(block_id="share", elements=[share_button(prompt_id)]),
            context(
                "If you've already shared — by name or anonymously — thank you, and please ignore this. "
                "Anonymous reflections aren't linked to anyone, so I can't tell who wrote them. "
                "This is the only reminder this month."
            ),
        ]
    )


# --- admin notices ------------------------------------------------------------------------

PROBLEMS = {
    "not_in_channel": "I'm not a member of <#{c}>. To fix it, type {invite} in <#{c}>.",
    "channel_not_found": "I can't see <#{c}>: it's private and I haven't been added, or it was deleted. "
    "If it's private, type {invite} in it. If it's gone, choose another channel with "
    "`/mentor reflections` and the new channel.",
    "is_archived": "<#{c}> is archived. Unarchive it (open the channel → its name → Settings → "
    "Unarchive), or move the prompts to another channel with `/mentor reflections` and the new channel.",
    "restricted_action": "Slack's settings don't let me post in <#{c}> (posting may be limited to some "
    "members). A workspace admin can let me post there.",
}


def problem_text(code: str, channel_id: str) -> str:
    """What is wrong with a channel and how to fix it, in one or two sentences."""
    template = PROBLEMS.get(code, "Slack refused the post in <#{c}> (`" + code + "`).")
    return template.format(c=channel_id, invite=INVITE)


def problem_notice(
    code: str, channel_id: str, month: str, prompt_id: int
) -> tuple[str, list[dict[str, Any]]]:
    """DM to the admin: the prompt could not be posted, how to fix it, and a Try again button."""
    lead = (
        f"I couldn't post the {month} reflection prompt in <#{channel_id}>. {problem_text(code, channel_id)}"
    )
    return lead, to_dicts(
        [
            section(f"{lead}\nThen press *Try again* — nothing is lost, the prompt is waiting."),
            ActionsBlock(
                block_id="retry",
                elements=[
                    ButtonElement(
                        text="I've fixed it — try again",
                        action_id=RETRY_ACTION,
                        value=str(prompt_id),
                        style="primary",
                    )
                ],
            ),
            context(
                f"Or type `/mentor reflections retry` followed by <#{channel_id}>. Meanwhile I'll try again "
                "every hour during the day until the month ends."
            ),
        ]
    )


def fixed_notice_text(channel_id: str, month: str) -> str:
    """DM to the admin once a waiting prompt is posted."""
    return f"Thanks — the {month} reflection prompt is now posted in <#{channel_id}>."


def missed_notice_text(channel_id: str, month: str, problem: str | None, next_local: datetime | None) -> str:
    """DM to the admin when a month ended before its prompt could be posted."""
    why = f" {problem_text(problem, channel_id)}" if problem else ""
    after = f" The next one is planned for {format_local(next_local)}." if next_local else ""
    lead = f"The {month} reflection prompt for <#{channel_id}> couldn't be posted before the month ended."
    return lead + why + after


def members_problem_text(channel_id: str, problem: str | None) -> str:
    """DM to the admin when Slack will not say who is in the channel, so no reminders go out."""
    lead = f"The mid-month reflection reminder for <#{channel_id}> didn't go out: "
    if problem == "missing_scope":
        why = (
            "the app doesn't have Slack's permission to see who is in a channel (the `channels:read` "
            "scope, or `groups:read` for a private channel). Whoever manages the app can add it and "
            "reinstall."
        )
    else:
        why = f"Slack wouldn't list the channel's members. {problem_text(problem or '', channel_id)}"
    return f"{lead}{why} The prompt and the month-end summary are not affected."


def retry_reply(outcome: str, channel_id: str, month: str | None, status: str | None = None) -> str:
    """Answer to a retry (button or command)."""
    if outcome == "rearmed":
        return (
            f"Thanks — I'll try posting the {month} prompt in <#{channel_id}> within a minute. "
            "If it still doesn't work, I'll tell you in a DM."
        )
    if outcome == "not_set_up":
        return (
            f"Reflection prompts aren't set up for <#{channel_id}>. "
            "Turn them on with `/mentor reflections` and the channel."
        )
    if status == "posted":
        return f"Nothing is waiting for <#{channel_id}>: the {month} prompt is already posted."
    if status == "missed":
        return f"The {month} prompt for <#{channel_id}> can't be retried: its month is over."
    if status == "scheduled":
        return f"The {month} prompt for <#{channel_id}> is already queued — it goes out at its planned time."
    return f"Nothing is waiting to be retried for <#{channel_id}>."
