"""The check-in a patient may be answering in words ("yes", "no") rather than a button."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import goals, people
from bot.store.models import CheckinResult, ScheduledMessage, utcnow


@dataclass(frozen=True)
class OpenCheckin:
    """A check-in sent in the last day and not answered yet."""

    id: int
    sent_at: datetime


def open_checkin(
    session: Session, sender_id: str, now: datetime | None = None
) -> OpenCheckin | None:
    """The latest unanswered check-in sent within the answer window, if any."""
    now = now or utcnow()
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    row = session.scalars(
        select(ScheduledMessage)
        .where(
            ScheduledMessage.person_id == person.id,
            ScheduledMessage.kind == goals.CHECKIN,
            ScheduledMessage.status == "sent",
            ScheduledMessage.sent_at.is_not(None),
            ScheduledMessage.sent_at >= now - goals.ANSWER_WINDOW,
        )
        .order_by(ScheduledMessage.sent_at.desc())
        .limit(1)
    ).one_or_none()
    if row is None or row.sent_at is None:
        return None
    answered = session.scalar(
        select(CheckinResult.id).where(CheckinResult.scheduled_message_id == row.id).limit(1)
    )
    return None if answered is not None else OpenCheckin(row.id, row.sent_at)
