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
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from benchmarks.harness import add_postgres_option, fresh_database, insert_people, two_schedulers
from bot.scheduling import nudges
from bot.store import migrate
from bot.store.db import unit_of_work
from bot.store.models import Conversation, ScheduledMessage

NOON = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # a Wednesday noon in London (GMT)
IDLE_ROUNDS = 20


def populate(url: str, count: int) -> int:
    """N people; every tenth silent for 8 days. Returns how many are silent."""
    enrolled = NOON - timedelta(days=60)

    def last_seen(i: int) -> datetime:
        return NOON - timedelta(days=8 if i % 10 == 0 else 1)

    with unit_of_work(url) as session:
        insert_people(session, count, enrolled)
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
    first = two_schedulers(url, NOON)
    counts, first_round = first.counts, first.seconds

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
    add_postgres_option(parser)
    args = parser.parse_args()
    with fresh_database(args.postgres) as url:
        run(url, args.count)


if __name__ == "__main__":
    main()
