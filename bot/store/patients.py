"""What the portal shows clinicians about their own patients, read in one place.

Every function takes the clinician's id and returns nothing about anyone else's patients.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import (
    ActionPlan,
    CheckinResult,
    ConfidenceRating,
    Conversation,
    Invite,
    Measure,
    Person,
    SafetyFlag,
    TeachbackAttempt,
    TeachbackFollowUp,
    TeachbackPointResult,
    TeachbackTextConsent,
    utcnow,
)

SORT_KEYS = ("id", "label", "joined", "flags", "last_activity", "goals")


@dataclass(frozen=True)
class PatientRow:
    """One line of a clinician's "My patients" list."""

    id: int
    label: str | None
    joined: datetime
    flags: int
    last_activity: datetime | None
    goals: int


@dataclass(frozen=True)
class PointRow:
    """One key point's grade in one teach-back attempt."""

    module_id: str
    chunk_id: str
    attempt: int
    key_point_id: str
    covered: bool
    evidence: list[str]
    at: datetime
    answer_text: str | None = None  # the attempt in their own words, only with their consent


@dataclass
class PatientRecord:
    """Everything on a patient's page (and in their exports)."""

    person: Person
    label: str | None
    plans: list[ActionPlan] = field(default_factory=list)
    checkins: list[CheckinResult] = field(default_factory=list)
    confidence: list[ConfidenceRating] = field(default_factory=list)
    points: list[PointRow] = field(default_factory=list)
    follow_ups: list[TeachbackFollowUp] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    flags: list[SafetyFlag] = field(default_factory=list)
    ask3_lists: list[Any] | None = None  # None: the Ask 3 store is not there yet


def _label_of(session: Session, person_id: int) -> str | None:
    return session.scalar(
        select(Invite.label).where(Invite.used_by_person_id == person_id).order_by(Invite.id)
    )


def patients_of(
    session: Session, clinician_id: int, sort: str = "id", desc: bool = False
) -> list[PatientRow]:
    """The clinician's patients with open flags, last activity and active goals."""
    flags = (
        select(SafetyFlag.person_id, func.count().label("n"))
        .where(SafetyFlag.acknowledged_at.is_(None))
        .group_by(SafetyFlag.person_id)
        .subquery()
    )
    goals = (
        select(ActionPlan.person_id, func.count().label("n"))
        .where(ActionPlan.status == "active")
        .group_by(ActionPlan.person_id)
        .subquery()
    )
    activity = (
        select(Conversation.person_id, func.max(Conversation.last_activity_at).label("at"))
        .group_by(Conversation.person_id)
        .subquery()
    )
    labels = (
        select(Invite.used_by_person_id.label("person_id"), func.max(Invite.label).label("label"))
        .where(Invite.used_by_person_id.is_not(None))
        .group_by(Invite.used_by_person_id)
        .subquery()
    )
    query = (
        select(Person.id, labels.c.label, Person.created_at, flags.c.n, activity.c.at, goals.c.n)
        .outerjoin(flags, flags.c.person_id == Person.id)
        .outerjoin(goals, goals.c.person_id == Person.id)
        .outerjoin(activity, activity.c.person_id == Person.id)
        .outerjoin(labels, labels.c.person_id == Person.id)
        .where(Person.clinician_id == clinician_id)
    )
    rows = [
        PatientRow(pid, label, joined, n_flags or 0, last, n_goals or 0)
        for pid, label, joined, n_flags, last, n_goals in session.execute(query)
    ]
    key = sort if sort in SORT_KEYS else "id"
    oldest = datetime.min

    def sort_key(row: PatientRow) -> Any:
        value = getattr(row, key)
        if key == "label":
            return (value is None, value or "")
        if key == "last_activity":
            return (value or oldest).replace(tzinfo=None)
        if key == "joined":
            return value.replace(tzinfo=None)
        return value

    return sorted(rows, key=sort_key, reverse=desc)


def own_patient(session: Session, clinician_id: int, person_id: int) -> Person | None:
    """The person, only if they are this clinician's patient."""
    person = session.get(Person, person_id)
    return person if person is not None and person.clinician_id == clinician_id else None


def _ask3_lists(session: Session, person_id: int) -> list[Any] | None:
    """Ask 3 question lists, newest first, when the Ask 3 store (issue 5) is there."""
    try:
        module = importlib.import_module("bot.store.ask3")
    except ModuleNotFoundError:
        return None
    lists_for_person = getattr(module, "lists_for_person", None)
    if lists_for_person is None:
        return None
    return list(lists_for_person(session, person_id))


def record_of(session: Session, clinician_id: int, person_id: int) -> PatientRecord | None:
    """A patient's goals, check-ins, teach-back, measures, flags and Ask 3 lists."""
    person = own_patient(session, clinician_id, person_id)
    if person is None:
        return None
    record = PatientRecord(person=person, label=_label_of(session, person_id))
    record.plans = list(
        session.scalars(
            select(ActionPlan).where(ActionPlan.person_id == person_id).order_by(ActionPlan.id)
        )
    )
    record.checkins = list(
        session.scalars(
            select(CheckinResult)
            .where(CheckinResult.person_id == person_id)
            .order_by(CheckinResult.answered_at, CheckinResult.id)
        )
    )
    record.confidence = list(
        session.scalars(
            select(ConfidenceRating)
            .where(ConfidenceRating.person_id == person_id)
            .order_by(ConfidenceRating.rated_at, ConfidenceRating.id)
        )
    )
    points = session.execute(
        select(TeachbackAttempt, TeachbackPointResult)
        .join(TeachbackPointResult, TeachbackPointResult.attempt_id == TeachbackAttempt.id)
        .where(TeachbackAttempt.person_id == person_id)
        .order_by(
            TeachbackAttempt.module_id,
            TeachbackAttempt.created_at,
            TeachbackAttempt.id,
            TeachbackPointResult.id,
        )
    )
    consent = session.get(TeachbackTextConsent, person_id)
    keeps_words = bool(consent and consent.keep_answer_text)
    record.points = [
        PointRow(
            attempt.module_id,
            attempt.chunk_id,
            attempt.attempt_number,
            result.key_point_id,
            result.covered,
            list(result.evidence or []),
            attempt.created_at,
            attempt.answer_text if keeps_words else None,
        )
        for attempt, result in points
    ]
    record.follow_ups = list(
        session.scalars(
            select(TeachbackFollowUp)
            .where(TeachbackFollowUp.person_id == person_id)
            .order_by(TeachbackFollowUp.created_at)
        )
    )
    record.measures = list(
        session.scalars(
            select(Measure)
            .where(Measure.person_id == person_id)
            .order_by(Measure.recorded_at, Measure.id)
        )
    )
    record.flags = list(
        session.scalars(
            select(SafetyFlag)
            .where(SafetyFlag.person_id == person_id)
            .order_by(SafetyFlag.raised_at.desc(), SafetyFlag.id.desc())
        )
    )
    record.ask3_lists = _ask3_lists(session, person_id)
    return record


def acknowledge_flag(
    session: Session, flag_id: int, staff_id: int, clinician_id: int | None
) -> SafetyFlag | None:
    """Mark a flag seen by `staff_id`, now. Only the patient's clinician (or, for an
    unassigned patient, an admin: `clinician_id=None`) may; None when not allowed."""
    flag = session.get(SafetyFlag, flag_id)
    if flag is None:
        return None
    if flag.person_id is None:  # kept after the person left: its clinician at the time
        owner = flag.clinician_id
    else:
        owner = session.scalar(select(Person.clinician_id).where(Person.id == flag.person_id))
    if owner != clinician_id:
        return None
    if flag.acknowledged_at is None:
        flag.acknowledged_at = utcnow()
        flag.acknowledged_by = str(staff_id)
    return flag
