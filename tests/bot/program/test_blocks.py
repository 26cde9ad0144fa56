"""The digest message for a large program stays within Slack's message limits."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot.attention.types import Flag, FlaggedPair
from bot.program.blocks import DIGEST_FLAGGED, digest_blocks, digest_text
from bot.program.types import PeopleNow, ProgramFigures, PulseCount
from tests.fakes.block_limits import message_errors

NOW = ProgramFigures(
    datetime(2026, 11, 30, 5, tzinfo=UTC), datetime(2026, 12, 14, 5, tzinfo=UTC), 2000, 900, 450
)
BEFORE = ProgramFigures(
    datetime(2026, 11, 16, 5, tzinfo=UTC), datetime(2026, 11, 30, 5, tzinfo=UTC), 1990, 880
)


def test_two_thousand_flagged_pairs_fit_one_digest_with_a_pointer_to_the_rest():
    flagged = [
        FlaggedPair(
            i,
            f"U0M{i:07d}",
            f"U0E{i:07d}",
            (
                Flag("no_meeting", "no meeting logged for 9 weeks"),
                Flag("ignored_nudges", "the mentor didn't answer"),
            ),
        )
        for i in range(2000)
    ]

    blocks = digest_blocks(NOW, BEFORE, PeopleNow(3, 1), PulseCount(released=False), flagged)

    assert message_errors(digest_text(NOW), blocks) == []
    assert all(Block.parse(b) is not None for b in blocks)
    text = str(blocks)
    assert "*Pairs that need attention (2000)*" in text
    assert f"…and {2000 - DIGEST_FLAGGED} more: see the Home tab." in text
    assert "Nudges sent: 900 (up 20)" in text and "Response rate: 50% (before: 0%)" in text
