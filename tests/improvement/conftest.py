"""Fixtures for co-evaluation and continuous improvement (issue 10)."""

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
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The gateway's settings on a migrated SQLite file; no engine behind it."""
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
    )


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    """A browser-like client (it keeps cookies) for the real gateway app, portal included."""
    result: TestClient = await aiohttp_client(init_app(settings))
    return result
