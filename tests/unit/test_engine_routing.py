"""Several engines behind one gateway: a conversation stays on its engine; when that engine
is gone, the turn goes to the next one straight away, not after the dead engine's lock in
Redis runs out (Rasa's 60 s), and a live engine's lock is never touched.

The engines are small aiohttp stand-ins for Rasa's REST channel; the router and Redis are
real."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.endpoints import RASA_LOCK_KEY_PREFIX
from bot.engine_routing import EngineRouter, release_stale_lock, rendezvous_order
from bot.stack import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
async def live_engine() -> AsyncIterator[tuple[str, list[str]]]:
    """A REST channel that answers every turn and records whose it was."""
    senders: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        senders.append(body["sender"])
        return web.json_response([{"recipient_id": body["sender"], "text": "Here is help"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", senders
    await runner.cleanup()


def sender_whose_own_engine_is(index: int, urls: list[str]) -> str:
    for n in range(1000):
        candidate = f"web-routing-{n}"
        if rendezvous_order(candidate, urls)[0] == index:
            return candidate
    raise AssertionError("no such sender")


async def test_a_turn_moved_off_a_dead_engine_releases_its_stale_lock(
    redis: Redis, live_engine: tuple[str, list[str]]
) -> None:
    live_url, answered = live_engine
    dead_url = f"http://127.0.0.1:{free_port()}"  # nothing listening: killed mid-turn
    urls = [dead_url, live_url]
    moved = sender_whose_own_engine_is(0, urls)
    staying = sender_whose_own_engine_is(1, urls)
    # What a killed engine leaves behind, and a live engine's lock in use.
    await redis.set(RASA_LOCK_KEY_PREFIX + moved, b'{"conversation_id": "x", "tickets": []}')
    await redis.set(RASA_LOCK_KEY_PREFIX + staying, b'{"conversation_id": "y", "tickets": []}')
    try:
        async with aiohttp.ClientSession() as http:
            router = EngineRouter(http, urls, timeout=5, release=release_stale_lock(redis))
            [reply] = await router.send(moved, "help")
            assert reply["text"] == "Here is help" and answered == [moved]
            assert await redis.get(RASA_LOCK_KEY_PREFIX + moved) is None
            await router.send(staying, "help")  # on its own engine: its lock is its own
            assert answered == [moved, staying]
            assert await redis.get(RASA_LOCK_KEY_PREFIX + staying) is not None
    finally:
        await redis.delete(RASA_LOCK_KEY_PREFIX + moved, RASA_LOCK_KEY_PREFIX + staying)
