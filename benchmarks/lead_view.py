"""The lead's service view: how long the aggregates take over a service's worth of data.

Makes a fresh database, enrols N patients over 26 weeks, each with a teach-back module's
first tries (3 chunks, 2-3 key points each), a weekly self-rated health and an experience
check, a check-in sent and mostly answered, and an Ask 3 follow-up; then times building the
overview page's data and the run-chart CSV (the work behind /portal/lead and its export).

    .venv/bin/python -m benchmarks.lead_view                   # 2,000 patients on SQLite
    .venv/bin/python -m benchmarks.lead_view --count 5000 --postgres postgresql://…/postgres
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from bot.content import versions
from bot.content.teachback import load_modules
from bot.improvement import aggregates
from bot.store import migrate
from bot.store.db import normalise_url, unit_of_work
from bot.store.models import (
    Ask3FollowUp,
    Ask3List,
    Measure,
    Person,
    TeachbackAttempt,
    TeachbackPointResult,
    TeachbackSession,
    utcnow,
)


def populate(url: str, count: int, seed: int = 7) -> int:
    """N patients with outcomes spread over 26 weeks; returns the rows written."""
    rng = random.Random(seed)
    now = utcnow()
    module = load_modules()["hypo"]
    written = 0
    with unit_of_work(url) as session:
        starts = [now - timedelta(days=rng.randrange(0, 182)) for _ in range(count)]
        session.execute(
            insert(Person),
            [{"sender_id": f"bench-{i}", "consent": "given", "created_at": at}
             for i, at in enumerate(starts)],
        )  # fmt: skip
        ids = [row[0] for row in session.execute(text("SELECT id FROM people ORDER BY id"))]
        sessions: list[dict[str, Any]] = []
        for person_id, at in zip(ids, starts, strict=True):
            sessions.append({"person_id": person_id, "module_id": module.id,
                             "module_version": 1, "language": "en", "status": "done",
                             "chunk_id": module.chunks[-1].id, "pending": [], "retries": 0,
                             "started_at": at, "updated_at": at})  # fmt: skip
        session.execute(insert(TeachbackSession), sessions)
        session_ids = [r[0] for r in session.execute(text("SELECT id FROM teachback_sessions"))]
        attempts, results = [], []
        attempt_id = 0
        for sid, person_id, at in zip(session_ids, ids, starts, strict=True):
            for chunk in module.chunks:
                attempt_id += 1
                attempts.append({"id": attempt_id, "session_id": sid, "person_id": person_id,
                                 "module_id": module.id, "module_version": 1,
                                 "chunk_id": chunk.id, "attempt_number": 1,
                                 "created_at": at})  # fmt: skip
                for point in chunk.key_points:
                    results.append({"attempt_id": attempt_id, "key_point_id": point.id,
                                    "covered": rng.random() < 0.7, "evidence": []})  # fmt: skip
        session.execute(insert(TeachbackAttempt), attempts)
        session.execute(insert(TeachbackPointResult), results)
        measures = []
        lists = []
        for person_id, at in zip(ids, starts, strict=True):
            weeks = max(1, (now - at).days // 7)
            for k in range(weeks):
                if rng.random() < 0.75 ** (k / 4 + 1):
                    measures.append({"person_id": person_id, "instrument": "weekly",
                                     "item": "health", "item_version": "1",
                                     "value": rng.randrange(3, 10),
                                     "recorded_at": at + timedelta(days=7 * k)})  # fmt: skip
            measures.append({"person_id": person_id, "instrument": "prem", "item": "welcomed",
                             "item_version": "1", "value": rng.randrange(2, 6),
                             "recorded_at": at + timedelta(days=3)})  # fmt: skip
            lists.append({"person_id": person_id, "language": "en", "decision": "d",
                          "options": "o", "q_options": "", "q_benefits_risks": "",
                          "q_likelihood": "", "own_questions": [], "matters": "",
                          "created_at": at})  # fmt: skip
        session.execute(insert(Measure), measures)
        session.execute(insert(Ask3List), lists)
        list_ids = [r[0] for r in session.execute(text("SELECT id FROM ask3_lists ORDER BY id"))]
        follow_ups = [
            {"person_id": p, "list_id": lid, "got_answers": rng.choice(["yes", "partly", "no"]),
             "decided": "not yet", "involvement": rng.randrange(0, 11),
             "answered_at": at + timedelta(days=10)}
            for p, lid, at in zip(ids, list_ids, starts, strict=True)
        ]  # fmt: skip
        session.execute(insert(Ask3FollowUp), follow_ups)
        written = count * 2 + len(attempts) + len(results) + len(measures) * 1 + len(lists) * 2
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.postgres:
        name = f"bench_lead_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrate.upgrade(url)
    began = time.perf_counter()
    rows = populate(url, args.count)
    print(f"seeded {args.count} patients, {rows} rows in {time.perf_counter() - began:.1f} s")
    lock = versions.read_lock()
    for label, work in (
        ("overview (page data)", lambda s: aggregates.overview(s, utcnow(), lock)),
        ("run-chart CSV rows", lambda s: aggregates.metrics_csv_rows(
            aggregates.metrics(s, utcnow(), lock))),
    ):  # fmt: skip
        times = []
        for _ in range(args.rounds):
            began = time.perf_counter()
            with unit_of_work(url) as session:
                work(session)
            times.append(time.perf_counter() - began)
        print(f"{label}: best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
              f"over {args.rounds} rounds")  # fmt: skip
    if args.postgres:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
