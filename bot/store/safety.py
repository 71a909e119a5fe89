"""Repository functions for the safety net: flags for the care team and pending questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store import people
from bot.store.models import Person, SafetyFlag, SafetyQuestion, utcnow

QUESTION_LIFETIME = timedelta(minutes=30)
# People who said "keep nothing" get the safety reply, but no flag is kept about them.
NO_RECORDS = (people.CONSENT_REFUSED, people.CONSENT_WITHDRAWN)
# Open flags of these categories outlive a withdrawal of consent or an erasure: the care
# team must still see that someone reported an emergency or thoughts of self-harm (UK GDPR
# Article 9(2)(c), vital interests). No message text is ever in a flag.
KEPT_CATEGORIES = ("emergency", "distress")
KEPT_ON_WITHDRAWAL = "vital_interests_withdrawal"
KEPT_ON_ERASURE = "vital_interests_erasure"


@dataclass(frozen=True)
class PendingQuestion:
    """A yes/no safety question waiting for its answer."""

    sign: str
    category: str
    pending_text: str | None


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


def kept_flags_of_people_gone(session: Session, clinician_id: int | None) -> list[SafetyFlag]:
    """Open flags kept after the person was erased, for their clinician (or the queue)."""
    return [f for f in open_flags(session, clinician_id) if f.person_id is None]


def keep_vital_flags(session: Session, person: Person, *, erasing: bool) -> int:
    """Mark the person's open emergency and self-harm flags to be kept; on erasure detach
    them from the person, who is then known only by a pseudonymous label. Returns how many."""
    flags = list(
        session.scalars(
            select(SafetyFlag).where(
                SafetyFlag.person_id == person.id,
                SafetyFlag.acknowledged_at.is_(None),
                SafetyFlag.category.in_(KEPT_CATEGORIES),
            )
        )
    )
    for flag in flags:
        flag.kept_reason = KEPT_ON_ERASURE if erasing else KEPT_ON_WITHDRAWAL
        if erasing:
            flag.patient_label = people.pseudonymous_label(person.id)
            flag.person_id = None
    session.flush()
    return len(flags)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def ask_question(
    session: Session,
    sender_id: str,
    sign: str,
    language: str,
    *,
    category: str = "emergency",
    pending_text: str | None = None,
) -> None:
    """Remember that this sender was just asked a yes/no safety question about `sign`,
    and the message that raised it until the answer comes."""
    session.execute(delete(SafetyQuestion).where(SafetyQuestion.sender_id == sender_id))
    session.add(
        SafetyQuestion(
            sender_id=sender_id,
            sign=sign,
            language=language,
            category=category,
            pending_text=pending_text,
        )
    )


def forget_expired_questions(session: Session) -> int:
    """Delete questions nobody answered in time, with the message each one held."""
    cutoff = utcnow() - QUESTION_LIFETIME
    result = session.execute(delete(SafetyQuestion).where(SafetyQuestion.asked_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def take_question(session: Session, sender_id: str) -> PendingQuestion | None:
    """The question still waiting for this sender's answer (and forget it)."""
    question = session.scalars(
        select(SafetyQuestion).where(SafetyQuestion.sender_id == sender_id)
    ).one_or_none()
    if question is None:
        return None
    pending = PendingQuestion(
        question.sign, question.category or "emergency", question.pending_text
    )
    asked_at = _aware(question.asked_at)
    session.delete(question)
    forget_expired_questions(session)
    return pending if utcnow() - asked_at <= QUESTION_LIFETIME else None


def has_question(session: Session, sender_id: str) -> bool:
    """Whether a safety question waits for this sender (cheap check before `take_question`)."""
    found = session.scalar(
        select(SafetyQuestion.id).where(SafetyQuestion.sender_id == sender_id).limit(1)
    )
    return found is not None


def note_for(session: Session, flag_id: int | None) -> str:
    """What the patient may truthfully be told about a flag: "care_team" when their own
    clinician will see it, "service_team" when it waits in the unassigned queue, "none"
    when no flag was kept."""
    if flag_id is None:
        return "none"
    flag = session.get(SafetyFlag, flag_id)
    if flag is None:
        return "none"
    return "care_team" if flag.clinician_id is not None else "service_team"
