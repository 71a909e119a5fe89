"""Repository functions for cohorts, their members, assignments and assignment tasks.

A cohort belongs to one tutor; every function that takes a `tutor_id` only ever returns
that tutor's cohorts, so ids from a URL are never trusted alone. Setting an assignment makes
one task per participant and schedules, for each, the assignment message now and one
reminder the evening before the due date (`scheduled_messages` rows, sent by bot.scheduling).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.scheduling import times
from bot.store import goals, people
from bot.store.models import (
    Assignment,
    AssignmentTask,
    Cohort,
    CohortMember,
    Person,
    ScheduledMessage,
    utcnow,
)

TEACHBACK, ACTION_PLAN, ASK3_REHEARSAL = "teachback", "action_plan", "ask3_rehearsal"
ASSIGNMENT_KINDS = (TEACHBACK, ACTION_PLAN, ASK3_REHEARSAL)
# Kinds of scheduled_messages rows (at most 16 characters); ref_id is the task's id.
MESSAGE, REMINDER = "assignment", "assign_reminder"
# The reminder goes the evening before the due date, out of quiet hours.
REMINDER_TIME = time(18, 0)


class NotAllowed(Exception):
    """The cohort, participant or assignment is not the tutor's, or does not exist."""


@dataclass(frozen=True)
class Participant:
    """A cohort member as a tutor sees them: a pseudonymous label, never a name."""

    person_id: int
    label: str
    joined_at: datetime


def label_for(person_id: int) -> str:
    """The label tutors see for a participant."""
    return people.pseudonymous_label(person_id)


def create_cohort(
    session: Session, tutor_id: int, name: str, starts_on: date, ends_on: date
) -> Cohort:
    """A new cohort for this tutor; the end may not come before the start."""
    name = name.strip()
    if not name or ends_on < starts_on:
        raise ValueError("a cohort needs a name and an end on or after its start")
    cohort = Cohort(tutor_id=tutor_id, name=name[:120], starts_on=starts_on, ends_on=ends_on)
    session.add(cohort)
    session.flush()
    return cohort


def cohorts_of(session: Session, tutor_id: int) -> list[Cohort]:
    """The tutor's cohorts, the newest course first."""
    return list(
        session.scalars(
            select(Cohort)
            .where(Cohort.tutor_id == tutor_id)
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        )
    )


def cohort_for(session: Session, tutor_id: int, cohort_id: int) -> Cohort:
    """The cohort if it is this tutor's; NotAllowed otherwise (missing or someone else's)."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.tutor_id != tutor_id:
        raise NotAllowed(cohort_id)
    return cohort


def member_ids(session: Session, cohort_id: int) -> list[int]:
    """The ids of the cohort's participants, in the order they joined."""
    return list(
        session.scalars(
            select(CohortMember.person_id)
            .where(CohortMember.cohort_id == cohort_id)
            .order_by(CohortMember.joined_at, CohortMember.id)
        )
    )


def participants(session: Session, cohort_id: int) -> list[Participant]:
    """The cohort's participants as the tutor sees them."""
    rows = session.execute(
        select(CohortMember.person_id, CohortMember.joined_at)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(CohortMember.joined_at, CohortMember.id)
    )
    return [Participant(pid, label_for(pid), times.aware(at)) for pid, at in rows]


def join(session: Session, cohort_id: int, person: Person, now: datetime | None = None) -> bool:
    """Add the person to the cohort (once), with the cohort-wide assignments not yet due.

    Returns whether they were new to it."""
    now = now or utcnow()
    found = session.scalar(
        select(CohortMember.id).where(
            CohortMember.cohort_id == cohort_id, CohortMember.person_id == person.id
        )
    )
    if found is not None:
        return False
    session.add(CohortMember(cohort_id=cohort_id, person_id=person.id, joined_at=now))
    session.flush()
    open_assignments = session.scalars(
        select(Assignment).where(
            Assignment.cohort_id == cohort_id,
            Assignment.person_id.is_(None),
            Assignment.due_at > now,
        )
    )
    for assignment in open_assignments:
        _add_task(session, assignment, person.id, now)
    return True


def join_cohort(session: Session, cohort_id: int, person_id: int) -> None:
    """Invite redemption's hook (bot.store.invites): the person joins the cohort, once."""
    person = session.get(Person, person_id)
    if person is not None and session.get(Cohort, cohort_id) is not None:
        join(session, cohort_id, person)


def _add_task(session: Session, assignment: Assignment, person_id: int, now: datetime) -> None:
    task = AssignmentTask(assignment_id=assignment.id, person_id=person_id, created_at=now)
    session.add(task)
    session.flush()
    goals.insert_due(session, person_id=person_id, kind=MESSAGE, ref_id=task.id, due_at=now)
    remind_at = times.local_day_plus(
        times.aware(assignment.due_at), -1, REMINDER_TIME, times.DEFAULT_TIMEZONE
    )
    if remind_at > now:
        goals.insert_due(
            session, person_id=person_id, kind=REMINDER, ref_id=task.id, due_at=remind_at
        )


def assign(
    session: Session,
    tutor_id: int,
    cohort_id: int,
    *,
    kind: str,
    item: str | None,
    due_at: datetime,
    person_id: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    """Set a practice dialogue for the whole cohort, or for one of its participants.

    Each participant gets a task, the assignment message (due now) and a reminder a day
    before `due_at` when that is still ahead. NotAllowed for a cohort or a person that is
    not the tutor's; ValueError for a kind it does not know or a due date already past.
    """
    now = now or utcnow()
    cohort_for(session, tutor_id, cohort_id)
    if kind not in ASSIGNMENT_KINDS or (kind == TEACHBACK) != bool(item):
        raise ValueError(f"bad assignment {kind!r} {item!r}")
    if due_at <= now:
        raise ValueError("the due date has passed")
    members = member_ids(session, cohort_id)
    if person_id is not None and person_id not in members:
        raise NotAllowed(person_id)
    assignment = Assignment(
        cohort_id=cohort_id,
        person_id=person_id,
        kind=kind,
        item=item if kind == TEACHBACK else None,
        due_at=due_at,
        assigned_by=tutor_id,
        created_at=now,
    )
    session.add(assignment)
    session.flush()
    for member in [person_id] if person_id is not None else members:
        _add_task(session, assignment, member, now)
    return assignment


def assignments_of(session: Session, cohort_id: int) -> list[Assignment]:
    """The cohort's assignments, the one due first first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.cohort_id == cohort_id)
            .order_by(Assignment.due_at, Assignment.id)
        )
    )


def tasks_of(session: Session, cohort_id: int) -> list[tuple[Assignment, AssignmentTask]]:
    """Every participant's task in the cohort, with its assignment."""
    rows = session.execute(
        select(Assignment, AssignmentTask)
        .join(AssignmentTask, AssignmentTask.assignment_id == Assignment.id)
        .where(Assignment.cohort_id == cohort_id)
        .order_by(Assignment.due_at, Assignment.id, AssignmentTask.person_id)
    )
    return [(a, t) for a, t in rows]


def task_with_assignment(
    session: Session, task_id: int
) -> tuple[AssignmentTask, Assignment] | None:
    """A task and its assignment, for the scheduler to render."""
    task = session.get(AssignmentTask, task_id)
    if task is None:
        return None
    assignment = session.get(Assignment, task.assignment_id)
    return None if assignment is None else (task, assignment)


def delivery_status(session: Session, task_ids: list[int]) -> dict[int, str]:
    """How each task's assignment message went: "pending", "sent", "skipped"..."""
    if not task_ids:
        return {}
    rows = session.execute(
        select(ScheduledMessage.ref_id, ScheduledMessage.status).where(
            ScheduledMessage.kind == MESSAGE, ScheduledMessage.ref_id.in_(task_ids)
        )
    )
    return {ref: status for ref, status in rows}
