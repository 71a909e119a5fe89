"""Portal staff: users (argon2 hashes), logins with a database-held lockout, and sessions.

The lockout counts failed logins per attempted email *and* client address (`client`, see
`client_key`), in `staff_login_throttles`, with one atomic statement per attempt taken
*before* the password is checked: a concurrent burst cannot get more than MAX_FAILURES
guesses past it, an unknown email is counted and answered exactly like a real one (a dummy
hash is verified instead), and a stranger's failures lock only the stranger's address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from bot.store.models import StaffLoginThrottle, StaffSession, StaffUser, utcnow

ROLES = ("admin", "clinician", "tutor", "lead")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 12
# zxcvbn's score, 0-4: 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3
# zxcvbn is slow on long input; a longer password is scored on its first characters.
SCORED_LENGTH = 72
# Failure counts older than this (with no lock running) are forgotten and their rows pruned.
FAILURE_MEMORY = LOCKOUT

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


class StaffRefused(ValueError):
    """A new user was refused. `reason` is one of "role", "email", "email_taken",
    "password_short", "password_weak" (the portal's template words each); the message says
    the same in English for the command line, and never holds the password."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def checked_email(email: str) -> str:
    """The normalised email, or StaffRefused("email") if it is not a valid address. Checked
    offline: the domain is never looked up."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise StaffRefused("email", f"that is not a valid email address ({exc})") from exc
    return email


def check_password(password: str, email: str = "") -> None:
    """StaffRefused unless the password is long enough and hard to guess: zxcvbn's score
    (its own lists of common passwords, words, names and patterns; the user's email and the
    service's name count as easy guesses too) must be at least MIN_PASSWORD_SCORE."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffRefused(
            "password_short", f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    local, _, domain = normalise_email(email).partition("@")
    hints = [email, local, re.sub(r"[^a-z0-9]", "", local), *re.split(r"[^a-z0-9]+", local)]
    hints += [*domain.split("."), "cocreate", "co-create", "coach", "portal", "nhs"]
    found = zxcvbn(password[:SCORED_LENGTH], user_inputs=[h for h in hints if h])
    if found["score"] < MIN_PASSWORD_SCORE:
        feedback = found["feedback"]
        advice = " ".join(filter(None, [feedback["warning"], *feedback["suggestions"]]))
        raise StaffRefused(
            "password_weak",
            "the password is too easy to guess" + (f": {advice}" if advice else ""),
        )


def create_staff(session: Session, email: str, role: str, password: str) -> StaffUser:
    """A new portal user; StaffRefused (a ValueError) on an unknown role, an invalid or taken
    email, or a short or easily guessed password."""
    if role not in ROLES:
        raise StaffRefused("role", f"role must be one of {', '.join(ROLES)}")
    email = checked_email(email)
    check_password(password, email)
    if find_by_email(session, email) is not None:
        raise StaffRefused("email_taken", "a user with that email exists")
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


def email_digest(email: str) -> str:
    """How a login attempt's email is kept in the throttle table: its SHA-256, normalised."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def client_key(address: str) -> str:
    """The client a lock is held against: its IP address, an IPv6 one by its /64 (a single
    host usually has the whole /64), an IPv4-mapped one as IPv4; "unknown" if unparseable."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def _count_attempt(session: Session, digest: str, client: str) -> int:
    """Add this attempt to the (email, client) count in one atomic statement and return the
    count; a running lock reads as more than MAX_FAILURES. A stale count starts again."""
    now = utcnow()
    table = StaffLoginThrottle
    stale = or_(
        table.locked_until <= now,
        and_(table.locked_until.is_(None), table.last_attempt_at <= now - FAILURE_MEMORY),
    )
    locked = table.locked_until > now
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(
        email_digest=digest, client=client, failures=1, locked_until=None, last_attempt_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.email_digest, table.client],
        set_={
            "failures": case((stale, 1), else_=table.failures + 1),
            "locked_until": case((stale, None), else_=table.locked_until),
            "last_attempt_at": now,
        },
    ).returning(table.failures, case((locked, 1), else_=0))
    failures, was_locked = session.execute(statement).one()
    return MAX_FAILURES + 1 if was_locked else int(failures)


def _lock(session: Session, digest: str, client: str, user: StaffUser | None) -> None:
    """Lock (email, client) for LOCKOUT unless a lock runs already; show it to admins."""
    now = utcnow()
    until = now + LOCKOUT
    session.execute(
        update(StaffLoginThrottle)
        .where(
            StaffLoginThrottle.email_digest == digest,
            StaffLoginThrottle.client == client,
            or_(StaffLoginThrottle.locked_until.is_(None), StaffLoginThrottle.locked_until <= now),
        )
        .values(locked_until=until, failures=0)
    )
    if user is not None:
        session.execute(update(StaffUser).where(StaffUser.id == user.id).values(locked_until=until))


def _prune(session: Session) -> None:
    """Forget failure counts that no longer matter (no lock running, nothing for a while)."""
    now = utcnow()
    session.execute(
        delete(StaffLoginThrottle).where(
            StaffLoginThrottle.last_attempt_at <= now - FAILURE_MEMORY,
            or_(StaffLoginThrottle.locked_until.is_(None), StaffLoginThrottle.locked_until <= now),
        )
    )


def check_login(session: Session, email: str, password: str, *, client: str = "") -> LoginResult:
    """Verify a password from `client` (an IP address); lock (email, client) for LOCKOUT
    after MAX_FAILURES in a row.

    The attempt is counted (and committed) first, in one atomic statement, and a locked or
    over-count attempt is refused without looking at the password. An unknown or inactive
    email goes the same way as a real one, with a dummy hash verified, so the answers (and the
    work) are the same and do not tell whether the email belongs to staff.
    """
    digest, where = email_digest(email), client_key(client)
    _prune(session)
    attempt = _count_attempt(session, digest, where)
    session.commit()
    user = find_by_email(session, email)
    if user is not None and not user.active:
        user = None
    if attempt > MAX_FAILURES:
        _lock(session, digest, where, user)
        return LoginResult(None, locked=True, failures=MAX_FAILURES)
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        verified = None
    else:
        verified = user
    if verified is None:
        if attempt >= MAX_FAILURES:
            _lock(session, digest, where, user)
            return LoginResult(None, locked=True, failures=MAX_FAILURES)
        return LoginResult(None, failures=attempt)
    user = verified
    session.execute(
        update(StaffLoginThrottle)
        .where(StaffLoginThrottle.email_digest == digest, StaffLoginThrottle.client == where)
        .values(failures=0, locked_until=None)
    )
    user.failed_logins = 0
    # Admins still see a lock that runs against this email from another address.
    user.locked_until = session.scalar(
        select(func.max(StaffLoginThrottle.locked_until)).where(
            StaffLoginThrottle.email_digest == digest, StaffLoginThrottle.locked_until > utcnow()
        )
    )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(staff_of(user))


def set_active(session: Session, staff_id: int, active: bool) -> bool:
    """Deactivate a user (logging them out everywhere) or reactivate them, lifting any lock
    (from every address)."""
    user = session.get(StaffUser, staff_id)
    if user is None:
        return False
    user.active = active
    user.failed_logins = 0
    user.locked_until = None
    session.execute(
        delete(StaffLoginThrottle).where(
            StaffLoginThrottle.email_digest == email_digest(user.email)
        )
    )
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
