"""The tutor's completion board: who did which assignment and when, and per teach-back
module the cohort's first-try understanding rate.

The rate is the share of key points explained back on the first attempt at each chunk, in
each participant's first session of the module. It is a cohort figure only: it is shown when
at least `MIN_GROUP` participants contributed, so no one's answers can be read from it.
Tutors see completion and these rates, nothing else (no flags, goals or measures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.cohorts import completion
from bot.content.teachback import find_module
from bot.scheduling import times
from bot.store import cohorts
from bot.store.models import Assignment, TeachbackAttempt, TeachbackPointResult, TeachbackSession

MIN_GROUP = 3


@dataclass(frozen=True)
class Cell:
    """One participant's task: sent or not yet, done when, or overdue."""

    delivery: str
    completed_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class Row:
    """One participant's line on the board, a cell per assignment (None: not theirs)."""

    person_id: int
    label: str
    cells: list[Cell | None]
    done: int


@dataclass(frozen=True)
class ModuleRate:
    """A module's first-try understanding rate in the cohort; `rate` None below MIN_GROUP."""

    module_id: str
    title: str
    participants: int
    points: int
    understood: int

    @property
    def rate(self) -> float | None:
        if self.participants < MIN_GROUP or not self.points:
            return None
        return self.understood / self.points


@dataclass(frozen=True)
class Board:
    """The cohort's assignments (columns) and participants (rows)."""

    assignments: list[Assignment]
    rows: list[Row]
    rates: list[ModuleRate]

    def done_count(self, index: int) -> int:
        """How many participants completed the assignment in column `index`."""
        return sum(1 for row in self.rows if (cell := row.cells[index]) and cell.completed_at)


def first_try_rates(session: Session, person_ids: list[int]) -> list[ModuleRate]:
    """Per module, the share of key points these people explained back at the first try."""
    if not person_ids:
        return []
    first_sessions = (
        select(func.min(TeachbackSession.id).label("id"))
        .where(TeachbackSession.person_id.in_(person_ids))
        .group_by(TeachbackSession.person_id, TeachbackSession.module_id)
        .subquery()
    )
    rows = session.execute(
        select(
            TeachbackAttempt.module_id,
            func.count(func.distinct(TeachbackAttempt.person_id)),
            func.count(TeachbackPointResult.id),
            func.sum(case((TeachbackPointResult.covered.is_(True), 1), else_=0)),
        )
        .join(TeachbackPointResult, TeachbackPointResult.attempt_id == TeachbackAttempt.id)
        .where(
            TeachbackAttempt.session_id.in_(select(first_sessions.c.id)),
            TeachbackAttempt.attempt_number == 1,
        )
        .group_by(TeachbackAttempt.module_id)
        .order_by(TeachbackAttempt.module_id)
    )
    rates = []
    for module_id, people, points, understood in rows:
        module = find_module(module_id)
        title = module.title.en if module else module_id
        rates.append(ModuleRate(module_id, title, int(people), int(points), int(understood or 0)))
    return rates


def build(session: Session, cohort_id: int, now: datetime) -> Board:
    """The board for one cohort (the caller has checked it is the tutor's)."""
    pairs = cohorts.tasks_of(session, cohort_id)
    completion.refresh(session, pairs)
    assignments = cohorts.assignments_of(session, cohort_id)
    column = {a.id: i for i, a in enumerate(assignments)}
    delivered = cohorts.delivery_status(session, [task.id for _, task in pairs])
    participants = cohorts.participants(session, cohort_id)
    cells: dict[int, list[Cell | None]] = {
        p.person_id: [None] * len(assignments) for p in participants
    }
    for assignment, task in pairs:
        if task.person_id not in cells:
            continue
        done_at = times.aware(task.completed_at) if task.completed_at else None
        overdue = done_at is None and times.aware(assignment.due_at) < now
        cells[task.person_id][column[assignment.id]] = Cell(
            delivered.get(task.id, "pending"), done_at, overdue
        )
    rows = [
        Row(
            p.person_id,
            p.label,
            cells[p.person_id],
            sum(1 for c in cells[p.person_id] if c and c.completed_at),
        )
        for p in participants
    ]
    return Board(assignments, rows, first_try_rates(session, [p.person_id for p in participants]))
