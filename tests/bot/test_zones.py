"""Time zone names: what we accept, what we suggest, and the menu of choices."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.zones import UnknownZone, resolve_zone, utc_offset_label, zone_groups, zone_names


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("America/New York", "America/New_York"),
        ("  `Australia/Sydney`  ", "Australia/Sydney"),
        ("America/St_Johns", "America/St_Johns"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("US/Eastern", "US/Eastern"),  # an old alias, but it follows daylight saving
    ],
)
def test_zone_names_are_accepted_forgivingly(typed, zone):
    assert resolve_zone(typed) == zone


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Europe/Londn", "Did you mean `Europe/London`"),
        ("London", "Did you mean `Europe/London`"),
        ("sydney", "Did you mean `Australia/Sydney`"),
        ("EST", "abbreviations like EST or CET don't follow daylight saving"),
        ("CET", "abbreviations"),
        ("Mars/Olympus_Mons", "I don't know the time zone `Mars/Olympus_Mons`"),
        ("Etc/GMT+5", "I don't know the time zone"),
        ("", "Which time zone?"),
    ],
)
def test_unknown_zones_get_a_suggestion_or_an_explanation(typed, says):
    with pytest.raises(UnknownZone) as error:
        resolve_zone(typed)
    assert says in error.value.message


def test_the_menu_lists_real_places_in_groups_slack_accepts():
    names = zone_names()
    groups = zone_groups()

    assert {"Europe/London", "Australia/Sydney", "America/St_Johns", "UTC"} <= set(names)
    assert "US/Eastern" not in names and "EST" not in names
    assert len(groups) <= 100
    assert all(0 < len(g.names) <= 100 and len(g.label) <= 75 for g in groups)
    assert sorted(n for g in groups for n in g.names) == sorted(names)
    for name in names:
        ZoneInfo(name)


def test_offset_labels_show_half_hours_and_daylight_saving():
    december, july = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)

    assert utc_offset_label("America/St_Johns", december) == "UTC−03:30"
    assert utc_offset_label("America/St_Johns", july) == "UTC−02:30"
    assert utc_offset_label("Australia/Sydney", december) == "UTC+11:00"
    assert utc_offset_label("Europe/London", december) == "UTC"
