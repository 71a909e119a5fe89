"""Fixtures for Ask 3: a migrated database (SQLite and PostgreSQL) and a consenting person."""

from __future__ import annotations

import pytest

from bot.store import migrate, people
from bot.store.db import unit_of_work

# The Telegram harness (a recording Bot API and a scripted engine), for the grid image test.
from tests.telegram.conftest import database, engine, harness, http  # noqa: F401


@pytest.fixture
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def patient(db: str) -> str:
    """A consenting web patient's sender id."""
    sender_id = "ask3-patient"
    with unit_of_work(db) as session:
        people.ensure_person(session, sender_id, channel="web")
        people.record_consent(session, sender_id, given=True, notice_version="1")
    return sender_id
