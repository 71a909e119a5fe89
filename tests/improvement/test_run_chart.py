"""Run-chart rules on known sequences: a shift, a trend, neither, points on the median."""

from __future__ import annotations

from bot.improvement.run_chart import analyse, median, shifts, trends


def kinds(values: list[float | None]) -> list[tuple[str, str, tuple[int, ...]]]:
    return [(s.kind, s.direction, s.points) for s in analyse(values).signals]


def test_six_points_above_the_median_are_a_shift() -> None:
    values: list[float | None] = [3, 2, 3, 2, 3, 2, 7, 8, 7, 9, 7, 8]
    chart = analyse(values)
    assert chart.median == 5.0
    found = sorted((s.direction, s.points) for s in chart.signals if s.kind == "shift")
    assert found == [("above", (6, 7, 8, 9, 10, 11)), ("below", (0, 1, 2, 3, 4, 5))]


def test_five_on_one_side_is_not_a_shift() -> None:
    assert shifts([1, 9, 9, 9, 9, 9, 1, 1, 9, 1], 5.0) == []


def test_points_on_the_median_neither_make_nor_break_a_shift() -> None:
    # Seven points above 5, with two points exactly on 5 inside the run: still one shift of
    # the seven points above, the points on the median skipped.
    values: list[float | None] = [6, 7, 5, 6, 8, 5, 7, 6, 9]
    [shift] = shifts(values, 5.0)
    assert (shift.direction, shift.points) == ("above", (0, 1, 3, 4, 6, 7, 8))
    # Five points above with one on the median does not make six.
    assert shifts([6, 7, 5, 6, 8, 7, 1], 5.0) == []


def test_five_points_going_up_are_a_trend_and_four_are_not() -> None:
    assert [(t.direction, t.points) for t in trends([1, 2, 3, 4, 5])] == [("up", (0, 1, 2, 3, 4))]
    assert trends([1, 2, 3, 4, 2, 3]) == []
    assert [(t.direction, t.points) for t in trends([9, 8, 6, 5, 1, 4])] == [
        ("down", (0, 1, 2, 3, 4))
    ]


def test_equal_neighbours_neither_make_nor_break_a_trend() -> None:
    # 1, 2, 2, 3, 4 is four distinct rising values: not a trend.
    assert trends([1, 2, 2, 3, 4]) == []
    # 1, 2, 2, 3, 4, 5 rises through five values; the repeat is skipped.
    [trend] = trends([1, 2, 2, 3, 4, 5])
    assert (trend.direction, trend.points) == ("up", (0, 1, 3, 4, 5))


def test_a_noisy_series_has_neither_signal() -> None:
    values: list[float | None] = [5, 7, 4, 6, 5, 8, 3, 6, 5, 7, 4, 6]
    assert kinds(values) == []


def test_empty_weeks_keep_their_place_but_do_not_count() -> None:
    values: list[float | None] = [None, 1, 2, None, 3, 4, 5, None]
    assert median(values) == 3.0
    [trend] = [s for s in analyse(values).signals if s.kind == "trend"]
    assert trend.points == (1, 2, 4, 5, 6)
    assert analyse([None, None]).median is None and analyse([None, None]).signals == ()
