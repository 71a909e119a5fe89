"""Signed, unguessable web tokens. The server picks the sender id, never the client.

Two kinds, each signed with its own key derived from SECRET_KEY so one can never pass for
the other:

- the session token (`issue`/`check`): the sender id, when the session ends, and their
  HMAC, the login itself. It ends after `WEB_SESSION_IDLE_DAYS` without use, and each use
  after the first hour renews it (`renewal`): the gateway hands back a fresh token. It
  never goes in the URL of a page the person opens (a URL is kept in history and printed);
- a socket ticket (`socket_ticket`/`read_socket_ticket`): opens one WebSocket, once, within
  a minute, so the session token itself never travels on the socket. Its random nonce is
  recorded as spent (`bot.coordination.TicketBook`);
- a print link (`print_link`/`read_print_link`): reads one Ask 3 question list for a few
  minutes. It holds the list id and its expiry, and its signature binds them to the list's
  owner, whose sender id is not in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import Enum

from bot.portal.ids import parse_id

PREFIX = "web-"
PRINT_LINK_PURPOSE = b"ask3-print-link"
SESSION_PURPOSE = b"web-session"
SOCKET_TICKET_PURPOSE = b"web-socket-ticket"
SOCKET_TICKET_SECONDS = 60
DEFAULT_IDLE_SECONDS = 30 * 24 * 3600
# A token is renewed on use once it is this old, so that a busy chat does not mint one a turn.
RENEW_AFTER_SECONDS = 3600


def new_sender_id() -> str:
    """A fresh opaque sender id for a web conversation."""
    return PREFIX + secrets.token_urlsafe(18)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _session_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), SESSION_PURPOSE, hashlib.sha256).digest()


def _signature(secret_key: str, sender_id: str, expires_at: int) -> str:
    message = f"{sender_id}\0{expires_at}".encode()
    return _b64(hmac.new(_session_key(secret_key), message, hashlib.sha256).digest())


def issue(
    secret_key: str,
    sender_id: str,
    *,
    now: float | None = None,
    lifetime: float = DEFAULT_IDLE_SECONDS,
) -> str:
    """The bearer token for a sender, `<sender id>.<end, Unix seconds>~<HMAC of both>`
    (the sender id is everything before the dot, as it always was)."""
    expires_at = int((time.time() if now is None else now) + lifetime)
    return f"{sender_id}.{expires_at}~{_signature(secret_key, sender_id, expires_at)}"


class Status(Enum):
    VALID = "valid"
    EXPIRED = "expired"  # signed here, but unused for too long: "please start again"
    INVALID = "invalid"


@dataclass(frozen=True)
class Checked:
    """What a presented token turned out to be."""

    status: Status
    sender_id: str | None = None
    expires_at: int = 0


def check(secret_key: str, token: str, *, now: float | None = None) -> Checked:
    """Whether the token was signed with this key, and whether its session has ended.

    A token from before sessions ended (`sender.signature`, no end) counts as expired: its
    owner is asked, kindly, to start again, and what they said is kept."""
    moment = time.time() if now is None else now
    sender_id, dot, rest = token.partition(".")
    if not dot or not sender_id.startswith(PREFIX) or "." in rest:
        return Checked(Status.INVALID)
    end, tilde, signature = rest.partition("~")
    if not tilde:
        legacy = _b64(hmac.new(secret_key.encode(), sender_id.encode(), hashlib.sha256).digest())
        if rest and hmac.compare_digest(rest, legacy):
            return Checked(Status.EXPIRED, sender_id)
        return Checked(Status.INVALID)
    if not end.isdigit() or not signature:
        return Checked(Status.INVALID)
    expires_at = int(end)
    if not hmac.compare_digest(signature, _signature(secret_key, sender_id, expires_at)):
        return Checked(Status.INVALID)
    if moment >= expires_at:
        return Checked(Status.EXPIRED, sender_id, expires_at)
    return Checked(Status.VALID, sender_id, expires_at)


def verify(secret_key: str, token: str, *, now: float | None = None) -> str | None:
    """The sender id if the token was signed with this key and its session is open."""
    checked = check(secret_key, token, now=now)
    return checked.sender_id if checked.status is Status.VALID else None


def renewal(
    secret_key: str,
    checked: Checked,
    *,
    now: float | None = None,
    lifetime: float = DEFAULT_IDLE_SECONDS,
) -> str | None:
    """A fresh token for a valid one used more than an hour after it was made (sliding
    expiry: the session ends `lifetime` after its last use), else None."""
    if checked.status is not Status.VALID or checked.sender_id is None:
        return None
    moment = time.time() if now is None else now
    issued_at = checked.expires_at - lifetime
    if moment - issued_at < min(RENEW_AFTER_SECONDS, lifetime / 2):
        return None
    return issue(secret_key, checked.sender_id, now=moment, lifetime=lifetime)


@dataclass(frozen=True)
class SocketTicket:
    """A verified, unexpired socket ticket; `nonce` is what makes it single-use."""

    sender_id: str
    nonce: str
    expires_at: int


def _ticket_signature(secret_key: str, nonce: str, sender_id: str, expires_at: int) -> str:
    key = hmac.new(secret_key.encode(), SOCKET_TICKET_PURPOSE, hashlib.sha256).digest()
    message = f"{nonce}\0{sender_id}\0{expires_at}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def socket_ticket(
    secret_key: str,
    sender_id: str,
    *,
    now: float | None = None,
    lifetime: float = SOCKET_TICKET_SECONDS,
) -> str:
    """A ticket `<nonce>.<sender id>.<end>~<HMAC>` that opens one socket before its end."""
    nonce = secrets.token_urlsafe(16)
    expires_at = int((time.time() if now is None else now) + lifetime)
    signature = _ticket_signature(secret_key, nonce, sender_id, expires_at)
    return f"{nonce}.{sender_id}.{expires_at}~{signature}"


def read_socket_ticket(
    secret_key: str, ticket: str, *, now: float | None = None
) -> SocketTicket | None:
    """The ticket's claims if this gateway signed it and it has not ended, else None."""
    parts = ticket.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1].startswith(PREFIX):
        return None
    nonce, sender_id = parts[0], parts[1]
    end, tilde, signature = parts[2].partition("~")
    if not tilde or not end.isdigit() or len(end) > 12 or not signature:
        return None
    expires_at = int(end)
    expected = _ticket_signature(secret_key, nonce, sender_id, expires_at)
    if not hmac.compare_digest(signature, expected):
        return None
    if (time.time() if now is None else now) >= expires_at:
        return None
    return SocketTicket(sender_id=sender_id, nonce=nonce, expires_at=expires_at)


@dataclass(frozen=True)
class PrintLink:
    """What a print link claims, before its signature is checked against the list's owner."""

    list_id: int
    expires_at: int  # Unix seconds
    signature: str

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


def _print_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), PRINT_LINK_PURPOSE, hashlib.sha256).digest()


def _print_signature(secret_key: str, sender_id: str, list_id: int, expires_at: int) -> str:
    message = f"{sender_id}\0{list_id}\0{expires_at}".encode()
    return _b64(hmac.new(_print_key(secret_key), message, hashlib.sha256).digest())


def print_link(secret_key: str, sender_id: str, list_id: int, expires_at: int) -> str:
    """An opaque token that reads the sender's list `list_id` until `expires_at` (Unix s)."""
    signature = _print_signature(secret_key, sender_id, list_id, expires_at)
    return f"{list_id}.{expires_at}.{signature}"


def parse_print_link(token: str) -> PrintLink | None:
    """The claims of a well-formed print link (not yet verified), else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[2]:
        return None
    # The list id goes to the database: one past 64 bits would fail there (a 500), not here.
    list_id, expires_at = parse_id(parts[0]), parse_id(parts[1])
    if list_id is None or expires_at is None:
        return None
    return PrintLink(list_id=list_id, expires_at=expires_at, signature=parts[2])


def print_link_signed_for(secret_key: str, link: PrintLink, owner_sender_id: str) -> bool:
    """Whether `link` was issued by this gateway for the list's owner."""
    expected = _print_signature(secret_key, owner_sender_id, link.list_id, link.expires_at)
    return hmac.compare_digest(link.signature, expected)
