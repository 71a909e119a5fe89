"""Local times across the clock changes, quiet hours and staleness."""

from __future__ import annotations

from datetime import time, timedelta

from bot.scheduling import times
from tests.goals.conftest import at

LONDON = "Europe/London"


def test_winter_and_summer_local_time_map_to_different_utc_hours() -> None:
    # Mondays: 2026-01-05 (GMT) and 2026-07-06 (BST).
    winter = times.next_weekly(at(2026, 1, 4, 12), frozenset({1}), time(18, 0), LONDON)
    summer = times.next_weekly(at(2026, 7, 5, 12), frozenset({1}), time(18, 0), LONDON)
    assert winter == at(2026, 1, 5, 18)
    assert summer == at(2026, 7, 6, 17)


def test_check_in_stays_at_local_time_across_the_spring_change() -> None:
    # Clocks go forward on Sunday 2026-03-29; daily 18:00 check-ins either side.
    saturday = times.next_weekly(at(2026, 3, 28, 12), frozenset(range(1, 8)), time(18), LONDON)
    sunday = times.next_weekly(saturday, frozenset(range(1, 8)), time(18), LONDON)
    assert saturday == at(2026, 3, 28, 18)
    assert sunday == at(2026, 3, 29, 17)
    assert sunday - saturday == timedelta(hours=23)


def test_check_in_stays_at_local_time_across_the_autumn_change() -> None:
    # Clocks go back on Sunday 2026-10-25.
    saturday = times.next_weekly(at(2026, 10, 24, 12), frozenset(range(1, 8)), time(18), LONDON)
    sunday = times.next_weekly(saturday, frozenset(range(1, 8)), time(18), LONDON)
    assert saturday == at(2026, 10, 24, 17)
    assert sunday == at(2026, 10, 25, 18)


def test_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_takes_the_first() -> None:
    gap = times.local_instant(at(2026, 3, 29).date(), time(1, 30), LONDON)
    assert gap == at(2026, 3, 29, 1, 30)  # 02:30 BST, the first real minute after 01:30 GMT
    twice = times.local_instant(at(2026, 10, 25).date(), time(1, 30), LONDON)
    assert twice == at(2026, 10, 25, 0, 30)  # the first 01:30 (BST)


def test_quiet_hours_are_local() -> None:
    assert times.in_quiet_hours(at(2026, 7, 6, 20, 30), LONDON)  # 21:30 BST
    assert not times.in_quiet_hours(at(2026, 1, 5, 20, 30), LONDON)  # 20:30 GMT
    assert times.in_quiet_hours(at(2026, 1, 5, 7, 59), LONDON)
    assert times.end_of_quiet_hours(at(2026, 7, 6, 22), LONDON) == at(2026, 7, 7, 7)


def test_staleness_is_three_hours() -> None:
    assert not times.is_stale(at(2026, 1, 5, 18), at(2026, 1, 5, 21))
    assert times.is_stale(at(2026, 1, 5, 18), at(2026, 1, 5, 21, 1))
