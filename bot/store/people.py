"""Repository functions for people, their channel identities and consent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store import invites
from bot.store.models import ChannelIdentity, ConsentRecord, Conversation, Person, utcnow

LANGUAGES = ("en", "cy")
CONSENT_GIVEN = "given"
CONSENT_REFUSED = "refused"
CONSENT_PENDING = "pending"
CONSENT_WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Profile:
    """What the dialogue needs to know about a person at the start of a conversation."""

    sender_id: str
    language: str
    consent: str


def pseudonymous_label(person_id: int) -> str:
    """The label staff know a person by when a name must not show (tutors, kept flags)."""
    return f"P-{person_id:05d}"


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    return language


def find_person(session: Session, sender_id: str) -> Person | None:
    """The person behind a sender id, if they are known."""
    return session.scalars(select(Person).where(Person.sender_id == sender_id)).one_or_none()


def ensure_person(session: Session, sender_id: str, channel: str, language: str = "en") -> Person:
    """Find the person with this sender id, or enrol them with one identity on `channel`."""
    person = find_person(session, sender_id)
    if person is None:
        person = Person(sender_id=sender_id, language=_check_language(language))
        session.add(person)
        session.flush()
        session.add(ChannelIdentity(person_id=person.id, channel=channel, external_id=sender_id))
        session.flush()
    return person


def enrol_web_person(
    session: Session, sender_id: str, language: str, invite_code: str | None
) -> Person:
    """A new web conversation: a person, their web identity and their conversation record."""
    person = ensure_person(session, sender_id, channel="web", language=language)
    person.invite_code = invite_code
    if invite_code:
        invites.redeem_invite(session, person, invite_code)
    session.add(Conversation(person_id=person.id, channel="web"))
    return person


def load_profile(session: Session, sender_id: str) -> Profile | None:
    """Language and consent for a sender, or None if they are unknown."""
    person = find_person(session, sender_id)
    if person is None:
        return None
    return Profile(sender_id=person.sender_id, language=person.language, consent=person.consent)


def record_consent(
    session: Session, sender_id: str, *, given: bool, notice_version: str, channel: str = "rest"
) -> None:
    """Keep the decision and the notice version it answered; a refusal keeps nothing else."""
    person = ensure_person(session, sender_id, channel=channel)
    decision = CONSENT_GIVEN if given else CONSENT_REFUSED
    person.consent = decision
    session.add(
        ConsentRecord(person_id=person.id, decision=decision, notice_version=notice_version)
    )
    if not given:
        session.execute(delete(Conversation).where(Conversation.person_id == person.id))


def set_language(session: Session, sender_id: str, language: str, channel: str = "rest") -> None:
    """Remember the person's chosen language for every later conversation."""
    person = ensure_person(session, sender_id, channel=channel)
    person.language = _check_language(language)


def identity_is_active(session: Session, channel: str, external_id: str) -> bool:
    """Whether this channel identity exists and may still be talked to."""
    identity = session.scalars(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    ).one_or_none()
    return identity is not None and identity.active


def touch_conversation(session: Session, sender_id: str, channel: str) -> None:
    """Count a turn and move the conversation's last-activity time on."""
    person = find_person(session, sender_id)
    if person is None or person.consent != CONSENT_GIVEN:
        return
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.person_id == person.id, Conversation.channel == channel)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).one_or_none()
    if conversation is None:
        conversation = Conversation(person_id=person.id, channel=channel, turns=0)
        session.add(conversation)
    conversation.turns += 1
    conversation.last_activity_at = utcnow()
