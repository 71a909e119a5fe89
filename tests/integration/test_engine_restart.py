"""The engine goes down and comes back: the user is told, and their message is not lost."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bot.stack import LocalStack
from bot.store.db import unit_of_work
from tests.support import WebChat, auth_frame, said, texts

pytestmark = pytest.mark.engine


def user_texts_in_tracker(stack: LocalStack, sender_id: str) -> list[str]:
    """What the engine's tracker store holds as this sender's user messages."""
    with unit_of_work(stack.database_url) as session:
        rows = session.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": sender_id},
        ).scalars()
        return [json.loads(row)["text"] for row in rows]


async def test_kept_messages_reach_the_engine_after_a_restart(live_stack: LocalStack) -> None:
    offline = WebChat(live_stack.gateway_url).start()  # not connected while the engine is away
    online = WebChat(live_stack.gateway_url).start()  # keeps its widget open
    for chat in (offline, online):
        chat.say("hello")
        chat.say("/affirm")
    ws_url = live_stack.gateway_url.replace("http", "ws") + "/api/ws"

    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
        tickets = live_stack.gateway_url + "/api/socket-tickets"
        await ws.send_json(await auth_frame(http, tickets, online.token))
        # Read continuously, as a browser does, so the server's heartbeat pings get answered.
        frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def read() -> None:
            async for message in ws:
                await frames.put(json.loads(message.data))

        reader = asyncio.create_task(read())
        await asyncio.to_thread(live_stack.stop_engine)
        try:
            assert live_stack.health()[0] == 503
            kept = offline.say("help")
            assert "kept your message" in texts(kept)
            await ws.send_json({"type": "message", "text": "help", "id": "w1"})
            frame = await asyncio.wait_for(frames.get(), timeout=30)
            assert frame["reply_to"] == "w1" and "kept your message" in texts(frame["messages"])
            assert user_texts_in_tracker(live_stack, offline.sender_id)[-1] != "help"
        finally:
            await asyncio.to_thread(live_stack.start_engine)
            await asyncio.to_thread(live_stack.wait_healthy)
        # The open widget gets the late reply pushed to it without asking again.
        pushed = await asyncio.wait_for(frames.get(), timeout=60)
        assert pushed["type"] == "push"
        assert said(pushed["messages"], "utter_help")
        reader.cancel()

    deadline = time.monotonic() + 30
    while user_texts_in_tracker(live_stack, offline.sender_id)[-1:] != ["help"]:
        assert time.monotonic() < deadline, "kept message never reached the engine"
        await asyncio.sleep(0.5)
    assert user_texts_in_tracker(live_stack, online.sender_id)[-1] == "help"
    # The person who was away sees the held reply before the answer to their new message.
    later = offline.say("goodbye")
    assert said(later, "utter_help")
    assert user_texts_in_tracker(live_stack, offline.sender_id).count("help") == 1
