"""Fixtures for co-evaluation and continuous improvement (issue 10)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.store import migrate
from tests.support import gateway_settings


@pytest.fixture
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """The gateway's settings on a migrated SQLite file; no engine behind it. The `client`
    fixture (tests/conftest.py) is the gateway app, portal included, built from them."""
    migrate.upgrade(sqlite_url)
    return gateway_settings(sqlite_url)
