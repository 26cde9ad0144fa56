"""Time zone names: checking what people type, suggesting fixes, listing choices.

Names are IANA zones ("Europe/London"), checked with zoneinfo. Bare abbreviations
("EST", "CET") are refused even though zoneinfo knows some of them, because they are
fixed offsets that ignore daylight saving — a New York mentor who types "EST" would
get nudges an hour late all summer.
"""

from __future__ import annotations

import difflib
import importlib.resources
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Region prefixes of the zones people live in (no "Etc/", "SystemV/", "US/" aliases).
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
ZONE_LIST_URL = "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones"


class UnknownZone(ValueError):
    """The text is not a zone we accept; the message says what to type instead."""

    @property
    def message(self) -> str:
        """The sentence to show the person."""
        return str(self.args[0])


@cache
def _known_names() -> dict[str, str]:
    """Every zone name this machine knows, by its lower-case form."""
    return {name.lower(): name for name in available_timezones()}


def is_valid_zone(name: str | None) -> bool:
    """True for a zone name zoneinfo can load."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_zone(text: str) -> str:
    """The canonical spelling of the zone `text` names, or :class:`UnknownZone`.

    Forgiving about case and spaces ("america/new york" → "America/New_York"); strict
    about everything else, with a suggestion when a close name exists.
    """
    cleaned = text.strip().strip("`'\"")
    if not cleaned:
        raise UnknownZone("Which time zone? Give a name like `Europe/London` or `America/New_York`.")
    candidate = "_".join(cleaned.split()).replace("_/", "/").replace("/_", "/")
    known = _known_names()
    name = known.get(candidate.lower())
    usable = name is not None and ("/" in name or name == "UTC") and not name.startswith(("Etc/", "SystemV/"))
    if usable and is_valid_zone(name):
        return name
    if "/" not in candidate and not suggest_zones(candidate):
        raise UnknownZone(
            f"`{cleaned}` isn't a zone name I can use — abbreviations like EST or CET don't follow "
            "daylight saving. Use a city-based name such as `America/New_York` or `Europe/Paris` "
            f"(the full list: {ZONE_LIST_URL})."
        )
    suggestions = suggest_zones(candidate)
    hint = (
        f" Did you mean {' or '.join(f'`{s}`' for s in suggestions)}?"
        if suggestions
        else f" Zone names look like `Europe/London` or `America/New_York` (the full list: {ZONE_LIST_URL})."
    )
    raise UnknownZone(f"I don't know the time zone `{cleaned}`.{hint}")


def suggest_zones(text: str, limit: int = 2) -> list[str]:
    """Zone names close to `text` (typos, missing region, wrong case)."""
    names = list(zone_names())
    lowered = {name.lower(): name for name in names}
    close = difflib.get_close_matches(text.lower(), list(lowered), n=limit, cutoff=0.75)
    if not close:
        # "London" alone: match on the city part.
        city = text.rsplit("/", 1)[-1].lower()
        close = [lower for lower in lowered if lower.rsplit("/", 1)[-1] == city][:limit]
    return [lowered[c] for c in close]


@cache
def zone_names() -> tuple[str, ...]:
    """The zones people choose from: canonical names from the tz database's zone.tab.

    One name per place (no legacy aliases such as "US/Eastern"), sorted; falls back to
    zoneinfo's full list, filtered to the regions above, if zone.tab is not installed.
    """
    names: set[str] = {"UTC"}
    try:
        table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        table = ""
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) >= 3:
            names.add(columns[2])
    if len(names) == 1:
        names.update(n for n in available_timezones() if n.split("/", 1)[0] in REGIONS)
    return tuple(sorted(name for name in names if is_valid_zone(name)))


def utc_offset_label(zone: str, at: datetime) -> str:
    """ "UTC+05:30", "UTC−03:30" or "UTC" for `zone` at the instant `at`."""
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class ZoneGroup:
    """A labelled run of zone names, at most `size` long (Slack's option group limit)."""

    label: str
    names: tuple[str, ...]


def zone_groups(size: int = 100) -> list[ZoneGroup]:
    """Zone names grouped by region, long regions split alphabetically ("America A–M")."""
    by_region: dict[str, list[str]] = {}
    for name in zone_names():
        region = name.split("/", 1)[0] if "/" in name else "UTC"
        by_region.setdefault(region, []).append(name)
    groups: list[ZoneGroup] = []
    for region, names in by_region.items():
        chunks = list(_chunks(names, size))
        for chunk in chunks:
            if len(chunks) == 1:
                label = region
            else:
                first, last = _city(chunk[0])[0], _city(chunk[-1])[0]
                label = f"{region} {first}–{last}"
            groups.append(ZoneGroup(label, tuple(chunk)))
    return groups


def display_name(zone: str) -> str:
    """ "America/St_Johns" → "America/St Johns" (underscores read badly in a menu)."""
    return zone.replace("_", " ")


def _city(name: str) -> str:
    return name.split("/", 1)[-1]


def _chunks(names: list[str], size: int) -> Iterator[list[str]]:
    # Even chunks read better than 100 + 3.
    count = -(-len(names) // size)
    step = -(-len(names) // count)
    for start in range(0, len(names), step):
        yield names[start : start + step]
