"""Bot messages as Telegram sees them: plain-text pieces under the size limit, inline keyboards.

Messages go out with no parse mode, so nothing in them (a name, an answer, a URL) can be
taken for markup and nothing needs escaping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

# Telegram counts a message's length in UTF-16 code units; 4,096 at most.
MAX_MESSAGE_UNITS = 4096
PAYLOAD_PREFIX = "p:"  # callback_data "p:<short id>" stands for an engine payload
COMMAND_PREFIX = "c:"  # callback_data "c:<action>" is a channel action, like confirming /forget
MAX_CALLBACK_BYTES = 64
# Buttons whose titles are all this short (numbers) go this many to a row.
SHORT_TITLE = 3
SHORT_PER_ROW = 6

# Where a message may be cut, best first: after a sentence, at a line break, between words.
_BOUNDARIES = (
    re.compile(r"(?<=[.!?…])[\"'\u201d\u2019)\]]*\s+"),
    re.compile(r"\n+"),
    re.compile(r"\s+"),
)


def units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Pieces of at most `limit` units, cut at sentence ends where possible."""
    text = text.strip()
    if not text:
        return []
    return [piece for piece in _split(text, limit, 0) if piece]


def _segments(text: str, boundary: re.Pattern[str]) -> list[str]:
    """`text` cut after each boundary; the boundary stays at the end of its segment."""
    cuts = [m.end() for m in boundary.finditer(text)]
    starts = [0, *cuts]
    return [text[a:b] for a, b in zip(starts, [*cuts, len(text)], strict=True) if a < b]


def _split(text: str, limit: int, level: int) -> list[str]:
    if units(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_split(text, limit)
    pieces: list[str] = []
    current = ""
    for segment in _segments(text, _BOUNDARIES[level]):
        if units(current + segment.rstrip()) <= limit:
            current += segment
            continue
        if current.strip():
            pieces.append(current.strip())
        current = ""
        if units(segment.rstrip()) > limit:
            pieces.extend(_split(segment.strip(), limit, level + 1))
        else:
            current = segment
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _hard_split(text: str, limit: int) -> list[str]:
    """The last resort for a run of text with no space in it."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if units(current + char) > limit:
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def payload_data(token: str) -> str:
    """The callback_data of a button that stands for an engine payload."""
    data = PAYLOAD_PREFIX + token
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    return data


def keyboard(
    buttons: Sequence[Mapping[str, str]], tokens: Mapping[str, str]
) -> InlineKeyboardMarkup | None:
    """One button a row (titles can be long), or a few a row when every title is short (a
    0 to 10 rating); each carries its payload's short id."""
    if not buttons:
        return None
    keys = [
        InlineKeyboardButton(b["title"], callback_data=payload_data(tokens[b["payload"]]))
        for b in buttons
    ]
    per_row = SHORT_PER_ROW if all(len(b["title"]) <= SHORT_TITLE for b in buttons) else 1
    return InlineKeyboardMarkup([keys[i : i + per_row] for i in range(0, len(keys), per_row)])


def choice_title(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The title of the button with this callback_data in a keyboard, if it is there."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
