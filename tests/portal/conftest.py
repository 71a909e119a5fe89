"""The gateway app (portal included) on a fresh SQLite file; the engine is not needed."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.store import migrate
from tests.support import gateway_settings


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Settings on a migrated SQLite file; nobody listens at the engine's port. The `client`
    fixture (tests/conftest.py) is the gateway app built from them."""
    migrate.upgrade(sqlite_url)
    return gateway_settings(sqlite_url, telegram_bot_username="CoCreateCoachBot")


@pytest.fixture
def database_url(settings: Settings) -> str:
    """The test's database."""
    return settings.database_url
