"""Re-engagement nudges: the cost the nudge planner adds to every scheduler round.

Makes a fresh PostgreSQL database with N consenting people (web identity, one
conversation each). A tenth have been silent for 8 days; the rest wrote yesterday. Then:

1. one round at noon: the planner finds the silent tenth, and two schedulers (threads, as
   two gateway processes) claim and deliver their nudges, exactly once each;
2. idle rounds afterwards (nobody qualifies any more): the planner's query alone, the
   price every 30-second round pays.

    source <(scripts/ensure-services)
    .venv/bin/python -m benchmarks.nudges                  # 20,000 people
    .venv/bin/python -m benchmarks.nudges --count 5000 --postgres postgresql://…/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from bot.scheduling import nudges
from bot.scheduling.scheduler import Scheduler
from bot.store import migrate
from bot.store.db import normalise_url, unit_of_work
from bot.store.models import ChannelIdentity, Conversation, Person, ScheduledMessage

NOON = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # a Wednesday noon in London (GMT)
IDLE_ROUNDS = 20


class CountingDelivery:
    """Counts what each sender would have received; thread-safe across both schedulers."""

    def __init__(self, counts: Counter[str], lock: threading.Lock) -> None:
        self.counts, self.lock = counts, lock

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        with self.lock:
            self.counts[sender_id] += 1
        return "pushed"


def populate(url: str, count: int) -> int:
    """N people; every tenth silent for 8 days. Returns how many are silent."""
    enrolled = NOON - timedelta(days=60)

    def last_seen(i: int) -> datetime:
        return NOON - timedelta(days=8 if i % 10 == 0 else 1)

    with unit_of_work(url) as session:
        session.execute(
            insert(Person),
            [
                {"id": i, "sender_id": f"bench-{i}", "language": "en" if i % 2 else "cy",
                 "consent": "given", "created_at": enrolled}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(ChannelIdentity),
            [
                {"person_id": i, "channel": "web", "external_id": f"bench-{i}", "active": True,
                 "paused": False, "created_at": enrolled}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(Conversation),
            [
                {"person_id": i, "channel": "web", "started_at": enrolled,
                 "last_activity_at": last_seen(i), "turns": 5}
                for i in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('people', 'id'), {count + 1})"))
    return count // 10


def run(url: str, count: int) -> None:
    migrate.upgrade(url)
    silent = populate(url, count)
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(name: str) -> None:
        scheduler = Scheduler(
            url,
            {},
            default_delivery=CountingDelivery(counts, lock),
            clock=lambda: NOON,
            worker_id=name,
        )
        asyncio.run(scheduler.run_once())

    threads = [threading.Thread(target=worker, args=(f"scheduler-{n}",)) for n in (1, 2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first_round = time.perf_counter() - started

    idle: list[float] = []
    for n in range(IDLE_ROUNDS):
        began = time.perf_counter()
        with unit_of_work(url) as session:
            planned = nudges.plan_due(session, NOON + timedelta(minutes=1 + n))
        idle.append(time.perf_counter() - began)
        assert planned == 0
    with unit_of_work(url) as session:
        marked = session.scalar(
            select(func.count()).where(
                ScheduledMessage.kind == nudges.NUDGE, ScheduledMessage.status == "sent"
            )
        )
    delivered = sum(counts.values())
    duplicates = delivered - len(counts)
    print(f"people:             {count} ({silent} silent for 8 days)")
    print(f"nudges delivered:   {delivered} to {len(counts)} people; marked sent {marked}")
    print(f"first round:        {first_round:.2f} s (plan, claim, deliver; 2 schedulers)")
    print(
        f"idle planner round: median {statistics.median(idle) * 1000:.1f} ms, "
        f"max {max(idle) * 1000:.1f} ms over {IDLE_ROUNDS} rounds"
    )
    print(f"duplicates:         {duplicates}")
    if duplicates or delivered != silent:
        raise SystemExit("FAILED: every silent person must get exactly one nudge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
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
        run(f"{args.postgres.rpartition('/')[0]}/{name}", args.count)
    finally:
        from bot.store.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
