"""What a check-in asks, in our own words: six items, one per practice, and one about
who led the work (the Zwisch autonomy scale in plain words), each for the mentee and,
mirrored, for the mentor's self-check.

Keys are the answer tables' column names; never rename one (stored answers point at it).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.library.types import PRACTICES


@dataclass(frozen=True)
class Scale:
    """A four-point scale: labels for 1..4, for mentees and for mentors."""

    mentee: tuple[str, str, str, str]
    mentor: tuple[str, str, str, str]


# How often something happened: the six practice items.
OFTEN = Scale(
    mentee=("Rarely", "Sometimes", "Often", "Almost always"),
    mentor=("Rarely", "Sometimes", "Often", "Almost always"),
)
# Who led the work, from "watched" to "led on my own" (the Zwisch scale's four steps,
# seen from the learner: show-and-tell, active help, passive help, supervision only).
WHO_LED = Scale(
    mentee=("I mostly watched", "I helped while they led", "I led, with their help", "I led on my own"),
    mentor=(
        "They mostly watched",
        "They helped while I led",
        "They led, with my help",
        "They led on their own",
    ),
)

NOT_APPLICABLE = "Doesn't apply"


@dataclass(frozen=True)
class Item:
    """One question, asked of mentees about their mentor and of the mentor about themselves."""

    key: str
    # The practice it measures, or None (the who-led item stands beside `autonomy`).
    practice: str | None
    mentee: str
    mentor: str
    scale: Scale = OFTEN

    @property
    def title(self) -> str:
        """A short name for results."""
        if self.practice is None:
            return "Who led the work"
        return PRACTICES[self.practice].title


ITEMS: tuple[Item, ...] = (
    Item(
        "care",
        "care",
        "asked how you were really doing — not only about the work?",
        "asked your mentee how they were really doing — not only about the work?",
    ),
    Item(
        "no_ego",
        "no_ego",
        "shared the credit and kept point-scoring out of your time together?",
        "shared the credit and kept point-scoring out of your time together?",
    ),
    Item(
        "mistakes_ok",
        "mistakes_ok",
        "treated a slip or a near miss as something to learn from, calmly?",
        "treated your mentee's slips or near misses as something to learn from, calmly?",
    ),
    Item(
        "own_errors",
        "own_errors",
        "talked about a mistake of their own and what they changed after it?",
        "told your mentee about a mistake of your own and what you changed after it?",
    ),
    Item(
        "listen",
        "listen",
        "made unhurried time to listen, and asked how they could mentor you better?",
        "made unhurried time to listen, and asked for feedback on your own mentoring?",
    ),
    Item(
        "autonomy",
        "autonomy",
        "encouraged you to take the lead and make your own calls?",
        "let your mentee take the lead and make their own calls?",
    ),
    Item(
        "zwisch",
        None,
        "On the clinical work you did together lately, who led?",
        "How much did your mentee lead lately? On the work you did together…",
        WHO_LED,
    ),
)

ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)
PRACTICE_ITEMS: tuple[Item, ...] = tuple(item for item in ITEMS if item.practice is not None)
BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}

# The lead-in the six "how often" items complete.
MENTEE_LEAD = "Lately, how often has your mentor…"
MENTOR_LEAD = "Lately, how often have you…"


def label(item: Item, value: int, *, for_mentor: bool) -> str:
    """The words for `value` (1..4) on the item's scale."""
    labels = item.scale.mentor if for_mentor else item.scale.mentee
    return labels[value - 1]


def describe_average(item: Item, average: float, *, for_mentor: bool) -> str:
    """An average in the scale's words: the nearest label."""
    return label(item, min(4, max(1, round(average))), for_mentor=for_mentor)
