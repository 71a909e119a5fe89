"""Co-evaluation in the store (issue 10): clarity ratings and suggestions about a module or
an option grid, patients' stories for improvement, and re-engagement nudge state.

The conversation side (actions) records through these functions; the lead's portal reads
the rows in aggregate only (bot/improvement/aggregates.py), never with sender ids.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import people
from bot.store.models import ContentFeedback, NudgeState, PatientStory, Person

ITEM_KINDS = ("module", "grid")
CLARITY_MIN = 1
CLARITY_MAX = 5
SUGGESTION_MAX = 2000
STORY_MAX = 8000


def _person(session: Session, sender_id: str) -> Person:
    return people.ensure_person(session, sender_id, channel="rest")


def record_clarity(
    session: Session,
    sender_id: str,
    item_kind: str,
    item_id: str,
    content_version: int,
    clarity: int | None,
    language: str,
    channel: str,
    chunk_id: str | None = None,
) -> int:
    """Store a clarity rating (1-5, or None when only a suggestion follows); its row id.

    Raises ValueError for an unknown item kind or a rating outside 1-5.
    """
    if item_kind not in ITEM_KINDS:
        raise ValueError(f"item_kind must be one of {ITEM_KINDS}")
    if clarity is not None and not CLARITY_MIN <= clarity <= CLARITY_MAX:
        raise ValueError("clarity must be 1 to 5")
    person = _person(session, sender_id)
    row = ContentFeedback(
        person_id=person.id,
        item_kind=item_kind,
        item_id=item_id[:64],
        chunk_id=chunk_id[:64] if chunk_id else None,
        content_version=content_version,
        clarity=clarity,
        language=language[:8],
        channel=channel[:16],
    )
    session.add(row)
    session.flush()
    return row.id


def add_suggestion(session: Session, sender_id: str, feedback_id: int, text: str) -> bool:
    """Attach "what could we explain better" to the sender's own feedback row.

    False when the row is not theirs (or gone) or the text is blank; nothing changes then.
    """
    person = people.find_person(session, sender_id)
    cleaned = text.strip()
    if person is None or not cleaned:
        return False
    row = session.get(ContentFeedback, feedback_id)
    if row is None or row.person_id != person.id:
        return False
    row.suggestion = cleaned[:SUGGESTION_MAX]
    session.flush()
    return True


def record_story(
    session: Session, sender_id: str, text: str, language: str, share_consent: bool
) -> int:
    """Store a patient's story in their own words; its row id. Raises ValueError if blank."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("a story needs some text")
    person = _person(session, sender_id)
    row = PatientStory(
        person_id=person.id,
        text=cleaned[:STORY_MAX],
        language=language[:8],
        share_consent=share_consent,
    )
    session.add(row)
    session.flush()
    return row.id


def nudge_state(session: Session, person_id: int) -> NudgeState:
    """The person's nudge state, created with the defaults (on, none unanswered) if new."""
    state = session.get(NudgeState, person_id)
    if state is None:
        state = NudgeState(person_id=person_id, nudges_off=False, unanswered=0)
        session.add(state)
        session.flush()
    return state


def set_nudges_off(session: Session, sender_id: str, off: bool) -> None:
    """Turn re-engagement nudges off (True) or back on (False) for the sender."""
    person = _person(session, sender_id)
    state = nudge_state(session, person.id)
    state.nudges_off = off
    if not off:
        state.unanswered = 0
    session.flush()


def shared_stories(session: Session) -> list[PatientStory]:
    """Stories their tellers agreed to share with the improvement team, newest first."""
    return list(
        session.scalars(
            select(PatientStory)
            .where(PatientStory.share_consent.is_(True))
            .order_by(PatientStory.created_at.desc(), PatientStory.id.desc())
        )
    )
