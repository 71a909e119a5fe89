"""The portal's SVG charts (bot/portal/charts.py, run_charts.py) as the portal's own templates
draw them: a chart of one instant names its day once, the days on the time axis are UK days
across the clocks' changes, and axis text stays readable when a phone shrinks the chart."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.improvement.aggregates import Metric, WeekPoint
from bot.portal import run_charts
from bot.portal.charts import Chart, line_chart
from bot.portal.pages import environment

UK = ZoneInfo("Europe/London")
SVG = "{http://www.w3.org/2000/svg}"
# On a 390 px phone a chart is drawn at least this wide (the screen less the page's and the
# card's margins), and its text must then be at least 12 CSS pixels.
PHONE_CHART_PX = 340
READABLE_PX = 12


def drawn(macro: str, template: str, *args: Any) -> ET.Element:
    """The <svg> a chart macro draws, parsed."""
    source = f'{{% from "{template}" import {macro} %}}{{{{ {macro}(*args) }}}}'
    html = environment().from_string(source).render(args=args)
    start, end = html.index('<svg class="plot"'), html.index("</svg>\n<figcaption>")
    return ET.fromstring(html[start : end + len("</svg>")])  # noqa: S314 - our own markup


def texts(svg: ET.Element) -> list[ET.Element]:
    return list(svg.iter(f"{SVG}text"))


def time_axis(chart: Chart) -> list[str]:
    """The labels drawn under the time axis, left to right."""
    svg = drawn("line_chart", "_chart.html", chart, "a chart")
    bottom = str(chart.height - 10)
    return [t.text or "" for t in texts(svg) if t.get("y") == bottom]


@pytest.fixture
def new_york() -> Iterator[None]:
    """The server's own zone is not the UK's: nothing may depend on it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "America/New_York")
        time.tzset()
        yield
    time.tzset()


def test_a_chart_of_one_point_names_its_day_once() -> None:
    at = datetime(2026, 7, 1, 20, 30)  # UTC, as SQLite gives it back: 21:30 on 1 July in BST
    chart = line_chart([("welcomed", [(at, 4)])], 1, 5)
    assert time_axis(chart) == ["2026-07-01"]
    (tick,) = chart.x_ticks
    (point,) = chart.lines[0].points
    assert tick.position == point.x and tick.anchor == "middle"


def test_a_chart_whose_points_share_an_instant_or_a_day_names_that_day_once() -> None:
    at = datetime(2026, 7, 1, 9, 0)
    same_instant = line_chart([("timely", [(at, 3)]), ("welcomed", [(at, 4)])], 1, 5)
    assert time_axis(same_instant) == ["2026-07-01"]
    same_day = line_chart([("health", [(at, 5), (at + timedelta(hours=6), 7)])], 0, 10, 2)
    assert time_axis(same_day) == ["2026-07-01"]
    # Several days: each day named once, oldest first.
    weeks = line_chart([("health", [(at - timedelta(days=d), d) for d in (14, 7, 0)])], 0, 10, 2)
    assert time_axis(weeks) == ["2026-06-17", "2026-06-24", "2026-07-01"]


def test_time_axis_days_are_uk_days_when_the_clocks_go_forward() -> None:
    # Aware times in UK time, as PostgreSQL gives them back to a session in Europe/London:
    # 23:30 GMT on Saturday 28 March 2026, then 23:30 BST on Sunday 29 March (22:30 UTC).
    saturday = datetime(2026, 3, 28, 23, 30, tzinfo=UK)
    sunday = datetime(2026, 3, 29, 23, 30, tzinfo=UK)
    chart = line_chart([("health", [(saturday, 5), (sunday, 6)])], 0, 10, 2)
    assert time_axis(chart) == ["2026-03-28", "2026-03-29"]
    first, last = chart.x_ticks
    assert first.at == saturday and first.at.utcoffset() == timedelta(0)
    assert last.at == sunday and last.at.utcoffset() == timedelta(hours=1)
    assert all(tick.at.tzinfo == UK for tick in chart.x_ticks)


@pytest.mark.usefixtures("new_york")
def test_time_axis_days_are_uk_days_when_the_clocks_go_back_whatever_the_servers_zone() -> None:
    # Naive UTC times, as SQLite gives them back: 23:30 UTC on 24 October 2026 is 00:30 BST
    # on Sunday 25 October, and 23:30 UTC on the 25th is 23:30 GMT the same Sunday (a day of
    # 25 hours): both points fall on one UK day, named once.
    before = datetime(2026, 10, 24, 23, 30)
    after = datetime(2026, 10, 25, 23, 30)
    chart = line_chart([("health", [(before, 5), (after, 6)])], 0, 10, 2)
    assert time_axis(chart) == ["2026-10-25"]
    (tick,) = chart.x_ticks
    assert tick.at.tzinfo == UK and tick.at.date() == date(2026, 10, 25)
    # A week later: the two UK days, the first in BST and the last in GMT.
    week = line_chart([("health", [(before, 5), (after + timedelta(days=6), 6)])], 0, 10, 2)
    assert time_axis(week)[0] == "2026-10-25" and time_axis(week)[-1] == "2026-10-31"
    first, last = week.x_ticks[0], week.x_ticks[-1]
    assert first.at.utcoffset() == timedelta(hours=1) and (first.at.hour, first.at.minute) == (
        0,
        30,
    )
    assert last.at.utcoffset() == timedelta(0) and (last.at.hour, last.at.minute) == (23, 30)


def assert_readable_on_a_phone(svg: ET.Element) -> None:
    """Every text, at its size in the drawing's units, is at least 12 px once the drawing
    is scaled to a phone's chart width."""
    width = float(svg.get("viewBox", "").split()[2])
    scale = PHONE_CHART_PX / width
    sizes = {t.text: float(t.get("font-size", "0")) * scale for t in texts(svg)}
    assert sizes and min(sizes.values()) >= READABLE_PX, sizes


def test_line_chart_axis_text_is_readable_on_a_phone() -> None:
    at = datetime(2026, 7, 1, 9, 0)
    chart = line_chart(
        [("plan 1: walk", [(at - timedelta(days=d), d % 3) for d in range(5)])], 0, 2
    )
    svg = drawn("line_chart", "_chart.html", chart, "Check-ins", {0: "not today", 2: "done"})
    assert_readable_on_a_phone(svg)
    # The y axis's words fit left of the plot: a generous 0.6 em a character.
    longest = max(len(t.text or "") for t in texts(svg) if t.get("class") == "y-tick")
    assert longest * 0.6 * chart.font_size <= chart.left - 6


def test_run_chart_axis_text_is_readable_on_a_phone() -> None:
    monday = date(2026, 6, 1)
    points = tuple(
        WeekPoint(monday + timedelta(weeks=i), 8, 5 + i % 3, 10, "rate") for i in range(9)
    )
    metric = Metric("ask3:answers", "ask3", "Questions answered", "%", 0.0, 1.0, points)
    view = run_charts.build(metric)
    svg = drawn("run_chart", "_run_chart.html", view)
    assert_readable_on_a_phone(svg)
    # The first and last week's labels line up so as to stay inside the drawing.
    anchors = [t.get("text-anchor") for t in texts(svg) if t.get("class") == "x-tick"]
    assert len(anchors) == 3 and anchors[0] != "end" and anchors[-1] != "start"
    for label in view.x_labels:
        width = len(label.label) * run_charts.CHAR_WIDTH * view.font_size
        left = {"start": label.x, "middle": label.x - width / 2, "end": label.x - width}
        assert 0 <= left[label.anchor] and left[label.anchor] + width <= view.width, label
