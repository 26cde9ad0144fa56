"""The digest message for a large program stays within Slack's message limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.attention.types import Flag, FlaggedPair
from bot.program.blocks import DIGEST_FLAGGED, digest_blocks, digest_text
from bot.program.types import PeopleNow, ProgramFigures, PulseCount
from tests.fakes.block_limits import message_errors

NOW = ProgramFigures(
    datetime(2026, 11, 30, 5, tzinfo=UTC), datetime(2026, 12, 14, 5, tzinfo=UTC), 2000, 900, 450
)
NEW_YORK = ZoneInfo("America/New_York")
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

    blocks = digest_blocks(NOW, BEFORE, PeopleNow(3, 1), PulseCount(released=False), flagged, NEW_YORK)

    assert message_errors(digest_text(NOW, NEW_YORK), blocks) == []
    assert all(Block.parse(b) is not None for b in blocks)
    text = str(blocks)
    assert "*Pairs that need attention (2000)*" in text
    assert f"…and {2000 - DIGEST_FLAGGED} more: see the Home tab." in text
    assert "Nudges sent: 900 (up 20)" in text and "Response rate: 50% (before: 0%)" in text


def test_the_digest_dates_and_report_month_are_the_admins_local_ones():
    """A Tokyo admin's fortnight runs from local midnight on Monday 30 November (15:00 UTC
    the day before): it reads from Mon 30 Nov, not from the UTC date Sun 29 Nov."""
    tokyo, berlin = ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")
    in_tokyo = ProgramFigures(datetime(2026, 11, 29, 15, tzinfo=UTC), datetime(2026, 12, 13, 15, tzinfo=UTC))
    in_berlin = ProgramFigures(datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2026, 12, 14, 23, tzinfo=UTC))

    def report_month(blocks) -> str:
        return next(b for b in blocks if b["type"] == "actions")["elements"][0]["value"]

    tokyo_blocks = digest_blocks(in_tokyo, BEFORE, PeopleNow(), PulseCount(released=False), [], tokyo)
    berlin_blocks = digest_blocks(in_berlin, BEFORE, PeopleNow(), PulseCount(released=False), [], berlin)

    assert digest_text(in_tokyo, tokyo) == "Your mentoring program digest: Mon 30 Nov – Sun 13 Dec."
    assert tokyo_blocks[0]["text"]["text"] == "Program digest: Mon 30 Nov – Sun 13 Dec"
    assert digest_text(in_berlin, berlin) == "Your mentoring program digest: Tue 1 Dec – Mon 14 Dec."
    assert report_month(berlin_blocks) == "2026-12"
    # The month of the period's last local day: Tokyo's period ending at midnight into
    # 2 January has 1 January (still 31 December in UTC) as its last day.
    new_year = ProgramFigures(datetime(2026, 12, 18, 15, tzinfo=UTC), datetime(2027, 1, 1, 15, tzinfo=UTC))
    new_year_blocks = digest_blocks(new_year, BEFORE, PeopleNow(), PulseCount(released=False), [], tokyo)
    assert report_month(new_year_blocks) == "2027-01"


def test_the_digest_counts_interrupted_nudges_against_the_period_before():
    now = replace(NOW, nudges_interrupted=3)
    before = replace(BEFORE, nudges_interrupted=1)

    text = str(digest_blocks(now, before, PeopleNow(), PulseCount(released=False), [], NEW_YORK))

    assert "Nudges interrupted: 3 (up 2)" in text
