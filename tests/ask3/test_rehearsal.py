"""Rehearsal: the teach-back grader finds which of the three questions a patient asked."""

from __future__ import annotations

import pytest

from bot.decisions import content
from bot.decisions.rehearsal import feedback, questions_asked


@pytest.mark.parametrize(
    ("language", "said", "asked"),
    [
        ("en", "What choices do I have?", ["options"]),
        ("en", "Are there any other treatments I could try?", ["options"]),
        ("en", "What are the risks of the operation?", ["benefits_risks"]),
        ("en", "what side effects could I get", ["benefits_risks"]),
        ("en", "How likely is that to happen?", ["likelihood"]),
        ("en", "what are the chances it comes back", ["likelihood"]),
        ("en", "What are my options and what are the risks?", ["options", "benefits_risks"]),
        ("en", "ok", []),
        ("en", "how long will I be in hospital", []),
        ("en", "I don't have any questions", []),
        ("cy", "Beth yw fy opsiynau?", ["options"]),
        ("cy", "beth yw'r risgiau", ["benefits_risks"]),
        ("cy", "beth yw'r siawns", ["likelihood"]),
        ("cy", "iawn", []),
    ],
)
def test_the_questions_asked_are_found(language: str, said: str, asked: list[str]) -> None:
    found = questions_asked(said, language)
    assert [a.question_id for a in found] == asked
    assert all(a.evidence for a in found)


def test_a_patient_who_asked_none_is_told_all_three_kindly() -> None:
    said = feedback(set(), "en")
    assert said[0] == content.text("rehearsal_asked_none", "en")
    for question in content.questions():
        assert question.text.en in said[1]


def test_a_patient_who_asked_some_hears_what_to_add() -> None:
    said = feedback({"options"}, "cy")
    assert "Beth yw fy opsiynau?" in said[0]
    assert "Beth yw fy opsiynau?" not in said[1]
    assert content.question("likelihood").text.cy in said[1]
