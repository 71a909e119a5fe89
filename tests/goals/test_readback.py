"""Values read back in everyday words (issue 17): times, days and the days a week."""

from __future__ import annotations

from datetime import time

import pytest

from bot.goals import parse, readback


@pytest.mark.parametrize(
    ("typed", "en", "cy"),
    [
        ("half 6 in the evening", "half past six in the evening (18:30)", "hanner awr wedi chwech yr hwyr (18:30)"),
        ("quarter to seven", "quarter to seven in the evening (18:45)", "chwarter i saith yr hwyr (18:45)"),
        ("9am", "nine o'clock in the morning (09:00)", "naw o'r gloch y bore (09:00)"),
        ("ten past 6 in the morning", "ten past six in the morning (06:10)", "deng munud wedi chwech y bore (06:10)"),
        ("noon", "midday (12:00)", "hanner dydd (12:00)"),
        ("hanner awr wedi chwech yr hwyr", "half past six in the evening (18:30)", "hanner awr wedi chwech yr hwyr (18:30)"),
        ("chwarter i saith y bore", "quarter to seven in the morning (06:45)", "chwarter i saith y bore (06:45)"),
        ("am saith", "seven o'clock in the evening (19:00)", "saith o'r gloch yr hwyr (19:00)"),
        ("6.30pm", "half past six in the evening (18:30)", "hanner awr wedi chwech yr hwyr (18:30)"),
        ("twenty to 8 am", "twenty to eight in the morning (07:40)", "ugain munud i wyth y bore (07:40)"),
        ("10:07", "7 minutes past ten in the morning (10:07)", "7 munud wedi deg y bore (10:07)"),
    ],
)  # fmt: skip
def test_a_time_is_understood_and_read_back(typed: str, en: str, cy: str) -> None:
    at = parse.time_of_day(typed)
    assert at is not None
    assert readback.time_words(at, "en") == en
    assert readback.time_words(at, "cy") == cy


def test_after_am_the_welsh_time_mutates() -> None:
    assert (
        readback.time_words(time(14, 0), "cy", after_at=True) == "ddau o'r gloch y prynhawn (14:00)"
    )
    assert readback.time_words(time(17, 5), "cy", after_at=True).startswith("bum munud wedi pump")
    assert (
        readback.time_words(time(14, 0), "en", after_at=True)
        == "two o'clock in the afternoon (14:00)"
    )


@pytest.mark.parametrize(
    ("days", "en", "cy"),
    [
        ({1, 4}, "on Mondays and Thursdays", "ar ddydd Llun a dydd Iau"),
        ({1, 3, 5}, "on Mondays, Wednesdays and Fridays", "ar ddydd Llun, dydd Mercher a dydd Gwener"),
        (set(range(1, 8)), "every day", "bob dydd"),
        ({1, 2, 3, 4, 5}, "on weekdays", "yn ystod yr wythnos"),
        ({6, 7}, "at weekends", "ar benwythnosau"),
        ({6}, "on Saturdays", "ar ddydd Sadwrn"),
    ],
)  # fmt: skip
def test_days_are_read_back(days: set[int], en: str, cy: str) -> None:
    assert readback.days_words(days, "en") == en
    assert readback.days_words(days, "cy") == cy


def test_days_a_week_and_ratings() -> None:
    assert readback.days_per_week_words(4, "en") == "4 days a week"
    assert readback.days_per_week_words(1, "en") == "1 day a week"
    assert readback.days_per_week_words(3, "cy") == "3 diwrnod yr wythnos"
    assert readback.rating_words(7, "en") == "7 out of 10"
