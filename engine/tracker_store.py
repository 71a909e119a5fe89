"""The engine's tracker store: Rasa's SQL tracker store that waits out a database restart.

Loaded by the Rasa engine (its own venv) from the endpoints file that `bot.endpoints` writes,
as `type: engine.tracker_store.WaitingSQLTrackerStore`. Rasa wraps every tracker store in a
fail-safe one that, when the database errs, keeps the conversation in the engine's memory
instead: a turn during a PostgreSQL restart would then start the conversation afresh and its
events would never reach the database. This store tries again for about twenty seconds
(the turn waits, holding the conversation's lock), so a restart costs the person a pause,
and a longer outage fails the turn, which the gateway then keeps and delivers again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_DELAYS = (0.2, 0.5, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0)


async def _waiting(call: Callable[[], Awaitable[T]]) -> T:
    for delay in (*RETRY_DELAYS, None):
        try:
            return await call()
        except (OperationalError, InterfaceError):
            if delay is None:
                raise
            log.warning("tracker store unavailable; trying again in %.1f s", delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class WaitingSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """`SQLTrackerStore` whose reads and writes wait while the database restarts."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        parent = super().retrieve
        return await _waiting(lambda: parent(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        parent = super().retrieve_full_tracker
        return await _waiting(lambda: parent(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Safe to repeat: Rasa stores only the events the database does not hold yet.
        parent = super().save
        await _waiting(lambda: parent(tracker))

    async def keys(self) -> Iterable[str]:
        parent = super().keys
        result: Iterable[str] = await _waiting(parent)
        return result


__all__ = ["WaitingSQLTrackerStore"]
