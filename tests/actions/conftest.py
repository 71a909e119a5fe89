"""Fixtures for action tests: a fresh SQLite store per test and a tracker factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from bot.store.db import get_engine
from bot.store.models import Base

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def store(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """DATABASE_URL pointing at a new SQLite file with the application tables."""
    url = f"sqlite:///{tmp_path}/t.db"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> TrackerFactory:
    """Build a rasa_sdk Tracker the way the action server receives one."""

    def _make(
        sender_id: str = "sender-1",
        *,
        slots: dict[str, Any] | None = None,
        intent: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        text: str = "",
    ) -> Tracker:
        latest_message: dict[str, Any] = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0} if intent else {},
            "entities": entities or [],
            "metadata": metadata or {},
        }
        return Tracker(
            sender_id,
            {"language": "en", "consent": "pending", **(slots or {})},
            latest_message,
            [],
            False,
            None,
            {},
            "action_listen",
        )

    return _make
