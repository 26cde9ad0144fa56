"""`/mentor privacy`: what Mentor Nudge keeps, and what it never does; and the question
the privacy screen asks about a name it cannot place ("Is Maria a colleague?")."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.views import View

from bot.blocks.common import UNATTRIBUTED_PREFIX, clip, context, escape, header, section, to_dicts

PRIVACY_TEXT = "What Mentor Nudge keeps about you, and what it never stores."

# The question is pushed over the form it interrupts: "Edit" (the close button) goes
# back to that form with everything still typed; "Yes, save" submits this view. The id
# is unattributed because the form under it may be an anonymous reflection.
COLLEAGUE_QUESTION = f"{UNATTRIBUTED_PREFIX}privacy_colleague"
COLLEAGUE_PROBLEM = f"{UNATTRIBUTED_PREFIX}privacy_colleague_problem"
# Slack's limit on a view's private_metadata.
METADATA_LIMIT = 3000
# At most this many names are listed in one question (the rest are asked next time).
NAMES_ASKED = 5


def listed(names: list[str] | tuple[str, ...]) -> str:
    """ "Maria", "Maria and Mrs Kaur", "Maria, Tom and Mrs Kaur" (escaped for mrkdwn)."""
    quoted = [escape(clip(name, 60)) for name in names[:NAMES_ASKED]]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def colleague_question(names: list[str] | tuple[str, ...]) -> str:
    """ "Is Maria a colleague?" / "Are Maria and Tom colleagues?"."""
    if len(names) == 1:
        return f"Is {listed(names)} a colleague?"
    return f"Are {listed(names)} colleagues?"


def colleague_question_view(names: list[str] | tuple[str, ...], metadata: str) -> dict[str, Any]:
    """The question pushed over a form whose text names someone the app cannot place."""
    one = len(names) == 1
    them = "this name" if one else "these names"
    view = View(
        type="modal",
        callback_id=COLLEAGUE_QUESTION,
        private_metadata=metadata,
        title="A quick check",
        submit="Yes, save",
        close="Edit",
        blocks=[
            section(f"*{colleague_question(names)}*"),
            section(
                "Mentor Nudge never keeps patients' or their families' names. If "
                f"{'this is someone' if one else 'these are people'} you work with, choose *Yes, save*: "
                f"your text is saved as you wrote it, and {them} won't be asked about again in this "
                f"workspace. If not, choose *Edit* and take {them} out."
            ),
            context("Tip: @mention colleagues (or write Dr, Nurse…) and nobody will ask."),
        ],
    )
    return view.to_dict()


def colleague_problem_view(message: str) -> dict[str, Any]:
    """After "Yes, save": the form could not be saved after all, and why ("Back" returns to it)."""
    view = View(
        type="modal",
        callback_id=COLLEAGUE_PROBLEM,
        title="Not saved",
        close="Back",
        blocks=[section(escape(message)), context("Your text is still in the form underneath.")],
    )
    return view.to_dict()


def unplaced_names_error(names: list[str] | tuple[str, ...]) -> str:
    """The error beside a field when the question cannot be asked (the text is too long)."""
    return (
        f"Mentor Nudge can't tell whether {listed(names)} "
        f"{'is a colleague' if len(names) == 1 else 'are colleagues'}. @mention colleagues "
        "(or write Dr, Nurse…) and leave out patients' and families' names."
    )


# At most this many confirmed names are listed in one reply.
NAMES_LISTED = 200


def colleague_names_text(names: list[tuple[str, date]]) -> str:
    """`/mentor colleagues`: the names people said are colleagues, each with its day."""
    if not names:
        return (
            "No names have been confirmed as colleagues in this workspace yet. When someone answers "
            "*Yes, save* to “Is Maria a colleague?”, the name appears here."
        )
    lines = [f"• {escape(clip(name, 80))} — {day:%-d %b %Y}" for name, day in names[:NAMES_LISTED]]
    more = len(names) - NAMES_LISTED
    if more > 0:
        lines.append(f"…and {more} more.")
    return (
        "*Names confirmed as colleagues* (the privacy check doesn't ask about these):\n"
        + "\n".join(lines)
        + "\n\nIf one of them is a patient's or a relative's name, remove it: "
        "`/mentor colleagues remove NAME`. Who answered is never recorded."
    )


def privacy_blocks(
    *, anonymity_min: int = 5, window_months: int = 12, retention_days: int = 180
) -> list[dict[str, Any]]:
    """A short, plain account of the data the app keeps (matches the README's privacy section).

    `anonymity_min` and `window_months` are the deployment's pulse release rule;
    `retention_days` is how long free text is kept (RETENTION_DAYS).
    """
    return to_dicts(
        [
            header("Your privacy"),
            section(
                "*What we keep about you*\n"
                "• Your Slack member id, display and full name, email (to match roster files) and time zone\n"
                "• Your settings: nudge days and time, quiet hours, any pause or stop\n"
                "• Your mentoring pairs, as your program admins set them up\n"
                "• If you installed the app for your workspace: your member id, kept with the app's access "
                "to the workspace until it is uninstalled"
            ),
            section(
                "*If you're a mentor*\n"
                "• Which nudges you were sent and what you answered (done, skipped, remind me), "
                "with any note you chose to add\n"
                "• Meetings you log (`/mentor met`, or the monthly “did you meet?” question): with "
                "which mentee, roughly how long, and which practices came up\n"
                "• Only you see your history (`/mentor history`, `/mentor meetings`). Program reports "
                "will show counts only. There are no rankings or comparisons between mentors."
            ),
            section(
                "*Feedback chats*\n"
                "• A request to your mentor (`/mentor ask`, or Home) is kept with your name, the topic "
                "you typed, and their answer (with any short note they add). It is not anonymous: your "
                "mentor sees who asks and the topic\n"
                "• Program admins will see counts of requests and answers only — never topics or notes"
            ),
            section(
                "*Mentoring agreements and your rota*\n"
                "• An agreement keeps its goals, how often you meet, how to reach each other and feedback "
                "wishes — every version, with who wrote it — and each goal's review mark. Only the two of "
                "you see the words; program reports count agreements and goals met\n"
                "• Your shifts (call, night, day) and rotations, from your program's rota or your own "
                "calendar feed, so nothing reaches you on duty or post-call. A feed link is kept private, "
                "never logged, shown masked, and deleted with `/mentor rota feed off`\n"
                "• An end-of-rotation line you write is kept for you alone"
            ),
            section(
                "*Check-ins about mentoring*\n"
                "• Mentees are asked seven one-tap questions about each mentor 30 days after a pair starts, "
                "then every two months (as your program sets it), and once when a pair ends, with an "
                "optional comment\n"
                "• What a mentee answers is kept sealed — encrypted with the app's secret key — without your "
                "name or a time (only the quarter); separately, only *that* you answered, so you get no "
                "reminder and no second request\n"
                "• After each quarter ends, answers are combined. Your mentor sees averages (and comments, "
                f"word for word, without names) only from groups of at least {anonymity_min} different "
                "mentees, you included; your program sees cohort figures only from at least "
                f"{anonymity_min} different mentees about at least 3 mentors, never mostly one mentor's. "
                "Figures change at most once a quarter and only by a whole group, so comparing before and "
                f"after never singles out one answer. They cover the last {window_months} months; answers "
                "never combined are then deleted. Never one person's answers, and never a ranking\n"
                "• Who could still tell: someone with the database alone sees that you answered, never "
                "what. Someone with the database *and* the app's secret key could open answers not yet "
                "combined — which is why hospital IT keeps that key apart from the database and its "
                "backups. The app never reads an answer before combining it, and never logs one\n"
                "• Mentors answer the same questions about themselves (a self-check); that is their own "
                "record, and only they see it, next to their mentees' combined answers"
            ),
            section(
                "*Reflections in channels*\n"
                "• A reflection shared under your name is kept with your name, as it appears in the thread\n"
                "• An anonymous reflection is kept with no link to you at all — only the day it was shared"
            ),
            section(
                "*What we never store*\n"
                "• Patient information: notes, topics, check-in comments, reflections and custom nudges "
                "are screened, and anything that "
                "looks like a record number, a date of birth or admission, a phone number, an address, an "
                "email, an age over 89 or a patient's or relative's name is refused. A name the app can't "
                'place is asked about ("Is Maria a colleague?"); a yes is remembered for the workspace '
                "(that exact name, once the text is saved), with no note of who answered; program admins "
                "can list and remove these names (`/mentor colleagues`)\n"
                "• Your direct messages or channel conversations (the app reads nothing there, unless your "
                "program turned on recording replies in a reflection thread)"
            ),
            section(
                "*How long, and your own copy*\n"
                f"• What people type — nudge notes, feedback-chat topics and notes, check-in comments, "
                f"reflections — is emptied {retention_days} days after it was written; the one-tap answers "
                "and counts stay\n"
                "• `/mentor my-data` sends you everything Mentor Nudge keeps about you, as two files "
                "in your DM (one to read, one with every field)\n"
                "• `/mentor forget-me` deletes it (it shows what would go and asks first; it can't be "
                "undone). Only counts with no link to you stay, and the app won't message you again unless "
                "you come back with `/mentor start`. The people you were paired with keep their own history, "
                "without your name or your words. A program admin can do the same for someone who left "
                "(`/mentor forget @person`, "
                "recorded in the audit log)"
            ),
            context("`/mentor stop` turns off every message; `/mentor pause 2w` takes a break."),
        ]
    )
