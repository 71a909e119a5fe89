"""What the scheduler benchmarks (benchmarks.scheduler, benchmarks.nudges) share: a
throwaway PostgreSQL database, people to enrol, and one round of two schedulers at once
whose delivery only counts."""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from bot.scheduling.scheduler import BATCH, Scheduler
from bot.store.db import get_engine, normalise_url
from bot.store.models import ChannelIdentity, Person


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """`--postgres`: the server to make the benchmark's database on."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL (default: TEST_POSTGRES_URL)",
    )


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, dropped afterwards."""
    if not server_url:
        raise SystemExit("needs PostgreSQL: source <(scripts/ensure-services) or --postgres URL")
    name = f"coach_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def insert_people(session: Session, count: int, created_at: datetime) -> None:
    """People 1..count ("bench-<i>"), consent given, half Welsh, each with a web identity."""
    session.execute(
        insert(Person),
        [
            {"id": i, "sender_id": f"bench-{i}", "language": "en" if i % 2 else "cy",
             "consent": "given", "created_at": created_at}
            for i in range(1, count + 1)
        ],
    )  # fmt: skip
    session.execute(
        insert(ChannelIdentity),
        [
            {"person_id": i, "channel": "web", "external_id": f"bench-{i}", "active": True,
             "paused": False, "created_at": created_at}
            for i in range(1, count + 1)
        ],
    )  # fmt: skip


class CountingDelivery:
    """Counts what each sender would have received; thread-safe across both schedulers."""

    def __init__(self, counts: Counter[str], lock: threading.Lock) -> None:
        self.counts, self.lock = counts, lock

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        with self.lock:
            self.counts[sender_id] += 1
        return "pushed"


@dataclass
class Round:
    """What one round of the two schedulers did."""

    counts: Counter[str]  # deliveries per sender
    sent: dict[str, int]  # what each scheduler's run_once returned
    seconds: float


def two_schedulers(url: str, now: datetime, batch: int = BATCH) -> Round:
    """One round of two `Scheduler`s at once at `now`, each in its own thread with its own
    event loop and connection pool, as two gateway processes would."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    sent: dict[str, int] = {}

    def worker(name: str) -> None:
        scheduler = Scheduler(
            url,
            {},
            default_delivery=CountingDelivery(counts, lock),
            clock=lambda: now,
            worker_id=name,
            batch=batch,
        )
        sent[name] = asyncio.run(scheduler.run_once())

    threads = [threading.Thread(target=worker, args=(f"scheduler-{n}",)) for n in (1, 2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Round(counts, sent, time.perf_counter() - started)
