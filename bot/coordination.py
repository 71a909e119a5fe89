"""What gateway replicas share, so that any number of them behave as one.

- **One turn at a time per sender** (`SenderGate`): a kept message always reaches the engine
  before a newer one, and a conversation is never in two engines at once.
- **Replayed message ids** (`ReplayMemory`): the same `id` twice gets the first answer again,
  whichever gateway the retry lands on.
- **Spent WebSocket tickets** (`TicketBook`): a widget's one-minute socket ticket opens one
  socket, whichever gateway it is shown to.

Both live in this process's memory by default, and in Redis when `REDIS_URL` is set. Redis
keys carry a hash of the sender id, never the id itself. If Redis stops answering, a gateway
falls back to its own memory (and logs that) rather than refusing turns: the engine keeps
the conversation's order through its own lock store, and Redis coming back restores the
shared view.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.engine_client import BotMessage

log = logging.getLogger(__name__)

REPLAY_MEMORY = 32  # answers remembered per sender in memory
REPLAY_SECONDS = 600  # how long Redis remembers an answer
# A turn lock outlives a crashed gateway by at most this (renewed every third of it while the
# turn runs): the person's retry after a gateway died waits no longer than that.
TURN_LEASE_MS = 10_000
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def key_for(kind: str, sender_id: str) -> str:
    """A Redis key for one sender that does not contain the sender id."""
    return f"coach:{kind}:{hashlib.sha256(sender_id.encode()).hexdigest()[:32]}"


class SenderGate(Protocol):
    """Holds one sender's turns to one at a time."""

    def hold(self, sender_id: str) -> AbstractAsyncContextManager[None]: ...


class ReplayMemory(Protocol):
    """The answers already given to message ids a client may send again."""

    async def recall(self, sender_id: str, message_id: str) -> list[BotMessage] | None: ...

    async def remember(
        self, sender_id: str, message_id: str, replies: list[BotMessage]
    ) -> None: ...

    async def forget(self, sender_id: str) -> None: ...


class LocalGate:
    """One asyncio lock per sender, in this process."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def hold(self, sender_id: str) -> AsyncIterator[None]:
        lock = self._locks[sender_id]
        async with lock:
            yield


class LocalReplay:
    """The last `REPLAY_MEMORY` answers per sender, in this process."""

    def __init__(self) -> None:
        self._answered: defaultdict[str, OrderedDict[str, list[BotMessage]]] = defaultdict(
            OrderedDict
        )

    async def recall(self, sender_id: str, message_id: str) -> list[BotMessage] | None:
        answered = self._answered.get(sender_id)
        return None if answered is None else answered.get(message_id)

    async def remember(self, sender_id: str, message_id: str, replies: list[BotMessage]) -> None:
        answered = self._answered[sender_id]
        answered[message_id] = replies
        while len(answered) > REPLAY_MEMORY:
            answered.popitem(last=False)

    async def forget(self, sender_id: str) -> None:
        self._answered.pop(sender_id, None)


class RedisGate:
    """A lease in Redis (SET NX PX with a random token), renewed while the turn runs.

    A local lock first, so waiters in this process queue in order instead of polling Redis.
    """

    def __init__(self, redis: Redis, lease_ms: int = TURN_LEASE_MS) -> None:
        self._redis = redis
        self._lease_ms = lease_ms
        self._local = LocalGate()

    @asynccontextmanager
    async def hold(self, sender_id: str) -> AsyncIterator[None]:
        async with self._local.hold(sender_id):
            key, token = key_for("turn", sender_id), secrets.token_hex(16)
            if not await self._acquire(key, token):
                yield  # Redis is away: this process's lock alone
                return
            renewing = asyncio.create_task(self._renew(key, token))
            try:
                yield
            finally:
                renewing.cancel()
                try:
                    await self._redis.eval(_RELEASE, 1, key, token)
                except RedisError:
                    log.warning("turn lock release failed; it expires on its own")

    async def _acquire(self, key: str, token: str) -> bool:
        delay = 0.005
        try:
            while not await self._redis.set(key, token, nx=True, px=self._lease_ms):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.1)
        except RedisError:
            log.warning("redis unavailable; turn lock held in this process only")
            return False
        return True

    async def _renew(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                await self._redis.eval(_EXTEND, 1, key, token, self._lease_ms)
            except RedisError:
                log.warning("turn lock renewal failed")


class RedisReplay:
    """Answers in a Redis hash per sender, kept for `REPLAY_SECONDS`."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._fallback = LocalReplay()

    async def recall(self, sender_id: str, message_id: str) -> list[BotMessage] | None:
        try:
            raw = await self._redis.hget(key_for("replay", sender_id), message_id)
        except RedisError:
            return await self._fallback.recall(sender_id, message_id)
        return None if raw is None else cast(list[BotMessage], json.loads(raw))

    async def remember(self, sender_id: str, message_id: str, replies: list[BotMessage]) -> None:
        key = key_for("replay", sender_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, message_id, json.dumps(replies))
                pipe.expire(key, REPLAY_SECONDS)
                await pipe.execute()
        except RedisError:
            await self._fallback.remember(sender_id, message_id, replies)

    async def forget(self, sender_id: str) -> None:
        await self._fallback.forget(sender_id)
        try:
            await self._redis.delete(key_for("replay", sender_id))
        except RedisError:
            log.warning("replay memory not cleared in redis; it expires on its own")


class TicketBook(Protocol):
    """Which single-use tickets have been spent."""

    async def spend(self, nonce: str, ttl_seconds: int) -> bool:
        """True the first time `nonce` is spent (within `ttl_seconds`), False after."""
        ...


class LocalTickets:
    """Spent tickets in this process's memory, forgotten once they could no longer be used."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._spent: dict[str, float] = {}

    async def spend(self, nonce: str, ttl_seconds: int) -> bool:
        now = self._clock()
        for old in [n for n, until in self._spent.items() if until <= now]:
            del self._spent[old]
        if nonce in self._spent:
            return False
        self._spent[nonce] = now + ttl_seconds
        return True


class RedisTickets:
    """Spent tickets as Redis keys that expire with the ticket (SET NX: one spender wins)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._fallback = LocalTickets()

    async def spend(self, nonce: str, ttl_seconds: int) -> bool:
        key = key_for("ticket", nonce)
        try:
            return bool(await self._redis.set(key, b"1", nx=True, ex=ttl_seconds))
        except RedisError:
            log.warning("redis unavailable; socket tickets are checked by this gateway only")
            return await self._fallback.spend(nonce, ttl_seconds)


def ticket_book(redis: Redis | None) -> TicketBook:
    """Where this gateway records spent socket tickets: Redis when given, else memory."""
    return LocalTickets() if redis is None else RedisTickets(redis)


def connect(redis_url: str) -> Redis:
    """A Redis client that fails fast, so a stopped Redis costs a turn milliseconds."""
    return Redis.from_url(
        redis_url,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=10,
        decode_responses=False,
    )


def shared_state(redis: Redis | None) -> tuple[SenderGate, ReplayMemory]:
    """The gate and replay memory for this gateway: Redis when given, else in memory."""
    if redis is None:
        return LocalGate(), LocalReplay()
    return RedisGate(redis), RedisReplay(redis)
