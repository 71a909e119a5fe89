"""Reading an action plan from one message, so the form asks only for what is missing.

"i want to walk more for my diabetes" is a plan to walk; "walk 10 minutes after lunch, 4
days a week" is nearly the whole plan. The lead-ins, reasons and timing words are in
data/content/goals.yml; an outcome ("lose weight") or a vague aim ("exercise more") is not
taken as the activity but kept as the aim, so the first question can coach from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.goals import parse

_UNIT_AMOUNT = r"(?:\d+|{numbers})\s*(?:{units})\b(?:\s+(?:of|o)\s+\w+)?"


@dataclass(frozen=True)
class PlanStart:
    """What one message said about a plan; None for each part it did not say."""

    activity: str | None = None
    amount: str | None = None
    timing: str | None = None
    days: int | None = None
    aim: str | None = None  # an outcome or vague aim, to coach from
    aim_kind: str | None = None  # "not_behaviour" or "vague"

    @property
    def empty(self) -> bool:
        return not any((self.activity, self.amount, self.timing, self.days, self.aim))


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _cut(pattern: str, text: str) -> tuple[str | None, str]:
    """The first match of `pattern` and the text without it."""
    found = re.search(pattern, text)
    if found is None:
        return None, text
    rest = (text[: found.start()] + " " + text[found.end() :]).strip(" ,.")
    return found.group(0).strip(" ,."), " ".join(rest.split())


def _names_a_plan(said: str, lex: dict[str, Any]) -> bool:
    """Whether the words ask for a plan rather than say one (see plan_request_words)."""
    return re.search(rf"\b(?:{_alternatives(lex['plan_request_words'])})\b", said) is not None


def plan_from_text(text: str) -> PlanStart:
    """The parts of a plan one message names."""
    lex = parse.lexicon()
    said = " ".join(text.lower().replace("\u2019", "'").strip(" .!?").split())
    if not said or said.startswith("/"):
        return PlanStart()
    leads = _alternatives(lex["plan_lead_ins"])
    said = re.sub(rf"^(?:(?:{leads})\s+)+", "", said)
    said = re.sub(rf"\s+(?:{_alternatives(lex['plan_reasons'])})\b.*$", "", said)
    if said in lex["plan_requests"] or not said or _names_a_plan(said, lex):
        return PlanStart()
    per_week = _alternatives(lex["detail_words"]["per_week"])
    days_phrase, said = _cut(rf"\b(?:\d+|\w+)\s+(?:{per_week})\b", said)
    days = parse.days_per_week(days_phrase) if days_phrase else None
    if days is None:
        everyday, said_without = _cut(r"\b(?:every ?day|daily|bob dydd|pob dydd)\b", said)
        if everyday:
            days, said = 7, said_without
    numbers = _alternatives([str(n) for n in lex["numbers"]])
    units = _alternatives(lex["detail_words"]["units"])
    amount, said = _cut(_UNIT_AMOUNT.format(numbers=numbers, units=units), said)
    starts = _alternatives(lex["timing_starts"])
    timing, said = _cut(rf"\b(?:{starts})\b.*$", said)
    said = said.strip(" ,.")
    if not said:
        return PlanStart(amount=amount, timing=timing, days=days)
    verdict = parse.assess_activity(said)
    if verdict != "ok":
        return PlanStart(amount=amount, timing=timing, days=days, aim=said, aim_kind=verdict)
    said = re.sub(rf"\s+(?:{_alternatives(lex['more_words'])})$", "", said).strip(" ,.") or said
    return PlanStart(activity=said, amount=amount, timing=timing, days=days)


def looks_like_a_plan(text: str) -> bool:
    """Whether a message reads as a plan (something to do with an amount, a time or days),
    rather than a question or a chat ("walk 20 minutes after dinner")."""
    start = plan_from_text(text)
    return bool(start.activity) and any((start.amount, start.timing, start.days))
