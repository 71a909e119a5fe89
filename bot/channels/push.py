"""Messages the server pushes to people who are connected right now."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.coordination import key_for
from bot.logs import pseudonym

log = logging.getLogger(__name__)
# How often the subscription and relay try Redis again while it is away.
RETRY_SECONDS = 1.0

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
        return await self._push_here(sender_id, messages) or await self._push_channel(
            sender_id, messages
        )

    async def _push_here(self, sender_id: str, messages: list[dict[str, Any]]) -> bool:
        """Send to this process's live connections of the sender."""
        delivered = False
        for pusher in list(self._listeners.get(sender_id, ())):
            try:
                await pusher(messages)
                delivered = True
            except (ConnectionError, RuntimeError):
                log.info("push failed sender=%s", pseudonym(sender_id))
        return delivered

    async def _push_channel(self, sender_id: str, messages: list[dict[str, Any]]) -> bool:
        """Send through the sender's channel route (Telegram), if there is one."""
        for prefix, channel_pusher in self._channels.items():
            if sender_id.startswith(prefix):
                return await channel_pusher(sender_id, messages)
        return False


class SharedPushHub(PushHub):
    """A hub that also reaches people connected to another gateway replica, through Redis.

    Each gateway subscribes to one channel per sender connected to it (named by a hash of
    the sender id). A push first tries this gateway's own connections, then publishes; Redis
    says how many gateways received it. Only then does it fall back to a channel route
    (Telegram), so a message is delivered once.
    """

    def __init__(self, redis: Redis) -> None:
        super().__init__()
        self._redis = redis
        self._pubsub = redis.pubsub()
        self._channels_of: dict[bytes, str] = {}
        self._changes: asyncio.Queue[tuple[bool, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start subscribing and relaying what others publish, in the background: with Redis
        away the gateway still starts, serves its own connections, and joins in once Redis
        answers."""
        # A channel of its own keeps the subscription connection open with nobody connected.
        self._changes.put_nowait((True, f"coach:push:gateway:{secrets.token_hex(8)}"))
        self._tasks = [asyncio.create_task(self._relay()), asyncio.create_task(self._subscribe())]

    async def stop(self) -> None:
        """Stop relaying and close the subscription connection."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RedisError):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    def connect(self, sender_id: str, pusher: Pusher) -> None:
        first = sender_id not in self._listeners
        super().connect(sender_id, pusher)
        if first:
            channel = key_for("push", sender_id)
            self._channels_of[channel.encode()] = sender_id
            self._changes.put_nowait((True, channel))

    def disconnect(self, sender_id: str, pusher: Pusher) -> None:
        super().disconnect(sender_id, pusher)
        if sender_id not in self._listeners:
            channel = key_for("push", sender_id)
            self._channels_of.pop(channel.encode(), None)
            self._changes.put_nowait((False, channel))

    async def push(self, sender_id: str, messages: list[dict[str, Any]]) -> bool:
        if await self._push_here(sender_id, messages):
            return True
        try:
            receivers = await self._redis.publish(key_for("push", sender_id), json.dumps(messages))
        except RedisError:
            log.warning("redis unavailable; push reaches this gateway's connections only")
            receivers = 0
        if receivers:
            return True
        return await self._push_channel(sender_id, messages)

    async def _subscribe(self) -> None:
        """Apply (un)subscriptions one at a time, in the order people came and went; one
        that fails while Redis is away is tried again until it holds."""
        while True:
            subscribe, channel = await self._changes.get()
            warned = False
            while True:
                try:
                    if subscribe:
                        await self._pubsub.subscribe(channel)
                    else:
                        await self._pubsub.unsubscribe(channel)
                    break
                except RedisError:
                    if not warned:
                        log.warning("redis unavailable; push subscription waiting")
                        warned = True
                    await asyncio.sleep(RETRY_SECONDS)

    async def _relay(self) -> None:
        while True:
            if self._pubsub.connection is None:  # not subscribed yet: Redis was away
                await asyncio.sleep(RETRY_SECONDS)
                continue
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except RedisError:
                log.warning("redis unavailable; push relay waiting")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if message is None:
                continue
            sender_id = self._channels_of.get(message["channel"])
            if sender_id is not None:
                await self._push_here(sender_id, json.loads(message["data"]))
