"""Repository functions for kept inbound messages and replies waiting to be shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import KeptMessage, OutboundMessage, utcnow


@dataclass(frozen=True)
class Kept:
    """A message waiting for the engine."""

    id: int
    sender_id: str
    channel: str
    text: str


def keep_message(session: Session, sender_id: str, channel: str, text: str) -> int:
    """Keep a message the engine could not take; returns its id."""
    row = KeptMessage(sender_id=sender_id, channel=channel, text=text, attempts=0)
    session.add(row)
    session.flush()
    return row.id


def pending_for(session: Session, sender_id: str) -> list[Kept]:
    """This sender's kept messages, oldest first."""
    rows = session.scalars(
        select(KeptMessage)
        .where(KeptMessage.sender_id == sender_id, KeptMessage.delivered_at.is_(None))
        .order_by(KeptMessage.id)
    )
    return [Kept(r.id, r.sender_id, r.channel, r.text or "") for r in rows]


def senders_with_pending(session: Session, limit: int = 100) -> list[str]:
    """Senders who have messages waiting for the engine."""
    rows = session.scalars(
        select(KeptMessage.sender_id)
        .where(KeptMessage.delivered_at.is_(None))
        .group_by(KeptMessage.sender_id)
        .order_by(KeptMessage.sender_id)
        .limit(limit)
    )
    return list(rows)


def mark_delivered(session: Session, kept_id: int) -> None:
    """The engine has the message now: drop the text, keep the fact of delivery."""
    row = session.get(KeptMessage, kept_id)
    if row is not None:
        row.delivered_at = utcnow()
        row.text = None


def count_attempt(session: Session, kept_id: int) -> None:
    """One more failed delivery attempt."""
    row = session.get(KeptMessage, kept_id)
    if row is not None:
        row.attempts += 1


def hold_replies(session: Session, sender_id: str, messages: list[dict[str, Any]]) -> None:
    """Keep replies for someone who is not connected, to show when they come back."""
    for message in messages:
        session.add(OutboundMessage(sender_id=sender_id, payload=message))


def take_held_replies(session: Session, sender_id: str) -> list[dict[str, Any]]:
    """Replies held for this sender, oldest first; they are marked shown."""
    rows = list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.sender_id == sender_id, OutboundMessage.delivered_at.is_(None))
            .order_by(OutboundMessage.id)
        )
    )
    now = utcnow()
    for row in rows:
        row.delivered_at = now
    return [dict(r.payload) for r in rows]


def forget_tracker(session: Session, sender_id: str) -> None:
    """Delete the engine's conversation history for a sender (Rasa's SQL tracker `events`)."""
    from sqlalchemy import column, inspect, table

    if not inspect(session.get_bind()).has_table("events"):
        return
    events = table("events", column("sender_id"))
    session.execute(delete(events).where(events.c.sender_id == sender_id))
