"""A gateway app on a fresh SQLite file with nothing listening where the engine should be."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.support import gateway_settings


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Settings whose engine and action server ports have nobody listening: the engine is down.
    The `client` fixture (tests/conftest.py) is the real gateway app built from them."""
    return gateway_settings(sqlite_url)
