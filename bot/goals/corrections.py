"""Which part of an action plan a patient means when they change or correct it.

"change the time", "actually make it wednesday and saturday", "can we do different days",
"make it 15 minutes instead": each names one detail of the plan, sometimes with its new
value. The words are in data/content/goals.yml (`detail_words`); values are read by
bot.goals.parse. Nothing here talks to Rasa or the database.
"""

from __future__ import annotations

import re

from bot.goals import parse

ACTIVITY, AMOUNT, TIMING, DAYS = "plan_activity", "plan_amount", "plan_timing", "plan_days"
CHECKIN_DAYS, CHECKIN_TIME = "checkin_days", "checkin_time"
DETAILS = (ACTIVITY, AMOUNT, TIMING, DAYS, CHECKIN_DAYS, CHECKIN_TIME)
# The names a change button or an entity uses for each detail.
ALIASES = {
    "activity": ACTIVITY,
    "amount": AMOUNT,
    "timing": TIMING,
    "days": CHECKIN_DAYS,
    "days_per_week": DAYS,
    "time": CHECKIN_TIME,
    "checkin_time": CHECKIN_TIME,
    "checkin_days": CHECKIN_DAYS,
    **{d: d for d in DETAILS},
}
_CLOCK_MARK = re.compile(r"\d[:.]\d\d|\d\s*(am|pm|yb|yh|a\.m\.|p\.m\.)\b")


def _words(key: str) -> list[str]:
    return [str(w) for w in parse.lexicon()["detail_words"][key]]


def detail_from_name(name: object) -> str | None:
    """The slot for a detail named by a button's entity ("time", "amount")."""
    return ALIASES.get(str(name).strip().lower()) if name else None


def looks_like_clock_time(text: str) -> bool:
    """A time said as a time ("6.30pm", "half past six", "7 in the evening"), not a bare
    number that could be an amount or a count of days."""
    cleaned = " ".join(text.lower().split())
    if parse.time_of_day(cleaned) is None:
        return False
    if _CLOCK_MARK.search(cleaned):
        return True
    lex = parse.lexicon()
    marks = [*lex["half_words"], *lex["oclock_words"], *lex["pm_phrases"], *lex["am_phrases"]]
    marks += [*lex["noon_words"], *lex["midnight_words"], "quarter", "chwarter", "past", "wedi"]
    return any(re.search(rf"(^|\W){re.escape(m)}($|\W)", cleaned) for m in marks)


def days_count_named(text: str) -> int | None:
    """A number of days a week ("3 days a week", "4 times a week"), else None."""
    cleaned = " ".join(text.lower().split())
    if any(re.search(rf"(^|\W){re.escape(w)}($|\W)", cleaned) for w in _words("per_week")):
        return parse.days_per_week(cleaned)
    return None


def amount_named(text: str) -> bool:
    """A number with a unit ("15 minutes", "2 glasses", "deg munud")."""
    cleaned = " ".join(text.lower().split())
    has_unit = any(re.search(rf"(^|\W){re.escape(w)}($|\W)", cleaned) for w in _words("units"))
    return has_unit and parse.first_number(cleaned) is not None


def detail_by_words(text: str) -> str | None:
    """The detail a change request names in words ("change the time"), or None."""
    cleaned = " ".join(text.lower().replace("\u2019", "'").split())
    for detail in (DAYS, CHECKIN_TIME, CHECKIN_DAYS, AMOUNT, TIMING, ACTIVITY):
        if any(re.search(rf"(^|\W){re.escape(w)}($|\W)", cleaned) for w in _words(detail)):
            return detail
    return None


def asks_for_a_change(text: str) -> bool:
    """Whether the words ask for a change ("move my check-in to 7pm"), not only name a
    value ("6.30pm"); the words are goals.yml's `change_words`."""
    cleaned = " ".join(text.lower().replace("\u2019", "'").split())
    return any(
        re.search(rf"(^|\W){re.escape(w)}($|\W)", cleaned) for w in parse.lexicon()["change_words"]
    )


def detail_named(text: str) -> str | None:
    """The detail a change request names ("change the time" -> checkin_time), in words or
    by its new value ("make it 15 minutes"), or None."""
    return detail_by_words(text) or value_detail(" ".join(text.lower().split()))


def value_detail(text: str) -> str | None:
    """The detail a new value belongs to ("wednesday and saturday" -> checkin_days)."""
    if parse.weekdays(text) and days_count_named(text) is None:
        return CHECKIN_DAYS
    if looks_like_clock_time(text):
        return CHECKIN_TIME
    if days_count_named(text) is not None:
        return DAYS
    if amount_named(text):
        return AMOUNT
    return None


def has_value_for(detail: str, text: str) -> bool:
    """Whether the text carries a new value for the detail, not only its name."""
    if detail == CHECKIN_DAYS:
        return bool(parse.weekdays(text))
    if detail == CHECKIN_TIME:
        return looks_like_clock_time(text)
    if detail == DAYS:
        return parse.first_number(text) is not None
    if detail == AMOUNT:
        return amount_named(text)
    return False
