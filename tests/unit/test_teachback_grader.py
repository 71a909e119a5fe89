"""The teach-back grader, one kind of answer at a time, with fixed examples.

The kinds are those of the labelled sets: paraphrase, partial, contradiction, negated,
yes/no, off topic, typos, vague, numbers, Welsh and mixed language. Accuracy over whole
sets and speed are measured in benchmarks/teachback_grading.py, not here.
"""

from __future__ import annotations

import io
import json

import pytest

from bot.teachback import grade_in_thread, grade_teachback, grade_with_phrasings
from bot.teachback.cli import grade_line, grade_stream
from bot.teachback.welsh import radicals

METFORMIN = [
    "Take metformin with food or just after a meal",
    "Take it twice a day, in the morning and in the evening",
    "Swallow the tablet whole with a glass of water",
]
INHALER_PUFF = [
    "Breathe in slowly and press the canister at the same time",
    "Hold your breath for up to 10 seconds",
]
HYPO_TREAT = [
    "Have a sugary drink or sweets straight away",
    "Check your blood sugar again after 10 to 15 minutes",
]


def covered(points: list[str], answer: str, lang: str = "en") -> list[bool]:
    return [r.covered for r in grade_teachback(points, answer, lang)]


@pytest.mark.parametrize(
    ("points", "answer", "expected"),
    [
        (METFORMIN, "I take it with my food, twice a day, and swallow it whole with water", [1, 1, 1]),
        (INHALER_PUFF, "puff while breathing in slow and deep, then hold it in for 10", [1, 1]),
        (INHALER_PUFF, "I push it down as I start a slow breath in, then hold my breath for ten seconds", [1, 1]),
        (["Hold your breath for up to 10 seconds"], "hold my breath for a count of 10 so it gets down there", [1]),
        (["Never walk barefoot, even at home"], "I always wear slippers in the house", [1]),
    ],
)  # fmt: skip
def test_paraphrase_in_everyday_words_is_credited(
    points: list[str], answer: str, expected: list[int]
) -> None:
    assert covered(points, answer) == [bool(e) for e in expected]


def test_partial_answer_credits_only_what_was_said() -> None:
    assert covered(METFORMIN, "once a day with my breakfast") == [True, False, False]
    assert covered(INHALER_PUFF, "I breathe in slowly as I press it") == [True, False]
    both_parts = ["Dry well between the toes and do not put cream there"]
    assert covered(both_parts, "dry between my toes") == [False]  # and the cream?
    assert covered(both_parts, "dry them well between the toes and no cream there") == [True]


@pytest.mark.parametrize(
    ("points", "answer"),
    [
        (["Finish the whole course of tablets, even if you feel better"],
         "I can stop the tablets once I feel better"),
        (["Take metformin with food or just after a meal"], "I take it on an empty stomach"),
        (["Have a sugary drink or sweets straight away"], "have a diet coke straight away"),
        (["Never walk barefoot, even at home"], "it's fine to walk barefoot at home"),
    ],
)  # fmt: skip
def test_contradiction_is_never_credited(points: list[str], answer: str) -> None:
    result = grade_teachback(points, answer)[0]
    assert not result.covered
    assert result.contradicted  # the dialogue says kindly what is right, never "thank you"


def test_the_points_own_words_negated_are_not_credited() -> None:
    points = ["Shake the inhaler before each puff", "Rinse your mouth with water after using a steroid inhaler"]  # fmt: skip
    results = grade_teachback(points, "just do the second puff straight away, no need to rinse")
    assert not results[1].covered and results[1].contradicted
    shake = grade_teachback(points[:1], "I don't need to shake it")[0]
    assert not shake.covered and shake.contradicted
    assert covered(points[:1], "I shake it before every puff") == [True]


@pytest.mark.parametrize("answer", ["yes", "ok ta", "dunno", "I understand", ""])
def test_yes_no_and_nothing_cover_nothing(answer: str) -> None:
    assert covered(METFORMIN, answer) == [False, False, False]


@pytest.mark.parametrize(
    "answer", ["what time is my appointment", "mine's the blue one and I've got a brown one too"]
)
def test_off_topic_covers_nothing(answer: str) -> None:
    assert covered(METFORMIN + INHALER_PUFF[:1], answer) == [False] * 4


@pytest.mark.parametrize("answer", ["take it properly like the nurse said", "be careful with it"])
def test_vague_answer_covers_nothing(answer: str) -> None:
    assert covered(METFORMIN, answer) == [False, False, False]


def test_typos_and_text_speak_are_read() -> None:
    assert covered(METFORMIN[:2], "wiht food twise a day") == [True, True]
    assert covered(HYPO_TREAT, "hav a sugery drink strait away, chek agen after 10 mins") == [
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("point", "answer", "expected"),
    [
        ("Check your blood sugar again after 10 to 15 minutes", "test again after a quarter of an hour", True),
        ("Check your blood sugar again after 10 to 15 minutes", "check my sugar again after an hour", False),
        ("Check it in the morning and the evening for 7 days", "2x daily, am and pm, for a week", True),
        ("Check it in the morning and the evening for 7 days", "morning and night for a fortnight", False),
        ("Tell your GP or COPD nurse within 2 days of starting it", "ring my nurse within 48 hours", True),
        ("Tell your GP or COPD nurse within 2 days of starting it", "let my GP know within a week", False),
        ("Wait about 30 seconds before a second puff", "wait half a minute before the next one", True),
        ("A hypo is when your blood sugar drops below 4", "when my sugar goes under 7", False),
    ],
)  # fmt: skip
def test_numbers_and_times_in_other_forms(point: str, answer: str, expected: bool) -> None:
    result = grade_teachback([point], answer)[0]
    assert result.covered is expected
    if not expected:
        assert not result.amounts_ok  # a different number is never credited


def test_welsh_mutations_are_undone() -> None:
    assert "brecwast" in radicals("mrecwast")
    assert "traed" in radicals("nhraed")
    points = ["Cymerwch metformin gyda bwyd", "Cymerwch hi ddwywaith y dydd"]
    assert covered(points, "gyda fy mrecwast, dwy waith y dydd", "cy") == [True, True]
    assert covered(points, "ar stumog wag, unwaith y dydd", "cy") == [False, False]


def test_welsh_everyday_times() -> None:
    point = ["Gwiriwch ef yn y bore a gyda'r nos am 7 diwrnod"]
    assert covered(point, "bob bore a bob nos am wythnos", "cy") == [True]
    assert covered(point, "bore a nos am bythefnos", "cy") == [False]


def test_mixed_language_answer() -> None:
    point = ["Check it in the morning and the evening for 7 days"]
    assert covered(point, "bore a nos for a week", "en") == [True]
    welsh = ["Cymerwch ddiod llawn siwgr neu losin ar unwaith"]
    assert covered(welsh, "cael lucozade straight away", "cy") == [True]


def test_a_point_is_covered_by_any_of_its_wordings() -> None:
    point = [["Breathe out fully, away from the inhaler, before you put it in your mouth",
              "empty my lungs first"]]  # fmt: skip
    assert grade_with_phrasings(point, "I empty my lungs first")[0].covered


def test_evidence_is_the_answers_own_words() -> None:
    result = grade_teachback(METFORMIN[:2], "Twice a day with my Breakfast")
    assert result[0].evidence == ["breakfast"]
    assert result[1].evidence == ["twice a day"]


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
