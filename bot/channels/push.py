"""Messages the server pushes to people who are connected right now."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.logs import pseudonym

log = logging.getLogger(__name__)

Pusher = Callable[[list[dict[str, Any]]], Awaitable[None]]
# A channel that can always reach its senders (Telegram): True when the messages went out.
ChannelPusher = Callable[[str, list[dict[str, Any]]], Awaitable[bool]]


class PushHub:
    """Who is connected, and a way to reach them; one hub per gateway process."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Pusher]] = defaultdict(set)
        self._channels: dict[str, ChannelPusher] = {}

    def route(self, sender_prefix: str, pusher: ChannelPusher) -> None:
        """Reach every sender whose id starts with `sender_prefix` through their channel."""
        self._channels[sender_prefix] = pusher

    def unroute(self, sender_prefix: str) -> None:
        """The channel has stopped."""
        self._channels.pop(sender_prefix, None)

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
        if not delivered:
            for prefix, channel_pusher in self._channels.items():
                if sender_id.startswith(prefix):
                    return await channel_pusher(sender_id, messages)
        return delivered
