"""Everyday numbers and times: what a patient says, read as the amount the point names."""

from __future__ import annotations

import pytest

from bot.teachback.quantities import find_quantities, judge


def amounts(text: str, lang: str = "en") -> list[tuple[str, float, float]]:
    return [(q.kind, q.low, q.high) for q in find_quantities(text.lower(), lang)]


@pytest.mark.parametrize(
    ("said", "lang", "expected"),
    [
        ("quarter of an hour", "en", ("time", 900, 900)),
        ("2x daily", "en", ("rate", 2, 2)),
        ("morning and night", "en", ("rate", 2, 2)),
        ("am and pm", "en", ("rate", 2, 2)),
        ("a fortnight", "en", ("time", 1209600, 1209600)),
        ("half 6", "en", ("clock", 390, 390)),
        ("within a day", "en", ("time", 0, 86400)),
        ("within 48 hrs", "en", ("time", 0, 172800)),
        ("a slow count of ten", "en", ("time", 10, 10)),
        ("10 to 15 minutes", "en", ("time", 600, 900)),
        ("ring for an ambulance", "en", ("phone", 999, 999)),
        ("bore a nos", "cy", ("rate", 2, 2)),
        ("deuddydd", "cy", ("time", 172800, 172800)),
        ("chwarter awr", "cy", ("time", 900, 900)),
        ("am wythnos", "cy", ("time", 604800, 604800)),
        ("funud ar wahân", "cy", ("time", 60, 60)),
    ],
)
def test_everyday_amounts_are_read(
    said: str, lang: str, expected: tuple[str, float, float]
) -> None:
    assert amounts(said, lang) == [expected]


@pytest.mark.parametrize(
    "said",
    ["as your plan says", "the blue one", "before a second puff", "anadlu i mewn yn ara deg"],
)
def test_words_that_only_look_like_amounts_are_not(said: str) -> None:
    assert amounts(said, "cy" if "ara" in said else "en") == []


def test_per_day_is_not_a_duration() -> None:
    assert amounts("no more than 6 g of salt a day") == [("mass", 6, 6)]


@pytest.mark.parametrize(
    ("point", "answer", "complete", "conflict"),
    [
        ("for 7 days", "for a week", True, False),
        ("for 7 days", "for a fortnight", False, True),
        ("within 2 days", "no later than 48 hours", True, False),
        ("within 2 days", "within a week", False, True),
        ("after 10 to 15 minutes", "after a quarter of an hour", True, False),
        ("after 10 to 15 minutes", "after an hour", False, True),
        ("hold for up to 10 seconds", "hold it for 10", True, False),
        ("hold for up to 10 seconds", "hold it for a minute", False, True),
        ("twice a day", "every day", False, False),  # true, but not enough
        ("every day", "twice a day", True, False),
        ("after a few weeks", "after 2 or 3 weeks", True, False),
        ("more than 10 minutes", "give it an hour", False, True),
    ],
)
def test_an_answer_says_the_points_amount_or_another(
    point: str, answer: str, complete: bool, conflict: bool
) -> None:
    verdict = judge(find_quantities(point, "en"), find_quantities(answer, "en"))
    assert (verdict.complete, verdict.conflict) == (complete, conflict)
