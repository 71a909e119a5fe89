"""Messages the server pushes to people who are connected right now."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.logs import pseudonym

log = logging.getLogger(__name__)

Pusher = Callable[[list[dict[str, Any]]], Awaitable[None]]


class PushHub:
    """Who is connected, and a way to reach them; one hub per gateway process."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Pusher]] = defaultdict(set)

    def connect(self, sender_id: str, pusher: Pusher) -> None:
        """Register a live connection for a sender."""
        self._listeners[sender_id].add(pusher)

    def disconnect(self, sender_id: str, pusher: Pusher) -> None:
        """Forget a connection that has closed."""
        listeners = self._listeners.get(sender_id)
        if listeners is not None:
            listeners.discard(pusher)
            if not listeners:
                del self._listeners[sender_id]

    async def push(self, sender_id: str, messages: list[dict[str, Any]]) -> bool:
        """Send to every live connection of the sender; False when nobody received it."""
        delivered = False
        for pusher in list(self._listeners.get(sender_id, ())):
            try:
                await pusher(messages)
                delivered = True
            except (ConnectionError, RuntimeError):
                log.info("push failed sender=%s", pseudonym(sender_id))
        return delivered
