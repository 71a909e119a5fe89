"""Signed, unguessable web tokens. The server picks the sender id, never the client.

Two kinds, each signed with its own key derived from SECRET_KEY so one can never pass for
the other:

- the session token (`issue`/`verify`): the sender id and its HMAC, the login itself; it
  never goes in the URL of a page the person opens (a URL is kept in history and printed);
- a print link (`print_link`/`read_print_link`): reads one Ask 3 question list for a few
  minutes. It holds the list id and its expiry, and its signature binds them to the list's
  owner, whose sender id is not in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from bot.portal.ids import parse_id

PREFIX = "web-"
PRINT_LINK_PURPOSE = b"ask3-print-link"


def new_sender_id() -> str:
    """A fresh opaque sender id for a web conversation."""
    return PREFIX + secrets.token_urlsafe(18)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _signature(secret_key: str, sender_id: str) -> str:
    return _b64(hmac.new(secret_key.encode(), sender_id.encode(), hashlib.sha256).digest())


def issue(secret_key: str, sender_id: str) -> str:
    """The bearer token for a sender: the id and its HMAC-SHA256 signature."""
    return f"{sender_id}.{_signature(secret_key, sender_id)}"


def verify(secret_key: str, token: str) -> str | None:
    """The sender id if the token was signed with this key, else None."""
    sender_id, _, signature = token.rpartition(".")
    if not sender_id.startswith(PREFIX) or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(secret_key, sender_id)):
        return None
    return sender_id


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
