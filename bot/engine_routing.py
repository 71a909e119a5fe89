"""Several engine replicas behind one gateway: each conversation stays on one engine.

Rasa 3.6's Redis lock store is a non-atomic get-modify-set (rasa#9213), so two engines must
never work on one conversation at once. The gateway already holds each sender's turns to one
at a time (`bot.coordination`); this router sends every turn of a sender to the same engine,
chosen by rendezvous hashing of the sender id over the engines' addresses. Adding or losing an
engine moves only the conversations that were on it.

When the chosen engine is unreachable (nothing listening: the turn never reached it), the turn
goes to the next engine in that sender's order, and the engine is skipped for a few seconds.
A timeout or a server error is not retried elsewhere: the first engine may have taken the turn,
so the message is kept and redelivered instead.

An engine killed mid-turn leaves that conversation's ticket in the shared Redis lock store,
and Rasa would make the next engine wait out its 60 s lifetime. A turn that goes to any engine
but the sender's own first releases that lock (`release_stale_lock`): the engine that held it
is not listening, and the gateway runs one turn per sender at a time, so nobody else holds it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.endpoints import RASA_LOCK_KEY_PREFIX
from bot.engine_client import BotMessage, EngineClient, EngineUnreachable
from bot.logs import pseudonym

log = logging.getLogger(__name__)

SKIP_SECONDS = 5.0

LockRelease = Callable[[str], Awaitable[None]]


def release_stale_lock(redis: Redis) -> LockRelease:
    """Deletes a sender's conversation lock in the engines' Redis lock store."""

    async def release(sender_id: str) -> None:
        try:
            await redis.delete(RASA_LOCK_KEY_PREFIX + sender_id)
        except RedisError:
            log.warning("stale engine lock not released sender=%s", pseudonym(sender_id))

    return release


def rendezvous_order(sender_id: str, addresses: Sequence[str]) -> list[int]:
    """Indexes of `addresses` in this sender's order of preference (highest hash first)."""

    def weight(index: int) -> bytes:
        return hashlib.sha256(f"{addresses[index]}|{sender_id}".encode()).digest()

    return sorted(range(len(addresses)), key=weight, reverse=True)


class EngineRouter:
    """Sends a sender's turns to their engine, or to the next one when it is unreachable."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_urls: Sequence[str],
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        release: LockRelease | None = None,
    ) -> None:
        if not base_urls:
            raise ValueError("at least one engine address is needed")
        self.engines = [EngineClient(http, url, timeout) for url in base_urls]
        self._urls = list(base_urls)
        self._clock = clock
        self._skip_until = [0.0] * len(self.engines)
        self._release = release

    def engine_for(self, sender_id: str) -> EngineClient:
        """The engine this sender's turns go to while every engine is up."""
        return self.engines[rendezvous_order(sender_id, self._urls)[0]]

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        order = rendezvous_order(sender_id, self._urls)
        own = order[0]
        now = self._clock()
        # Engines skipped recently go last, not away: if all are skipped, still try them.
        order.sort(key=lambda i: self._skip_until[i] > now)
        last: EngineUnreachable | None = None
        for index in order:
            try:
                if index != own and self._release is not None:
                    await self._release(sender_id)  # its own engine is away: see above
                return await self.engines[index].send(sender_id, text, metadata)
            except EngineUnreachable as exc:
                self._skip_until[index] = self._clock() + SKIP_SECONDS
                log.warning(
                    "engine %d unreachable; trying the next sender=%s", index, pseudonym(sender_id)
                )
                last = exc
        assert last is not None
        raise last

    async def ready(self) -> bool:
        """Ready while at least one engine is: conversations move to the ones that are up."""
        for engine in self.engines:
            if await engine.ready():
                return True
        return False
