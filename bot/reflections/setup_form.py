"""The reflection set-up modal and the channel overview: building them, and reading
what an admin chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    OptionGroup,
    PlainTextInputElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import MESSAGE_BLOCK_LIMIT, chunk_lines, context, header, section, to_dicts
from bot.blocks.state import ModalState
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.reflections.blocks import (
    DAY_BLOCK,
    INVITE,
    MODAL_TITLE,
    OPTION_ANONYMOUS,
    OPTION_REMINDER,
    OPTIONS_BLOCK,
    SETUP_CALLBACK,
    THEME_BLOCKS,
    TIME_BLOCK,
    ZONE_BLOCK,
    format_local,
    practice_option,
    practice_title,
    problem_text,
)
from bot.reflections.rules import zone_named
from bot.reflections.types import (
    DEFAULT_RULE,
    WEEKDAY_KEYS,
    WEEKS,
    ChannelOverview,
    ChannelSettings,
    DayRule,
)
from bot.rhythm import WEEKDAY_NAMES
from bot.timing import format_minute, parse_minute

# The subcommands, shown under the list and after a channel name that was not understood.
USAGE = (
    "`/mentor reflections` lists channels with prompts · `/mentor reflections #channel` turns them on or "
    "changes them · `/mentor reflections off #channel` stops them · `/mentor reflections retry #channel` "
    "posts a prompt that was waiting"
)


def settings_from_view(state: ModalState) -> tuple[ChannelSettings | None, dict[str, str]]:
    """Read the set-up modal's state: (settings, {}) or (None, errors by block id)."""
    errors: dict[str, str] = {}
    try:
        rule = DayRule.decode(state.selected(DAY_BLOCK) or "")
    except ValueError:
        errors[DAY_BLOCK] = "Choose a day of the month."
        rule = DEFAULT_RULE
    minute = parse_minute(state.time(TIME_BLOCK) or "")
    if minute is None:
        errors[TIME_BLOCK] = "Choose a time of day, like 10:00."
    zone_text = state.text(ZONE_BLOCK)
    zone = zone_named(zone_text) if zone_text else None
    if zone is None:
        errors[ZONE_BLOCK] = _zone_problem(zone_text)
    themes = _chosen_themes(state)
    if not themes:
        errors[THEME_BLOCKS[0]] = "Choose at least one theme."
    chosen = set(state.selected_many(OPTIONS_BLOCK))
    if errors:
        return None, errors
    assert minute is not None and zone is not None
    return (
        ChannelSettings(
            day_rule=rule,
            minute_of_day=minute,
            timezone=zone.key,
            themes=themes,
            allow_anonymous=OPTION_ANONYMOUS in chosen,
            reminder_enabled=OPTION_REMINDER in chosen,
        ),
        {},
    )


def _zone_problem(zone_text: str) -> str:
    """What to say under the time zone field when it names no zone."""
    if zone_text:
        return (
            f"I don't know the time zone “{zone_text}”. Use an IANA name, like America/New_York, "
            "Europe/London or Australia/Sydney."
        )
    return "Give the channel's time zone, like America/New_York."


def _chosen_themes(state: ModalState) -> tuple[str, ...]:
    """The themes chosen, in rotation order; empty selects are skipped."""
    return tuple(
        theme
        for block_id in THEME_BLOCKS
        if (theme := state.selected(block_id)) is not None and theme in PRACTICES
    )


def _day_option(rule: DayRule) -> Option:
    if rule.day is not None:
        suffix = " (or the last day)" if rule.day > 28 else ""
        return Option(value=rule.encode(), label=f"Day {rule.day}{suffix}")
    assert rule.weekday is not None and rule.week is not None
    return Option(value=rule.encode(), label=f"{rule.week.capitalize()} {WEEKDAY_NAMES[rule.weekday]}")


def setup_modal(channel_id: str, choices: ChannelSettings, *, is_new: bool) -> dict[str, Any]:
    """The set-up modal for a channel, filled with its current choices (or the defaults)."""
    items: list[Any] = [
        section(
            f"Once a month I'll post a short reflection question in <#{channel_id}>, on one of the six "
            "mentoring practices, with a button to share a thought. On the month's last day I post a "
            "summary in the thread: how many shared, which practices came up — no names."
        ),
        _day_block(choices.day_rule),
        InputBlock(
            block_id=TIME_BLOCK,
            label="Time",
            element=TimePickerElement(
                action_id=TIME_BLOCK, initial_time=format_minute(choices.minute_of_day)
            ),
        ),
        InputBlock(
            block_id=ZONE_BLOCK,
            label="Channel time zone",
            hint="The day and time above are in this zone: an IANA name, like America/New_York.",
            element=PlainTextInputElement(
                action_id=ZONE_BLOCK, initial_value=choices.timezone, max_length=64
            ),
        ),
        *_theme_blocks(choices.themes),
        _options_block(choices),
        context(
            f"I need to be a member of <#{channel_id}> to post there: type {INVITE} in it if you haven't."
            + (" Nothing changes until you press *Turn on*." if is_new else "")
        ),
    ]
    return View(
        type="modal",
        callback_id=SETUP_CALLBACK,
        private_metadata=channel_id,
        title=MODAL_TITLE,
        submit="Turn on" if is_new else "Save",
        close="Cancel",
        blocks=items,
    ).to_dict()


def _day_block(current: DayRule) -> InputBlock:
    """Which day of the month: every nth weekday, then every day number."""
    weekday_rules = [DayRule(week=w, weekday=d) for w in WEEKS for d in range(len(WEEKDAY_KEYS))]
    number_rules = [DayRule(day=n) for n in range(1, 32)]
    return InputBlock(
        block_id=DAY_BLOCK,
        label="Which day of the month",
        hint="Day numbers past a month's end fall on its last day (31 → 30 April, 28 or 29 February).",
        element=StaticSelectElement(
            action_id=DAY_BLOCK,
            option_groups=[
                OptionGroup(label="A weekday", options=[_day_option(r) for r in weekday_rules]),
                OptionGroup(label="A date", options=[_day_option(r) for r in number_rules]),
            ],
            initial_option=_day_option(current),
        ),
    )


def _theme_blocks(themes: Sequence[str]) -> list[InputBlock]:
    """One select per place in the rotation, filled with the channel's themes in order."""
    return [_theme_block(n, themes[n] if n < len(themes) else None) for n in range(len(THEME_BLOCKS))]


def _theme_block(n: int, current: str | None) -> InputBlock:
    """The select for the rotation's `n`th theme (from 0); only the first must be chosen."""
    return InputBlock(
        block_id=THEME_BLOCKS[n],
        label=f"Theme {n + 1}" + (" (then it repeats)" if n == len(THEME_BLOCKS) - 1 else ""),
        optional=n > 0,
        hint="Prompts rotate through these themes, one a month; leave later ones empty for a "
        "shorter rotation. A new order starts with theme 1 at the next prompt."
        if n == 0
        else None,
        element=StaticSelectElement(
            action_id="theme",
            placeholder="No theme",
            options=[practice_option(key) for key in PRACTICE_KEYS],
            initial_option=practice_option(current) if current else None,
        ),
    )


def _options_block(choices: ChannelSettings) -> InputBlock:
    """The anonymous-sharing and reminder checkboxes, ticked as the channel has them."""
    option_anonymous = Option(
        value=OPTION_ANONYMOUS,
        label="Allow anonymous sharing",
        description="People may post as “A colleague shared”; nothing links it to them.",
    )
    option_reminder = Option(
        value=OPTION_REMINDER,
        label="Send one mid-month reminder",
        description="A gentle DM to mentors in the channel who haven't shared by name yet.",
    )
    initial = [
        o
        for o, on in (
            (option_anonymous, choices.allow_anonymous),
            (option_reminder, choices.reminder_enabled),
        )
        if on
    ]
    return InputBlock(
        block_id=OPTIONS_BLOCK,
        label="Options",
        optional=True,
        element=CheckboxesElement(
            action_id=OPTIONS_BLOCK,
            options=[option_anonymous, option_reminder],
            initial_options=initial or None,
        ),
    )


def setup_done_view(
    *, channel_id: str, is_new: bool, next_local: datetime, theme: str, rule: DayRule, minute: int, zone: str
) -> dict[str, Any]:
    """What the set-up modal turns into once saved."""
    lead = "Reflections are on for" if is_new else "Saved. Reflection prompts for"
    tail = "" if is_new else " are updated"
    return View(
        type="modal",
        title=MODAL_TITLE,
        close="Done",
        blocks=[
            section(
                f"*{lead} <#{channel_id}>{tail}.*\nNext prompt: *{format_local(next_local)}* — theme: "
                f"{practice_title(theme)}.\nThen every month on {rule.describe()} at "
                f"{format_minute(minute)} ({zone})."
            ),
            context(
                f"If I'm not in <#{channel_id}> yet, type {INVITE} there. "
                "`/mentor reflections` lists every channel."
            ),
        ],
    ).to_dict()


def _overview_lines(item: ChannelOverview) -> list[str]:
    channel = item.channel
    if not channel.enabled:
        off = channel.disabled_at
        since = f" since {off.day} {off:%b %Y}" if off else ""
        return [f"<#{channel.channel_id}> — off{since} (past reflections are kept)"]
    zone = ZoneInfo(channel.timezone)
    rule = DayRule.decode(channel.day_rule)
    when = f"{rule.describe()} at {format_minute(channel.minute_of_day)} ({zone.key})"
    lines = [f"*<#{channel.channel_id}>* — {when}"]
    if channel.next_prompt_at is not None:
        theme = f", theme: {practice_title(item.next_theme)}" if item.next_theme else ""
        lines.append(f"    Next prompt: {format_local(channel.next_prompt_at.astimezone(zone))}{theme}")
    anonymous = "on" if channel.allow_anonymous else "off"
    reminder = "on" if channel.reminder_enabled else "off"
    lines.append(f"    Anonymous sharing {anonymous} · mid-month reminder {reminder}")
    latest = item.latest
    if latest is not None and latest.status == "waiting":
        lines.append(
            f"    :warning: This month's prompt is waiting. "
            f"{problem_text(latest.problem or '', channel.channel_id)} "
            f"Then `/mentor reflections retry` <#{channel.channel_id}>."
        )
    elif latest is not None and latest.status == "missed":
        lines.append(f"    Last prompt ({latest.month}) was missed: {latest.note}")
    return lines


def overview_blocks(items: Sequence[ChannelOverview]) -> tuple[str, list[dict[str, Any]]]:
    """The `/mentor reflections` list: each channel with its next prompt in its own zone."""
    if not items:
        text = "No channels get reflection prompts yet. Turn them on with `/mentor reflections #channel`."
        return text, to_dicts([section(text)])
    lines = [line for item in items for line in [*_overview_lines(item), ""]]
    chunks = chunk_lines(lines)[: MESSAGE_BLOCK_LIMIT - 2]
    on = sum(1 for i in items if i.channel.enabled)
    text = f"Reflection prompts: {on} channel{'s' if on != 1 else ''} on."
    return text, to_dicts([header("Reflection prompts"), *[section(c) for c in chunks], context(USAGE)])
