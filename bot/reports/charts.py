"""The report's charts as PNG images, drawn with matplotlib's Agg backend.

Readable first: every chart has a title, labelled axes, a colour-blind-safe palette
(Okabe & Ito's) with a marker or hatch as well as a colour, so a grey-scale print
still tells the lines apart. A month with nothing to draw gets a chart saying so,
never an error. matplotlib is imported when a chart is drawn, not when the app starts:
most processes never draw one.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.library.types import PRACTICES
from bot.reports.rules import first_day
from bot.reports.types import Chart, ReportFigures

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), without the yellow, which is too pale on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
SIZE = (8.0, 4.8)
DPI = 110


def month_label(month: str) -> str:
    """ "2026-11" → "Nov 2026"."""
    return f"{first_day(month):%b %Y}"


def _figure() -> Figure:
    # The object-oriented API with an Agg canvas: no pyplot, no global state, safe in
    # the web server's threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def no_data_chart(title: str, message: str) -> bytes:
    """A chart that says plainly there is nothing to draw yet (and why)."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=13, fontweight="bold")
    axes.set_axis_off()
    axes.text(0.5, 0.55, "No data yet", ha="center", va="center", fontsize=22, color="#555555")
    axes.text(0.5, 0.35, message, ha="center", va="center", fontsize=11, color="#555555", wrap=True)
    return _png(figure)


def render_charts(figures: ReportFigures) -> list[Chart]:
    """The report's three charts (each a "no data yet" chart when it has nothing to show)."""
    stem = f"mentor-nudge-{figures.month}"
    return [
        Chart(f"{stem}-response-rate.png", "Response rate per practice", response_rate_chart(figures)),
        Chart(f"{stem}-meetings.png", "Meetings per pair per month", meetings_chart(figures)),
        Chart(f"{stem}-pulse.png", "Mentor self-rating and mentees' ratings", pulse_chart(figures)),
    ]


def response_rate_chart(figures: ReportFigures) -> bytes:
    """Answered ÷ sent per practice, month by month, over the last six months."""
    title = f"Nudge response rate per practice, {_span(figures)}"
    months = [rates.month for rates in figures.trend]
    keys = [p.practice for p in figures.practices]
    series = {key: [dict(r.rates).get(key) for r in figures.trend] for key in keys}
    if all(v is None for values in series.values() for v in values):
        return no_data_chart(title, "No nudges were sent in these months.")
    figure = _figure()
    axes = figure.add_subplot()
    positions = range(len(months))
    for index, key in enumerate(keys):
        values = [math.nan if v is None else 100 * v for v in series[key]]
        if all(math.isnan(v) for v in values):
            continue
        axes.plot(
            positions,
            values,
            label=PRACTICES[key].title if key in PRACTICES else key,
            color=PALETTE[index % len(PALETTE)],
            marker=MARKERS[index % len(MARKERS)],
            linewidth=2,
        )
    _month_axis(axes, months)
    # A little room below 0 and beside the ends, so a 0% point or an end month shows whole.
    axes.set_ylim(-4, 105)
    axes.set_xlim(-0.4, len(months) - 0.6)
    axes.set_ylabel("Nudges answered (% of those sent)")
    axes.set_title(title, fontsize=13, fontweight="bold")
    axes.grid(axis="y", color="#dddddd")
    # Below the plot, never over a line.
    figure.legend(loc="outside lower center", fontsize=8, ncols=3, frameon=False)
    return _png(figure)


def meetings_chart(figures: ReportFigures) -> bytes:
    """Meetings logged per active pair, month by month (bars), with the counts written on."""
    title = f"Meetings logged per pair, {_span(figures)}"
    months = figures.meetings
    if not any(m.active_pairs or m.meetings for m in months):
        return no_data_chart(title, "No pairs were active and no meetings were logged in these months.")
    figure = _figure()
    axes = figure.add_subplot()
    values = [m.per_pair or 0.0 for m in months]
    bars = axes.bar(range(len(months)), values, color=PALETTE[0], edgecolor="black", linewidth=0.6)
    for bar, month in zip(bars, months, strict=True):
        axes.annotate(
            f"{month.meetings} / {month.active_pairs}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=9,
        )
    _month_axis(axes, [m.month for m in months])
    axes.set_ylim(0, max(1.0, max(values) * 1.25))
    axes.set_ylabel("Meetings per active pair")
    axes.set_title(title, fontsize=13, fontweight="bold")
    axes.text(
        0.99,
        0.97,
        "labels: meetings / active pairs",
        transform=axes.transAxes,
        ha="right",
        va="top",
        fontsize=8,
    )
    axes.grid(axis="y", color="#dddddd")
    return _png(figure)


def pulse_chart(figures: ReportFigures) -> bytes:
    """Per item: mentors' own average beside their mentees' (released figures only)."""
    pulse = figures.pulse
    title = "Mentor self-rating and mentees' ratings (whole program)"
    if not pulse.released:
        return no_data_chart(
            title,
            "Not released yet: mentees' answers are shown only once a published batch\n"
            f"holds answers from at least {pulse.anonymity_min} different mentees.",
        )
    items = pulse.items
    figure = _figure()
    axes = figure.add_subplot()
    height = 0.38
    rows = range(len(items))
    mentors = [math.nan if i.mentors is None else i.mentors for i in items]
    mentees = [math.nan if i.mentees is None else i.mentees for i in items]
    drawn = axes.barh(
        [r - height / 2 for r in rows],
        mentees,
        height,
        label="Mentees (about their mentor)",
        color=PALETTE[1],
        edgecolor="black",
        linewidth=0.6,
    )
    _label_bars(axes, drawn, mentees)
    if pulse.self_released:
        drawn = axes.barh(
            [r + height / 2 for r in rows],
            mentors,
            height,
            label="Mentors (self-rating)",
            color=PALETTE[0],
            edgecolor="black",
            linewidth=0.6,
            hatch="//",
        )
        _label_bars(axes, drawn, mentors)
    for row, item in zip(rows, items, strict=True):
        if item.mentees is None:
            axes.text(1.05, row, "too few answers to show", va="center", fontsize=8, color="#555555")
    axes.set_yticks(list(rows), [i.title for i in items], fontsize=9)
    axes.set_ylim(len(items) - 0.4, -0.6)  # first item on top, room around the last
    axes.set_xlim(1, 4.3)
    axes.set_xticks([1, 2, 3, 4])
    axes.set_xlabel("Average rating: 1 rarely … 4 almost always (who led: 1 mentee watched … 4 led alone)")
    figure.suptitle(title, fontsize=13, fontweight="bold")
    note = f"{pulse.answers} answers from at least {pulse.mentees} different mentees (published batches)"
    if not pulse.self_released:
        note += f"; self-ratings shown once {pulse.anonymity_min} mentors answered"
    axes.set_title(note, fontsize=9, color="#444444")
    axes.grid(axis="x", color="#dddddd")
    figure.legend(loc="outside lower center", fontsize=8, ncols=2, frameon=False)
    return _png(figure)


def _label_bars(axes: Axes, bars: Any, values: Sequence[float]) -> None:
    """Write each drawn bar's value at its end (a missing value gets no bar and no label)."""
    for bar, value in zip(bars, values, strict=True):
        if not math.isnan(value):
            axes.annotate(
                f"{value:.1f}",
                (value, bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )


def _span(figures: ReportFigures) -> str:
    months = [r.month for r in figures.trend]
    return f"{month_label(months[0])} – {month_label(months[-1])}"


def _month_axis(axes: Axes, months: Sequence[str]) -> None:
    axes.set_xticks(list(range(len(months))), [month_label(m) for m in months])
    axes.set_xlabel("Month")
