"""Reading back what the coach understood, in everyday words in the patient's language.

A parsed value is only trustworthy once the patient has seen it: "half 6 in the evening"
read back as "half past six in the evening (18:30)" shows at once whether it was understood.
The words are in data/content/readback.yml; the exact value stays beside them in brackets.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import time
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR

EVERY_DAY = frozenset(range(1, 8))
WEEKDAYS = frozenset(range(1, 6))
WEEKENDS = frozenset({6, 7})


@functools.cache
def _words() -> dict[str, dict[str, Any]]:
    with (CONTENT_DIR / "readback.yml").open(encoding="utf-8") as handle:
        data: dict[str, dict[str, Any]] = yaml.safe_load(handle)
    return data


def _lang(language: str) -> dict[str, Any]:
    return _words().get(language) or _words()["en"]


def part_of_day(at: time) -> str:
    """morning (5-11), afternoon (12-17), evening (18-21) or night."""
    if 5 <= at.hour < 12:
        return "morning"
    if 12 <= at.hour < 18:
        return "afternoon"
    if 18 <= at.hour < 22:
        return "evening"
    return "night"


# Welsh soft mutation, for a time after "am" (at): "am ddau o'r gloch", "am bum munud wedi".
_SOFT = (("ll", "l"), ("rh", "r"), ("ch", "ch"), ("dd", "dd"), ("p", "b"), ("t", "d"),
         ("c", "g"), ("b", "f"), ("d", "dd"), ("m", "f"), ("g", ""))  # fmt: skip


def soft_mutation(word: str) -> str:
    """A Welsh word with its first letter softly mutated ("dau" -> "ddau", "pump" -> "bump")."""
    for plain, mutated in _SOFT:
        if word.startswith(plain):
            return mutated + word[len(plain) :]
    return word


def time_words(at: time, language: str, *, after_at: bool = False) -> str:
    """ "half past six in the evening (18:30)", "chwarter i saith y bore (06:45)". With
    `after_at`, the words follow "at" / "am" (Welsh mutates them: "am ddau o'r gloch")."""
    said = _time_words(at, language)
    return soft_mutation(said) if after_at and language == "cy" else said


def _time_words(at: time, language: str) -> str:
    words = _lang(language)
    clock = at.strftime("%H:%M")
    if at.minute == 0 and at.hour in (0, 12):
        said = words["midnight"] if at.hour == 0 else words["midday"]
        return str(words["time_plain"]).format(words=said, clock=clock)
    hour12 = at.hour % 12
    next12 = (at.hour + 1) % 12
    minute = at.minute
    named: dict[int, str] = {int(k): str(v) for k, v in words["minute_words"].items()}
    if minute == 0:
        said = str(words["oclock"]).format(hour=words["hours"][hour12])
    elif minute == 30:
        said = str(words["half_past"]).format(hour=words["hours"][hour12])
    elif minute < 30:
        amount = named.get(minute) or str(words["minutes"]).format(n=minute)
        said = str(words["past"]).format(minutes=amount, hour=words["hours"][hour12])
    else:
        amount = named.get(60 - minute) or str(words["minutes"]).format(n=60 - minute)
        said = str(words["to"]).format(minutes=amount, hour=words["hours_after_to"][next12])
    part = words["parts"][part_of_day(at)]
    return str(words["time"]).format(words=said, part=part, clock=clock)


def days_words(weekdays: Iterable[int], language: str) -> str:
    """ "every day", "on weekdays", "on Mondays and Thursdays", "ar ddydd Llun a dydd Iau"."""
    days = frozenset(weekdays)
    words = _lang(language)
    if days == EVERY_DAY:
        return str(words["every_day"])
    if days == WEEKDAYS:
        return str(words["weekdays"])
    if days == WEEKENDS:
        return str(words["weekends"])
    ordered = sorted(d for d in days if 1 <= d <= 7)
    names = [
        str(words["day_names_first"][d - 1] if i == 0 else words["day_names"][d - 1])
        for i, d in enumerate(ordered)
    ]
    if len(names) == 1:
        listed = names[0]
    else:
        listed = f"{', '.join(names[:-1])} {words['and']} {names[-1]}"
    return str(words["on_days"]).format(days=listed)


def days_per_week_words(days: int, language: str) -> str:
    """ "4 days a week", "1 diwrnod yr wythnos"."""
    words = _lang(language)
    if days == 1:
        return str(words["day_a_week"])
    return str(words["days_a_week"]).format(n=days)


def rating_words(rating: int, language: str, high: int = 10) -> str:
    """ "7 out of 10"."""
    return str(_lang(language)["rating"]).format(n=rating, high=high)
