"""Server-rendered charts: Python works out the geometry, a Jinja2 macro draws the SVG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 15, 35
PALETTE = ("#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#5c940d", "#0b7285")


@dataclass(frozen=True)
class Point:
    """One drawn point: where, and the value it shows."""

    x: float
    y: float
    value: float
    at: datetime


@dataclass(frozen=True)
class Line:
    """One series: its name (shown in the legend), colour, path and points."""

    name: str
    colour: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Tick:
    """An axis tick: position and the value it marks."""

    position: float
    value: float


@dataclass(frozen=True)
class Chart:
    """A line chart ready to draw."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[tuple[float, datetime], ...]

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not any(line.points for line in self.lines)


def _aware_free(moment: datetime) -> float:
    return moment.replace(tzinfo=None).timestamp()


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[datetime, float]]]],
    y_min: float,
    y_max: float,
    y_step: float = 1,
) -> Chart:
    """Lines of (time, value) on a shared time axis and a fixed value range."""
    moments = [_aware_free(at) for _, values in series for at, _ in values]
    start, end = (min(moments), max(moments)) if moments else (0.0, 1.0)
    if end - start < 1:
        start, end = start - 43200, end + 43200  # one day's width around a single instant
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return round(LEFT + (_aware_free(at) - start) / (end - start) * plot_w, 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return round(TOP + (y_max - clamped) / (y_max - y_min) * plot_h, 1)

    lines = []
    for index, (name, values) in enumerate(series):
        points = tuple(Point(x_of(at), y_of(v), v, at) for at, v in values)
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
        lines.append(Line(name, PALETTE[index % len(PALETTE)], path, points))
    ticks = []
    value = y_min
    while value <= y_max + 1e-9:
        ticks.append(Tick(y_of(value), value))
        value += y_step
    x_ticks = []
    if moments:
        for fraction in (0.0, 0.5, 1.0):
            stamp = start + fraction * (end - start)
            x_ticks.append((round(LEFT + fraction * plot_w, 1), datetime.fromtimestamp(stamp)))
    return Chart(
        WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, tuple(lines), tuple(ticks), tuple(x_ticks)
    )
