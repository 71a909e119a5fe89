"""Render the engine's endpoints.yml from the same settings the application uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from bot.store.db import normalise_url

# Rasa's SQL tracker store, waiting out a PostgreSQL restart instead of falling back to the
# engine's memory (engine/tracker_store.py, loaded by the engine from the project root).
WAITING_SQL_TRACKER_STORE = "engine.tracker_store.WaitingSQLTrackerStore"


def tracker_store(database_url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store on the application's own database."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": url.database}
    store: dict[str, Any] = {
        "type": WAITING_SQL_TRACKER_STORE,
        "dialect": "postgresql",
        "url": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "db": url.database,
        "username": url.username or "",
    }
    if url.password:
        store["password"] = url.password
    return store


# Rasa's Redis lock store keeps each conversation's lock under this prefix and the sender id
# (rasa.core.lock_store.DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX; `lock_store` sets no other).
RASA_LOCK_KEY_PREFIX = "lock:"


def lock_store(redis_url: str | None) -> dict[str, Any] | None:
    """Redis lock store when REDIS_URL is set; Rasa's in-memory one otherwise."""
    if not redis_url:
        return None
    url = make_url(redis_url)
    store: dict[str, Any] = {
        "type": "redis",
        "url": url.host or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.database or 0),
    }
    if url.password:
        store["password"] = url.password
    return store


def write_endpoints(
    path: Path, *, database_url: str, actions_url: str, redis_url: str | None
) -> Path:
    """Write the engine's endpoints file and return its path."""
    endpoints: dict[str, Any] = {
        "action_endpoint": {"url": f"{actions_url}/webhook"},
        "tracker_store": tracker_store(database_url),
    }
    locks = lock_store(redis_url)
    if locks is not None:
        endpoints["lock_store"] = locks
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


# Rasa's REST channel logs the message text at ERROR when a turn is cancelled (the gateway
# timed out or went away: `rest.message.received.timeout`) or fails: logs must never hold
# message text, so that logger is kept quiet. The gateway logs the same events without text.
# A custom action that fails is logged by the processor with a traceback whose chained error
# holds the action server's answer (rasa_sdk puts the whole request, the tracker with its
# message text, in it): those loggers keep their messages but lose the traceback.
ENGINE_LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_exception_detail": {"()": "bot.logs.WithoutExceptionDetail"}},
    "loggers": {
        "rasa.core.channels.rest": {"level": "CRITICAL"},
        **{
            name: {"filters": ["without_exception_detail"]}
            for name in (
                "rasa.core.processor",
                "rasa.core.actions.action",
                "rasa.core.actions.forms",
            )
        },
    },
}


def write_engine_logging(path: Path) -> Path:
    """Write the engine's logging config (`rasa run --logging-config-file`); return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(ENGINE_LOGGING, sort_keys=False))
    return path
