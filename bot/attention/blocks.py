"""Pairs that need attention in words: one line per pair, with each reason."""

from __future__ import annotations

from bot.attention.types import FlaggedPair
from bot.blocks.common import mention


def flagged_line(pair: FlaggedPair) -> str:
    """ "• @mentor with @mentee — why; why" (or "• @mentor (3 mentees) — why" for a
    mentor's own flags), for the admin Home and the digest."""
    reasons = "; ".join(flag.why for flag in pair.flags)
    mentor = mention(pair.mentor_user)
    if pair.mentee_user is None:
        return f"• {mentor} ({pair.mentees} mentees) — {reasons}"
    return f"• {mentor} with {mention(pair.mentee_user)} — {reasons}"
