"""Dates in words in the patient's language, never "2026-12-08"."""

from __future__ import annotations

from datetime import date

import pytest

from bot.content.calendar import calendar_names, date_in_words

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (date(2026, 12, 8), "en", "Tuesday 8 December"),
        (date(2026, 12, 8), "cy", "Dydd Mawrth 8 Rhagfyr"),
        (date(2026, 12, 13), "cy", "Dydd Sul 13 Rhagfyr"),
        (date(2027, 1, 4), "en", "Monday 4 January 2027"),
        (date(2027, 1, 4), "cy", "Dydd Llun 4 Ionawr 2027"),
        (date(2026, 12, 8), "fr", "Tuesday 8 December"),
    ],
)
def test_a_date_in_words(day: date, language: str, expected: str) -> None:
    assert date_in_words(day, language, today=TODAY) == expected


def test_both_languages_name_every_day_and_month() -> None:
    for language, names in calendar_names().items():
        assert len(names["weekdays"]) == 7 and len(set(names["weekdays"])) == 7, language
        assert len(names["months"]) == 12 and len(set(names["months"])) == 12, language
        assert "{weekday}" in names["date"] and "{year}" in names["date_with_year"], language
