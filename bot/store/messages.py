"""Repository functions for kept inbound messages and replies waiting to be shown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import column, delete, inspect, select, table
from sqlalchemy.orm import Session

from bot.engine_client import normalise
from bot.store.models import KeptMessage, OutboundMessage, utcnow


@dataclass(frozen=True)
class Kept:
    """A message waiting for the engine."""

    id: int
    sender_id: str
    channel: str
    text: str
    turn_id: str | None = None
    not_before: datetime | None = None


def keep_message(
    session: Session,
    sender_id: str,
    channel: str,
    text: str,
    turn_id: str | None = None,
    not_before: datetime | None = None,
) -> int:
    """Keep a message the engine could not take; returns its id.

    `turn_id` is the id the gateway sent it with, if it tried: the engine may have taken the
    turn before the connection broke, and `answered_turn` finds out.
    """
    row = KeptMessage(
        sender_id=sender_id,
        channel=channel,
        text=text,
        attempts=0,
        turn_id=turn_id,
        not_before=not_before,
    )
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
    return [Kept(r.id, r.sender_id, r.channel, r.text or "", r.turn_id, r.not_before) for r in rows]


def is_kept(session: Session, sender_id: str, turn_id: str) -> bool:
    """Whether the message sent with `turn_id` is kept, still waiting for the engine."""
    found = session.scalar(
        select(KeptMessage.id).where(
            KeptMessage.sender_id == sender_id,
            KeptMessage.turn_id == turn_id,
            KeptMessage.delivered_at.is_(None),
        )
    )
    return found is not None


def settle_turn(session: Session, sender_id: str, turn_id: str) -> None:
    """The engine has the turn `turn_id`: a kept copy of it is delivered, not to be sent."""
    for row in session.scalars(
        select(KeptMessage).where(
            KeptMessage.sender_id == sender_id,
            KeptMessage.turn_id == turn_id,
            KeptMessage.delivered_at.is_(None),
        )
    ):
        row.delivered_at = utcnow()
        row.text = None


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


def count_attempt(session: Session, kept_id: int, not_before: datetime | None = None) -> None:
    """One more failed delivery attempt; with `not_before`, not tried again until then (the
    engine may still be working on it)."""
    row = session.get(KeptMessage, kept_id)
    if row is not None:
        row.attempts += 1
        if not_before is not None:
            row.not_before = not_before


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


_EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("data"))
TURN_REPLIES_LIMIT = 100  # events read after a turn's user event: far more than one turn makes


_TRACKER_STORES: set[str] = set()  # databases known to hold Rasa's events table


def _has_events(session: Session) -> bool:
    """Whether Rasa's tracker store (the `events` table) is in this database; once it is
    there it stays, so that answer is remembered and costs no query on every turn."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    if key in _TRACKER_STORES:
        return True
    if not inspect(bind).has_table("events"):
        return False
    _TRACKER_STORES.add(key)
    return True


def answered_turn(session: Session, sender_id: str, turn_id: str) -> list[dict[str, Any]] | None:
    """The engine's replies to the turn sent with `turn_id`, if its tracker holds that turn.

    The gateway sends each turn's id in the message metadata, which Rasa keeps on the user
    event. A turn whose answer was lost on the way back (the engine died, a timeout, the
    gateway died) is then recognised instead of being sent twice. None when the engine never
    took the turn. Turn ids are random-looking hex, so a text match narrows the search to
    that one user event, which is then checked properly.
    """
    if not _has_events(session):
        return None
    candidates = session.execute(
        select(_EVENTS.c.id, _EVENTS.c.data)
        .where(
            _EVENTS.c.sender_id == sender_id,
            _EVENTS.c.type_name == "user",
            _EVENTS.c.data.contains(turn_id, autoescape=True),
        )
        .order_by(_EVENTS.c.id.desc())
    ).all()
    user_event_id = next(
        (
            event_id
            for event_id, data in candidates
            if (json.loads(data).get("metadata") or {}).get("turn") == turn_id
        ),
        None,
    )
    if user_event_id is None:
        return None
    following = session.execute(
        select(_EVENTS.c.type_name, _EVENTS.c.data)
        .where(
            _EVENTS.c.sender_id == sender_id,
            _EVENTS.c.id > user_event_id,
            _EVENTS.c.type_name.in_(("user", "bot")),
        )
        .order_by(_EVENTS.c.id)
        .limit(TURN_REPLIES_LIMIT)
    ).all()
    replies: list[dict[str, Any]] = []
    for type_name, data in following:
        if type_name == "user":
            break
        replies.append(json.loads(data))
    return [dict(m) for m in normalise([_as_rest_output(e) for e in replies])]


def _as_rest_output(event: dict[str, Any]) -> dict[str, Any]:
    """A tracker's bot event as the REST channel would have sent it."""
    data = {k: v for k, v in (event.get("data") or {}).items() if v is not None}
    return {"text": event.get("text"), **data}


def forget_tracker(session: Session, sender_id: str) -> None:
    """Delete the engine's conversation history for a sender (Rasa's SQL tracker `events`)."""
    if not inspect(session.get_bind()).has_table("events"):
        return
    events = table("events", column("sender_id"))
    session.execute(delete(events).where(events.c.sender_id == sender_id))
