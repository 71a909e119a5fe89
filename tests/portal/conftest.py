"""The gateway app (portal included) on a fresh SQLite file; the engine is not needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.gateway import init_app
from bot.stack import free_port
from bot.store import migrate
from tests.support import SECRET, TestClient


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a migrated SQLite file; nobody listens at the engine's port."""
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    migrate.upgrade(url)
    return Settings(
        database_url=url,
        port=0,
        host="127.0.0.1",
        engine_url=f"http://127.0.0.1:{free_port()}",
        actions_url=f"http://127.0.0.1:{free_port()}",
        secret_key=SECRET,
        redis_url=None,
        telegram_bot_token=None,
        allowed_origins=(),
        redelivery_interval=3600,
        telegram_bot_username="CoCreateCoachBot",
    )


@pytest.fixture
def database_url(settings: Settings) -> str:
    """The test's database."""
    return settings.database_url


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    """A browser-like HTTP client (it keeps cookies) for the real gateway app."""
    result: TestClient = await aiohttp_client(init_app(settings))
    return result
