"""Nudge blocks: what admins and mentors typed is shown as text, never read as Slack markup."""

from __future__ import annotations

from bot.library.types import Followup
from bot.nudges.blocks import history_blocks, nudge_blocks
from bot.nudges.types import HistoryLine, NudgeCard

# An admin-typed follow-up that would be a disguised link and an @here if read as mrkdwn.
QUESTION = "How did it go? <https://phish.example/login|Fill in the survey> & <!here>"
CHOICES = ("<https://phish.example|Great>", "Fine & dandy")
ESCAPED_QUESTION = "How did it go? &lt;https://phish.example/login|Fill in the survey&gt; &amp; &lt;!here&gt;"


def card(**changes):
    values = {
        "send_id": 7,
        "text": "Ask your mentee what went well this week.",
        "practice_title": "Feedback",
        "answer": "done",
        "followup": Followup(QUESTION, CHOICES),
    }
    return NudgeCard(**{**values, **changes})


def texts(blocks, kind):
    """Every text object of one type ("mrkdwn" or "plain_text") anywhere in the blocks."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == kind and "text" in node:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def test_an_unanswered_follow_up_question_is_escaped_and_its_buttons_keep_the_words():
    blocks = nudge_blocks(card())

    mrkdwn = texts(blocks, "mrkdwn")
    assert f"*{ESCAPED_QUESTION}*" in mrkdwn
    assert not [t for t in mrkdwn if "<https://phish" in t or "<!here>" in t]
    # Button labels are plain_text, which Slack never reads as markup: shown as typed.
    assert [t for t in texts(blocks, "plain_text") if "phish" in t or "dandy" in t] == list(CHOICES)


def test_an_answered_follow_up_shows_question_and_choice_escaped():
    blocks = nudge_blocks(card(followup_choice=CHOICES[0]))

    assert f"{ESCAPED_QUESTION} — *&lt;https://phish.example|Great&gt;*" in texts(blocks, "mrkdwn")


def test_history_escapes_the_follow_up_and_the_mentors_note():
    line = HistoryLine(
        when="Tue 1 Dec",
        practice_title="Feedback",
        text="Ask your mentee what went well this week.",
        answer="done",
        followup_question=QUESTION,
        followup_choice=CHOICES[1],
        note="Went well <https://phish.example|see here> & more",
    )

    section = texts(history_blocks([line]), "mrkdwn")[0]

    assert f"{ESCAPED_QUESTION} *Fine &amp; dandy*" in section
    assert "📝 “Went well &lt;https://phish.example|see here&gt; &amp; more”" in section
    assert "<https://phish" not in section and "<!here>" not in section
