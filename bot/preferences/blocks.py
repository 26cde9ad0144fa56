"""Personal settings in words and blocks: the settings modal, its "saved" view, and the
replies to `/mentor pause`, `resume`, `stop`, `start` and `timezone`.

The modal's block ids are the form field names in `bot.preferences`, so validation
errors come back keyed by the block they belong beside.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    OptionGroup,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import context, header, section, to_dicts
from bot.blocks.state import ModalState
from bot.durations import describe_day
from bot.preferences.types import (
    AUTO_ZONE,
    CADENCE,
    CONTACT_END,
    CONTACT_START,
    NOT_PAUSED,
    NUDGE_DAYS,
    NUDGE_TIME,
    PAUSE_KIND,
    PAUSE_REASONS,
    PAUSE_UNTIL,
    TIMEZONE,
    WEEKENDS,
    PauseOutcome,
    PersonalSettings,
    ResumeOutcome,
    SettingsForm,
    StartOutcome,
    StopOutcome,
    ZoneOutcome,
)
from bot.rhythm import WEEKDAY_NAMES, Rhythm, describe_pace, join_words, slowed
from bot.timing import MINUTES_PER_DAY, parse_minute
from bot.zones import display_name, utc_offset_label, zone_groups

SETTINGS_CALLBACK = "settings"
# Buttons other modules' messages may also carry.
OPEN_SETTINGS_ACTION = "settings.open"
RESUME_ACTION = "settings.resume"
START_ACTION = "settings.start"

CADENCE_WORDS = {"weekly": "weekly", "biweekly": "every two weeks", "monthly": "monthly"}
QUIET_WEEKENDS_VALUE = "quiet"
PAUSE_CHOICES = {
    NOT_PAUSED: "Not paused",
    "nights": "I'm on nights",
    "leave": "I'm on leave",
    "break": "Taking a break",
}
ZONE_SOURCE_WORDS = {
    "override": "your choice",
    "slack": "from Slack",
    "workspace": "the program's default — Slack hasn't shared yours",
    "program": "the program's default — Slack hasn't shared yours",
    "fallback": "Slack hasn't shared yours and the program has no default",
}


# --- settings in plain words ------------------------------------------------------------


def clock(minute: int) -> str:
    """575 → "09:35"; the end of the day (1440) reads "00:00"."""
    minute %= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_days(days: tuple[int, ...]) -> str:
    """(1,) → "Tuesdays"; (0, 3) → "Mondays and Thursdays"; Monday–Friday → "weekdays"."""
    if tuple(days) == (0, 1, 2, 3, 4):
        return "weekdays"
    if tuple(days) == tuple(range(7)):
        return "every day"
    names = [WEEKDAY_NAMES[day] + "s" for day in days]
    return join_words(names) if names else "no days chosen"


def describe_nudges(s: PersonalSettings) -> str:
    """ "Tuesdays at 09:30, weekly" — and, after back-off, the slower pace in force."""
    chosen = (
        f"{describe_days(s.nudge_days)} at {clock(s.nudge_minute)}, {CADENCE_WORDS.get(s.cadence, s.cadence)}"
    )
    if not s.backoff_level or not s.nudge_days:
        return chosen
    now = slowed(Rhythm(s.nudge_days, s.cadence), s.backoff_level)
    return (
        f"{chosen} — slowed to {describe_pace(now.days, now.cadence)} after a few unanswered nudges "
        "(saving your settings goes back to your pace)"
    )


def describe_quiet_hours(s: PersonalSettings) -> str:
    """ "18:00–08:00 and weekends", "weekends", "none" …"""
    whole_day = s.contact_start == 0 and s.contact_end >= MINUTES_PER_DAY
    hours = "" if whole_day else f"{clock(s.contact_end)}–{clock(s.contact_start)}"
    if hours and s.quiet_weekends:
        return f"{hours} and weekends"
    return hours or ("weekends" if s.quiet_weekends else "none")


def describe_zone(s: PersonalSettings) -> str:
    """ "Europe/London (from Slack)"."""
    return f"{s.zone} ({ZONE_SOURCE_WORDS[s.zone_source]})"


def describe_pause(s: PersonalSettings, *, subject: str = "messages") -> str | None:
    """ "Paused until Sunday 10 January; nudges resume Monday 11 January." or None."""
    resume, last = s.resume_local, s.pause_last_day
    if resume is None or last is None:
        return None
    # Nights and leave are worth naming back; a plain `/mentor pause` needs no label.
    why = f" ({PAUSE_REASONS[s.pause_reason]})" if s.pause_reason in ("nights", "leave") else ""
    if s.pause_ends_at_day_start:
        return (
            f"Paused{why} until {describe_day(last, s.today)}; "
            f"{subject} resume {describe_day(resume.date(), s.today)}."
        )
    # Not made by this app's own commands, but other features may end a pause mid-day.
    return (
        f"Paused{why} until {describe_day(resume.date(), s.today)} at {resume:%H:%M}; {subject} resume then."
    )


def what_resumes(s: PersonalSettings) -> str:
    """The word for what a pause holds back: "nudges" for mentors, else "messages"."""
    return "nudges" if s.role == "mentor" else "messages"


def summary_lines(s: PersonalSettings) -> list[str]:
    """The settings as short lines: nudges (when they apply), quiet hours, zone."""
    lines = []
    if s.shows_nudges:
        lines.append(f"*Nudges:* {describe_nudges(s)}")
    lines.append(f"*Quiet hours:* {describe_quiet_hours(s)}")
    lines.append(f"*Time zone:* {describe_zone(s)}")
    return lines


def describe_status(s: PersonalSettings) -> str:
    """One line: on, paused until …, or stopped."""
    if s.is_stopped and s.opted_out_at is not None:
        since = describe_day(s.opted_out_at.astimezone(s.tzinfo).date(), s.today)
        return f"Stopped since {since}: Mentor Nudge sends you nothing until you start again."
    return describe_pause(s, subject=what_resumes(s)) or "On: messages arrive only inside your hours."


# --- the modal --------------------------------------------------------------------------


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=text, emoji=False))


def zone_select(s: PersonalSettings) -> StaticSelectElement:
    """Every zone, grouped by region, with "follow Slack" first; Slack's menu is searchable."""
    slack_zone = s.slack_tz if s.slack_tz else "not shared yet"
    auto = _option(AUTO_ZONE, f"Follow my Slack profile ({display_name(slack_zone)})"[:75])
    groups = [OptionGroup(label=PlainTextObject(text="Automatic"), options=[auto])]
    initial = auto
    current = s.tz_override
    listed = False
    for group in zone_groups():
        options = []
        for name in group.names:
            option = _option(name, f"{display_name(name)} ({utc_offset_label(name, s.now)})")
            if name == current:
                initial, listed = option, True
            options.append(option)
        groups.append(OptionGroup(label=PlainTextObject(text=group.label), options=options))
    if current and not listed:
        # An override typed with `/mentor timezone` may be an alias not in the list.
        own = _option(current, f"{display_name(current)} ({utc_offset_label(current, s.now)})")
        groups.insert(1, OptionGroup(label=PlainTextObject(text="Your choice"), options=[own]))
        initial = own
    return StaticSelectElement(action_id=TIMEZONE, option_groups=groups, initial_option=initial)


def settings_modal(s: PersonalSettings) -> dict[str, Any]:
    """The `/mentor settings` modal, filled in with the person's current settings."""
    paused_as = s.pause_reason if s.is_paused and s.pause_reason in PAUSE_CHOICES else NOT_PAUSED
    blocks: list[Block] = [
        section(
            f"Choose when Mentor Nudge may message you. Times are your local time "
            f"({s.zone}, where it's {s.local_now:%H:%M} now)."
        )
    ]
    if s.is_stopped:
        blocks.append(
            context(
                "You've stopped all messages from Mentor Nudge. Saving here doesn't change that; "
                "`/mentor start` turns them back on."
            )
        )
    if s.shows_nudges:
        blocks += _nudge_inputs(s)
    blocks += [
        header("Quiet hours"),
        context("Outside these hours Mentor Nudge never messages you."),
        InputBlock(
            block_id=CONTACT_START,
            label="Messages allowed from",
            element=TimePickerElement(action_id=CONTACT_START, initial_time=clock(s.contact_start)),
        ),
        InputBlock(
            block_id=CONTACT_END,
            label="Until",
            hint="Choose 00:00 for midnight.",
            element=TimePickerElement(action_id=CONTACT_END, initial_time=clock(s.contact_end)),
        ),
        InputBlock(
            block_id=WEEKENDS,
            label="Weekends",
            optional=True,
            element=CheckboxesElement(
                action_id=WEEKENDS,
                options=[_option(QUIET_WEEKENDS_VALUE, "No messages on Saturdays and Sundays")],
                initial_options=[_option(QUIET_WEEKENDS_VALUE, "No messages on Saturdays and Sundays")]
                if s.quiet_weekends
                else None,
            ),
        ),
        header("Time zone"),
        InputBlock(
            block_id=TIMEZONE,
            label="Your time zone",
            hint="Type to search. “Follow my Slack profile” keeps up when you travel.",
            element=zone_select(s),
        ),
        header("Pause"),
        InputBlock(
            block_id=PAUSE_KIND,
            label="Pause messages while you're away",
            element=RadioButtonsElement(
                action_id=PAUSE_KIND,
                options=[_option(value, text) for value, text in PAUSE_CHOICES.items()],
                initial_option=_option(paused_as, PAUSE_CHOICES[paused_as]),
            ),
        ),
        InputBlock(
            block_id=PAUSE_UNTIL,
            label="Last day of the pause",
            hint="Messages start again the day after, inside your hours.",
            optional=True,
            element=DatePickerElement(
                action_id=PAUSE_UNTIL,
                initial_date=s.pause_last_day.isoformat() if s.is_paused and s.pause_last_day else None,
            ),
        ),
    ]
    view = View(
        type="modal",
        callback_id=SETTINGS_CALLBACK,
        title="Your settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def _nudge_inputs(s: PersonalSettings) -> list[Block]:
    day_options = [_option(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]
    chosen = [day_options[day] for day in s.nudge_days]
    cadence_options = [_option(value, words.capitalize()) for value, words in CADENCE_WORDS.items()]
    current_cadence = next((o for o in cadence_options if o.value == s.cadence), cadence_options[0])
    note = (
        "A short reminder about one mentoring habit, on the day and at the time you choose."
        if s.role == "mentor"
        else "Nudges start once you're paired as a mentor; you can choose their timing now."
    )
    return [
        header("Nudges"),
        context(note),
        InputBlock(
            block_id=NUDGE_DAYS,
            label="On which days?",
            optional=True,  # checked by us, so the message can say more than "required"
            element=CheckboxesElement(
                action_id=NUDGE_DAYS, options=day_options, initial_options=chosen or None
            ),
        ),
        InputBlock(
            block_id=NUDGE_TIME,
            label="At what time?",
            element=TimePickerElement(action_id=NUDGE_TIME, initial_time=clock(s.nudge_minute)),
        ),
        InputBlock(
            block_id=CADENCE,
            label="How often?",
            element=RadioButtonsElement(
                action_id=CADENCE, options=cadence_options, initial_option=current_cadence
            ),
        ),
    ]


def parse_settings_state(state: ModalState) -> SettingsForm:
    """Turn the settings modal's submitted state into a :class:`SettingsForm`.

    Missing or unreadable values become None and are reported by validation; nothing
    here raises on odd input.
    """

    def minute(block_id: str, *, end_of_day: bool = False) -> int | None:
        parsed = parse_minute(state.time(block_id) or "")
        # An end time of 00:00 means midnight at the end of the day.
        return MINUTES_PER_DAY if end_of_day and parsed == 0 else parsed

    shows_nudges = state.has(NUDGE_TIME)
    days: tuple[int, ...] | None = None
    if shows_nudges:
        days = tuple(
            sorted({int(v) for v in state.selected_many(NUDGE_DAYS) if v.isdecimal() and int(v) < 7})
        )
    pause_date = state.date(PAUSE_UNTIL)
    try:
        last_day = date.fromisoformat(pause_date) if pause_date else None
    except ValueError:
        last_day = None
    return SettingsForm(
        nudge_days=days,
        nudge_minute=minute(NUDGE_TIME) if shows_nudges else None,
        cadence=state.selected(CADENCE) if shows_nudges else None,
        contact_start=minute(CONTACT_START),
        contact_end=minute(CONTACT_END, end_of_day=True),
        quiet_weekends=QUIET_WEEKENDS_VALUE in state.selected_many(WEEKENDS),
        timezone=state.selected(TIMEZONE),
        pause_kind=state.selected(PAUSE_KIND) or NOT_PAUSED,
        pause_last_day=last_day,
    )


def saved_modal(s: PersonalSettings) -> dict[str, Any]:
    """What the modal turns into after a successful save: the settings in plain words."""
    lines = summary_lines(s)
    status = describe_status(s)
    blocks: list[Block] = [
        section(
            "*Saved.* Mentor Nudge will follow these settings:\n" + "\n".join(f"• {line}" for line in lines)
        ),
        section(status),
        context("Change them any time with `/mentor settings` or from the app's Home tab."),
    ]
    return View(
        type="modal", callback_id="settings_saved", title="Settings saved", close="Done", blocks=blocks
    ).to_dict()


# --- command replies --------------------------------------------------------------------

Reply = tuple[str, list[dict[str, Any]]]


def _button(
    text: str, action_id: str, *, style: str | None = None, value: str | None = None
) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, style=style, value=value or action_id)


def pause_reply(outcome: PauseOutcome) -> Reply:
    """ "Paused until Sunday 10 January; nudges resume Monday 11 January." with a Resume button."""
    s = outcome.settings
    text = describe_pause(s, subject=what_resumes(s)) or "Paused."
    notes = ["Nothing will be sent to you before then."]
    if outcome.previous_until is not None:
        notes.append("This replaces your earlier pause.")
    if s.is_stopped:
        notes.append("You've also stopped all messages: `/mentor start` turns them back on.")
    blocks: list[Block] = [
        section(text),
        context(" ".join(notes) + " Back sooner? `/mentor resume`."),
        ActionsBlock(block_id="pause_reply", elements=[_button("Resume now", RESUME_ACTION)]),
    ]
    return text, to_dicts(blocks)


def resume_reply(outcome: ResumeOutcome) -> Reply:
    """Confirm the end of a pause (and of a stop), or say there was nothing to end."""
    s = outcome.settings
    if outcome.was_stopped:
        text = "Messages are back on — you had stopped them, and that's lifted too."
    elif outcome.was_paused:
        text = "Your pause is over: messages are back on, inside your hours."
    else:
        text = "You're not paused, so there was nothing to resume. Messages are on."
    detail = "\n".join(summary_lines(s))
    return text, to_dicts([section(text), context(detail.replace("*", ""))])


def stop_reply(outcome: StopOutcome) -> Reply:
    """Confirm the stop, with a one-click Undo."""
    if outcome.already_stopped:
        text = "You'd already stopped all messages from Mentor Nudge; nothing is sent to you."
    else:
        text = "Done: Mentor Nudge will send you no more messages — no nudges, questions or reminders."
    blocks: list[Block] = [
        section(text),
        context(
            "Your program admins can see that you've opted out. `/mentor start` turns messages back on "
            "any time; `/mentor pause 2w` is there if you only need a break."
        ),
        ActionsBlock(block_id="stop_reply", elements=[_button("Undo", START_ACTION, style="primary")]),
    ]
    return text, to_dicts(blocks)


def start_reply(outcome: StartOutcome) -> Reply:
    """Confirm that messages are on again (noting a pause that still holds)."""
    s = outcome.settings
    text = (
        "Welcome back: messages from Mentor Nudge are on again."
        if outcome.was_stopped
        else "Messages from Mentor Nudge are already on."
    )
    notes = []
    pause = describe_pause(s, subject=what_resumes(s))
    if pause:
        notes.append(f"{pause} `/mentor resume` ends the pause now.")
    else:
        notes.append("They arrive only inside your hours; `/mentor settings` changes them.")
    return text, to_dicts([section(text), context(*notes)])


def timezone_reply(outcome: ZoneOutcome) -> Reply:
    """Confirm a zone change, with the local time there as a sanity check."""
    s = outcome.settings
    now_there = f"it's {s.local_now:%H:%M} there now"
    if s.zone_source == "override":
        text = f"Your time zone is now {s.zone} ({now_there})."
        hint = "`/mentor timezone auto` goes back to the zone in your Slack profile."
    else:
        text = f"Your time zone now follows Slack: {describe_zone(s)}, {now_there}."
        hint = "`/mentor timezone Europe/London` (or any zone name) sets your own."
    if not outcome.changed:
        text += " That's the zone you already had."
    pause = describe_pause(s, subject=what_resumes(s))
    notes = [hint] + ([pause] if pause and outcome.changed else [])
    return text, to_dicts([section(text), context(*notes)])


def current_zone_reply(s: PersonalSettings) -> Reply:
    """`/mentor timezone` with nothing after it: say which zone and how to change it."""
    text = f"Your time zone is {describe_zone(s)}; it's {s.local_now:%H:%M} there now."
    hint = (
        "Change it with `/mentor timezone America/Chicago` (any IANA zone name), "
        "or `/mentor timezone auto` to follow your Slack profile."
    )
    return text, to_dicts([section(text), context(hint)])
