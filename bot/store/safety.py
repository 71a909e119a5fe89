"""Repository functions for the safety net: flags for the care team and pending questions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store import people
from bot.store.models import Person, SafetyFlag, SafetyQuestion, utcnow

QUESTION_LIFETIME = timedelta(minutes=30)
# People who said "keep nothing" get the safety reply, but no flag is kept about them.
NO_RECORDS = (people.CONSENT_REFUSED, people.CONSENT_WITHDRAWN)


def clinician_for(session: Session, person_id: int) -> int | None:
    """The patient's clinician (set by an invite or an admin); None puts the flag in the
    queue of unassigned flags."""
    return session.scalar(select(Person.clinician_id).where(Person.id == person_id))


def raise_flag(
    session: Session, sender_id: str, *, category: str, sign: str, channel: str, source: str
) -> int | None:
    """Record a red flag (no message text); its id, or None if the person refused records."""
    person = people.find_person(session, sender_id)
    if person is None:
        person = people.ensure_person(session, sender_id, channel=channel)
    if person.consent in NO_RECORDS:
        return None
    flag = SafetyFlag(
        person_id=person.id,
        clinician_id=clinician_for(session, person.id),
        category=category,
        sign=sign,
        channel=channel,
        source=source,
    )
    session.add(flag)
    session.flush()
    return flag.id


def open_flags(session: Session, clinician_id: int | None = None) -> list[SafetyFlag]:
    """Unacknowledged flags for one clinician, or the unassigned queue; newest first."""
    clinician = (
        SafetyFlag.clinician_id.is_(None)
        if clinician_id is None
        else SafetyFlag.clinician_id == clinician_id
    )
    return list(
        session.scalars(
            select(SafetyFlag)
            .where(clinician, SafetyFlag.acknowledged_at.is_(None))
            .order_by(SafetyFlag.raised_at.desc(), SafetyFlag.id.desc())
        )
    )


def ask_question(session: Session, sender_id: str, sign: str, language: str) -> None:
    """Remember that this sender was just asked a yes/no safety question about `sign`."""
    session.execute(delete(SafetyQuestion).where(SafetyQuestion.sender_id == sender_id))
    session.add(SafetyQuestion(sender_id=sender_id, sign=sign, language=language))


def take_question(session: Session, sender_id: str) -> str | None:
    """The sign of a question still waiting for this sender's answer (and forget it)."""
    question = session.scalars(
        select(SafetyQuestion).where(SafetyQuestion.sender_id == sender_id)
    ).one_or_none()
    if question is None:
        return None
    sign, asked_at = question.sign, question.asked_at
    session.delete(question)
    if asked_at.tzinfo is None:  # SQLite gives naive datetimes back
        asked_at = asked_at.replace(tzinfo=utcnow().tzinfo)
    return sign if utcnow() - asked_at <= QUESTION_LIFETIME else None


def has_question(session: Session, sender_id: str) -> bool:
    """Whether a safety question waits for this sender (cheap check before `take_question`)."""
    found = session.scalar(
        select(SafetyQuestion.id).where(SafetyQuestion.sender_id == sender_id).limit(1)
    )
    return found is not None
