"""`action_switch_language`: change and remember the conversation language."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    LANGUAGE_SLOT,
    CoachAction,
    normalise_language,
    run_in_store,
    tracker_language,
)
from bot.logs import pseudonym
from bot.store.people import set_language

logger = logging.getLogger(__name__)


def requested_language(tracker: Tracker) -> str:
    """The language asked for: the `language` entity, else the other of en/cy."""
    for value in tracker.get_latest_entity_values(LANGUAGE_SLOT):
        language = normalise_language(value)
        if language is not None:
            return language
    current = tracker_language(tracker)
    return "cy" if current == "en" else "en"


class ActionSwitchLanguage(CoachAction):
    """Persist the chosen language and set the `language` slot.

    The confirmation (`utter_language_switched`) follows in the next rule step, so
    it is already rendered in the new language.
    """

    action_name = "action_switch_language"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        language = requested_language(tracker)
        await run_in_store(lambda session: set_language(session, sender_id, language))
        logger.info("language set to %s for %s", language, pseudonym(sender_id))
        return [SlotSet(LANGUAGE_SLOT, language)]
