"""`action_record_consent`: keep the answer to the privacy notice."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import (
    CONSENT_SLOT,
    CoachAction,
    run_in_store,
    tracker_language,
)
from bot.content.system import privacy_notice_version
from bot.logs import pseudonym
from bot.store.people import CONSENT_GIVEN, CONSENT_PENDING, record_consent, set_language

logger = logging.getLogger(__name__)

# The intents that answer the notice's yes/no question (its buttons send /affirm, /deny).
ANSWERS = {"affirm": True, "deny": False}


class ActionRecordConsent(CoachAction):
    """Record consent given or refused for the notice's current version.

    A refusal leaves the `consent` slot "pending": the coach goes no further, and a
    later message shows the notice again. The conversation language is kept with
    the decision, so the notice comes back in that language next time.
    """

    action_name = "action_record_consent"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        given = ANSWERS.get(intent) if isinstance(intent, str) else None
        if given is None:
            logger.warning("consent not recorded for %s: no yes/no answer", pseudonym(sender_id))
            return []
        version = privacy_notice_version()
        language = tracker_language(tracker)

        def _record(session: Session) -> None:
            record_consent(session, sender_id, given=given, notice_version=version)
            set_language(session, sender_id, language)

        await run_in_store(_record)
        logger.info(
            "consent %s recorded for %s (notice %s)",
            "given" if given else "refused",
            pseudonym(sender_id),
            version,
        )
        return [SlotSet(CONSENT_SLOT, CONSENT_GIVEN if given else CONSENT_PENDING)]
