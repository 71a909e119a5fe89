"""Fixtures for the goals store and scheduler: a migrated database and consenting people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.store import migrate, people
from bot.store.db import unit_of_work

Enrol = Callable[..., str]


@pytest.fixture
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def sqlite_db(sqlite_url: str) -> str:
    migrate.upgrade(sqlite_url)
    return sqlite_url


@pytest.fixture
def pg_db(postgres_url: str) -> str:
    migrate.upgrade(postgres_url)
    return postgres_url


def enrol_in(url: str, sender_id: str, *, consent: bool = True, language: str = "en") -> str:
    with unit_of_work(url) as session:
        people.ensure_person(session, sender_id, channel="web", language=language)
        if consent:
            people.record_consent(session, sender_id, given=True, notice_version="1")
    return sender_id


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


class FakeDelivery:
    """Collects what would be delivered; `connected` senders get a push, others are held."""

    def __init__(self, connected: set[str] | None = None) -> None:
        self.connected = connected if connected is not None else set()
        self.sent: list[tuple[str, list[dict[str, Any]]]] = []

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        self.sent.append((sender_id, messages))
        return "pushed" if sender_id in self.connected else "held"


class Clock:
    """A settable clock for the scheduler."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
