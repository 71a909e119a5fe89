"""Rehearsal: which of the three questions a patient asked, found by the teach-back grader
with the three questions as key points (their accepted phrasings included)."""

from __future__ import annotations

from dataclasses import dataclass, field

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


# A rehearsal ends after this many questions, finished or not.
MAX_PRACTICE_TURNS = 8
TURNS_KEY = "_turns"  # in the evidence: which questions each turn asked, for the record


@dataclass(frozen=True)
class Practice:
    """Where a rehearsal is: the questions asked so far and the words that showed each."""

    asked: tuple[str, ...] = ()
    evidence: dict[str, list[str]] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        return len(self.evidence.get(TURNS_KEY, []))

    @classmethod
    def from_slots(cls, asked: object, evidence: object) -> Practice:
        """The state the form keeps in its `ask3_practice_asked` and `_evidence` slots."""
        found = (
            {str(k): [str(x) for x in v] for k, v in evidence.items()}
            if isinstance(evidence, dict)
            else {}
        )
        listed = tuple(str(a) for a in asked) if isinstance(asked, list | tuple) else ()
        return cls(listed, found)

    def for_record(self) -> tuple[list[str], dict[str, list[str]], int]:
        """(asked, evidence without the turn log, number of turns), for storing."""
        evidence = {k: list(v) for k, v in self.evidence.items() if k != TURNS_KEY}
        return list(self.asked), evidence, self.turns


@dataclass(frozen=True)
class PracticeTurn:
    """One practice question: the clinician's answers, the new state, and whether it ended."""

    practice: Practice
    answers: list[str]
    other_question: bool  # a good question that is none of the three
    done: bool


def practise(
    said: str, language: str, scenario: content.Scenario, before: Practice
) -> PracticeTurn:
    """Answer one practice question as the scenario's clinician would."""
    evidence = {k: list(v) for k, v in before.evidence.items()}
    turns = evidence.setdefault(TURNS_KEY, [])
    asked = questions_asked(said, language) if not said.startswith("/") else []
    turns.append(",".join(a.question_id for a in asked))
    answers: list[str] = []
    for found in asked:
        evidence.setdefault(found.question_id, []).extend(found.evidence)
        answer = scenario.answers.get(found.question_id)
        if answer is not None:
            answers.append(answer.in_language(language))
    so_far = tuple(sorted({*before.asked} | {a.question_id for a in asked}))
    after = Practice(so_far, evidence)
    return PracticeTurn(after, answers, not asked, after.turns >= MAX_PRACTICE_TURNS)
