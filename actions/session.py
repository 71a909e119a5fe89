"""`action_session_start`: begin each session with the person's language and consent."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CONSENT_SLOT,
    DEFAULT_LANGUAGE,
    LANGUAGE_SLOT,
    CoachAction,
    normalise_language,
    run_in_store,
)
from bot.logs import pseudonym
from bot.store.people import CONSENT_GIVEN, CONSENT_PENDING, Profile, load_profile

logger = logging.getLogger(__name__)

SESSION_METADATA_SLOT = "session_started_metadata"


def metadata_language(tracker: Tracker) -> str | None:
    """The `language` the channel sent with the message that opened the session, if any.

    Rasa puts that message's metadata in the `session_started_metadata` slot before
    it runs this action; the latest message's own metadata is the second place looked.
    """
    for metadata in (
        tracker.get_slot(SESSION_METADATA_SLOT),
        (tracker.latest_message or {}).get("metadata"),
    ):
        if isinstance(metadata, dict):
            language = normalise_language(metadata.get("language"))
            if language is not None:
                return language
    return None


class ActionSessionStart(CoachAction):
    """The standard session start, with the slots restored from the store, not the tracker.

    Consent is "given" only if the store says so; anything else (unknown, refused)
    starts "pending", so the privacy notice is offered again.
    """

    action_name = "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        profile: Profile | None = await run_in_store(
            lambda session: load_profile(session, sender_id)
        )
        if profile is None:
            language = metadata_language(tracker) or DEFAULT_LANGUAGE
            consent = CONSENT_PENDING
        else:
            language = normalise_language(profile.language) or DEFAULT_LANGUAGE
            consent = CONSENT_GIVEN if profile.consent == CONSENT_GIVEN else CONSENT_PENDING
        logger.info(
            "session started for %s (known=%s, consent=%s, language=%s)",
            pseudonym(sender_id),
            profile is not None,
            consent,
            language,
        )
        return [
            SessionStarted(),
            SlotSet(LANGUAGE_SLOT, language),
            SlotSet(CONSENT_SLOT, consent),
            ActionExecuted("action_listen"),
        ]

    def failure_events(self, tracker: Tracker) -> list[dict[str, Any]]:
        """The store could not be read: start the session anyway, keeping the language and
        consent the conversation already had (consent stays "pending" unless it was given)."""
        language = normalise_language(tracker.get_slot(LANGUAGE_SLOT))
        consent = tracker.get_slot(CONSENT_SLOT)
        return [
            SessionStarted(),
            SlotSet(LANGUAGE_SLOT, language or metadata_language(tracker) or DEFAULT_LANGUAGE),
            SlotSet(CONSENT_SLOT, CONSENT_GIVEN if consent == CONSENT_GIVEN else CONSENT_PENDING),
            ActionExecuted("action_listen"),
        ]
