"""Kept messages go to the engine once: a redelivery that timed out is not sent again while
the engine may still be working on it.

The engine here is a small aiohttp stand-in for Rasa's REST channel that takes longer than
the gateway waits, as an engine does when it waits for a killed engine's conversation lock.
What is under test, the gateway's turn service and the store, is real.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.channels.push import PushHub
from bot.engine_client import EngineClient
from bot.scheduling.times import aware
from bot.store import messages as kept_store
from bot.store.db import unit_of_work
from bot.store.migrate import upgrade
from bot.store.models import KeptMessage, utcnow
from bot.turns import TurnService, turn_id_for

SLOW_SECONDS = 1.5
GATEWAY_WAITS = 0.3


@pytest.fixture
async def slow_engine() -> AsyncIterator[tuple[str, Counter[str]]]:
    """A REST channel that answers after SLOW_SECONDS; counts the turns it was sent, by id."""
    received: Counter[str] = Counter()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        received[str(body["metadata"].get("turn"))] += 1
        await asyncio.sleep(SLOW_SECONDS)
        return web.json_response([{"recipient_id": body["sender"], "text": "Here is help"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


async def test_a_timed_out_redelivery_is_not_sent_again_while_the_engine_may_be_on_it(
    sqlite_url: str, slow_engine: tuple[str, Counter[str]]
) -> None:
    engine_url, received = slow_engine
    upgrade(sqlite_url)
    turn = turn_id_for("patient-k", "m1")
    with unit_of_work(sqlite_url) as session:
        kept_store.keep_message(session, "patient-k", "web", "help", turn)
    async with aiohttp.ClientSession() as http:
        service = TurnService(
            engine=EngineClient(http, engine_url, timeout=GATEWAY_WAITS),
            hub=PushHub(),
            database_url=sqlite_url,
        )
        # The redelivery loop runs every second; the engine is still on the first attempt.
        for _ in range(3):
            assert await service.redeliver_all() == 0
            await asyncio.sleep(0.1)
        await asyncio.sleep(SLOW_SECONDS)
    assert received == {turn: 1}, "the kept message was sent to the engine twice"
    with unit_of_work(sqlite_url) as session:
        kept = session.scalars(select(KeptMessage)).one()
        assert kept.delivered_at is None and kept.attempts == 1
        assert kept.not_before is not None and aware(kept.not_before) > utcnow()
