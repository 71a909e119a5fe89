"""The red-flag detector against the labelled set in tests/data (written before the rules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT
from bot.safety import replies
from bot.safety.detector import SIGNS, assess, normalise

DATA = ROOT / "tests" / "data"
MAX_FALSE_ALARM_RATE = 0.05


def labelled(name: str) -> list[dict[str, Any]]:
    path: Path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


SET = labelled("red_flags.jsonl")
HOLDOUT = labelled("red_flags_holdout.jsonl")


def outcome(text: str) -> str:
    found = assess(text)
    return found.category if found.action == "alert" and found.category else found.action


def test_the_set_is_big_enough_and_covers_every_kind() -> None:
    assert len(SET) >= 150
    labels = {row["label"] for row in SET}
    assert {"emergency", "urgent", "distress", "ask", "none"} <= labels
    kinds = {row["kind"] for row in SET if row["label"] == "none"}
    assert {"idiom", "negation", "hypothetical", "past", "third_party"} <= kinds
    assert {row["lang"] for row in SET} == {"en", "cy"}


@pytest.mark.parametrize(
    "row", [r for r in SET + HOLDOUT if r["label"] == "emergency"], ids=lambda r: r["text"]
)
def test_every_emergency_is_caught(row: dict[str, Any]) -> None:
    assert outcome(row["text"]) == "emergency"


@pytest.mark.parametrize(
    "row", [r for r in SET if r["label"] != "emergency"], ids=lambda r: r["text"]
)
def test_other_labels(row: dict[str, Any]) -> None:
    assert outcome(row["text"]) == row["label"]


def test_false_alarm_rate_on_benign_look_alikes() -> None:
    benign = [r for r in SET + HOLDOUT if r["label"] == "none"]
    alarms = [r["text"] for r in benign if assess(r["text"]).alarming]
    assert len(alarms) / len(benign) <= MAX_FALSE_ALARM_RATE, alarms


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [("chets pian", "chest pain"), ("overdoes", "overdose"), ("hopless", "hopeless")],
)
def test_typos_are_corrected_towards_key_words(typo: str, fixed: str) -> None:
    assert normalise(typo) == fixed


@pytest.mark.parametrize("word", ["been", "strike", "chess", "hylo", "paid", "can"])
def test_ordinary_words_are_left_alone(word: str) -> None:
    assert normalise(word) == word


def test_every_ask_sign_has_a_question_in_both_languages() -> None:
    for sign in {s.code for s in SIGNS if s.category == "emergency"}:
        for language in ("en", "cy"):
            message = replies.question(sign, language)
            assert message["text"].endswith("?")
            assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


def test_replies_state_the_nhs_wales_services() -> None:
    for language in ("en", "cy"):
        assert "999" in replies.alert("emergency", "chest_pain", language)["text"]
        self_harm = replies.alert("emergency", "self_harm", language)["text"]
        assert "999" in self_harm and "116 123" in self_harm
        urgent = replies.alert("urgent", "worsening", language)["text"]
        assert "111" in urgent and "111.wales.nhs.uk" in urgent
        assert "116 123" in replies.alert("distress", "distress", language)["text"]
    content = replies.content()
    for section in ("replies", "questions", "buttons"):
        for key, texts in content[section].items():
            assert set(texts) == {"en", "cy"} and texts["en"] != texts["cy"], key
