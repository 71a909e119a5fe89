"""The engine's endpoints file follows DATABASE_URL and REDIS_URL."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.endpoints import lock_store, tracker_store, write_endpoints


def test_sqlite_tracker_store_uses_the_same_file() -> None:
    assert tracker_store("sqlite:////srv/coach/var/coach.db") == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": "/srv/coach/var/coach.db",
    }


def test_postgres_tracker_store_splits_the_url() -> None:
    store = tracker_store("postgresql://coach:s3cret@db.internal:6543/coachdb")
    assert store == {
        "type": "engine.tracker_store.WaitingSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6543,
        "db": "coachdb",
        "username": "coach",
        "password": "s3cret",
    }


def test_redis_lock_store_only_when_configured() -> None:
    assert lock_store(None) is None
    assert lock_store("redis://127.0.0.1:6390/2") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6390,
        "db": 2,
    }


def test_written_file_points_at_the_action_server(tmp_path: Path) -> None:
    path = write_endpoints(
        tmp_path / "e.yml",
        database_url="sqlite:////x/c.db",
        actions_url="http://127.0.0.1:5999",
        redis_url=None,
    )
    written = yaml.safe_load(path.read_text())
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:5999/webhook"
    assert "lock_store" not in written
