"""Run charts, the Model for Improvement's basic tool: points in time order, the median, and
the two standard signals.

- A shift: six or more consecutive points strictly on one side of the median. Points on
  the median neither make nor break a shift: they are skipped.
- A trend: five or more consecutive points all going up or all going down. Equal
  consecutive values neither make nor break a trend: the repeat is skipped.

Points with no value (a suppressed or empty week) are left out of both rules and of the
median, but keep their place on the chart.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

SHIFT_LENGTH = 6
TREND_LENGTH = 5


@dataclass(frozen=True)
class Signal:
    """A run of points (indexes into the series, first to last inclusive) that signals."""

    kind: str  # "shift" or "trend"
    direction: str  # "above"/"below" for a shift, "up"/"down" for a trend
    points: tuple[int, ...]

    @property
    def start(self) -> int:
        return self.points[0]

    @property
    def end(self) -> int:
        return self.points[-1]


@dataclass(frozen=True)
class RunChart:
    values: tuple[float | None, ...]
    median: float | None
    signals: tuple[Signal, ...]

    def signal_points(self) -> set[int]:
        return {i for s in self.signals for i in s.points}


def median(values: Sequence[float | None]) -> float | None:
    """The median of the points that have a value; None when there are none."""
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def shifts(values: Sequence[float | None], centre: float) -> list[Signal]:
    """Runs of SHIFT_LENGTH or more points on one side of `centre`, skipping points on it."""
    found: list[Signal] = []
    run: list[int] = []
    side = 0
    for i, value in enumerate(values):
        if value is None or value == centre:
            continue
        here = 1 if value > centre else -1
        if here != side:
            if len(run) >= SHIFT_LENGTH:
                found.append(Signal("shift", "above" if side > 0 else "below", tuple(run)))
            run, side = [], here
        run.append(i)
    if len(run) >= SHIFT_LENGTH:
        found.append(Signal("shift", "above" if side > 0 else "below", tuple(run)))
    return found


def trends(values: Sequence[float | None]) -> list[Signal]:
    """Runs of TREND_LENGTH or more points all going up or all going down.

    A repeated value is skipped (it neither adds to nor ends the run). Two runs in opposite
    directions share their turning point, as a chart reader would count them.
    """
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    deduped: list[tuple[int, float]] = []
    for i, v in points:
        if deduped and deduped[-1][1] == v:
            continue
        deduped.append((i, v))
    found: list[Signal] = []
    run: list[int] = [deduped[0][0]] if deduped else []
    direction = 0
    for (_, before), (i, value) in itertools.pairwise(deduped):
        step = 1 if value > before else -1
        if step != direction:
            if len(run) >= TREND_LENGTH:
                found.append(Signal("trend", "up" if direction > 0 else "down", tuple(run)))
            run = [run[-1]]
            direction = step
        run.append(i)
    if len(run) >= TREND_LENGTH:
        found.append(Signal("trend", "up" if direction > 0 else "down", tuple(run)))
    return found


def analyse(values: Sequence[float | None]) -> RunChart:
    """The run chart of a series: its median and every shift and trend."""
    centre = median(values)
    signals = [*shifts(values, centre), *trends(values)] if centre is not None else []
    return RunChart(tuple(values), centre, tuple(signals))
