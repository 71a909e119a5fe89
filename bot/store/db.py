"""Engines and units of work. Engines are made on first use, never at import time."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import database_url_from_env

log = logging.getLogger(__name__)
T = TypeVar("T")
# A database restart (or a failover) takes seconds: wait that long before giving up.
RETRY_DELAYS = (0.2, 0.5, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 5.0, 5.0, 5.0)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # What is deleted is overwritten with zeros, not left readable in free pages ("forget me").
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@functools.cache
def get_engine(url: str) -> Engine:
    """One pooled engine per URL for the life of the process.

    `hide_parameters`: an SQL error's message (logged, raised, shown in a traceback) never
    holds the statement's bound values, which are patients' words, names and ids.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True
    )


@functools.cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = _session_factory(url or database_url_from_env())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def checkpoint_sqlite(engine: Engine) -> None:
    """Fold SQLite's write-ahead log back into the file and empty it, so that what was just
    deleted (zeroed there by `secure_delete`) is not still readable in the log. Waits for
    readers up to the busy timeout; a busy database is logged, and the next checkpoint
    (SQLite's own, every 1000 pages, or on closing) finishes the job."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    if busy:
        log.warning("write-ahead log busy; it is emptied at the next checkpoint")


def run_in_session(url: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(session, *args, **kwargs)` in one unit of work, tried again while the database is
    unreachable (stopped, restarting), for about half a minute before the error is raised.

    Only for units of work that are safe to run again when their commit was not confirmed.
    """
    for delay in (*RETRY_DELAYS, None):
        try:
            with unit_of_work(url) as session:
                return fn(session, *args, **kwargs)
        except OperationalError:
            if delay is None:
                raise
            log.warning("database unavailable; trying again in %.1f s", delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
