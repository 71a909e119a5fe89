"""Seeding the store for the lead's view: first tries at teach-back chunks, feedback, and a
content lock with a reworded chunk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.content import versions
from bot.store import improvement, people
from bot.store.db import unit_of_work
from bot.store.models import (
    TeachbackAttempt,
    TeachbackPointResult,
    TeachbackSession,
)

SCRIPT = "<script>alert(1)</script>"


def first_try(
    database_url: str,
    sender_id: str,
    module_id: str,
    chunk_id: str,
    covered: dict[str, bool],
    at: datetime,
    version: int = 1,
) -> None:
    """A consenting patient's first attempt at a chunk, graded per key point, at `at`."""
    with unit_of_work(database_url) as session:
        person = people.ensure_person(session, sender_id, channel="web")
        person.consent = "given"
        person.created_at = at
        tb = TeachbackSession(
            person_id=person.id,
            module_id=module_id,
            module_version=version,
            language="en",
            chunk_id=chunk_id,
            pending=[],
            started_at=at,
            updated_at=at,
        )
        session.add(tb)
        session.flush()
        attempt = TeachbackAttempt(
            session_id=tb.id,
            person_id=person.id,
            module_id=module_id,
            module_version=version,
            chunk_id=chunk_id,
            attempt_number=1,
            created_at=at,
        )
        session.add(attempt)
        session.flush()
        for point, ok in covered.items():
            session.add(TeachbackPointResult(attempt_id=attempt.id, key_point_id=point, covered=ok))


def hypo_cohort(
    database_url: str, prefix: str, at: datetime, version: int, signs_known: Sequence[bool]
) -> None:
    """One first try per patient at hypo's first chunk: "below 4" always explained back,
    "signs" as given."""
    for index, known in enumerate(signs_known):
        first_try(
            database_url,
            f"{prefix}-{index}",
            "hypo",
            "what-is-a-hypo",
            {"below-4": True, "signs": known},
            at,
            version,
        )


def feedback(
    database_url: str,
    sender_id: str,
    clarity: int,
    suggestion: str | None,
    chunk: str | None,
    module_id: str = "hypo",
) -> None:
    """A clarity rating of a module (or one chunk), with a suggestion if given."""
    with unit_of_work(database_url) as session:
        row = improvement.record_clarity(
            session, sender_id, "module", module_id, 1, clarity, "en", "web", chunk_id=chunk
        )
        if suggestion:
            improvement.add_suggestion(session, sender_id, row, suggestion)


def lock_with_reworded_chunk(path: Path) -> Path:
    """The committed lock plus a hypo version 2 whose first chunk was reworded."""
    data = json.loads(versions.LOCK_FILE.read_text(encoding="utf-8"))
    first = data["items"]["module/hypo"]["1"]
    second = json.loads(json.dumps(first))
    second["sha256"] = "0" * 64
    second["chunks"]["what-is-a-hypo"] = "1" * 64
    data["items"]["module/hypo"]["2"] = second
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
