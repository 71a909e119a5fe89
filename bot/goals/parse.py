"""Understand the parts of an action plan typed in English or Welsh.

The words live in data/content/goals.yml; these functions only match them. Nothing here
makes a reply: the dialogue's replies are domain.yml responses.
"""

from __future__ import annotations

import functools
import re
from datetime import time
from typing import Any, Literal

import yaml

from bot.content.system import CONTENT_DIR

Assessment = Literal["ok", "vague", "not_behaviour"]
_WORD = re.compile(r"[a-zâêîôûŵŷäëïöüÿáéíóúẃýàèìòùẁỳ'.]+|\d+")
_TIME = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([a-z.]+)?")


@functools.cache
def lexicon() -> dict[str, Any]:
    """data/content/goals.yml."""
    with (CONTENT_DIR / "goals.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _clean(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def _has_phrase(text: str, phrases: list[str]) -> bool:
    cleaned = _clean(text)
    return any(re.search(rf"(^|\W){re.escape(phrase)}($|\W)", cleaned) for phrase in phrases)


def _tokens(text: str) -> list[str]:
    return [t.strip(".'") for t in _WORD.findall(_clean(text))]


def assess_activity(text: str) -> Assessment:
    """ "lose weight" is an outcome, "exercise more" is vague, "walk" is a plan."""
    if _has_phrase(text, lexicon()["outcome_phrases"]):
        return "not_behaviour"
    if _has_phrase(text, lexicon()["vague_phrases"]) or len(_clean(text)) < 3:
        return "vague"
    return "ok"


def first_number(text: str) -> int | None:
    """The first number in the text, in digits or words ("four", "pedwar")."""
    numbers: dict[str, int] = lexicon()["numbers"]
    cleaned = _clean(text)
    for phrase, value in numbers.items():
        if " " in phrase and re.search(rf"(^|\W){re.escape(phrase)}($|\W)", cleaned):
            return value
    for token in _tokens(text):
        if token.isdigit():
            return int(token)
        if token in numbers:
            return numbers[token]
    return None


def amount_is_specific(text: str) -> bool:
    """A number, or a countable quantity ("a glass", "once")."""
    return first_number(text) is not None or _has_phrase(text, lexicon()["quantity_words"])


def timing_is_specific(text: str) -> bool:
    """Not "sometime" or "whenever"."""
    return len(_clean(text)) >= 2 and not _has_phrase(text, lexicon()["vague_timings"])


def days_per_week(text: str) -> int | None:
    """1-7 from "4", "four days", "every day" (7), "weekdays" (5)."""
    number = first_number(text)
    if number is None:
        days = weekdays(text)
        return len(days) if days else None
    return number if 1 <= number <= 7 else None


def rating(text: str, low: int = 0, high: int = 10) -> int | None:
    """A rating within [low, high] ("7", "seven", "saith", "7/10")."""
    number = first_number(text)
    return number if number is not None and low <= number <= high else None


def weekdays(text: str) -> frozenset[int]:
    """ISO weekdays named in the text: "mon, wed and fri", "bob dydd", "weekends"."""
    days: dict[str, list[int]] = lexicon()["days"]
    cleaned = _clean(text)
    found: set[int] = set()
    for phrase, numbers in days.items():
        if " " in phrase or "'" in phrase:
            if phrase in cleaned:
                found.update(numbers)
    for token in _tokens(text):
        if token in days:
            found.update(days[token])
    return frozenset(found)


def time_of_day(text: str) -> time | None:
    """ "18:30", "6pm", "6.30 yh", "9 in the morning", "noon"; a bare 1-7 is afternoon."""
    lex = lexicon()
    cleaned = _clean(text)
    if _has_phrase(cleaned, lex["noon_words"]):
        return time(12, 0)
    match = _TIME.search(cleaned)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    after = (match.group(3) or "").strip()
    rest = cleaned[match.end() :]
    is_pm = after in lex["pm_words"] or _has_phrase(rest, lex["pm_words"])
    is_am = after in lex["am_words"] or _has_phrase(rest, lex["am_words"])
    if is_pm and hour < 12:
        hour += 12
    elif is_am and hour == 12:
        hour = 0
    elif not is_am and not is_pm and match.group(2) is None and 1 <= hour <= 7:
        hour += 12
    return time(hour, minute)
