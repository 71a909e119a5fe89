"""The teach-back actions: starting by entity or words, the menu, and answers in the form."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.teachback import (
    ActionAskTeachbackAnswer,
    ActionTeachbackStart,
    ValidateTeachbackForm,
)
from bot.content.teachback import Module, find_module, load_dialogue
from tests.actions.conftest import TrackerFactory


def _inhaler() -> Module:
    module = find_module("inhaler")
    assert module is not None
    return module


INHALER = _inhaler()
GOOD_FIRST = "shake it, then breathe out fully before I put it in my mouth"
GOOD_SECOND = (
    "lips round it, breathe in slowly and press at the same time, hold my breath for ten seconds"
)


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


async def start(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, **kwargs: Any
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = await ActionTeachbackStart().run(
        dispatcher, make_tracker(**kwargs), {}
    )
    return events


async def test_start_by_entity_introduces_the_module(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    events = await start(
        dispatcher,
        make_tracker,
        intent="start_teach_back",
        entities=[{"entity": "teachback_module", "value": "inhaler"}],
    )
    assert SlotSet("teachback_active", True) in events
    assert SlotSet("teachback_module", "inhaler") in events
    said = texts(dispatcher)
    assert said[:2] == [INHALER.title.en, INHALER.review_notice.en]
    assert load_dialogue().say("intro", "en") in said


async def test_start_by_words_in_welsh(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    events = await start(
        dispatcher,
        make_tracker,
        intent="start_teach_back",
        text="dysgwch fi am fy anadlydd",
        slots={"language": "cy"},
    )
    assert SlotSet("teachback_active", True) in events
    assert texts(dispatcher)[0] == INHALER.title.cy


async def test_no_module_named_lets_the_rule_offer_the_menu(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    events = await start(
        dispatcher, make_tracker, intent="start_teach_back", text="/start_teach_back"
    )
    assert SlotSet("teachback_active", False) in events
    assert dispatcher.messages == []


async def test_form_asks_grades_and_moves_on(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    await start(
        dispatcher,
        make_tracker,
        intent="start_teach_back",
        entities=[{"entity": "teachback_module", "value": "inhaler"}],
    )
    dialogue = load_dialogue()
    validator = ValidateTeachbackForm()
    consent = CollectingDispatcher()  # once, before the first answer: may we keep your words?
    await ActionAskTeachbackAnswer().run(consent, make_tracker(), {})
    assert texts(consent) == [dialogue.say("keep_text_question", "en")]
    buttons = consent.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert [b["title"] for b in buttons] == [
        dialogue.say("keep_text_yes", "en"),
        dialogue.say("keep_text_no", "en"),
    ]
    declined = CollectingDispatcher()
    result = await validator.validate_teachback_answer("/deny", declined, make_tracker(), {})
    assert result == {"teachback_answer": None}
    assert texts(declined) == [dialogue.say("keep_text_saved_no", "en")]

    asked = CollectingDispatcher()
    await ActionAskTeachbackAnswer().run(asked, make_tracker(), {})
    assert texts(asked) == [INHALER.chunks[0].text.en, INHALER.chunks[0].ask.en]

    welsh = CollectingDispatcher()
    result = await validator.validate_teachback_answer("Cymraeg", welsh, make_tracker(), {})
    assert result == {"teachback_answer": None, "language": "cy"}
    assert texts(welsh) == [dialogue.say("language_switched", "cy")]
    english = CollectingDispatcher()
    result = await validator.validate_teachback_answer("English", english, make_tracker(), {})
    assert result == {"teachback_answer": None, "language": "en"}

    acknowledged = CollectingDispatcher()
    result = await validator.validate_teachback_answer("yes", acknowledged, make_tracker(), {})
    assert result == {"teachback_answer": None}
    assert texts(acknowledged) == [load_dialogue().say("own_words", "en")]

    answered = CollectingDispatcher()
    result = await validator.validate_teachback_answer(
        "shake it, then breathe out fully before I put it in my mouth",
        answered,
        make_tracker(),
        {},
    )
    assert result == {"teachback_answer": None}
    assert texts(answered) == [load_dialogue().say("praise", "en", 1)]

    stopped = CollectingDispatcher()
    result = await validator.validate_teachback_answer("stop", stopped, make_tracker(), {})
    assert result == {"teachback_answer": "paused", "teachback_active": False}
    assert texts(stopped) == [load_dialogue().say("paused", "en")]


async def _in_module(
    make_tracker: TrackerFactory, language: str = "en"
) -> tuple[ValidateTeachbackForm, Any]:
    """The inhaler started, their words not kept: ready for the first answer."""
    await start(
        CollectingDispatcher(),
        make_tracker,
        intent="start_teach_back",
        entities=[{"entity": "teachback_module", "value": "inhaler"}],
        slots={"language": language},
    )
    validator = ValidateTeachbackForm()
    tracker = make_tracker(slots={"language": language})
    await validator.validate_teachback_answer("/deny", CollectingDispatcher(), tracker, {})
    return validator, tracker


async def _answer(validator: ValidateTeachbackForm, tracker: Any, said: str) -> list[str]:
    replied = CollectingDispatcher()
    await validator.validate_teachback_answer(said, replied, tracker, {})
    return texts(replied)


async def _asked(make_tracker: TrackerFactory, language: str = "en") -> list[str]:
    asked = CollectingDispatcher()
    await ActionAskTeachbackAnswer().run(asked, make_tracker(slots={"language": language}), {})
    return texts(asked)


def _thanks(said: list[str]) -> bool:
    return any("thank" in t.lower() or "diolch" in t.lower() for t in said)


@pytest.mark.parametrize(("language", "dunno"), [("en", "dunno"), ("cy", "dim syniad")])
async def test_dunno_gets_the_re_explanation_without_thanks(
    store: Engine, make_tracker: TrackerFactory, language: str, dunno: str
) -> None:
    validator, tracker = await _in_module(make_tracker, language)
    said = await _answer(validator, tracker, dunno)
    assert said == [load_dialogue().say("not_sure", language)]
    assert not _thanks(said)
    again = await _asked(make_tracker, language)
    assert INHALER.chunks[0].key_points[0].re_explain.in_language(language) in again


async def test_an_unsafe_answer_is_not_thanked_and_hears_what_is_right(
    store: Engine, make_tracker: TrackerFactory
) -> None:
    validator, tracker = await _in_module(make_tracker)
    await _answer(validator, tracker, GOOD_FIRST)
    await _answer(validator, tracker, GOOD_SECOND)
    said = await _answer(
        validator, tracker, "just do the second puff straight away, no need to rinse"
    )
    assert said == [load_dialogue().say("correct_kindly", "en")]
    assert not _thanks(said)
    rinse = INHALER.chunks[2].key_points[1]
    assert rinse.re_explain.en in await _asked(make_tracker)  # what is right, kindly


async def test_an_unsure_point_gets_its_follow_up_question(
    store: Engine, make_tracker: TrackerFactory
) -> None:
    validator, tracker = await _in_module(make_tracker)
    await _answer(validator, tracker, GOOD_FIRST)
    await _answer(validator, tracker, GOOD_SECOND)
    said = await _answer(validator, tracker, "wait half a minute between puffs and rinse")
    assert said == [load_dialogue().say("probe_intro", "en")]
    rinse = INHALER.chunks[2].key_points[1]
    assert rinse.probe is not None
    assert await _asked(make_tracker) == [rinse.probe.en]


async def test_a_correct_last_answer_is_praised_and_the_summary_is_what_they_said(
    store: Engine, make_tracker: TrackerFactory
) -> None:
    validator, tracker = await _in_module(make_tracker)
    await _answer(validator, tracker, GOOD_FIRST)
    await _answer(validator, tracker, GOOD_SECOND)
    said = await _answer(
        validator, tracker, "wait 30 seconds and rinse my mouth with water afterwards"
    )
    dialogue = load_dialogue()
    assert said[0] == dialogue.say("praise", "en", 2)
    assert dialogue.say("move_on_last", "en") not in said
    assert dialogue.say("summary", "en") in said
    listed = said[-1]
    assert all(p.text.en in listed for c in INHALER.chunks for p in c.key_points)


async def test_the_review_notice_is_shown_only_for_a_module_without_sign_off(
    store: Engine, make_tracker: TrackerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = dataclasses.replace(
        INHALER, reviewed_by="Dr A. Clinician", reviewed_on=dt.date(2026, 11, 30)
    )
    monkeypatch.setattr("actions.teachback.find_module", lambda name: signed)
    dispatcher = CollectingDispatcher()
    await start(dispatcher, make_tracker, intent="start_teach_back", text="my inhaler")
    assert INHALER.review_notice.en not in texts(dispatcher)
    assert load_dialogue().say("intro", "en") in texts(dispatcher)


async def test_a_deployment_requiring_sign_off_refuses_an_unsigned_module(
    store: Engine, make_tracker: TrackerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEACHBACK_REQUIRE_SIGNOFF", "1")
    dispatcher = CollectingDispatcher()
    events = await start(dispatcher, make_tracker, intent="start_teach_back", text="my inhaler")
    assert SlotSet("teachback_active", False) in events
    assert texts(dispatcher) == [load_dialogue().say("not_signed_off", "en")]
