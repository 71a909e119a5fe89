"""Run charts for the lead's pages: geometry in Python, drawn by templates/_run_chart.html.

Points are evenly spaced in time order (one per week, or per week since enrolment); a week
with no figure, or one too small to show, is a gap. The median is a dashed line; points in
a shift or a trend are ringed; a content change is a vertical line with its version.
As in bot/portal/charts.py, the drawing is about a phone's width so that its text
(FONT_SIZE units) is still at least 12 CSS pixels when drawn 340 px wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.improvement.aggregates import Metric
from bot.improvement.suppression import shown_value

WIDTH, HEIGHT = 360, 230
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 26, 32
FONT_SIZE = 14
CHAR_WIDTH = 0.6  # a generous average width of a label's character, in ems


@dataclass(frozen=True)
class RunPoint:
    x: float
    y: float
    label: str
    shown: str
    signal: str  # "" or e.g. "shift above", "trend down"


@dataclass(frozen=True)
class AxisLabel:
    """A label under the time axis, lined up (SVG text-anchor) so that it stays inside."""

    x: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Mark:
    x: float
    label: str


@dataclass(frozen=True)
class SignalNote:
    kind: str
    direction: str
    first: str
    last: str
    length: int


@dataclass(frozen=True)
class RunChartView:
    key: str
    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    paths: tuple[str, ...]
    points: tuple[RunPoint, ...]
    median_y: float | None
    median_shown: str
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[AxisLabel, ...]
    marks: tuple[Mark, ...]
    signals: tuple[SignalNote, ...]
    suppressed_points: int
    x_label: str
    font_size: int = FONT_SIZE

    @property
    def empty(self) -> bool:
        return not self.points


def _y_range(metric: Metric) -> tuple[float, float, float]:
    if metric.unit != "count":
        step = 0.25 if metric.unit == "%" else (1.0 if metric.y_max <= 5 else 2.0)
        return metric.y_min, metric.y_max, step
    top = max([p.value or 0.0 for p in metric.points] + [5.0])
    step = max(1.0, float(math.ceil(top / 5)))
    return 0.0, step * math.ceil(top / step), step


def _tick_label(value: float, unit: str) -> str:
    return f"{value * 100:.0f}%" if unit == "%" else f"{value:g}"


def _x_label(metric: Metric, index: int) -> str:
    if metric.x_label != "week":
        return f"week {index}"
    return metric.points[index].week.isoformat()


def _axis_label(x: float, label: str) -> AxisLabel:
    """Centred under its point, unless that would cut it at the drawing's edge."""
    half = len(label) * CHAR_WIDTH * FONT_SIZE / 2
    if x - half < 0:
        return AxisLabel(x, label, "start")
    if x + half > WIDTH:
        return AxisLabel(x, label, "end")
    return AxisLabel(x, label, "middle")


def build(metric: Metric) -> RunChartView:
    """The drawable run chart of one metric."""
    chart = metric.chart
    y_min, y_max, y_step = _y_range(metric)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(metric.points)

    def x_of(index: int) -> float:
        return round(LEFT + (index + 0.5) / max(count, 1) * plot_w, 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return round(TOP + (y_max - clamped) / ((y_max - y_min) or 1) * plot_h, 1)

    signal_at: dict[int, str] = {}
    for signal in chart.signals:
        for index in signal.points:
            signal_at[index] = (
                f"{signal_at[index]}, " if index in signal_at else ""
            ) + f"{signal.kind} {signal.direction}"
    points: list[RunPoint] = []
    paths: list[str] = []
    segment: list[str] = []
    for index, point in enumerate(metric.points):
        value = point.value
        if value is None:
            if len(segment) > 1:
                paths.append(" ".join(segment))
            segment = []
            continue
        x, y = x_of(index), y_of(value)
        segment.append(f"{'M' if not segment else 'L'}{x},{y}")
        points.append(
            RunPoint(
                x, y, _x_label(metric, index), point.shown(metric.unit), signal_at.get(index, "")
            )
        )
    if len(segment) > 1:
        paths.append(" ".join(segment))
    ticks = []
    value = y_min
    while value <= y_max + 1e-9:
        ticks.append((y_of(value), _tick_label(value, metric.unit)))
        value += y_step
    x_labels: list[AxisLabel] = []
    if count:
        for index in sorted({0, count // 2, count - 1}):
            x_labels.append(_axis_label(x_of(index), _x_label(metric, index)))
    week_index = {p.week: i for i, p in enumerate(metric.points)}
    marks = tuple(
        Mark(x_of(week_index[m.week]) - round(plot_w / max(count, 1) / 2, 1), m.label)
        for m in metric.marks
        if m.week in week_index
    )
    notes = tuple(
        SignalNote(
            s.kind,
            s.direction,
            _x_label(metric, s.start),
            _x_label(metric, s.end),
            len(s.points),
        )
        for s in chart.signals
    )
    median_y = y_of(chart.median) if chart.median is not None else None
    median_shown = (
        shown_value(metric.patients, chart.median, metric.unit) if chart.median is not None else ""
    )
    hidden = sum(1 for p in metric.points if p.patients and p.value is None)
    return RunChartView(
        key=metric.key,
        title=metric.title,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        paths=tuple(paths),
        points=tuple(points),
        median_y=median_y,
        median_shown=median_shown,
        y_ticks=tuple(ticks),
        x_labels=tuple(x_labels),
        marks=marks,
        signals=notes,
        suppressed_points=hidden,
        x_label=metric.x_label,
    )
