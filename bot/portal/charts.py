"""Server-rendered charts: Python works out the geometry, a Jinja2 macro draws the SVG.

The drawing is about as wide as a phone's screen (WIDTH user units) and is scaled to fit the
page, so its text (FONT_SIZE units) stays readable on a phone: at least 12 CSS pixels when
the chart is drawn 340 px wide, as on a 390 px phone. Days on the time axis are UK days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.portal.pages import uk_time

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 12, 32
FONT_SIZE = 14
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
class XTick:
    """A time-axis tick: position, the instant it marks (in UK time) and how its label
    lines up with it (an SVG text-anchor: start, middle or end)."""

    position: float
    at: datetime
    anchor: str


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
    x_ticks: tuple[XTick, ...]
    font_size: int = FONT_SIZE

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not any(line.points for line in self.lines)


def _instant(moment: datetime) -> float:
    """Seconds since the epoch (a naive time from the database is UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _time_ticks(start: float, end: float, plot_w: float) -> tuple[XTick, ...]:
    """The UK days at the start, middle and end of the axis, each day named once: when the
    points all fall on one day (a single point, say) that day is named once, in the middle."""
    ticks: list[XTick] = []
    for fraction, anchor in ((0.0, "start"), (1.0, "end"), (0.5, "middle")):
        at = uk_time(datetime.fromtimestamp(start + fraction * (end - start), UTC))
        if all(tick.at.date() != at.date() for tick in ticks):
            ticks.append(XTick(round(LEFT + fraction * plot_w, 1), at, anchor))
    if len(ticks) == 1:
        middle = uk_time(datetime.fromtimestamp((start + end) / 2, UTC))
        return (XTick(round(LEFT + plot_w / 2, 1), middle, "middle"),)
    return tuple(sorted(ticks, key=lambda tick: tick.position))


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[datetime, float]]]],
    y_min: float,
    y_max: float,
    y_step: float = 1,
) -> Chart:
    """Lines of (time, value) on a shared time axis and a fixed value range."""
    moments = [_instant(at) for _, values in series for at, _ in values]
    start, end = (min(moments), max(moments)) if moments else (0.0, 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    # The days named on the axis are those of the points (a single instant: its own day).
    x_ticks = _time_ticks(start, end, plot_w) if moments else ()
    if end - start < 1:
        start, end = start - 43200, end + 43200  # one day's width around a single instant

    def x_of(at: datetime) -> float:
        return round(LEFT + (_instant(at) - start) / (end - start) * plot_w, 1)

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
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, tuple(lines), tuple(ticks), x_ticks)
