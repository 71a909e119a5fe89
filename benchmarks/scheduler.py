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
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from benchmarks.harness import add_postgres_option, fresh_database, insert_people, two_schedulers
from bot.store import migrate
from bot.store.db import unit_of_work
from bot.store.models import (
    ActionPlan,
    CheckinSchedule,
    ScheduledMessage,
)

DUE = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday noon in London (GMT)


def populate(url: str, count: int) -> None:
    """N people, consent given, a web identity, a plan, a schedule and one due check-in."""
    now = DUE - timedelta(days=1)
    with unit_of_work(url) as session:
        insert_people(session, count, now)
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
    done = two_schedulers(url, DUE + timedelta(minutes=1), batch)
    counts, sent, seconds = done.counts, done.sent, done.seconds
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
    add_postgres_option(parser)
    args = parser.parse_args()
    with fresh_database(args.postgres) as url:
        run(url, args.count, args.batch)


if __name__ == "__main__":
    main()
