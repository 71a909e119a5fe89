"""JSON from the outside world, read within limits: request bodies, WebSocket frames and
Telegram updates share one size rule and one nesting rule, so no channel can be sent a body
that is too large or a nesting that would raise a RecursionError."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 16 * 1024
# Far deeper than anything the widget or Telegram sends; a deeper body would be a RecursionError.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


class UnreadableJson(ValueError):
    """A body that is not one JSON object within the limits; `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_body(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The request's body, or None once it is longer than `limit`: counted on the bytes
    read, so a chunked body or a compressed one (counted inflated) is held to it too."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    while len(body) <= limit:
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    return None


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `text` nests arrays and objects more than `limit` deep."""
    depth = 0
    for char in _JSON_STRING.sub("", text):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_object(raw: str | bytes) -> dict[str, Any]:
    """`raw` as one JSON object, or UnreadableJson ("malformed JSON", "JSON nested too
    deeply", "expected a JSON object")."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise UnreadableJson("malformed JSON") from exc
    if too_deep(text):
        raise UnreadableJson("JSON nested too deeply")
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnreadableJson("malformed JSON") from exc
    if not isinstance(body, dict):
        raise UnreadableJson("expected a JSON object")
    return body
