"""When a participant completed an assignment, read from what they did in the dialogues.

Completion is not reported by the dialogues; it is found in their own records, so nothing
in the teach-back, goals or Ask 3 code has to know about cohorts:

- a teach-back module: a `teachback_sessions` row of that module completed after the
  assignment was set (its `finished_at`);
- an action-plan week: a plan saved, or renewed at the weekly review, after it was set;
- an Ask 3 rehearsal: a row of the Ask 3 store's rehearsal table (`REHEARSAL_TABLE`, written
  when a practice ends), looked up by name so this works before and after that table lands.

`refresh` stores the time found in `assignment_tasks.completed_at`, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from bot.scheduling import times
from bot.store.cohorts import ACTION_PLAN, ASK3_REHEARSAL, TEACHBACK
from bot.store.models import ActionPlan, Assignment, AssignmentTask, Base, TeachbackSession

REHEARSAL_TABLE = "ask3_rehearsals"
# The Ask 3 store writes a rehearsal row when the practice ends, so its creation time is the
# end; a later column naming the end would be preferred.
FINISHED_COLUMNS = ("finished_at", "completed_at", "created_at")


def _teachback_done(
    session: Session, person_id: int, module: str, since: datetime
) -> datetime | None:
    return session.scalar(
        select(func.min(TeachbackSession.finished_at)).where(
            TeachbackSession.person_id == person_id,
            TeachbackSession.module_id == module,
            TeachbackSession.status == "completed",
            TeachbackSession.finished_at >= since,
        )
    )


def _plan_done(session: Session, person_id: int, since: datetime) -> datetime | None:
    rows = session.execute(
        select(ActionPlan.created_at, ActionPlan.renewed_at).where(
            ActionPlan.person_id == person_id,
            or_(ActionPlan.created_at >= since, ActionPlan.renewed_at >= since),
        )
    )
    found = [times.aware(at) for row in rows for at in row if at is not None]
    later = [at for at in found if at >= times.aware(since)]
    return min(later) if later else None


def _rehearsal_table() -> tuple[Table, str] | None:
    table = Base.metadata.tables.get(REHEARSAL_TABLE)
    if table is None or "person_id" not in table.c:
        return None
    for column in FINISHED_COLUMNS:
        if column in table.c:
            return table, column
    return None


def _rehearsal_done(session: Session, person_id: int, since: datetime) -> datetime | None:
    found = _rehearsal_table()
    if found is None:
        return None
    table, column = found
    when: datetime | None = session.scalar(
        select(func.min(table.c[column])).where(
            table.c.person_id == person_id, table.c[column] >= since
        )
    )
    return when


def completed_when(session: Session, assignment: Assignment, person_id: int) -> datetime | None:
    """When the person did what the assignment asked, or None if they have not yet."""
    since = assignment.created_at
    when: datetime | None = None
    if assignment.kind == TEACHBACK and assignment.item:
        when = _teachback_done(session, person_id, assignment.item, since)
    elif assignment.kind == ACTION_PLAN:
        when = _plan_done(session, person_id, since)
    elif assignment.kind == ASK3_REHEARSAL:
        when = _rehearsal_done(session, person_id, since)
    return None if when is None else times.aware(when)


def refresh(session: Session, pairs: Iterable[tuple[Assignment, AssignmentTask]]) -> None:
    """Store the completion time of every task that has newly been completed."""
    for assignment, task in pairs:
        if task.completed_at is None:
            task.completed_at = completed_when(session, assignment, task.person_id)
    session.flush()
