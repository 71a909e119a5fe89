"""Scheduler throughput: two schedulers dispatch 10,000 due check-ins from one PostgreSQL.

Makes a fresh database, enrols N consenting people each with a plan and one check-in due a
minute ago, then runs two `Scheduler` instances at once (each in its own thread with its
own event loop and connection pool, as two gateway processes would) until nothing is due.
Delivery is a counter, so the figures are the database work: claiming with
`FOR UPDATE SKIP LOCKED`, the checks before sending, the next occurrence, marking sent.

    source <(scripts/ensure-services)
    .venv/bin/python -m benchmarks.scheduler                 # 10,000 check-ins
    .venv/bin/python -m benchmarks.scheduler --count 2000 --postgres postgresql://…/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from bot.scheduling.scheduler import Scheduler
from bot.store import migrate
from bot.store.db import normalise_url, unit_of_work
from bot.store.models import (
    ActionPlan,
    ChannelIdentity,
    CheckinSchedule,
    Person,
    ScheduledMessage,
)

DUE = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday noon in London (GMT)


class CountingDelivery:
    """Counts what each sender would have received; thread-safe across both schedulers."""

    def __init__(self, counts: Counter[str], lock: threading.Lock) -> None:
        self.counts, self.lock = counts, lock

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        with self.lock:
            self.counts[sender_id] += 1
        return "pushed"


def populate(url: str, count: int) -> None:
    """N people, consent given, a web identity, a plan, a schedule and one due check-in."""
    now = DUE - timedelta(days=1)
    with unit_of_work(url) as session:
        session.execute(
            insert(Person),
            [
                {"id": i, "sender_id": f"bench-{i}", "language": "en" if i % 2 else "cy",
                 "consent": "given", "created_at": now}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(ChannelIdentity),
            [
                {"person_id": i, "channel": "web", "external_id": f"bench-{i}", "active": True,
                 "paused": False, "created_at": now}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(ActionPlan),
            [
                {"id": i, "person_id": i, "activity": "walk", "amount": "10 minutes",
                 "timing": "after lunch", "days_per_week": 3, "status": "active",
                 "created_at": now, "renewed_at": now}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(CheckinSchedule),
            [
                {"id": i, "person_id": i, "plan_id": i, "weekdays": "1,3,5", "local_time": "12:00",
                 "timezone": "Europe/London", "active": True, "created_at": now}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(ScheduledMessage),
            [
                {"person_id": i, "plan_id": i, "kind": "checkin", "ref_id": i, "due_at": DUE,
                 "quiet_ok": True, "status": "pending", "created_at": now}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        for table in ("people", "action_plans", "checkin_schedules"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count + 1})")
            )


def run(url: str, count: int, batch: int) -> None:
    migrate.upgrade(url)
    populate(url, count)
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    sent: dict[str, int] = {}

    def worker(name: str) -> None:
        scheduler = Scheduler(
            url,
            {},
            default_delivery=CountingDelivery(counts, lock),
            clock=lambda: DUE + timedelta(minutes=1),
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
    seconds = time.perf_counter() - started
    with unit_of_work(url) as session:
        marked = session.scalar(
            select(func.count()).where(
                ScheduledMessage.kind == "checkin",
                ScheduledMessage.due_at == DUE,
                ScheduledMessage.status == "sent",
            )
        )
        next_ones = session.scalar(
            select(func.count()).where(
                ScheduledMessage.kind == "checkin", ScheduledMessage.status == "pending"
            )
        )
    delivered = sum(counts.values())
    duplicates = delivered - len(counts)
    print(f"due check-ins:      {count}")
    print(f"schedulers:         2 (batch {batch}); sent {sent}")
    print(f"delivered:          {delivered} to {len(counts)} people; marked sent {marked}")
    print(f"next check-ins:     {next_ones} planned")
    print(f"time:               {seconds:.2f} s")
    print(f"dispatches/s:       {delivered / seconds:.0f}")
    print(f"duplicates:         {duplicates}")
    if duplicates or delivered != count:
        raise SystemExit("FAILED: every check-in must go exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL (default: TEST_POSTGRES_URL)",
    )
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("needs PostgreSQL: source <(scripts/ensure-services) or --postgres URL")
    name = f"coach_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(f"{args.postgres.rpartition('/')[0]}/{name}", args.count, args.batch)
    finally:
        from bot.store.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
