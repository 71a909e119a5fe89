"""Alembic: one head, and upgrade and downgrade both work, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.store import migrate
from bot.store.db import get_engine
from bot.store.models import Base


def test_single_head() -> None:
    assert len(migrate.heads()) == 1


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.heads()[0]
    tables = set(inspect(get_engine(database_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    migrate.downgrade(database_url, "base")
    assert migrate.current(database_url) is None
    assert not set(Base.metadata.tables) & set(inspect(get_engine(database_url)).get_table_names())
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.heads()[0]


def test_models_match_migrations(database_url: str) -> None:
    """Autogenerate finds nothing to do: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    migrate.upgrade(database_url)
    with get_engine(database_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
