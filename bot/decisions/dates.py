"""Reading an appointment date from what a person types, in English or Welsh."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    "jan": 1, "january": 1, "ionawr": 1,
    "feb": 2, "february": 2, "chwefror": 2,
    "mar": 3, "march": 3, "mawrth": 3,
    "apr": 4, "april": 4, "ebrill": 4,
    "may": 5, "mai": 5, "fai": 5,
    "jun": 6, "june": 6, "mehefin": 6, "fehefin": 6,
    "jul": 7, "july": 7, "gorffennaf": 7,
    "aug": 8, "august": 8, "awst": 8,
    "sep": 9, "sept": 9, "september": 9, "medi": 9, "fedi": 9,
    "oct": 10, "october": 10, "hydref": 10,
    "nov": 11, "november": 11, "tachwedd": 11, "dachwedd": 11,
    "dec": 12, "december": 12, "rhagfyr": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "llun": 0,
    "tuesday": 1, "mawrth": 1,
    "wednesday": 2, "mercher": 2,
    "thursday": 3, "iau": 3,
    "friday": 4, "gwener": 4,
    "saturday": 5, "sadwrn": 5,
    "sunday": 6, "sul": 6,
}  # fmt: skip
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|af|ed|ydd|fed)?\s+(?:of\s+)?([a-z]+)\b")
_MONTH_DAY = re.compile(r"\b([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_IN = re.compile(r"\b(?:in|mewn)\s+(\d{1,2})\s+(day|days|week|weeks|diwrnod|wythnos)\b")


def _future(day: int, month: int, year: int | None, today: date) -> date | None:
    try:
        found = date(year if year is not None else today.year, month, day)
    except ValueError:
        return None
    if year is None and found < today:
        found = found.replace(year=today.year + 1)
    return found


def parse_date(text: str, today: date) -> date | None:
    """The date meant, or None if it can't be read. Dates without a year are the next one."""
    words = " ".join(text.lower().replace(",", " ").split())
    if match := _ISO.search(words):
        return _future(int(match[3]), int(match[2]), int(match[1]), today)
    if match := _NUMERIC.search(words):
        year = int(match[3]) if match[3] else None
        if year is not None and year < 100:
            year += 2000
        return _future(int(match[1]), int(match[2]), year, today)
    if words in ("today", "heddiw"):
        return today
    if words in ("tomorrow", "yfory"):
        return today + timedelta(days=1)
    if match := _IN.search(words):
        unit = 7 if match[2].startswith(("week", "wythnos")) else 1
        return today + timedelta(days=int(match[1]) * unit)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for match in pattern.finditer(words):
            month = MONTHS.get(match[month_group])
            if month is not None:
                year_match = re.search(r"\b(20\d\d)\b", words)
                year = int(year_match[1]) if year_match else None
                return _future(int(match[day_group]), month, year, today)
    for word, weekday in WEEKDAYS.items():
        if re.search(rf"\b{word}\b", words):
            ahead = (weekday - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    return None


def date_words(day: date, language: str) -> str:
    """The date as the patient would say it ("Tuesday 8 December (08/12)")."""
    from bot.content.calendar import date_in_words

    return f"{date_in_words(day, language)} ({day.strftime('%d/%m')})"
