"""Rate limits behind a small interface: in memory, or in Redis when gateways scale out.

`SlidingWindowLimiter` keeps, per key, the times of the recent events inside the window; a
key over its limit is refused until old events fall out of the window. Keys are sender ids
or client addresses, never logged. `RedisWindowLimiter` does the same in one sorted set per
key (named by a hash of the key), atomically in a Lua script, so every gateway replica
counts against one limit; while Redis is unreachable it counts in this gateway's memory.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.coordination import key_for

log = logging.getLogger(__name__)

MESSAGES_PER_MINUTE = 30
SESSIONS_PER_MINUTE = 20


class RateLimiter(Protocol):
    """Whether one more event for `key` is allowed now (and count it if so)."""

    async def allow(self, key: str) -> bool: ...

    async def forget(self, key: str) -> None: ...


class SlidingWindowLimiter:
    """At most `limit` events per `window` seconds per key, in this process's memory."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    async def allow(self, key: str) -> bool:
        now = self._clock()
        self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    async def forget(self, key: str) -> None:
        self._events.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Drop idle keys now and then, so memory stays bounded by recent activity."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
            del self._events[key]


_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return 1
"""


class RedisWindowLimiter:
    """At most `limit` events per `window` seconds per key, shared by every gateway.

    If Redis stops answering, the same limit is counted in this gateway's memory instead
    (logged once when it starts and once when Redis is back, naming only the limit): a
    stopped Redis must neither lift the guard against floods nor turn a patient away.
    """

    def __init__(
        self,
        redis: Redis,
        name: str,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._name = name
        self.limit = limit
        self.window = window
        self._clock = clock
        self._fallback = SlidingWindowLimiter(limit, window)
        self._in_memory = False

    async def allow(self, key: str) -> bool:
        member = f"{self._clock():.6f}-{secrets.token_hex(4)}"
        try:
            allowed = await self._redis.eval(
                _WINDOW,
                1,
                key_for(f"rate:{self._name}", key),
                self._clock(),
                self.window,
                self.limit,
                member,
            )
        except RedisError:
            if not self._in_memory:
                self._in_memory = True
                log.warning(
                    "redis unavailable; %s rate limit counted in this gateway's memory",
                    self._name,
                )
            return await self._fallback.allow(key)
        if self._in_memory:
            self._in_memory = False
            log.info("redis back; %s rate limit shared again", self._name)
        return bool(allowed)

    async def forget(self, key: str) -> None:
        await self._fallback.forget(key)
        try:
            await self._redis.delete(key_for(f"rate:{self._name}", key))
        except RedisError:
            if not self._in_memory:
                log.warning("redis unavailable; %s rate limit not cleared there", self._name)


def _limit_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def message_limiter(redis: Redis | None = None) -> RateLimiter:
    """Per-sender messages a minute (`MESSAGE_RATE_LIMIT`, default 30)."""
    limit = _limit_from_env("MESSAGE_RATE_LIMIT", MESSAGES_PER_MINUTE)
    return SlidingWindowLimiter(limit) if redis is None else RedisWindowLimiter(redis, "msg", limit)


def session_limiter(redis: Redis | None = None) -> RateLimiter:
    """Per-address new web sessions a minute (`SESSION_RATE_LIMIT`, default 20)."""
    limit = _limit_from_env("SESSION_RATE_LIMIT", SESSIONS_PER_MINUTE)
    if redis is None:
        return SlidingWindowLimiter(limit)
    return RedisWindowLimiter(redis, "session", limit)
