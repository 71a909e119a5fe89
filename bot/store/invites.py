"""Invites: single-use, expiring codes that link a new patient to a clinician or a cohort.

Both channels call `redeem_invite` when someone enrols with a code (Telegram `/start CODE`,
the web widget's `?invite=CODE`). A code that is unknown, used or expired changes nothing:
the person simply gets the general path.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Invite, Person, utcnow

DEFAULT_LIFETIME = timedelta(days=14)
CODE_BYTES = 12  # 16 URL-safe characters: fits Telegram's 64-character /start parameter


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def create_invite(
    session: Session,
    *,
    created_by: int,
    clinician_id: int | None = None,
    cohort_id: int | None = None,
    label: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Invite:
    """A fresh code for a clinician's patient and/or a cohort's participant."""
    invite = Invite(
        code=secrets.token_urlsafe(CODE_BYTES),
        clinician_id=clinician_id,
        cohort_id=cohort_id,
        label=(label or "").strip()[:64] or None,
        created_by=created_by,
        expires_at=utcnow() + lifetime,
    )
    session.add(invite)
    session.flush()
    return invite


def find_invite(session: Session, code: str) -> Invite | None:
    """The invite with this code, if any."""
    return session.scalars(select(Invite).where(Invite.code == code)).one_or_none()


def status_of(invite: Invite) -> str:
    """ "used", "expired" or "open"."""
    if invite.used_at is not None:
        return "used"
    if _aware(invite.expires_at) <= utcnow():
        return "expired"
    return "open"


def invites_created_by(session: Session, staff_id: int) -> list[Invite]:
    """A staff member's invites, newest first."""
    return list(
        session.scalars(
            select(Invite).where(Invite.created_by == staff_id).order_by(Invite.id.desc())
        )
    )


def invites_for_cohort(session: Session, cohort_id: int) -> list[Invite]:
    """A cohort's invites, newest first."""
    return list(
        session.scalars(
            select(Invite).where(Invite.cohort_id == cohort_id).order_by(Invite.id.desc())
        )
    )


def _cohort_joiner() -> Callable[[Session, int, int], None] | None:
    """`bot.store.cohorts.join_cohort`, once the tutors' half provides it."""
    try:
        module = importlib.import_module("bot.store.cohorts")
    except ModuleNotFoundError:
        return None
    joiner = getattr(module, "join_cohort", None)
    return cast(Callable[[Session, int, int], None], joiner) if callable(joiner) else None


def redeem_invite(session: Session, person: Person, code: str) -> bool:
    """Use an open invite for `person`: link their clinician and cohort. False if the code
    is unknown, used or expired (nothing changes then)."""
    invite = session.scalars(
        select(Invite).where(Invite.code == code).with_for_update()
    ).one_or_none()
    if invite is None or status_of(invite) != "open":
        return False
    invite.used_at = utcnow()
    invite.used_by_person_id = person.id
    if invite.clinician_id is not None:
        person.clinician_id = invite.clinician_id
    if invite.cohort_id is not None:
        joiner = _cohort_joiner()
        if joiner is not None:
            joiner(session, invite.cohort_id, person.id)
    session.flush()
    return True
