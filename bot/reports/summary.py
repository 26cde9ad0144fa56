"""The report's words: a Slack message (mrkdwn) and a Markdown summary for the CLI.
Both say what each figure counts, so a reader of the annual evaluation need not guess."""

from __future__ import annotations

from bot.reports.charts import month_label
from bot.reports.types import ReportFigures


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(100 * rate)}%"


def _per_pair(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def headline(figures: ReportFigures) -> str:
    """One line: the month and its main counts."""
    meetings = figures.this_month
    return (
        f"{figures.sent} nudges sent, {figures.answered} answered ({_percent(_rate(figures))}), "
        f"{figures.expired} expired, {figures.interrupted} interrupted; "
        f"{meetings.meetings} meetings logged by {meetings.pairs_met} of "
        f"{meetings.active_pairs} pairs; {figures.reflections} reflections shared"
    )


def _rate(figures: ReportFigures) -> float | None:
    return figures.answered / figures.sent if figures.sent else None


def _pulse_lines(figures: ReportFigures) -> list[str]:
    pulse = figures.pulse
    if not pulse.released:
        return [
            f"Check-ins: nothing released yet (figures appear once a published batch holds answers "
            f"from at least {pulse.anonymity_min} different mentees)."
        ]
    lines = [
        f"Check-ins: {pulse.answers} answers published, from at least {pulse.mentees} different mentees."
    ]
    for item in pulse.items:
        mentees = "–" if item.mentees is None else f"{item.mentees:.1f}"
        mentors = "–" if item.mentors is None else f"{item.mentors:.1f}"
        lines.append(f"{item.title}: mentees {mentees}, mentors' self-rating {mentors}")
    if not pulse.self_released:
        lines.append(
            f"(Mentors' self-ratings are shown once at least {pulse.anonymity_min} mentors answered.)"
        )
    return lines


def _agreement_line(figures: ReportFigures) -> str:
    made = figures.agreements
    return f"{made.made} made; {made.goals_marked} goals reviewed, {made.goals_met} met."


def slack_text(figures: ReportFigures) -> str:
    """The covering DM: the month's figures in plain words (the charts follow as files)."""
    title = f"*Mentor Nudge — program report for {month_label(figures.month)}*"
    if figures.empty:
        return f"{title}\nNo data yet for this month: nothing was sent, logged or shared."
    lines = [
        title,
        headline(figures) + ".",
        "",
        "*Nudges by practice* (sent · answered · expired · interrupted · rate)",
    ]
    lines += [
        f"• {p.title}: {p.sent} · {p.answered} · {p.expired} · {p.interrupted} · {_percent(p.rate)}"
        for p in figures.practices
        if p.sent or p.expired or p.interrupted
    ]
    meetings = figures.this_month
    lines += [
        "",
        f"*Meetings*: {meetings.meetings} logged; {_per_pair(meetings.per_pair)} per active pair.",
        f"*Reflections*: {figures.reflections} shared ({figures.reflections_named} named, "
        f"{figures.reflections - figures.reflections_named} anonymous).",
        f"*Agreements*: {_agreement_line(figures)}",
        "",
        *_pulse_lines(figures),
    ]
    return "\n".join(lines)


def to_markdown(figures: ReportFigures, chart_files: list[str]) -> str:
    """The CLI's summary: the same figures as Markdown, linking the chart files beside it."""
    lines = [
        f"# Mentor Nudge — program report, {month_label(figures.month)}",
        "",
        f"Months follow the program's time zone ({figures.zone}). Counts only: no names, no free text.",
        "",
        f"**{headline(figures)}.**",
        "",
        "## Nudges by practice",
        "",
        "| practice | sent | answered | done | expired | interrupted | response rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {p.title} | {p.sent} | {p.answered} | {p.done} | {p.expired} | {p.interrupted} "
        f"| {_percent(p.rate)} |"
        for p in figures.practices
    ]
    lines += [
        "",
        "## Meetings per pair",
        "",
        "| month | active pairs | meetings | pairs that met | per pair |",
    ]
    lines += ["|---|---:|---:|---:|---:|"]
    lines += [
        f"| {month_label(m.month)} | {m.active_pairs} | {m.meetings} | {m.pairs_met} "
        f"| {_per_pair(m.per_pair)} |"
        for m in figures.meetings
    ]
    lines += [
        "",
        "## Reflections, agreements and check-ins",
        "",
        f"- Reflections shared: {figures.reflections} ({figures.reflections_named} named).",
        f"- Agreements: {_agreement_line(figures)}",
        *[f"- {line}" for line in _pulse_lines(figures)],
        "",
        "## Charts",
        "",
        *[f"![{name}]({name})" for name in chart_files],
        "",
    ]
    return "\n".join(lines)
