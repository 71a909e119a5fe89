"""The REST channel's replies become text-and-buttons messages."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.engine_client import EngineClient, EngineUnavailable, normalise
from bot.stack import free_port


def test_normalise_keeps_text_and_buttons() -> None:
    raw: list[dict[str, Any]] = [
        {"recipient_id": "s", "text": "Hello"},
        {
            "recipient_id": "s",
            "text": "Agree?",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        },
        {"recipient_id": "s", "custom": {"x": 1}},
    ]
    assert normalise(raw) == [
        {"text": "Hello", "buttons": []},
        {"text": "Agree?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    ]


async def test_engine_that_is_not_listening_is_unavailable() -> None:
    async with aiohttp.ClientSession() as http:
        client = EngineClient(http, f"http://127.0.0.1:{free_port()}", timeout=2)
        assert not await client.ready()
        with pytest.raises(EngineUnavailable):
            await client.send("web-x", "hello")
