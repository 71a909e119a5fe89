"""Repository functions for the Telegram channel: identities, updates seen, button ids.

A Telegram user is a `ChannelIdentity(channel="telegram", external_id=<user id>)` of a
person whose sender id is opaque (`tg-` and random), so the Telegram id never reaches the
engine, the tracker store or a log line.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store import invites
from bot.store.models import (
    ChannelIdentity,
    DeliveryFailure,
    Person,
    TelegramCallback,
    TelegramUpdate,
    utcnow,
)
from bot.store.people import LANGUAGES

CHANNEL = "telegram"
SENDER_PREFIX = "tg-"
UPDATE_MEMORY = timedelta(days=7)  # Telegram stops redelivering an update after 24 hours


@dataclass(frozen=True)
class TelegramUser:
    """Who a Telegram user is to the coach."""

    sender_id: str
    language: str
    active: bool
    paused: bool


def new_sender_id() -> str:
    """A fresh opaque sender id for a Telegram user."""
    return SENDER_PREFIX + secrets.token_urlsafe(18)


def _identity_by_user(session: Session, user_id: int) -> ChannelIdentity | None:
    return session.scalars(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == str(user_id)
        )
    ).one_or_none()


def _identity_by_sender(session: Session, sender_id: str) -> ChannelIdentity | None:
    return session.scalars(
        select(ChannelIdentity)
        .join(Person, Person.id == ChannelIdentity.person_id)
        .where(Person.sender_id == sender_id, ChannelIdentity.channel == CHANNEL)
    ).one_or_none()


def enrol_user(
    session: Session, user_id: int, language: str, invite_code: str | None = None
) -> TelegramUser:
    """The person behind a Telegram user, enrolled on first contact; talking makes them active.

    `language` is only used for a new person; an invite code, when given, replaces theirs.
    """
    identity = _identity_by_user(session, user_id)
    if identity is None:
        person = Person(
            sender_id=new_sender_id(), language=language if language in LANGUAGES else "en"
        )
        session.add(person)
        session.flush()
        identity = ChannelIdentity(person_id=person.id, channel=CHANNEL, external_id=str(user_id))
        session.add(identity)
    else:
        person = session.scalars(select(Person).where(Person.id == identity.person_id)).one()
        identity.active = True
    if invite_code:
        person.invite_code = invite_code
        invites.redeem_invite(session, person, invite_code)
    session.flush()
    return TelegramUser(person.sender_id, person.language, identity.active, identity.paused)


def chat_of(session: Session, sender_id: str) -> int | None:
    """The private chat (the Telegram user id) of an active Telegram sender, else None."""
    identity = _identity_by_sender(session, sender_id)
    if identity is None or not identity.active:
        return None
    return int(identity.external_id)


def set_active(session: Session, sender_id: str, active: bool) -> None:
    """Stop (blocked the bot, /stop) or restart all messages to a Telegram sender."""
    identity = _identity_by_sender(session, sender_id)
    if identity is not None:
        identity.active = active


def deactivate_user(session: Session, user_id: int) -> None:
    """The Telegram user blocked the bot: send them nothing more until they write again."""
    identity = _identity_by_user(session, user_id)
    if identity is not None:
        identity.active = False


def set_paused(session: Session, sender_id: str, paused: bool) -> None:
    """Hold back or allow proactive messages (reminders) to a Telegram sender."""
    identity = _identity_by_sender(session, sender_id)
    if identity is not None:
        identity.paused = paused


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def was_handled(session: Session, update_id: int) -> bool:
    """Whether this update was handled to the end before (a redelivery, even across restarts)."""
    return session.get(TelegramUpdate, update_id) is not None


def mark_handled(session: Session, update_id: int) -> None:
    """Record an update as handled. Only once it is: an update whose handling a crash cut
    short is not recorded, so Telegram's redelivery of it is handled, and nothing is lost."""
    session.execute(
        _insert(session)(TelegramUpdate)
        .values(update_id=update_id, received_at=utcnow())
        .on_conflict_do_nothing()
    )


def forget_old_updates(session: Session, keep: timedelta = UPDATE_MEMORY) -> None:
    """Drop update ids older than Telegram would ever redeliver."""
    session.execute(delete(TelegramUpdate).where(TelegramUpdate.received_at < utcnow() - keep))


def callback_token(payload: str) -> str:
    """A short, stable id for a button payload (16 characters)."""
    digest = hashlib.sha256(payload.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


def register_payloads(session: Session, payloads: Iterable[str]) -> dict[str, str]:
    """Short ids for button payloads, kept so a button still works after a restart."""
    tokens = {payload: callback_token(payload) for payload in payloads}
    for payload, token in tokens.items():
        session.execute(
            _insert(session)(TelegramCallback)
            .values(token=token, payload=payload, created_at=utcnow())
            .on_conflict_do_nothing()
        )
    return tokens


def payload_of(session: Session, token: str) -> str | None:
    """The payload behind a button's short id, if it is known."""
    row = session.get(TelegramCallback, token)
    return row.payload if row is not None else None


def record_failure(
    session: Session, sender_id: str, method: str, reason: str, attempts: int
) -> None:
    """Keep the fact (never the text) of a message Telegram would not take."""
    session.add(
        DeliveryFailure(
            sender_id=sender_id,
            channel=CHANNEL,
            method=method[:32],
            reason=reason[:64],
            attempts=attempts,
        )
    )
