"""A gateway app on a fresh SQLite file with nothing listening where the engine should be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.gateway import init_app
from bot.stack import free_port
from tests.support import SECRET, TestClient


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose engine and action server ports have nobody listening: the engine is down."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'coach.db'}",
        port=0,
        host="127.0.0.1",
        engine_url=f"http://127.0.0.1:{free_port()}",
        actions_url=f"http://127.0.0.1:{free_port()}",
        secret_key=SECRET,
        redis_url=None,
        telegram_bot_token=None,
        allowed_origins=(),
        redelivery_interval=3600,
    )


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    """An HTTP client for the real gateway app built from `settings`."""
    result: TestClient = await aiohttp_client(init_app(settings))
    return result
