"""action_session_start: slots restored from the store, or from the channel's metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from actions.session import ActionSessionStart
from bot.store.models import Person
from bot.store.people import record_consent, set_language

TrackerFactory = Callable[..., Tracker]


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _assert_session_shape(events: list[dict[str, Any]]) -> None:
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


@pytest.mark.parametrize(
    ("slots", "metadata", "expected_language"),
    [
        ({}, None, "en"),
        ({"session_started_metadata": {"language": "cy"}}, None, "cy"),
        ({"session_started_metadata": {"language": "cy-GB"}}, None, "cy"),
        ({}, {"language": "cy"}, "cy"),
        ({"session_started_metadata": {"language": "fr"}}, None, "en"),
        ({"session_started_metadata": {"channel": "web"}}, {"language": "en"}, "en"),
    ],
)
async def test_unknown_sender_gets_metadata_language_and_pending_consent(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    slots: dict[str, Any],
    metadata: dict[str, Any] | None,
    expected_language: str,
) -> None:
    tracker = make_tracker("new-person", slots=slots, metadata=metadata)

    events = await ActionSessionStart().run(dispatcher, tracker, {})

    _assert_session_shape(events)
    assert _slots(events) == {"language": expected_language, "consent": "pending"}
    assert dispatcher.messages == []
    with Session(store) as session:  # nothing is stored for someone who has not consented
        assert session.scalar(select(func.count()).select_from(Person)) == 0


@pytest.mark.parametrize(
    ("given", "language", "expected_consent"),
    [
        (True, "cy", "given"),
        (True, "en", "given"),
        (False, "cy", "pending"),
        (False, "en", "pending"),
    ],
)
async def test_known_sender_gets_stored_language_and_consent(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    given: bool,
    language: str,
    expected_consent: str,
) -> None:
    with Session(store) as session, session.begin():
        record_consent(session, "known", given=given, notice_version="v1")
        set_language(session, "known", language)
    # Metadata never overrides what the person chose.
    other = "en" if language == "cy" else "cy"
    tracker = make_tracker("known", slots={"session_started_metadata": {"language": other}})

    events = await ActionSessionStart().run(dispatcher, tracker, {})

    _assert_session_shape(events)
    assert _slots(events) == {"language": language, "consent": expected_consent}
    assert dispatcher.messages == []


def test_action_name() -> None:
    assert ActionSessionStart().name() == "action_session_start"
