"""CSRF tokens: one per login session (and one per login form before there is a session)."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from markupsafe import Markup, escape

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "portal_login_csrf"


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_urlsafe(32)


def field(token: str) -> Markup:
    """The hidden input every POST form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))


async def sent_token(request: web.Request) -> str:
    """The token a POST carries: the form field, else the header."""
    form = await request.post()
    value = form.get(FIELD)
    if isinstance(value, str) and value:
        return value
    return request.headers.get(HEADER, "")


def matches(sent: str, expected: str | None) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected or "")
