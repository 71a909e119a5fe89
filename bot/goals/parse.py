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
        elif token.endswith("s") and token[:-1] in days:  # "mondays and thursdays"
            found.update(days[token[:-1]])
    return frozenset(found)


def _hour_pattern() -> str:
    """A regex alternative for an hour: digits or an hour word (longest words first)."""
    words = sorted(lexicon()["hour_words"], key=len, reverse=True)
    return r"(\d{1,2}|" + "|".join(re.escape(w) for w in words) + r")"


def _hour_value(said: str) -> int | None:
    if said.isdigit():
        return int(said)
    value = lexicon()["hour_words"].get(said)
    return int(value) if value is not None else None


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _clock_in_words(cleaned: str) -> tuple[int, int] | None:
    """ "half past six", "half 6", "quarter to seven", "ten past 6", "six o'clock",
    "hanner awr wedi chwech", "chwarter i saith": (hour, minute) as said (12-hour)."""
    lex = lexicon()
    hour = _hour_pattern()
    half = _alternatives(lex["half_words"])
    past = _alternatives(lex["past_words"])
    to = _alternatives(lex["to_words"])
    minutes = {str(k): int(v) for k, v in lex["minute_words"].items()}
    minute = _alternatives(list(minutes)) + r"|\d{1,2}"
    edge = r"(?:^|\W)"
    end = r"(?=$|\W)"
    found = re.search(rf"{edge}(?:{half})\s+(?:(?:{past})\s+)?{hour}{end}", cleaned)
    if found and (value := _hour_value(found.group(1))) is not None:
        return value, 30
    found = re.search(
        rf"{edge}({minute})(?:\s+(?:minutes?|munud|mins?))?\s+({past}|{to})\s+{hour}{end}",
        cleaned,
    )
    if found and (value := _hour_value(found.group(3))) is not None:
        said = found.group(1)
        amount = int(said) if said.isdigit() else minutes[said]
        if not 0 < amount < 60:
            return None
        if found.group(2) in lex["to_words"]:
            return (value - 1) % 12 or 12, 60 - amount
        return value, amount
    oclock = _alternatives(lex["oclock_words"])
    found = re.search(rf"{edge}{hour}\s+(?:{oclock}){end}", cleaned)
    if found and (value := _hour_value(found.group(1))) is not None:
        return value, 0
    return None


def _day_part(cleaned: str, suffix: str) -> str | None:
    """ "am", "pm" or None, from a suffix ("6pm") or words ("in the evening", "yr hwyr")."""
    lex = lexicon()
    if suffix in lex["am_words"]:
        return "am"
    if suffix in lex["pm_words"]:
        return "pm"
    if _has_phrase(cleaned, lex["pm_phrases"]) or any(
        t in lex["pm_words"] for t in _tokens(cleaned)
    ):
        return "pm"
    # A lone "am" is Welsh for "at" ("am saith"): a.m. only right after the number.
    morning = [w for w in lex["am_words"] if w != "am"]
    if _has_phrase(cleaned, lex["am_phrases"]) or any(t in morning for t in _tokens(cleaned)):
        return "am"
    return None


def time_of_day(text: str) -> time | None:
    """A clock time: "18:30", "6pm", "6.30 yh", "9 in the morning", "noon", "half 6 in the
    evening", "quarter to seven", "hanner awr wedi chwech". An hour from 1 to 7 with nothing
    saying morning is taken as afternoon or evening (check-ins are rarely before 8 am)."""
    lex = lexicon()
    cleaned = _clean(text)
    if _has_phrase(cleaned, lex["noon_words"]):
        return time(12, 0)
    if _has_phrase(cleaned, lex["midnight_words"]):
        return time(0, 0)
    suffix = ""
    worded = _clock_in_words(cleaned)
    if worded is not None:
        hour, minute = worded
        after = re.search(r"(\d|\w)\s*(a\.?m\.?|p\.?m\.?|yb|yh)\s*$", cleaned)
        suffix = after.group(2).replace(".", "") if after else ""
        suffix = {"am": "am", "pm": "pm"}.get(suffix, suffix)
    else:
        match = _TIME.search(cleaned)
        if match is None:
            found = re.search(rf"(?:^|\W){_hour_pattern()}(?=$|\W)", cleaned)
            if found is None or found.group(1).isdigit() or len(_tokens(cleaned)) > 5:
                return None
            value = _hour_value(found.group(1))
            if value is None:
                return None
            hour, minute = value, 0
        else:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            suffix = (match.group(3) or "").strip()
    if hour > 23 or minute > 59:
        return None
    part = _day_part(cleaned, suffix)
    if part == "pm" and hour < 12:
        hour += 12
    elif part == "am" and hour == 12:
        hour = 0
    elif part is None and 1 <= hour <= 7:
        hour += 12
    return time(hour, minute)
