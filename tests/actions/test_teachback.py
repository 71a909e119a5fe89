"""The teach-back actions: starting by entity or words, the menu, and answers in the form."""

from __future__ import annotations

from typing import Any

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
