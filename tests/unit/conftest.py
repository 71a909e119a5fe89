"""A gateway app on a fresh SQLite file with nothing listening where the engine should be."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.coordination import connect
from tests.support import gateway_settings


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Settings whose engine and action server ports have nobody listening: the engine is down.
    The `client` fixture (tests/conftest.py) is the real gateway app built from them."""
    return gateway_settings(sqlite_url)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the test Redis, as one gateway process has."""
    client = connect(redis_url)
    yield client
    await client.aclose()
