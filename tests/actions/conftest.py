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
        events: list[dict[str, Any]] | None = None,
        active_loop: str | None = None,
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
            events or [],
            False,
            None,
            {"name": active_loop} if active_loop else {},
            "action_listen",
        )

    return _make


def asked(text: str, *buttons: tuple[str, str]) -> dict[str, Any]:
    """A bot message as the tracker holds it, with its buttons (title, payload)."""
    return {
        "event": "bot",
        "text": text,
        "data": {"buttons": [{"title": t, "payload": p} for t, p in buttons]},
        "timestamp": 1.0,
    }


def user(text: str, intent: str, **metadata: Any) -> dict[str, Any]:
    """A user message as the tracker holds it."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        "metadata": metadata,
        "timestamp": 2.0,
    }


def form_turn(
    form: str, requested: str, said: str, intent: str, *, extracted: bool, question: dict[str, Any]
) -> list[dict[str, Any]]:
    """The events a form's validation sees after an answer: the question, the message, the
    form running and, when the slot mapping took the text, the candidate slot."""
    events = [
        question,
        user(said, intent),
        {"event": "slot", "name": "requested_slot", "value": requested},
    ]
    events.append({"event": "action", "name": form})
    if extracted:
        events.append({"event": "slot", "name": requested, "value": said})
    return events


def domain() -> dict[str, Any]:
    """domain.yml as the action server receives it."""
    import yaml

    from bot.config import ROOT

    data: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return data
