"""`action_withdraw_consent` and `action_forget_me`: thin adapters over bot.store.data_rights.

"My data" needs no action: `utter_my_data` offers a button whose payload the channel turns
into the download (the web widget's GET /api/my-data, Telegram's document).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import CONSENT_SLOT, CoachAction, run_in_store
from bot.content.system import privacy_notice_version
from bot.logs import pseudonym
from bot.store.data_rights import request_erasure, withdraw_consent
from bot.store.people import CONSENT_PENDING

logger = logging.getLogger(__name__)


class ActionWithdrawConsent(CoachAction):
    """Record the withdrawal; everything else about the person is dropped.

    The `consent` slot goes back to "pending", so a later message shows the privacy notice
    again. The gateway clears the engine's history after the turn.
    """

    action_name = "action_withdraw_consent"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        version = privacy_notice_version()

        def _withdraw(session: Session) -> None:
            withdraw_consent(session, sender_id, notice_version=version)

        await run_in_store(_withdraw)
        logger.info("consent withdrawn for %s", pseudonym(sender_id))
        return [SlotSet(CONSENT_SLOT, CONSENT_PENDING)]


class ActionForgetMe(CoachAction):
    """Record a confirmed "forget me"; the gateway erases once the engine saved the turn."""

    action_name = "action_forget_me"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        await run_in_store(lambda session: request_erasure(session, sender_id))
        logger.info("erasure requested for %s", pseudonym(sender_id))
        return []
