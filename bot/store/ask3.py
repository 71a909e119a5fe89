"""Ask 3 Questions in the store: question lists, the appointment follow-up, rehearsals.

The clinician's portal reads `lists_for_person`; the scheduler sends the follow-up as a
`scheduled_messages` row of kind `FOLLOW_UP_KIND` the day after the appointment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.option_grids import find_grid
from bot.decisions.summary import QuestionList
from bot.scheduling import times
from bot.store import goals, people
from bot.store.models import Ask3FollowUp, Ask3List, Ask3Rehearsal, Person, utcnow

FOLLOW_UP_KIND = "ask3_followup"
GOT_ANSWERS = ("yes", "partly", "no")


@dataclass(frozen=True)
class FollowUpView:
    got_answers: str
    decided: str
    involvement: int
    answered_at: datetime


@dataclass(frozen=True)
class ListView:
    """A stored question list, as the portal and the printable page show it."""

    id: int
    language: str
    summary: QuestionList
    created_at: datetime
    follow_up_due_at: datetime | None
    follow_ups: list[FollowUpView]


def _person(session: Session, sender_id: str) -> Person:
    return people.ensure_person(session, sender_id, channel="rest")


def _view(session: Session, row: Ask3List) -> ListView:
    follow_ups = session.scalars(
        select(Ask3FollowUp).where(Ask3FollowUp.list_id == row.id).order_by(Ask3FollowUp.id)
    )
    return ListView(
        id=row.id,
        language=row.language,
        summary=QuestionList(
            decision=row.decision,
            options=row.options,
            questions={
                "options": row.q_options,
                "benefits_risks": row.q_benefits_risks,
                "likelihood": row.q_likelihood,
            },
            own_questions=list(row.own_questions or []),
            matters=row.matters,
            appointment_on=row.appointment_on,
            grid_id=row.grid_id,
        ),
        created_at=row.created_at,
        follow_up_due_at=row.follow_up_due_at,
        follow_ups=[
            FollowUpView(f.got_answers, f.decided, f.involvement, f.answered_at) for f in follow_ups
        ],
    )


def follow_up_time(appointment_on: date, zone: str = times.DEFAULT_TIMEZONE) -> datetime:
    """The day after the appointment, at the usual system time in the person's timezone."""
    at = times.DEFAULT_LOCAL_TIME
    return times.local_day_plus(times.local_instant(appointment_on, at, zone), 1, at, zone)


def _grid_version(grid_id: str | None) -> int | None:
    """The version of the option grid the list was made with (issue 10), if any."""
    grid = find_grid(grid_id) if grid_id else None
    return int(grid.version) if grid is not None and grid.version.isdigit() else None


def save_list(
    session: Session,
    sender_id: str,
    summary: QuestionList,
    language: str,
    now: datetime | None = None,
) -> ListView:
    """Store the list; with an appointment date still to come, plan the follow-up."""
    person = _person(session, sender_id)
    now = now or utcnow()
    due = follow_up_time(summary.appointment_on) if summary.appointment_on else None
    if due is not None and due <= now:
        due = None
    row = Ask3List(
        person_id=person.id,
        language=language,
        decision=summary.decision,
        options=summary.options,
        q_options=summary.questions.get("options", ""),
        q_benefits_risks=summary.questions.get("benefits_risks", ""),
        q_likelihood=summary.questions.get("likelihood", ""),
        own_questions=list(summary.own_questions),
        matters=summary.matters,
        grid_id=summary.grid_id,
        grid_version=_grid_version(summary.grid_id),
        appointment_on=summary.appointment_on,
        follow_up_due_at=due,
        created_at=now,
    )
    session.add(row)
    session.flush()
    if due is not None:
        goals.insert_due(
            session, person_id=person.id, kind=FOLLOW_UP_KIND, ref_id=row.id, due_at=due
        )
    return _view(session, row)


def lists_for_person(session: Session, person_id: int) -> list[ListView]:
    """Every question list the person made, newest first (for the clinician's portal)."""
    rows = session.scalars(
        select(Ask3List)
        .where(Ask3List.person_id == person_id)
        .order_by(Ask3List.created_at.desc(), Ask3List.id.desc())
    )
    return [_view(session, row) for row in rows]


def list_for_sender(
    session: Session, sender_id: str, list_id: int | None = None
) -> ListView | None:
    """One of the sender's own lists (the newest when no id is given); None if not theirs."""
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    query = select(Ask3List).where(Ask3List.person_id == person.id)
    if list_id is not None:
        query = query.where(Ask3List.id == list_id)
    row = session.scalars(query.order_by(Ask3List.id.desc()).limit(1)).one_or_none()
    return _view(session, row) if row is not None else None


def list_awaiting_follow_up(session: Session, sender_id: str) -> int | None:
    """The newest list with an appointment date and no follow-up answers yet."""
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    answered = select(Ask3FollowUp.list_id)
    found: int | None = session.scalar(
        select(Ask3List.id)
        .where(
            Ask3List.person_id == person.id,
            Ask3List.appointment_on.is_not(None),
            Ask3List.id.not_in(answered),
        )
        .order_by(Ask3List.id.desc())
        .limit(1)
    )
    return found


def save_follow_up(
    session: Session, sender_id: str, list_id: int, got_answers: str, decided: str, involvement: int
) -> None:
    """The follow-up's answers, kept with the list they follow up."""
    if got_answers not in GOT_ANSWERS:
        raise ValueError(f"got_answers must be one of {GOT_ANSWERS}")
    if not 0 <= involvement <= 10:
        raise ValueError("involvement is 0 to 10")
    person = _person(session, sender_id)
    session.add(
        Ask3FollowUp(
            person_id=person.id,
            list_id=list_id,
            got_answers=got_answers,
            decided=decided,
            involvement=involvement,
        )
    )


def save_rehearsal(
    session: Session,
    sender_id: str,
    scenario: str,
    asked: list[str],
    evidence: dict[str, list[str]],
    turns: int,
) -> None:
    """One practice: which of the three questions were asked, with the words that showed it."""
    person = _person(session, sender_id)
    session.add(
        Ask3Rehearsal(
            person_id=person.id, scenario=scenario, asked=asked, evidence=evidence, turns=turns
        )
    )


def rehearsals_for_person(session: Session, person_id: int) -> list[Ask3Rehearsal]:
    """The person's practices, newest first."""
    return list(
        session.scalars(
            select(Ask3Rehearsal)
            .where(Ask3Rehearsal.person_id == person_id)
            .order_by(Ask3Rehearsal.id.desc())
        )
    )


def add_own_question(
    session: Session,
    sender_id: str,
    question: str,
    language: str,
    new_list: QuestionList,
    now: datetime | None = None,
) -> ListView:
    """Add one of the person's own questions to their newest list (issue 17: a medicine
    question they chose to keep for the appointment); `new_list` when they have none yet."""
    person = _person(session, sender_id)
    row = session.scalars(
        select(Ask3List).where(Ask3List.person_id == person.id).order_by(Ask3List.id.desc())
    ).first()
    if row is None:
        return save_list(
            session, sender_id, replace(new_list, own_questions=[question]), language, now
        )
    row.own_questions = [*(row.own_questions or []), question]
    session.flush()
    return _view(session, row)
