"""What gateway replicas share through a real Redis: turn locks, replays, rate limits, pushes.

Each test builds two of a thing on one Redis, as two gateway processes would, and checks that
they behave as one. Where Redis is away, a turn still gets an answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.channels.push import SharedPushHub
from bot.coordination import RedisGate, RedisReplay, connect, key_for
from bot.engine_client import BotMessage
from bot.ratelimit import RedisWindowLimiter
from bot.stack import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
async def other_redis(redis_url: str) -> AsyncIterator[Redis]:
    """A second connection, as another gateway process would have."""
    client = connect(redis_url)
    yield client
    await client.aclose()


def unreachable_redis() -> Redis:
    return connect(f"redis://127.0.0.1:{free_port()}/0")


async def test_two_gateways_never_run_one_senders_turns_at_once(
    redis: Redis, other_redis: Redis
) -> None:
    gates = [RedisGate(redis), RedisGate(other_redis)]
    inside: list[str] = []
    overlaps = 0

    async def turn(gate: RedisGate, name: str) -> None:
        nonlocal overlaps
        async with gate.hold("sender-shared"):
            inside.append(name)
            if len(inside) > 1:
                overlaps += 1
            await asyncio.sleep(0.01)
            inside.remove(name)

    await asyncio.gather(*(turn(gates[i % 2], f"t{i}") for i in range(20)))
    assert overlaps == 0
    # Different people are not held up by each other.
    async with gates[0].hold("sender-a"), gates[1].hold("sender-b"):
        pass


async def test_a_crashed_gateways_lock_expires(redis: Redis, other_redis: Redis) -> None:
    key = key_for("turn", "sender-crash")
    await redis.set(key, "a-gateway-that-died", px=300)  # its lease, never released
    async with RedisGate(other_redis).hold("sender-crash"):
        assert await other_redis.get(key) != b"a-gateway-that-died"
    assert await other_redis.get(key) is None  # released on the way out


async def test_redis_away_still_gives_the_turn() -> None:
    away = unreachable_redis()
    async with RedisGate(away).hold("sender-x"):
        reached = True
    assert reached
    limiter = RedisWindowLimiter(away, "msg", limit=1)
    # The first message goes through; the limit is then held in this gateway's memory.
    assert await limiter.allow("k") and not await limiter.allow("k")
    assert await limiter.allow("another sender")
    replay = RedisReplay(away)
    replies = [BotMessage(text="hi", buttons=[])]
    await replay.remember("s", "m1", replies)
    assert await replay.recall("s", "m1") == replies  # kept in memory meanwhile
    await away.aclose()


async def test_a_replayed_message_id_gets_the_same_answer_on_another_gateway(
    redis: Redis, other_redis: Redis
) -> None:
    first, second = RedisReplay(redis), RedisReplay(other_redis)
    replies = [BotMessage(text="Here is the menu", buttons=[{"title": "Help", "payload": "/help"}])]
    await first.remember("sender-r", "msg-1", replies)
    assert await second.recall("sender-r", "msg-1") == replies
    assert await second.recall("sender-r", "msg-2") is None
    assert await redis.ttl(key_for("replay", "sender-r")) > 0  # forgotten on its own later
    await second.forget("sender-r")  # erasure: gone for every gateway
    assert await first.recall("sender-r", "msg-1") is None


async def test_rate_limit_counts_across_gateways(redis: Redis, other_redis: Redis) -> None:
    name = f"test-{free_port()}"
    one = RedisWindowLimiter(redis, name, limit=3)
    two = RedisWindowLimiter(other_redis, name, limit=3)
    assert [await one.allow("k"), await two.allow("k"), await one.allow("k")] == [True] * 3
    assert not await two.allow("k")
    assert await two.allow("another-key")
    await one.forget("k")
    assert await two.allow("k")


async def test_rate_limit_window_slides(redis: Redis) -> None:
    now = [1000.0]
    limiter = RedisWindowLimiter(redis, f"slide-{free_port()}", limit=2, clock=lambda: now[0])
    assert await limiter.allow("k") and await limiter.allow("k")
    assert not await limiter.allow("k")
    now[0] += 61
    assert await limiter.allow("k")


async def test_a_push_reaches_a_widget_open_on_another_gateway(
    redis: Redis, other_redis: Redis
) -> None:
    here, there = SharedPushHub(redis), SharedPushHub(other_redis)
    await here.start()
    await there.start()
    received: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    try:
        there.connect("sender-p", received.put)
        message = [{"text": "Time for your check-in", "buttons": []}]
        for _ in range(100):  # the subscription is made in the background
            if await here.push("sender-p", message):
                break
            await asyncio.sleep(0.02)
        assert await asyncio.wait_for(received.get(), timeout=5) == message
        # Nobody connected anywhere: not delivered, so the caller holds it for later.
        assert not await here.push("sender-nobody", message)
        # A channel route (Telegram) is used only when no widget took it.
        routed: list[str] = []

        async def telegram(sender_id: str, _messages: list[dict[str, Any]]) -> bool:
            routed.append(sender_id)
            return True

        here.route("tg-", telegram)
        assert await here.push("tg-42", message) and routed == ["tg-42"]
        there.disconnect("sender-p", received.put)
        for _ in range(100):
            if not await here.push("sender-p", message):
                break
            await asyncio.sleep(0.02)
        assert not await here.push("sender-p", message)
    finally:
        await here.stop()
        await there.stop()


async def test_a_gateway_starts_with_redis_away_and_joins_in_once_it_answers(
    redis: Redis, tmp_path: Path
) -> None:
    """Redis down when a gateway starts: its own widgets are served, and pushes from other
    gateways reach them once Redis is up; nothing waits on Redis to start."""
    port = free_port()
    late = connect(f"redis://127.0.0.1:{port}/0")
    hub = SharedPushHub(late)
    await asyncio.wait_for(hub.start(), timeout=5)
    received: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    message = [{"text": "Time for your check-in", "buttons": []}]
    server: asyncio.subprocess.Process | None = None
    other: Redis | None = None
    try:
        hub.connect("sender-late", received.put)
        assert await hub.push("sender-late", message)  # this gateway's own connection
        assert await received.get() == message
        server = await asyncio.create_subprocess_exec(
            *("redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)),
            stdout=asyncio.subprocess.DEVNULL,
        )
        other = connect(f"redis://127.0.0.1:{port}/0")
        there = SharedPushHub(other)
        for _ in range(300):  # Redis starts, then this hub's subscription is made again
            try:
                if await there.push("sender-late", message):
                    break
            except RedisError:
                pass
            await asyncio.sleep(0.05)
        assert await asyncio.wait_for(received.get(), timeout=5) == message
    finally:
        await hub.stop()
        await late.aclose()
        if other is not None:
            await other.aclose()
        if server is not None:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=10)
