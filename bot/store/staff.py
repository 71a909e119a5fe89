"""Portal staff: users (argon2 hashes), logins with a database-held lockout, and sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import StaffSession, StaffUser, utcnow

ROLES = ("admin", "clinician", "tutor", "lead")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Staff:
    """Who is logged in."""

    id: int
    email: str
    role: str


@dataclass(frozen=True)
class LoginResult:
    """A login attempt: the staff member on success; else whether the account is locked and
    how many failures in a row it has now (the caller slows down by that)."""

    staff: Staff | None
    locked: bool = False
    failures: int = 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively, without surrounding spaces."""
    return email.strip().lower()


def create_staff(session: Session, email: str, role: str, password: str) -> StaffUser:
    """A new portal user; ValueError on an unknown role, a short password or a taken email."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValueError("that is not an email address")
    if find_by_email(session, email) is not None:
        raise ValueError("a user with that email exists")
    user = StaffUser(email=email, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def find_by_email(session: Session, email: str) -> StaffUser | None:
    """The user with this email, if any."""
    return session.scalars(
        select(StaffUser).where(StaffUser.email == normalise_email(email))
    ).one_or_none()


def staff_of(user: StaffUser) -> Staff:
    """The plain view of a user."""
    return Staff(id=user.id, email=user.email, role=user.role)


def list_staff(session: Session, role: str | None = None) -> list[StaffUser]:
    """Every user (or those with one role), by email."""
    query = select(StaffUser).order_by(StaffUser.email)
    if role is not None:
        query = query.where(StaffUser.role == role)
    return list(session.scalars(query))


def check_login(session: Session, email: str, password: str) -> LoginResult:
    """Verify a password; count failures; lock for LOCKOUT after MAX_FAILURES in a row."""
    user = find_by_email(session, email)
    now = utcnow()
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return LoginResult(None)
    if user.locked_until is not None and _aware(user.locked_until) > now:
        return LoginResult(None, locked=True, failures=user.failed_logins)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            return LoginResult(None, locked=True, failures=MAX_FAILURES)
        return LoginResult(None, failures=user.failed_logins)
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(staff_of(user))


def set_active(session: Session, staff_id: int, active: bool) -> bool:
    """Deactivate a user (logging them out everywhere) or reactivate them, lifting any lock."""
    user = session.get(StaffUser, staff_id)
    if user is None:
        return False
    user.active = active
    user.failed_logins = 0
    user.locked_until = None
    if not active:
        session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, staff_id: int) -> tuple[str, str]:
    """A new login session: (the cookie's token, the session's CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_digest(token),
            staff_id=staff_id,
            csrf_token=csrf,
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    return token, csrf


def resume_session(session: Session, token: str) -> tuple[Staff, str] | None:
    """The staff member and CSRF token behind a cookie's token, if it is live."""
    row = session.get(StaffSession, _digest(token))
    if row is None:
        return None
    if _aware(row.expires_at) <= utcnow():
        session.delete(row)
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.active:
        return None
    return staff_of(user), row.csrf_token


def close_session(session: Session, token: str) -> None:
    """Log out: the token stops working."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
