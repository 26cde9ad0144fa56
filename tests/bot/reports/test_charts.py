"""The charts: real PNGs that decode, with content; a "no data yet" chart for an empty month."""

from __future__ import annotations

import io

import pytest
from matplotlib.image import imread

from bot.db import transaction
from bot.reports.charts import PALETTE, render_charts
from bot.reports.service import report_figures
from tests.bot.reports.world import MONTH, build_world
from tests.fakes.slack_api import TEAM_ID

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode(png: bytes):
    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")


def colours_used(pixels) -> int:
    """How many distinct colours a picture holds (a blank one holds one)."""
    flat = (pixels[..., :3] * 255).astype(int).reshape(-1, 3)
    return len({tuple(p) for p in flat[:: max(1, len(flat) // 20000)]})


def has_colour(pixels, hex_colour: str) -> bool:
    wanted = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    rgb = (pixels[..., :3] * 255).round().astype(int)
    return bool(((abs(rgb - wanted)).sum(axis=-1) <= 6).any())


@pytest.fixture
def charts(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        figures = report_figures(session, settings, TEAM_ID, MONTH)
    return render_charts(figures)


def test_three_charts_decode_and_are_drawn_in_the_palette(charts, tmp_path):
    assert [c.filename for c in charts] == [
        "mentor-nudge-2026-11-response-rate.png",
        "mentor-nudge-2026-11-meetings.png",
        "mentor-nudge-2026-11-pulse.png",
    ]
    for chart in charts:
        pixels = decode(chart.png)
        height, width = pixels.shape[:2]
        assert width > 600 and height > 400
        assert colours_used(pixels) > 50  # lines, bars and words, not a blank image
        (tmp_path / chart.filename).write_bytes(chart.png)
    # The first series of each chart in the Okabe–Ito blue; the mentees' bars in its orange.
    assert has_colour(decode(charts[0].png), PALETTE[0])
    assert has_colour(decode(charts[1].png), PALETTE[0])
    assert has_colour(decode(charts[2].png), PALETTE[1])


def test_an_empty_month_gives_no_data_charts_not_errors(session_factory, settings):
    with transaction(session_factory) as session:
        figures = report_figures(session, settings, TEAM_ID, "2030-01")
    charts = render_charts(figures)
    assert len(charts) == 3
    for chart in charts:
        pixels = decode(chart.png)
        # Only words on white: greys, no palette colour.
        assert not any(has_colour(pixels, colour) for colour in PALETTE[:5])
        assert colours_used(pixels) > 1
