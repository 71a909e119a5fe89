"""Dates in words in the patient's language ("Tuesday 8 December", "Dydd Mawrth 8 Rhagfyr"),
from the names in data/content/calendar.yml. An ISO date is for machines, not patients."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR, LANGUAGES


@functools.cache
def calendar_names() -> dict[str, dict[str, Any]]:
    """Each language's weekday and month names and date patterns."""
    with (CONTENT_DIR / "calendar.yml").open(encoding="utf-8") as handle:
        data: dict[str, dict[str, Any]] = yaml.safe_load(handle)
    return {language: data[language] for language in LANGUAGES}


def date_in_words(day: date, language: str, today: date | None = None) -> str:
    """`day` as a patient would say it; with the year only when it is not this year's."""
    names = calendar_names().get(language) or calendar_names()["en"]
    this_year = (today or date.today()).year
    pattern = names["date"] if day.year == this_year else names["date_with_year"]
    return str(pattern).format(
        weekday=names["weekdays"][day.weekday()],
        day=day.day,
        month=names["months"][day.month - 1],
        year=day.year,
    )
