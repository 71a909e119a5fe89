"""Every module's own words grade as covered for their own point.

A patient who types back a re-explanation, or one of the phrasings the module accepts,
has explained the point: marking it missed (and flagging them for follow-up) would be
the coach failing them, not the other way round.
"""

from __future__ import annotations

import pytest

from bot.content.teachback import KeyPoint, load_modules
from bot.teachback import grade_with_phrasings

OWN_WORDS = [
    pytest.param(point, language, text, id=f"{module.id}/{point.id}/{language}/{n}")
    for module in load_modules().values()
    for chunk in module.chunks
    for point in chunk.key_points
    for language in ("en", "cy")
    for n, text in enumerate([point.re_explain.in_language(language), *point.accepted.get(language, ())])
]  # fmt: skip


@pytest.mark.parametrize(("point", "language", "text"), OWN_WORDS)
def test_a_modules_own_words_cover_their_point(point: KeyPoint, language: str, text: str) -> None:
    result = grade_with_phrasings([point.wordings(language)], text, language)[0]
    assert result.covered, f"{point.id} ({language}): {text!r}"


def test_the_coachs_own_re_explanation_typed_back_is_not_missed() -> None:
    """The browser report: "keep the air in for a slow count of ten" was marked missed."""
    inhaler = load_modules()["inhaler"]
    hold = next(p for c in inhaler.chunks for p in c.key_points if p.id == "hold-breath")
    answer = "keep the air in for a slow count of ten"
    assert grade_with_phrasings([hold.wordings("en")], answer, "en")[0].covered
