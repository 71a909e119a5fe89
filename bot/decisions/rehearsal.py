"""Rehearsal: which of the three questions a patient asked, found by the teach-back grader
with the three questions as key points (their accepted phrasings included)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.decisions import content
from bot.teachback.grader import grade_with_phrasings


@dataclass(frozen=True)
class Asked:
    """One of the three questions found in what the patient said, and the words that showed it."""

    question_id: str
    evidence: list[str]


def questions_asked(said: str, language: str) -> list[Asked]:
    """The questions this message asks, in the three questions' order."""
    if not said.strip():
        return []
    found = content.questions()
    results = grade_with_phrasings([q.wordings(language) for q in found], said, language)
    return [
        Asked(question_id=q.id, evidence=r.evidence)
        for q, r in zip(found, results, strict=True)
        if r.covered
    ]


def feedback(asked_ids: set[str], language: str) -> list[str]:
    """What to tell them at the end: what they asked, and what they might add."""
    asked = [q for q in content.questions() if q.id in asked_ids]
    missing = [q for q in content.questions() if q.id not in asked_ids]
    messages: list[str] = []

    def listed(found: list[content.Question]) -> str:
        return "\n".join(f"• {q.text.in_language(language)}" for q in found)

    if asked:
        messages.append(content.text("rehearsal_asked", language, questions=listed(asked)))
    else:
        messages.append(content.text("rehearsal_asked_none", language))
    if missing:
        messages.append(content.text("rehearsal_add", language, questions=listed(missing)))
    else:
        messages.append(content.text("rehearsal_all", language))
    return messages
