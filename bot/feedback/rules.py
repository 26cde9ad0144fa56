"""Pure rules for feedback-chat requests: reading `/mentor ask`, and checking a topic or a
note before anything is stored (size, then the patient-information screen)."""

from __future__ import annotations

import re

from bot.feedback.types import NOTE_MAX_CHARS, TOPIC_MAX_CHARS, AskRefused, NoteRefused
from bot.privacy import check as privacy_check
from bot.textparse import parse_user

# In command text Slack sends "<@U123|ana>" for a mention and escapes &, < and >.
_LABELLED_MENTION = re.compile(r"<@([UW][A-Z0-9]+)\|[^<>|]*>")
# A mention as stored and shown: Slack renders it as the person's current name.
MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_SPACES = re.compile(r"\s+")

ASK_USAGE = "Type `/mentor ask` (to your mentor), or `/mentor ask @mentor what you'd like to talk about`."


def plain_text(text: str) -> str:
    """Command text as the person typed it: mentions kept as mentions (`<@U123>`, so Slack
    shows the name and the privacy screen knows them for colleagues), Slack's escapes
    undone, runs of spaces and line breaks folded into one space."""
    text = _LABELLED_MENTION.sub(lambda m: f"<@{m.group(1)}>", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _SPACES.sub(" ", text).strip()


def parse_ask(rest: str) -> tuple[str | None, str]:
    """`/mentor ask [@mentor] [topic]` → (mentor's user id or None, topic as typed).

    A first word that looks like a name but is not a Slack mention (typed without
    picking from the @-menu) is refused: guessing would send the request to the wrong
    person or to no one.
    """
    words = rest.strip().split(maxsplit=1)
    if not words:
        return None, ""
    mentor = parse_user(words[0])
    if mentor is not None:
        return mentor, words[1] if len(words) > 1 else ""
    if words[0].startswith("@"):
        raise AskRefused(
            f"I couldn't tell who `{plain_text(words[0])[:40]}` is. Pick your mentor from the @-menu as you "
            f"type, so Slack turns the name into a mention. {ASK_USAGE}"
        )
    return None, rest


def check_topic(text: str) -> str | None:
    """The topic to store (None when there is none); AskRefused when it is too long or
    looks like it holds patient information."""
    topic = plain_text(text)
    if not topic:
        return None
    if len(topic) > TOPIC_MAX_CHARS:
        raise AskRefused(
            f"Please keep the topic to {TOPIC_MAX_CHARS} characters (this one has {len(topic)}) — a few "
            "words are plenty; the conversation itself is for the rest. Nothing was sent.",
            about="topic",
        )
    refusal = privacy_check(topic, ask="describe the topic")
    if refusal:
        raise AskRefused(refusal + " Nothing was sent.", about="topic")
    return topic


def check_note(text: str) -> str | None:
    """The mentor's note to store (None when empty); NoteRefused when too long or
    when it looks like it holds patient information."""
    note = _SPACES.sub(" ", text).strip()
    if not note:
        return None
    if len(note) > NOTE_MAX_CHARS:
        raise NoteRefused(f"Please keep the note to {NOTE_MAX_CHARS} characters (this one has {len(note)}).")
    refusal = privacy_check(note, ask="write the note")
    if refusal:
        raise NoteRefused(refusal)
    return note
