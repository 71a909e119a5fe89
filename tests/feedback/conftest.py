"""Fixtures for feedback and nudge tests: a migrated database and people who spoke at a time."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.store import migrate, people
from bot.store.db import unit_of_work
from bot.store.models import Conversation


@pytest.fixture
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def pg_db(postgres_url: str) -> str:
    migrate.upgrade(postgres_url)
    return postgres_url


def spoke(url: str, sender_id: str, when: datetime) -> None:
    """The person's last inbound turn was at `when` (what the gateway records per turn)."""
    with unit_of_work(url) as session:
        person = people.find_person(session, sender_id)
        assert person is not None
        conversation = session.scalars(
            select(Conversation).where(Conversation.person_id == person.id)
        ).first()
        if conversation is None:
            conversation = Conversation(
                person_id=person.id, channel="web", started_at=when, turns=0
            )
            session.add(conversation)
        conversation.last_activity_at = when
        conversation.turns += 1
