"""Understanding plans, days and times in English and Welsh."""

from __future__ import annotations

from datetime import time

import pytest

from bot.goals import parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("walk", "ok"),
        ("go for a walk", "ok"),
        ("cerdded", "ok"),
        ("exercise more", "vague"),
        ("I want to eat better", "vague"),
        ("bwyta'n well", "vague"),
        ("lose weight", "not_behaviour"),
        ("get my blood sugar down", "not_behaviour"),
        ("colli pwysau", "not_behaviour"),
    ],
)
def test_activity(text: str, expected: str) -> None:
    assert parse.assess_activity(text) == expected


def test_amounts_and_timings() -> None:
    assert parse.amount_is_specific("10 minutes")
    assert parse.amount_is_specific("deg munud")
    assert parse.amount_is_specific("a glass of water")
    assert not parse.amount_is_specific("a bit")
    assert parse.timing_is_specific("after lunch")
    assert not parse.timing_is_specific("whenever")
    assert not parse.timing_is_specific("rywbryd")


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("4", 4),
        ("four days", 4),
        ("pedwar diwrnod", 4),
        ("every day", 7),
        ("9", None),
        ("lots", None),
    ],
)
def test_days_per_week(text: str, days: int | None) -> None:
    assert parse.days_per_week(text) == days


def test_ratings() -> None:
    assert parse.rating("7") == 7
    assert parse.rating("about 6/10") == 6
    assert parse.rating("saith") == 7
    assert parse.rating("11") is None
    assert parse.rating("not sure") is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon, wed and fri", {1, 3, 5}),
        ("Monday Wednesday Friday", {1, 3, 5}),
        ("mondays and thursdays", {1, 4}),
        ("saturdays", {6}),
        ("every day", set(range(1, 8))),
        ("weekdays", {1, 2, 3, 4, 5}),
        ("dydd Llun a dydd Iau", {1, 4}),
        ("bob dydd", set(range(1, 8))),
        ("sometime", set()),
    ],
)
def test_weekdays(text: str, days: set[int]) -> None:
    assert parse.weekdays(text) == frozenset(days)


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("18:30", time(18, 30)),
        ("6pm", time(18, 0)),
        ("6.30 yh", time(18, 30)),
        ("9 in the morning", time(9, 0)),
        ("9am", time(9, 0)),
        ("at 6", time(18, 0)),
        ("noon", time(12, 0)),
        ("12am", time(0, 0)),
        ("whenever", None),
        ("25:00", None),
    ],
)
def test_time_of_day(text: str, at: time | None) -> None:
    assert parse.time_of_day(text) == at
