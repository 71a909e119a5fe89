"""action_switch_language: the chosen language is stored and set in the slot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from actions.base import normalise_language
from actions.language import ActionSwitchLanguage
from bot.store.models import Person
from bot.store.people import set_language

TrackerFactory = Callable[..., Tracker]


def _entity(value: str) -> list[dict[str, Any]]:
    return [{"entity": "language", "value": value, "start": 0, "end": len(value)}]


@pytest.mark.parametrize(
    ("text", "entities", "current", "expected"),
    [
        # button payloads /switch_language{"language":"cy"} and {"language":"en"}
        ("/switch_language", _entity("cy"), "en", "cy"),
        ("/switch_language", _entity("en"), "cy", "en"),
        # typed requests whose entity the synonym mapper did not normalise
        ("Cymraeg plis", _entity("Cymraeg"), "en", "cy"),
        ("yn Gymraeg plis", _entity("Gymraeg"), "en", "cy"),
        ("Saesneg os gwelwch yn dda", _entity("Saesneg"), "cy", "en"),
        ("English please", _entity("English"), "cy", "en"),
        # the same language again is confirmed, not toggled
        ("Welsh", _entity("Welsh"), "cy", "cy"),
        # no (or an unknown) language named: switch to the other one
        ("change language", [], "en", "cy"),
        ("newid iaith", [], "cy", "en"),
        ("French please", _entity("French"), "en", "cy"),
    ],
)
async def test_language_is_stored_and_set(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    text: str,
    entities: list[dict[str, Any]],
    current: str,
    expected: str,
) -> None:
    tracker = make_tracker(
        "person-2",
        intent="switch_language",
        text=text,
        entities=entities,
        slots={"language": current},
    )

    events = await ActionSwitchLanguage().run(dispatcher, tracker, {})

    assert events == [{"event": "slot", "timestamp": None, "name": "language", "value": expected}]
    assert dispatcher.messages == []
    with Session(store) as session:
        person = session.scalars(select(Person)).one()
        assert (person.sender_id, person.language) == ("person-2", expected)


async def test_switch_updates_an_existing_person(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    with Session(store) as session, session.begin():
        set_language(session, "known", "cy")
    tracker = make_tracker("known", intent="switch_language", entities=_entity("en"))

    await ActionSwitchLanguage().run(dispatcher, tracker, {})

    with Session(store) as session:
        assert session.scalars(select(Person.language)).all() == ["en"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cy", "cy"),
        ("CY", "cy"),
        ("cy-GB", "cy"),
        ("en_GB", "en"),
        ("Cymraeg", "cy"),
        ("gymraeg", "cy"),
        (" Welsh ", "cy"),
        ("Saesneg", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_normalise_language(value: object, expected: str | None) -> None:
    assert normalise_language(value) == expected
