"""Runs per day by state as a small stacked bar chart in SVG, drawn on the server (no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

# the order of the stacks, bottom up, and their classes in console.css
STATES = ("succeeded", "failed", "timed-out", "lost", "cancelled", "running", "queued")
WIDTH, HEIGHT, BAR = 420, 120, 22


@dataclass(frozen=True, slots=True)
class DayCount:
    """How many runs of one state were created on one day."""

    day: date
    state: str
    count: int


def runs_chart(counts: list[DayCount], today: date, days: int = 14) -> Markup:
    """The last `days` days, one stacked bar each; every bar has a title for screen readers."""
    by_day: dict[date, dict[str, int]] = {}
    for entry in counts:
        by_day.setdefault(entry.day, {})[entry.state] = entry.count
    shown = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    tallest = max((sum(by_day.get(day, {}).values()) for day in shown), default=0) or 1
    scale = (HEIGHT - 20) / tallest
    bars: list[str] = []
    for index, day in enumerate(shown):
        x = 4 + index * (WIDTH - 8) // days
        y = float(HEIGHT - 14)
        parts = by_day.get(day, {})
        label = ", ".join(f"{parts[s]} {s}" for s in STATES if parts.get(s)) or "no runs"
        bars.append(f"<g><title>{escape(day.isoformat())}: {escape(label)}</title>")
        for state in STATES:
            height = parts.get(state, 0) * scale
            if height:
                y -= height
                bars.append(
                    f'<rect class="run-{state}" x="{x}" y="{y:.1f}" width="{BAR}" height="{height:.1f}"/>'
                )
        bars.append(f'<text x="{x + BAR / 2}" y="{HEIGHT - 2}">{day.day}</text></g>')
    total = sum(entry.count for entry in counts)
    return Markup(
        f'<svg class="runs-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="runs per day over the last {days} days: {total} in all">'
        + "".join(bars)
        + "</svg>"
    )
