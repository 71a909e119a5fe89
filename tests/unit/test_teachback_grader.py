"""The teach-back grader: paraphrase, negation, numbers and times, typos, Welsh, evidence.

Accuracy and speed are measured in benchmarks/teachback_grading.py, not here.
"""

from __future__ import annotations

import io
import json

import pytest

from bot.teachback import grade_in_thread, grade_teachback
from bot.teachback.cli import grade_line, grade_stream
from bot.teachback.grader import REFERENCE_MODELS, grade_reference_answers
from bot.teachback.welsh import radicals

METFORMIN = [
    "Take metformin with food or just after a meal",
    "Take it twice a day, in the morning and in the evening",
    "Swallow the tablet whole with a glass of water",
]


def covered(points: list[str], answer: str, lang: str = "en") -> list[bool]:
    return [r.covered for r in grade_teachback(points, answer, lang)]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("I take it with my food, twice a day, and swallow it whole with water", [1, 1, 1]),
        ("when I eat, 2x daily", [1, 1, 0]),
        ("with my breakfast and with my tea", [1, 1, 0]),
        ("morning and night, with meals", [1, 1, 0]),
        ("wiht food twise a day", [1, 1, 0]),
        ("I take it on an empty stomach, twice a day", [0, 1, 0]),
        ("once a day with my breakfast", [1, 0, 0]),
        ("I don't need to take it with food", [0, 0, 0]),
        ("yes", [0, 0, 0]),
        ("what time is my appointment", [0, 0, 0]),
    ],
)
def test_metformin_answers(answer: str, expected: list[int]) -> None:
    assert covered(METFORMIN, answer) == [bool(e) for e in expected]


def test_everyday_words_for_the_stomach() -> None:
    point = ["An upset stomach, like feeling sick or diarrhoea, is common at first"]
    assert covered(point, "it might upset my tummy at the start") == [True]


def test_times_in_different_words() -> None:
    point = ["Check your blood sugar again after 15 minutes"]
    assert covered(point, "test my sugar again after a quarter of an hour") == [True]
    assert covered(point, "check my blood sugar again after fifteen mins") == [True]
    assert covered(point, "check my blood sugar again in an hour") == [False]


def test_negated_instruction_is_not_credited() -> None:
    points = ["Shake the inhaler before each puff"]
    assert covered(points, "I shake it before every puff") == [True]
    assert covered(points, "I don't need to shake it") == [False]
    result = grade_teachback(points, "I don't need to shake it")[0]
    assert result.contradicted


def test_never_barefoot_is_said_by_always_wearing_shoes() -> None:
    points = ["Never walk barefoot, even at home"]
    assert covered(points, "I always wear slippers in the house") == [True]
    assert covered(points, "it's fine to walk barefoot at home") == [False]


def test_welsh_mutations_are_undone() -> None:
    assert "brecwast" in radicals("mrecwast")
    assert "traed" in radicals("nhraed")
    points = ["Cymerwch metformin gyda bwyd", "Cymerwch hi ddwywaith y dydd"]
    assert covered(points, "gyda fy mrecwast, dwy waith y dydd", "cy") == [True, True]
    assert covered(points, "ar stumog wag, unwaith y dydd", "cy") == [False, False]


def test_evidence_is_the_answers_own_words() -> None:
    result = grade_teachback(METFORMIN[:2], "Twice a day with my Breakfast")
    assert result[0].evidence == ["Breakfast"]
    assert result[1].evidence == ["Twice a day"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        grade_teachback(["x"], "y", "fr")


async def test_grading_runs_off_the_event_loop() -> None:
    results = await grade_in_thread([[METFORMIN[0]]], "with food")
    assert [r.covered for r in results] == [True]


def test_cli_contract_one_line_out_per_line_in() -> None:
    lines = [
        {"key_points": METFORMIN[:2], "answer": "with food twice a day", "lang": "en"},
        {"key_points": ["Cymerwch hi gyda bwyd"], "answer": "gyda bwyd", "lang": "cy"},
    ]
    source = io.StringIO("\n".join(json.dumps(line) for line in lines) + "\n\n")
    sink = io.StringIO()
    assert grade_stream(source, sink) == 0
    out = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert out[0] == {"covered": [True, True], "evidence": [["food"], ["twice a day"]]}
    assert out[1]["covered"] == [True]


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"answer": "x"}',
        '{"key_points": "x", "answer": "y"}',
        '{"key_points": [], "answer": 3}',
    ],
)
def test_cli_bad_line_gets_an_error_in_its_place(line: str) -> None:
    assert "error" in grade_line(line)


SALT_QUESTION = "What happens to salty water left in a dish in the sun for a week?"
SALT_REFERENCE = ["The water evaporates and the salt is left behind."]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("the water goes away by evaporation and leaves the salt", True),
        ("The water evaporated, leaving salt crystals in the dish", True),
        ("it stays in the dish", False),
        ("salty water is left in the sun", False),  # only repeats the question
    ],
)
def test_reference_answer_mode_credits_the_idea_not_the_question(
    answer: str, expected: bool
) -> None:
    model = REFERENCE_MODELS["scientsbank"]
    result = grade_reference_answers(SALT_REFERENCE, answer, SALT_QUESTION, model)
    assert result.covered is expected


def test_reference_answer_mode_matches_other_forms_of_a_word() -> None:
    model = REFERENCE_MODELS["scientsbank"]
    question = "Why does a guitar string make a sound when you pluck it?"
    result = grade_reference_answers(
        ["The string vibrates."], "because of the vibration", question, model
    )
    assert result.covered
