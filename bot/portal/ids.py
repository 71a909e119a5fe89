"""Database ids from URLs, forms and query strings.

An id is written one way only: ASCII digits, no sign, no leading zero, at least 1 and at
most 2**63 - 1 (the largest integer SQLite and PostgreSQL store). Anything else is not an
id, so a handler answers 404 (a path) or 400 (a form or query) before it reaches the
database, which would otherwise fail with an `OverflowError` (a 500) on a huge number.
"""

from __future__ import annotations

from aiohttp import web

MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(raw: object) -> int | None:
    """The id `raw` spells, or None when it is not one."""
    if not isinstance(raw, str) or not 0 < len(raw) <= _MAX_DIGITS:
        return None
    if not (raw.isascii() and raw.isdigit()) or raw[0] == "0":
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def path_id(request: web.Request, name: str) -> int:
    """The id in the URL's `{name}` placeholder; 404 when it is not an id."""
    value = parse_id(request.match_info.get(name))
    if value is None:
        raise web.HTTPNotFound()
    return value


def given_id(raw: object) -> int:
    """An id from a form field or query parameter; 400 when it is not an id."""
    value = parse_id(raw)
    if value is None:
        raise web.HTTPBadRequest(text="bad id")
    return value
