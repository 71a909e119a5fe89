"""Rate limits behind a small interface: in memory now, Redis when the gateway scales out.

`SlidingWindowLimiter` keeps, per key, the times of the recent events inside the window; a
key over its limit is refused until old events fall out of the window. Keys are sender ids
or client addresses, held in memory only, never logged.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

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


def _limit_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def message_limiter() -> RateLimiter:
    """Per-sender messages a minute (`MESSAGE_RATE_LIMIT`, default 30)."""
    return SlidingWindowLimiter(_limit_from_env("MESSAGE_RATE_LIMIT", MESSAGES_PER_MINUTE))


def session_limiter() -> RateLimiter:
    """Per-address new web sessions a minute (`SESSION_RATE_LIMIT`, default 20)."""
    return SlidingWindowLimiter(_limit_from_env("SESSION_RATE_LIMIT", SESSIONS_PER_MINUTE))
