"""The score-history chart as inline SVG, drawn on the server (no script, no image request)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from services.common.workdays import CHINA
from services.registry.credit.rules import RuleSet

WIDTH, HEIGHT = 520, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 70, 12, 34
# Light band fills behind the line, one per grade from best to worst; text stays dark on all of them.
BAND_FILLS = ("#e6f4ea", "#e3eefb", "#fff1e0", "#fde8e8", "#eeeeee")
LINE = "#1a2a6c"
INK = "#333333"
MIN_SPAN = timedelta(days=30)


@dataclass(frozen=True)
class Point:
    at: datetime
    score: int
    grade: str


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def score_chart(
    points: Sequence[Point], *, rules: RuleSet, now: datetime, title: str, description: str, chart_id: str
) -> Markup:
    """A step line of the score over time (points in time order), over the bands of the grades."""
    if not points:
        return Markup("")
    end = max(now, points[-1].at)
    # At least a month across, so a young record is a short line at the right, not a stretched one.
    start = min(points[0].at, end - MIN_SPAN)
    span = (end - start).total_seconds()
    low, high = rules.min_score, rules.max_score
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return LEFT + plot_w * (moment - start).total_seconds() / span

    def y(score: float) -> float:
        return TOP + plot_h * (high - score) / (high - low)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        'font-family="sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    ceiling = high
    for index, grade in enumerate(rules.grades):
        floor = max(grade.min_score, low)
        fill = BAND_FILLS[min(index, len(BAND_FILLS) - 1)]
        parts.append(
            f'<rect x="{LEFT}" y="{_fmt(y(ceiling))}" width="{plot_w}" '
            f'height="{_fmt(y(floor) - y(ceiling))}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{_fmt((y(floor) + y(ceiling)) / 2 + 4)}" fill="{INK}">'
            f"{escape(grade.grade)} ≥{grade.min_score}</text>"
        )
        ceiling = floor
    for tick in sorted({low, *(g.min_score for g in rules.grades if g.min_score > low), high}):
        parts.append(
            f'<text x="{LEFT - 6}" y="{_fmt(y(tick) + 4)}" text-anchor="end" fill="{INK}">{tick}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="{INK}"/>'
    )
    for moment, anchor in ((start, "start"), (end, "end")):
        label = moment.astimezone(CHINA).strftime("%Y-%m-%d")
        parts.append(
            f'<text x="{_fmt(x(moment))}" y="{HEIGHT - 12}" text-anchor="{anchor}" fill="{INK}">'
            f"{label}</text>"
        )
    path = [f"M{_fmt(x(points[0].at))},{_fmt(y(points[0].score))}"]
    for point in points[1:]:
        path.append(f"H{_fmt(x(point.at))}V{_fmt(y(point.score))}")
    path.append(f"H{_fmt(x(end))}")
    parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for point in points:
        when = point.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        parts.append(
            f'<circle cx="{_fmt(x(point.at))}" cy="{_fmt(y(point.score))}" r="4" fill="{LINE}">'
            f"<title>{when}: {point.score} ({escape(point.grade)})</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
