"""Signed, unguessable web session tokens. The server picks the sender id, never the client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "web-"


def new_sender_id() -> str:
    """A fresh opaque sender id for a web conversation."""
    return PREFIX + secrets.token_urlsafe(18)


def _signature(secret_key: str, sender_id: str) -> str:
    digest = hmac.new(secret_key.encode(), sender_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
