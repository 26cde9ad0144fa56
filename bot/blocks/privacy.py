"""`/mentor privacy`: what Mentor Nudge keeps, and what it never does."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import context, header, section, to_dicts

PRIVACY_TEXT = "What Mentor Nudge keeps about you, and what it never stores."


def privacy_blocks(*, anonymity_min: int = 5, window_months: int = 12) -> list[dict[str, Any]]:
    """A short, plain account of the data the app keeps (matches the README's privacy section).

    `anonymity_min` and `window_months` are the deployment's pulse release rule.
    """
    return to_dicts(
        [
            header("Your privacy"),
            section(
                "*What we keep about you*\n"
                "• Your Slack member id, display name, email (to match roster files) and time zone\n"
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
                "*Check-ins about mentoring*\n"
                "• Mentees are asked seven one-tap questions about each mentor 30 days after a pair starts, "
                "then every two months (as your program sets it), and once when a pair ends, with an "
                "optional comment\n"
                "• A mentee's answers are kept without your name, without a time (only the quarter) and "
                "in random order; separately, only *that* you answered, so you get no reminder and no "
                "second request\n"
                f"• Your mentor and your program see them only combined, once at least {anonymity_min} "
                f"different mentees have answered within {window_months} months — never one person's "
                "answers, and never a ranking\n"
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
                "• Patient information: notes, topics and reflections are screened, and anything that "
                "looks like a record number, date of birth, phone number, SSN, email or a patient's name "
                "is refused\n"
                "• Your direct messages or channel conversations (the app reads nothing there, unless your "
                "program turned on recording replies in a reflection thread)"
            ),
            context(
                "`/mentor stop` turns off every message; `/mentor pause 2w` takes a break. "
                "To have your records removed, ask a program admin (`/mentor admins`)."
            ),
        ]
    )
