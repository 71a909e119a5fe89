"""The red-flag rules (data/safety/signs.yml) and the replies, with fixed examples.

The rules are one layer; `test_safety_semantic.py` tests the other and the two together.
These examples are the rules' own job: explicit signs, and the context that makes them
harmless (negation, the hypothetical, a question, the distant past, someone else's past,
idioms).
"""

from __future__ import annotations

import pytest

from bot.safety import replies
from bot.safety.rules import SIGNS_FILE, correct_word, normalise, read, rules


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I've got a crushing pain in my chest", "chest_pain"),
        ("my lips are going blue", "breathing"),
        ("his face has dropped on one side and his speech is slurred", "stroke"),
        ("she's collapsed and is unresponsive", "collapse"),
        ("I'm going to kill myself tonight", "self_harm"),
        ("mae gen i boen ofnadwy yn fy mrest", "chest_pain"),
        ("dw i'n methu anadlu", "breathing"),
    ],
)
def test_explicit_emergency_signs_alert(text: str, sign: str) -> None:
    found = read(text)
    assert (found.action, found.category, found.sign) == ("alert", "emergency", sign)


@pytest.mark.parametrize(
    ("text", "veto"),
    [
        ("no chest pain on my walk today", "negated"),
        ("dim poen yn y frest heddiw", "negated"),
        ("what if I get chest pain on the hill?", "hypothetical"),
        ("what are the signs of a stroke?", "hypothetical"),
        ("I had a stroke five years ago", "distant_past"),
    ],
)
def test_context_makes_a_sign_harmless_and_says_why(text: str, veto: str) -> None:
    found = read(text)
    assert found.action == "none"
    assert found.vetoed_because(veto)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["this diet is killing me", "I nearly died laughing"])
def test_idioms_do_not_alarm(text: str) -> None:
    found = read(text)
    assert found.action == "none" and found.idiom


def test_a_recent_mention_asks_instead_of_alerting() -> None:
    found = read("I had some chest pain this morning")
    assert (found.action, found.sign) == ("ask", "chest_pain")


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [("chets pian", "chest pain"), ("overdoes", "overdose"), ("hopless", "hopeless")],
)
def test_typos_are_corrected_towards_key_words(typo: str, fixed: str) -> None:
    assert normalise(typo) == fixed


@pytest.mark.parametrize("word", ["been", "strike", "chess", "hylo", "paid", "can"])
def test_ordinary_words_are_left_alone(word: str) -> None:
    assert correct_word(word) == word


def test_hidden_characters_and_text_speak_do_not_hide_a_sign() -> None:
    assert read("I have crushing ch\u200best pain").sign == "chest_pain"
    assert read("i cnt breathe").sign == "breathing"
    assert read("CHESSSST PAAAIN").sign == "chest_pain"


def test_the_rules_are_data_a_safety_officer_can_read() -> None:
    text = SIGNS_FILE.read_text(encoding="utf-8")
    assert "emergency" in text and "chest_pain" in text
    loaded = rules()
    assert {s.lang for s in loaded.signs} == {"en", "cy"}
    assert {s.category for s in loaded.signs} == {"emergency", "urgent", "distress"}


def test_every_question_and_reply_is_in_both_languages() -> None:
    content = replies.content()
    for section in ("replies", "questions", "buttons", "notes", "first_aid"):
        for key, texts in content[section].items():
            assert set(texts) == {"en", "cy"} and texts["en"] != texts["cy"], key
    for sign in {s.code for s in rules().signs if s.category == "emergency"}:
        for language in ("en", "cy"):
            message = replies.question(sign, language)
            assert message["text"].endswith("?")
            assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


def test_replies_state_the_nhs_wales_services() -> None:
    for language in ("en", "cy"):
        [emergency] = replies.alert("emergency", "chest_pain", language)
        assert "999" in emergency["text"]
        [self_harm] = replies.alert("emergency", "self_harm", language)
        assert "999" in self_harm["text"] and "116 123" in self_harm["text"]
        [urgent] = replies.alert("urgent", "worsening", language)
        assert "111" in urgent["text"] and "111.wales.nhs.uk" in urgent["text"]
        [distress] = replies.alert("distress", "distress", language)
        assert "116 123" in distress["text"]


def test_the_coach_only_mentions_a_note_it_really_made() -> None:
    [none] = replies.alert("emergency", "chest_pain", "en", "none")
    [care] = replies.alert("emergency", "chest_pain", "en", "care_team")
    [queue] = replies.alert("emergency", "chest_pain", "en", "service_team")
    assert "note" not in none["text"]
    assert "your care team" in care["text"]
    assert "your care team" not in queue["text"] and "numbers above" in queue["text"]


def test_a_hypo_alert_comes_with_first_aid() -> None:
    for language in ("en", "cy"):
        alert, first_aid = replies.alert("emergency", "hypo", language)
        assert "999" in alert["text"]
        assert "10" in first_aid["text"] and "15" in first_aid["text"] and "4" in first_aid["text"]
