"""Teach-back: grading answers in the patient's own words against a chunk's key points."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.teachback.grader import PointResult, grade_teachback, grade_with_phrasings, warm_up

__all__ = [
    "PointResult",
    "grade_in_thread",
    "grade_teachback",
    "grade_with_phrasings",
    "warm_up",
]


async def grade_in_thread(
    key_points: Sequence[Sequence[str]], answer: str, lang: str = "en"
) -> list[PointResult]:
    """Grade on a worker thread: grading is CPU work and must not hold up the event loop."""
    return await asyncio.to_thread(grade_with_phrasings, key_points, answer, lang)
